"""Votes and the review in the web console: a secretary sees the cell's open vote (how many voted,
never who chose what in a secret one), closes it with the form token and sees the counts; a
committee reads the year's ratings per cell and rolled up, and downloads them; another cell's
secretary and a missing token are refused and change nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import texts
from core.audit import AuditEvent
from core.orgs.service import load_actor
from core.votes import review, service
from core.votes.models import BallotKind, Rating, ReviewEntry, Vote, VoteStatus
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune

V = texts.votes
COMMITTEE = 5001


async def _vote(session, vote_id: int) -> Vote:  # type: ignore[no-untyped-def]
    return (await session.execute(select(Vote).where(Vote.id == vote_id).execution_options(populate_existing=True))).scalar_one()


async def test_a_secretary_follows_and_closes_a_secret_vote(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    secretary = await load_actor(session, a.secretary)
    opened = await service.open_vote(session, actor=secretary, cell_id=a.org.id, question="Kết nạp quần chúng Giàng A Sử", now=clock.now(),
                                     kind=BallotKind.SECRET)
    for person, option in ((a.secretary, 0), (a.deputy, 0), (a.members[0], 1)):
        await service.cast(session, actor=await load_actor(session, person), vote_id=opened.vote.id, option=option, cipher=cipher, now=clock.now())
    await session.commit()

    # Another cell's secretary: refused, and the vote stays open.
    other = await sign_in(api_client, console_harness, SECRETARY_B)
    assert (await api_client.get(f"/console/votes?org={a.org.id}")).status_code in (403, 404)
    refused = await api_client.post(f"/console/votes/{opened.vote.id}/close", data={"csrf": csrf_of(other)})
    assert refused.status_code in (403, 404) and (await _vote(session, opened.vote.id)).status == VoteStatus.OPEN
    api_client.cookies.clear()

    home = await sign_in(api_client, console_harness, SECRETARY_A)
    page = await api_client.get("/console/votes")
    assert page.status_code == 200 and "Kết nạp quần chúng Giàng A Sử" in page.text and "3/7" in page.text and V.CONSOLE_CLOSE in page.text
    assert (await api_client.post(f"/console/votes/{opened.vote.id}/close", data={})).status_code == 403  # no form token
    assert (await _vote(session, opened.vote.id)).status == VoteStatus.OPEN
    closed = await api_client.post(f"/console/votes/{opened.vote.id}/close", data={"csrf": csrf_of(home)})
    assert closed.status_code == 303
    after = await api_client.get(closed.headers["location"])
    assert V.CONSOLE_CLOSED_OK in after.text and V.CONSOLE_INVALID in after.text and "Tán thành 2, Không tán thành 1" in after.text
    vote = await _vote(session, opened.vote.id)
    assert (vote.status, vote.counts) == (VoteStatus.CLOSED, [2, 1, 0])
    events = (await session.execute(select(AuditEvent).where(AuditEvent.action == "console.vote.close"))).scalars().all()
    assert [e.target for e in events] == [f"vote:{vote.id}"]


async def test_a_committee_reads_and_downloads_the_years_ratings(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    now = clock.now()
    committee = await load_actor(session, commune.committee_member)
    await review.open_cycle(session, actor=committee, org_id=commune.commune.id, year=2026, self_deadline=now + dt.timedelta(days=1),
                            cell_deadline=now + dt.timedelta(days=2), decide_deadline=now + dt.timedelta(days=3), now=now)
    entries = (await session.execute(select(ReviewEntry).where(ReviewEntry.cell_id == commune.cells[1].org.id))).scalars().all()
    await review.decide(session, actor=committee, entry_id=entries[0].id, rating=Rating.EXCELLENT, now=now)
    await review.decide(session, actor=committee, entry_id=entries[1].id, rating=Rating.GOOD, now=now)
    await session.commit()
    await sign_in(api_client, console_harness, COMMITTEE)
    page = await api_client.get(f"/console/votes/review?org={commune.commune.id}")
    assert page.status_code == 200, page.text[:2000]
    assert V.CONSOLE_REVIEW_TITLE.format(year=2026) in page.text
    for cell in commune.cells:
        assert cell.org.name in page.text
    assert commune.other_cell.org.name not in page.text
    csv_file = await api_client.get(f"/console/votes/review/export?org={commune.commune.id}&year=2026&format=csv")
    lines = csv_file.content.decode("utf-8-sig").splitlines()
    assert csv_file.status_code == 200 and any(line.startswith(f"{commune.cells[1].org.name},6,1,1,0,0,4") for line in lines), lines
    xlsx = await api_client.get(f"/console/votes/review/export?org={commune.commune.id}&year=2026&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    empty = await api_client.get(f"/console/votes/review?org={commune.commune.id}&year=2025")
    assert V.CONSOLE_REVIEW_EMPTY.format(year=2025, org=commune.commune.name) in empty.text
    assert (await api_client.get(f"/console/votes/review?org={commune.other_cell.org.id}")).status_code in (403, 404)


async def test_a_hand_vote_is_recorded_with_its_counts(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    opened = await service.open_vote(session, actor=await load_actor(session, a.secretary), cell_id=a.org.id, question="Bầu tổ trưởng tổ đảng",
                                     now=clock.now(), kind=BallotKind.HAND)
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    page = await api_client.get("/console/votes")
    assert V.CONSOLE_RECORD_HANDS in page.text and 'name="count2"' in page.text and V.CONSOLE_CLOSE not in page.text
    path = f"/console/votes/{opened.vote.id}/hand-counts"
    for counts, message in (({"count0": "9", "count1": "1", "count2": "0"}, "nhiều hơn số đảng viên có quyền biểu quyết"),
                            ({"count0": "năm", "count1": "1", "count2": "0"}, None), ({"count0": "5", "count1": "1"}, None)):
        refused = await api_client.post(path, data={"csrf": csrf_of(home), **counts})
        assert refused.status_code == 422 and "text/html" in refused.headers["content-type"], refused.text[:500]
        assert message is None or message in refused.text
        assert (await _vote(session, opened.vote.id)).status == VoteStatus.OPEN
    recorded = await api_client.post(path, data={"csrf": csrf_of(home), "count0": "5", "count1": "1", "count2": "1"})
    assert recorded.status_code == 303
    vote = await _vote(session, opened.vote.id)
    assert (vote.status, vote.counts, vote.valid, vote.passed) == (VoteStatus.CLOSED, [5, 1, 1], True, True)
    assert "Tán thành 5, Không tán thành 1, Không biểu quyết 1" in (await api_client.get(recorded.headers["location"])).text
