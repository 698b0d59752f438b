"""The annual review's ratings in a cell's monthly report: the draft shows the year's figures so far,
the committee above receives them with the report, and a sent report keeps what it was sent with."""

from __future__ import annotations

import datetime as dt

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
                                                       "incomplete": 0, "pending": len(rest)}
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
