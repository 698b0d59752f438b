"""The console opens votes, opens the year's review and decides ratings, with the same core calls as
the API: a cell's secretary opens a vote for the cell (in one of its meetings or not); the commune's
committee opens the year's review with its deadlines and limit, then decides each member's rating on
the cell's page, seeing the member's self-assessment and the cell's proposal, within the limit on
the top rating. Every form needs the token, every write is audited, and other people are refused
with nothing changed. The annual report's page and its downloads are there too."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import texts
from core.audit import AuditEvent
from core.clock import local_tz
from core.meetings.models import Meeting, MeetingKind
from core.orgs.service import load_actor
from core.votes import review
from core.votes.models import BallotKind, Rating, ReviewCycle, ReviewEntry, Vote
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune

V = texts.votes
COMMITTEE = 5001


async def actions(session, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def entry_of(session, member_id: int) -> ReviewEntry:  # type: ignore[no-untyped-def]
    query = select(ReviewEntry).where(ReviewEntry.member_id == member_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one()


async def test_a_secretary_opens_a_vote_for_the_cells_meeting(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    meeting = Meeting(cell_id=a.org.id, kind=MeetingKind.REGULAR, starts_at=clock.now() + dt.timedelta(hours=2), place="Nhà văn hóa thôn")
    session.add(meeting)
    await session.commit()
    form = {"cell_id": str(a.org.id), "question": "Thông qua nghị quyết tháng 12", "kind": "secret", "meeting_id": str(meeting.id),
            "voters": "members", "closes_in": "60"}

    other = await sign_in(api_client, console_harness, SECRETARY_B)
    refused = await api_client.post("/console/votes/open", data={**form, "csrf": csrf_of(other)})
    assert refused.status_code in (403, 404)
    api_client.cookies.clear()

    home = await sign_in(api_client, console_harness, SECRETARY_A)
    page = await api_client.get("/console/votes")
    assert V.CONSOLE_NEW_VOTE in page.text and f'value="{meeting.id}"' in page.text
    assert (await api_client.post("/console/votes/open", data=form)).status_code == 403  # no form token
    assert not await session.scalar(select(func.count()).select_from(Vote))
    empty = await api_client.post("/console/votes/open", data={**form, "question": "   ", "csrf": csrf_of(home)})
    assert empty.status_code == 422 and V.QUESTION_EMPTY in empty.text
    opened = await api_client.post("/console/votes/open", data={**form, "csrf": csrf_of(home)})
    assert opened.status_code == 303
    vote = (await session.execute(select(Vote).execution_options(populate_existing=True))).scalar_one()
    assert (vote.cell_id, vote.meeting_id, vote.kind, vote.question) == (a.org.id, meeting.id, BallotKind.SECRET, form["question"])
    assert vote.closes_at == clock.now() + dt.timedelta(minutes=60)
    after = await api_client.get(opened.headers["location"])
    assert V.CONSOLE_OPENED_OK.format(sent=7) in after.text and form["question"] in after.text
    assert [e.target for e in await actions(session, "console.vote.open")] == [f"vote:{vote.id}"]
    # A closing time the form does not offer is refused.
    odd = await api_client.post("/console/votes/open", data={**form, "closes_in": "7", "csrf": csrf_of(home)})
    assert odd.status_code == 422


async def test_a_committee_opens_the_review_and_decides_within_the_limit(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    await session.commit()
    a, b = commune.cells
    today = clock.now().astimezone(local_tz()).date()
    days = {"self_day": (today + dt.timedelta(days=7)).isoformat(), "cell_day": (today + dt.timedelta(days=14)).isoformat(),
            "decide_day": (today + dt.timedelta(days=21)).isoformat(), "top_limit_percent": "20", "org_id": str(commune.commune.id)}

    # A cell's secretary sees no form and cannot open it.
    secretary_page = await sign_in(api_client, console_harness, SECRETARY_A)
    assert V.CONSOLE_OPEN_REVIEW not in (await api_client.get(f"/console/votes/review?org={a.org.id}")).text
    refused = await api_client.post("/console/votes/review/open", data={**days, "csrf": csrf_of(secretary_page)})
    assert refused.status_code in (403, 404) and not await session.scalar(select(func.count()).select_from(ReviewCycle))
    api_client.cookies.clear()

    home = await sign_in(api_client, console_harness, COMMITTEE)
    page = await api_client.get(f"/console/votes/review?org={commune.commune.id}")
    assert V.CONSOLE_NEW_REVIEW.format(year=2026) in page.text
    assert (await api_client.post("/console/votes/review/open", data=days)).status_code == 403
    backwards = await api_client.post("/console/votes/review/open", data={**days, "self_day": days["decide_day"], "csrf": csrf_of(home)})
    assert backwards.status_code == 422 and V.DEADLINES_ORDER in backwards.text
    assert (await api_client.post("/console/votes/review/open", data={**days, "self_day": "hôm nay", "csrf": csrf_of(home)})).status_code == 422
    opened = await api_client.post("/console/votes/review/open", data={**days, "csrf": csrf_of(home)})
    assert opened.status_code == 303
    cycle = (await session.execute(select(ReviewCycle))).scalar_one()
    assert (cycle.org_id, cycle.year, cycle.top_limit_percent) == (commune.commune.id, 2026, 20)
    assert cycle.self_deadline.astimezone(local_tz()).replace(tzinfo=None) == dt.datetime.combine(today + dt.timedelta(days=7), dt.time(17))
    assert V.CONSOLE_REVIEW_OPENED_OK in (await api_client.get(opened.headers["location"])).text
    assert [e.target for e in await actions(session, "console.review.open")] == [review.source_of(cycle.id)]
    again = await api_client.get(f"/console/votes/review?org={commune.commune.id}")
    assert V.CONSOLE_OPEN_REVIEW not in again.text  # one review a year

    # A member's self-assessment; the cell's secretary puts a proposal to the vote from the cell's page.
    member = a.members[0]
    entry = await entry_of(session, member.id)
    await review.submit_self(session, actor=await load_actor(session, member), entry_id=entry.id, rating=Rating.EXCELLENT,
                             text="Năm 2026 tôi vận động bà con trồng 5 ha quế.", now=clock.now())
    await session.commit()
    api_client.cookies.clear()
    secretary_page = await sign_in(api_client, console_harness, SECRETARY_A)
    cell_page = await api_client.get(f"/console/votes/review/cells/{a.org.id}")
    assert "trồng 5 ha quế" in cell_page.text and V.CONSOLE_VOTE_RATING in cell_page.text and "/decision" not in cell_page.text
    voted = await api_client.post(f"/console/votes/review/entries/{entry.id}/vote",
                                  data={"rating": "excellent", "kind": "hand", "meeting_id": "0", "csrf": csrf_of(secretary_page)})
    assert voted.status_code == 303
    vote = (await session.execute(select(Vote).where(Vote.subject == f"review:{entry.id}"))).scalar_one()
    assert vote.kind == BallotKind.HAND and vote.subject_value == "excellent"
    assert [e.target for e in await actions(session, "console.review.vote")] == [f"review_entry:{entry.id}"]
    hands = await api_client.post(f"/console/votes/{vote.id}/hand-counts", data={"count0": "5", "count1": "1", "count2": "0",
                                                                                 "csrf": csrf_of(secretary_page)})
    assert hands.status_code == 303 and (await entry_of(session, member.id)).cell_rating == Rating.EXCELLENT
    not_decider = await api_client.post(f"/console/votes/review/entries/{entry.id}/decision",
                                        data={"rating": "excellent", "csrf": csrf_of(secretary_page)})
    assert not_decider.status_code == 403 and (await entry_of(session, member.id)).final_rating is None
    api_client.cookies.clear()

    # The committee decides, seeing the proposal; 20% of 13 allows two at the top.
    home = await sign_in(api_client, console_harness, COMMITTEE)
    cell_page = await api_client.get(f"/console/votes/review/cells/{a.org.id}")
    assert V.CONSOLE_TOP_USAGE.format(limit=20, total=13, allowed=2, used=0) in cell_page.text and V.CONSOLE_DECIDE in cell_page.text
    assert "trồng 5 ha quế" in cell_page.text
    top = [entry.id, (await entry_of(session, a.members[1].id)).id]
    for entry_id in top:
        decided = await api_client.post(f"/console/votes/review/entries/{entry_id}/decision", data={"rating": "excellent", "csrf": csrf_of(home)})
        assert decided.status_code == 303
    assert V.CONSOLE_DECIDED_OK in (await api_client.get(decided.headers["location"])).text
    third = await entry_of(session, b.members[0].id)
    over = await api_client.post(f"/console/votes/review/entries/{third.id}/decision", data={"rating": "excellent", "csrf": csrf_of(home)})
    assert over.status_code == 409 and "Vượt giới hạn" in over.text and (await entry_of(session, b.members[0].id)).final_rating is None
    assert (await api_client.post(f"/console/votes/review/entries/{third.id}/decision", data={"rating": "excellent"})).status_code == 403
    assert [e.target for e in await actions(session, "console.review.decide")] == [f"review_entry:{i}" for i in top]
    assert (await entry_of(session, member.id)).final_rating == Rating.EXCELLENT
    # Another province's cell does not exist for them.
    assert (await api_client.get(f"/console/votes/review/cells/{commune.other_cell.org.id}")).status_code in (403, 404)

    # The annual report: the year's ratings, and its files.
    annual = await api_client.get(f"/console/figures/year?org={commune.commune.id}&year=2026")
    assert annual.status_code == 200 and texts.console_desk.ANNUAL_TABLE_RATINGS.format(year=2026) in annual.text
    assert a.org.name in annual.text and V.RATING_RECONSIDERING in annual.text
    csv_file = await api_client.get(f"/console/figures/year/export?org={commune.commune.id}&year=2026&format=csv")
    assert csv_file.status_code == 200 and csv_file.content.decode("utf-8-sig").splitlines()[-1].endswith(",13,2,0,0,0,11,0")
    xlsx = await api_client.get(f"/console/figures/year/export?org={commune.commune.id}&year=2026&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert (await api_client.get(f"/console/figures/year?org={commune.other_province.id}")).status_code in (403, 404)
