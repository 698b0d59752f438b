"""The annual review's ratings in a cell's monthly report: the draft shows the year's figures so far,
the committee above receives them with the report, and a sent report keeps what it was sent with."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from sqlalchemy import select

from core import texts
from core.delivery.models import OutboxMessage
from core.orgs.service import load_actor
from core.reporting import reports
from core.votes import review
from core.votes.models import Rating, ReviewEntry


async def entries_of(session, cell_id: int) -> list[ReviewEntry]:  # type: ignore[no-untyped-def]
    query = select(ReviewEntry).where(ReviewEntry.cell_id == cell_id).order_by(ReviewEntry.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def test_the_monthly_report_carries_the_years_ratings(api_client, session, commune, bearer, clock) -> None:
    a, b = commune.cells
    secretary = await bearer(a.secretary)
    before = await api_client.get(f"/api/v1/reports/{a.org.id}/2026-11", headers=secretary)
    assert before.status_code == 200 and before.json()["ratings"] == {}  # no review this year yet

    now = clock.now()
    committee = await load_actor(session, commune.committee_member)
    await review.open_cycle(session, actor=committee, org_id=commune.commune.id, year=2026, self_deadline=now + dt.timedelta(days=1),
                            cell_deadline=now + dt.timedelta(days=2), decide_deadline=now + dt.timedelta(days=3), now=now)
    first, second, *rest = await entries_of(session, a.org.id)
    await review.decide(session, actor=committee, entry_id=first.id, rating=Rating.EXCELLENT, now=now)
    await review.decide(session, actor=committee, entry_id=second.id, rating=Rating.GOOD, now=now)
    await session.commit()

    draft = await api_client.get(f"/api/v1/reports/{a.org.id}/2026-11", headers=secretary)
    ratings = draft.json()["ratings"]
    assert ratings == {"year": 2026, "total": len(rest) + 2, "excellent": 1, "good": 1, "complete": 0,
                                                       "incomplete": 0, "pending": len(rest), "reconsidering": 0}
    # Another cell's report counts its own members only.
    other = await api_client.get(f"/api/v1/reports/{b.org.id}/2026-11", headers=await bearer(b.secretary))
    assert other.json()["ratings"]["total"] == 6 and other.json()["ratings"]["pending"] == 6

    sent = await api_client.post(f"/api/v1/reports/{a.org.id}/2026-11/send", json={}, headers=secretary)
    assert sent.status_code == 200, sent.text
    [received] = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == reports.SENT_KIND))).scalars().all()
    expected = texts.reports.LINE_REVIEW.format(year=2026, total=len(rest) + 2, excellent=1, good=1, complete=0, incomplete=0, pending=len(rest))
    assert expected in received.payload["text"]

    # Decided after sending: the sent report keeps the ratings it was sent with.
    await review.decide(session, actor=committee, entry_id=rest[0].id, rating=Rating.COMPLETE, now=now)
    await session.commit()
    again = await api_client.get(f"/api/v1/reports/{a.org.id}/2026-11", headers=secretary)
    assert again.json()["ratings"] == ratings


async def test_the_monthly_report_counts_reconsiderations_like_the_live_figures(api_client, session, commune, bearer, clock) -> None:
    a, _ = commune.cells
    now = clock.now()
    committee = await load_actor(session, commune.committee_member)
    await review.open_cycle(session, actor=committee, org_id=commune.commune.id, year=2026, self_deadline=now + dt.timedelta(days=1),
                            cell_deadline=now + dt.timedelta(days=2), decide_deadline=now + dt.timedelta(days=3), now=now)
    first, second, *rest = await entries_of(session, a.org.id)
    await review.decide(session, actor=committee, entry_id=first.id, rating=Rating.GOOD, now=now)
    await review.decide(session, actor=committee, entry_id=second.id, rating=Rating.COMPLETE, now=now)
    asking = next(m for m in [a.secretary, a.deputy, *a.members] if m.id == first.member_id)
    await review.request_reconsideration(session, actor=await load_actor(session, asking), entry_id=first.id,
                                         reason="Đồng chí xin cấp ủy xem lại kết quả.", now=now)
    await session.commit()

    live = (await review.subtree_figures(session, org=a.org, year=2026)).totals
    assert live.reconsidering == 1
    secretary = await bearer(a.secretary)
    draft = (await api_client.get(f"/api/v1/reports/{a.org.id}/2026-11", headers=secretary)).json()["ratings"]
    assert draft["reconsidering"] == live.reconsidering and draft["good"] == 1 and draft["pending"] == live.pending == len(rest)

    sent = await api_client.post(f"/api/v1/reports/{a.org.id}/2026-11/send", json={}, headers=secretary)
    assert sent.status_code == 200, sent.text
    [received] = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == reports.SENT_KIND))).scalars().all()
    assert texts.reports.LINE_REVIEW_RECONSIDERING.format(count=1) in received.payload["text"]

    # Decided again after sending: the sent report keeps the reconsideration it was sent with.
    await review.decide(session, actor=committee, entry_id=first.id, rating=Rating.EXCELLENT, now=now)
    await session.commit()
    assert (await review.subtree_figures(session, org=a.org, year=2026)).totals.reconsidering == 0
    kept = (await api_client.get(f"/api/v1/reports/{a.org.id}/2026-11", headers=secretary)).json()["ratings"]
    assert kept == draft

    # The committee's received reports as files: each cell's row as stored, its reconsideration included.
    above = await bearer(commune.committee_member)
    url = f"/api/v1/orgs/{commune.commune.id}/reports?month=2026-11"
    got = await api_client.get(f"{url}&format=csv", headers=above)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    header, rows = table[0], {row[0]: row for row in table[1:]}
    assert header[-1] == texts.reports.ANNUAL_RATING_HEADERS[-1]
    row = rows[a.org.name]
    assert row[1] == texts.reports.RECEIVED_STATES["sent"]
    stored = dict(zip(header[-7:], row[-7:], strict=True))
    assert stored[texts.reports.ANNUAL_RATING_HEADERS[-1]] == "1" and stored["Tốt"] == "1" and stored["Xuất sắc"] == "0"
    assert rows[commune.cells[1].org.name][1:] == [texts.reports.RECEIVED_STATES["none"], ""]
    book = load_workbook(io.BytesIO((await api_client.get(f"{url}&format=xlsx", headers=above)).content))
    sheet = book[texts.reports.SHEET_RECEIVED.format(month=11, year=2026)]
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][-1] == 1
    # A cell's secretary is not the committee: refused.
    assert (await api_client.get(f"{url}&format=csv", headers=secretary)).status_code == 403


def test_a_report_stored_before_reconsiderations_were_counted_shows_none() -> None:
    old = {"year": 2026, "total": 3, "excellent": 0, "good": 1, "complete": 0, "incomplete": 0, "pending": 2}
    line = reports.review_line(old)
    assert line is not None and texts.reports.LINE_REVIEW_RECONSIDERING.format(count=0) not in line
    assert reports.review_line({**old, "reconsidering": 2}) == line + texts.reports.LINE_REVIEW_RECONSIDERING.format(count=2)
