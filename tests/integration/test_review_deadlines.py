"""The review's three deadlines hold: the self-assessment by the first, the cell's proposal votes by
the second (none opens or is set to close after it; one closed by hand after it does not count), the
committee's first decisions by the third (a reconsideration is still decided after it)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core import texts
from core.errors import Conflict, InvalidInput
from core.meetings.dates import LOCAL_TZ
from core.orgs.service import load_actor
from core.tick_context import TickContext
from core.votes import review, service
from core.votes.models import BallotKind, Rating, ReviewEntry

DAY = dt.timedelta(days=1)


async def entries_of(session, cell_id: int) -> list[ReviewEntry]:  # type: ignore[no-untyped-def]
    query = select(ReviewEntry).where(ReviewEntry.cell_id == cell_id).order_by(ReviewEntry.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def test_each_deadline_is_enforced(session, commune, clock, cipher) -> None:
    now = clock.now()
    cell = commune.cells[1]
    committee = await load_actor(session, commune.committee_member)
    secretary = await load_actor(session, cell.secretary)
    opened = await review.open_cycle(session, actor=committee, org_id=commune.commune.id, year=2026, self_deadline=now + DAY,
                                     cell_deadline=now + 2 * DAY, decide_deadline=now + 3 * DAY, now=now)
    cycle = opened.cycle
    first, second, third, *_ = await entries_of(session, cell.org.id)
    member = await load_actor(session, cell.secretary)
    with pytest.raises(Conflict) as late_self:
        await review.submit_self(session, actor=member, entry_id=first.id, rating=Rating.GOOD, text="Tự kiểm điểm.", now=now + DAY + dt.timedelta(minutes=1))
    assert late_self.value.message == texts.votes.SELF_CLOSED

    # A vote may not be set to close after the cell deadline.
    with pytest.raises(InvalidInput):
        await review.open_rating_vote(session, actor=secretary, entry_id=first.id, rating=Rating.GOOD, now=now,
                                      closes_at=cycle.cell_deadline + dt.timedelta(minutes=1))
    # Opened in time and closed by hand after the deadline: the counts stand, the proposal does not.
    late = await review.open_rating_vote(session, actor=secretary, entry_id=first.id, rating=Rating.GOOD, now=now)
    on_time = await review.open_rating_vote(session, actor=secretary, entry_id=second.id, rating=Rating.GOOD, now=now)
    for person in cell.everyone:
        voter = await load_actor(session, person)
        for vote, entry in ((late.vote, first), (on_time.vote, second)):
            if person.id != entry.member_id:  # nobody votes on their own rating
                await service.cast(session, actor=voter, vote_id=vote.id, option=0, cipher=cipher, now=now)
    await service.close_vote(session, actor=secretary, vote_id=on_time.vote.id, now=now + DAY)
    closed_late = await service.close_vote(session, actor=secretary, vote_id=late.vote.id, now=now + 2 * DAY + dt.timedelta(minutes=1))
    assert closed_late.passed is True
    # Set to close at the deadline itself and closed by the tick job a minute after: it counts.
    fourth = (await entries_of(session, cell.org.id))[3]
    timed = await review.open_rating_vote(session, actor=secretary, entry_id=fourth.id, rating=Rating.COMPLETE, now=now,
                                          closes_at=cycle.cell_deadline)
    for person in cell.everyone:
        if person.id != fourth.member_id:
            await service.cast(session, actor=await load_actor(session, person), vote_id=timed.vote.id, option=0, cipher=cipher, now=now)
    after_deadline = cycle.cell_deadline + dt.timedelta(minutes=1)
    assert await service.close_due_votes(session, TickContext(now=after_deadline, tz=LOCAL_TZ)) == 1
    first, second, third, fourth, *_ = await entries_of(session, cell.org.id)
    assert (first.cell_rating, second.cell_rating, fourth.cell_rating) == (None, Rating.GOOD, Rating.COMPLETE)
    with pytest.raises(Conflict) as closed:
        await review.open_rating_vote(session, actor=secretary, entry_id=third.id, rating=None, now=now + 2 * DAY + dt.timedelta(minutes=1),
                                      kind=BallotKind.HAND)
    assert "hết hạn chi bộ" in closed.value.message

    # The committee decides by the third deadline; after it only a reconsideration is decided.
    await review.decide(session, actor=committee, entry_id=second.id, rating=Rating.GOOD, now=now + 3 * DAY)
    with pytest.raises(Conflict) as too_late:
        await review.decide(session, actor=committee, entry_id=third.id, rating=Rating.GOOD, now=now + 3 * DAY + dt.timedelta(minutes=1))
    assert "hết hạn cấp ủy quyết định" in too_late.value.message
    owner = await load_actor(session, next(p for p in cell.everyone if p.id == second.member_id))
    await review.request_reconsideration(session, actor=owner, entry_id=second.id, reason="Xin xem xét thêm.", now=now + 4 * DAY)
    final = await review.decide(session, actor=committee, entry_id=second.id, rating=Rating.COMPLETE, now=now + 4 * DAY)
    assert final.final_rating == Rating.COMPLETE and final.reconsidered_at is not None
