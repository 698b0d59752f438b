"""The annual report sent up from the console's «Báo cáo năm» (/console/figures/year): the cell's secretary
sends it with the form token, the commune's committee sees it arrive, opens the frozen copy and
acknowledges it; a missing token, a committee member sending for the cell and the cell acknowledging
its own are refused and change nothing; every action is audited. And a cell's monthly report page
shows the stored ratings with those under reconsideration."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select

from core import texts
from core.audit import AuditEvent
from core.orgs.service import load_actor
from core.reporting.models import AnnualReportSent, AnnualState
from core.votes import review
from core.votes.models import Rating, ReviewEntry
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import SECRETARY_A, sign_in
from tests.factories import make_commune

D = texts.console_desk
COMMITTEE = 5001


async def _row(session, org_id: int) -> AnnualReportSent | None:  # type: ignore[no-untyped-def]
    query = select(AnnualReportSent).where(AnnualReportSent.org_id == org_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def test_the_annual_report_is_sent_and_acknowledged_in_the_console(api_client, console_harness, session, cipher) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()

    # The committee member above reads the cell's annual report but has no send form, and a forged post is refused.
    above = await sign_in(api_client, console_harness, COMMITTEE)
    page = await api_client.get(f"/console/figures/year?org={a.org.id}&year=2026")
    assert page.status_code == 200 and D.ANNUAL_SEND not in page.text
    refused = await api_client.post("/console/figures/year/send", data={"csrf": csrf_of(above), "org": a.org.id, "year": 2026})
    assert refused.status_code == 403 and texts.reports.ANNUAL_ONLY_SENDER in refused.text
    assert await _row(session, a.org.id) is None
    api_client.cookies.clear()

    home = await sign_in(api_client, console_harness, SECRETARY_A)
    page = await api_client.get(f"/console/figures/year?org={a.org.id}&year=2026")
    assert page.status_code == 200 and D.ANNUAL_SEND in page.text and texts.reports.ANNUAL_NOT_SENT_STATUS.format(year=2026) in page.text
    form = {"org": a.org.id, "year": 2026, "note": "Chi bộ đề nghị khen thưởng."}
    assert (await api_client.post("/console/figures/year/send", data=form)).status_code == 403  # no form token
    assert await _row(session, a.org.id) is None
    sent = await api_client.post("/console/figures/year/send", data={**form, "csrf": csrf_of(home)})
    assert sent.status_code == 303
    after = await api_client.get(sent.headers["location"])
    assert D.ANNUAL_SENT_OK in after.text and D.ANNUAL_RESEND in after.text and "Chi bộ đề nghị khen thưởng." in after.text
    row = await _row(session, a.org.id)
    assert row is not None and (row.version, row.state) == (1, AnnualState.SENT)
    # Its own report: the cell does not acknowledge it.
    own = await api_client.post("/console/figures/year/acknowledge", data={"csrf": csrf_of(home), "org": a.org.id, "year": 2026, "version": 1})
    assert own.status_code == 403 and (await _row(session, a.org.id)).state == AnnualState.SENT  # type: ignore[union-attr]
    api_client.cookies.clear()

    above = await sign_in(api_client, console_harness, COMMITTEE)
    commune_page = await api_client.get(f"/console/figures/year?org={commune.commune.id}&year=2026")
    assert D.ANNUAL_RECEIVED_COUNT.format(sent=1, total=2) in commune_page.text and D.ANNUAL_STATE["sent"] in commune_page.text
    frozen = await api_client.get(f"/console/figures/year/sent?org={a.org.id}&year=2026")
    assert frozen.status_code == 200 and D.ANNUAL_ACKNOWLEDGE.format(version=1) in frozen.text and "Chi bộ đề nghị khen thưởng." in frozen.text
    done = await api_client.post("/console/figures/year/acknowledge",
                                 data={"csrf": csrf_of(frozen.text), "org": a.org.id, "year": 2026, "version": 1})
    assert done.status_code == 303
    shown = await api_client.get(done.headers["location"])
    assert D.ANNUAL_ACKNOWLEDGED_OK in shown.text and D.ANNUAL_ACKNOWLEDGE.format(version=1) not in shown.text
    row = await _row(session, a.org.id)
    assert row is not None and row.state == AnnualState.ACKNOWLEDGED
    events = (await session.execute(select(AuditEvent.action).where(AuditEvent.action.like("console.annual_report.%"))
                                    .order_by(AuditEvent.id))).scalars().all()
    assert events == ["console.annual_report.send", "console.annual_report.acknowledge"]


async def test_the_monthly_report_page_shows_the_stored_ratings_with_reconsiderations(api_client, console_harness, session, cipher,
                                                                                      clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    now = clock.now()
    committee = await load_actor(session, commune.committee_member)
    await review.open_cycle(session, actor=committee, org_id=commune.commune.id, year=2026, self_deadline=now + dt.timedelta(days=1),
                            cell_deadline=now + dt.timedelta(days=2), decide_deadline=now + dt.timedelta(days=3), now=now)
    entry = (await session.execute(select(ReviewEntry).where(ReviewEntry.member_id == a.members[0].id))).scalar_one()
    await review.decide(session, actor=committee, entry_id=entry.id, rating=Rating.GOOD, now=now)
    await review.request_reconsideration(session, actor=await load_actor(session, a.members[0]), entry_id=entry.id,
                                         reason="Xin xem xét lại.", now=now)
    await session.commit()
    await sign_in(api_client, console_harness, SECRETARY_A)
    page = await api_client.get(f"/console/reports/{a.org.id}/2026-11")
    assert page.status_code == 200 and D.REPORT_RATINGS.format(year=2026) in page.text
    ratings = page.text.split('id="report-ratings"')[1]
    assert f"<dt>{texts.votes.RATING_RECONSIDERING}</dt><dd>1</dd>" in ratings
    assert f"<dt>{texts.votes.RATINGS['good']}</dt><dd>1</dd>" in ratings
    sent = await api_client.post(f"/console/reports/{a.org.id}/2026-11", data={"csrf": csrf_of(page.text), "action": "send", "note": ""})
    assert sent.status_code == 303
    api_client.cookies.clear()

    # The committee downloads what it received, as stored: the cell's row carries the reconsideration.
    await sign_in(api_client, console_harness, COMMITTEE)
    box = await api_client.get(f"/console/reports?org={commune.commune.id}&month=2026-11")
    assert D.RECEIVED_DOWNLOAD_CSV in box.text
    got = await api_client.get(f"/console/reports/export?org={commune.commune.id}&month=2026-11&format=csv")
    assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
    [row] = [r for r in csv.reader(io.StringIO(got.content.decode("utf-8-sig"))) if r[0] == a.org.name]
    assert row[1] == texts.reports.RECEIVED_STATES["sent"] and row[-1] == "1"
