"""🗳 Biểu quyết through the real Dispatcher: a vote opened in a held meeting, one tap per member, a
probationary member refused politely, a changed vote, closing, the result in the conclusions and to
the absentees; secret ballots that cannot be joined back to members; forged and late ballots."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from core import texts
from core.delivery.models import OutboxMessage
from core.errors import Conflict, NotFound, PermissionDenied
from core.meetings.models import Attendance, Invitation, Meeting, MeetingKind, MeetingStatus
from core.orgs.service import load_actor
from core.scheduling.context import TickContext
from core.meetings.dates import LOCAL_TZ
from core.votes import service
from core.votes.models import BallotKind, OpenBallot, SecretBallot, Vote, VoteParticipation, VoteStatus
from tests.botkit import inline_buttons, texts_of
from tests.factories import Commune, add_member, make_commune

T = texts.votes
SECRETARY, DEPUTY, M1, M2, M3, M4 = 1001, 1002, 1003, 1004, 1005, 1006
PROBATIONARY, EXEMPT_PRESENT, EXEMPT_ABSENT = 1201, 1202, 1203
OTHER_CELL, STRANGER = 2003, 777_777


@pytest.fixture
async def world(session, cipher, clock):  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    cell = commune.cells[0]
    probationary = await add_member(session, cipher, cell.org, "Dự Bị", probationary=True, link_to=PROBATIONARY)
    exempt_here = await add_member(session, cipher, cell.org, "Cụ Miễn Có Mặt", exempt=True, link_to=EXEMPT_PRESENT)
    exempt_away = await add_member(session, cipher, cell.org, "Cụ Miễn Vắng", exempt=True, link_to=EXEMPT_ABSENT)
    meeting = Meeting(cell_id=cell.org.id, kind=MeetingKind.REGULAR, starts_at=clock.now() - dt.timedelta(minutes=30), place="Nhà văn hóa",
                      status=MeetingStatus.HELD)
    session.add(meeting)
    await session.flush()
    present = {cell.secretary.id, cell.deputy.id, cell.members[0].id, cell.members[1].id, cell.members[2].id, exempt_here.id, probationary.id}
    everyone = [*cell.everyone, commune.committee_member, probationary, exempt_here, exempt_away]
    for person in everyone:
        session.add(Invitation(meeting_id=meeting.id, member_id=person.id))
        session.add(Attendance(meeting_id=meeting.id, member_id=person.id, present=person.id in present))
    await session.commit()
    return commune, meeting, {"probationary": probationary, "exempt_here": exempt_here, "exempt_away": exempt_away}


def alerts(calls) -> list[str]:  # type: ignore[no-untyped-def]
    return [call.text for call in calls if type(call).__name__ == "AnswerCallbackQuery" and call.text]


def data_of(calls, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [d for call in calls for _, d in inline_buttons(call) if d and d.startswith(prefix)]


async def outbox(session, kind: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


async def fresh(session, vote_id: int) -> Vote:  # type: ignore[no-untyped-def]
    return await session.get(Vote, vote_id, populate_existing=True)


async def open_by_buttons(harness, commune: Commune, meeting: Meeting, kind: str, close: str = "0") -> int:  # type: ignore[no-untyped-def]
    cell = commune.cells[0].org
    calls = await harness.text(SECRETARY, T.BTN_VOTES)
    assert T.MENU_EMPTY in "\n".join(texts_of(calls))
    assert f"vto:new:{cell.id}" in data_of(calls, "vto:")
    calls = await harness.press(SECRETARY, f"vto:new:{cell.id}")
    assert f"vtm:{meeting.id}" in data_of(calls, "vtm:")
    calls = await harness.press(SECRETARY, f"vtm:{meeting.id}")
    assert T.ASK_QUESTION in texts_of(calls)
    calls = await harness.text(SECRETARY, "Thông qua nghị quyết chi bộ tháng 12")
    assert f"vtk:{kind}" in data_of(calls, "vtk:")
    calls = await harness.press(SECRETARY, f"vtk:{kind}")
    if kind == "hand":
        assert T.ASK_HAND_COUNTS in texts_of(calls)
    else:
        calls = await harness.press(SECRETARY, f"vtc:{close}")
        assert any("Đã mở biểu quyết" in t for t in texts_of(calls))
    return int(max(v.id for v in (await harness_session_votes(harness))))


async def harness_session_votes(harness) -> list[Vote]:  # type: ignore[no-untyped-def]
    factory = harness.dispatcher["session_factory"]
    async with factory() as session:
        return list((await session.execute(select(Vote))).scalars())


async def test_open_vote_in_a_meeting_one_tap_refusals_change_close_and_result(harness, session, world) -> None:
    commune, meeting, extra = world
    cell = commune.cells[0]
    vote_id = await open_by_buttons(harness, commune, meeting, "open")
    # Ballots: every official member of the cell and the exempt member who is present; not the probationary one.
    ballots = await outbox(session, service.KIND_BALLOT)
    expected = {m.id for m in cell.everyone} | {commune.committee_member.id, extra["exempt_here"].id}
    assert {b.member_id for b in ballots} == expected
    payload = ballots[0].payload
    assert [b[0]["callback_data"] for b in payload["buttons"]] == [f"vtb:{vote_id}:{i}" for i in range(3)]
    assert "Tán thành" in payload["buttons"][0][0]["text"]

    # One tap each.
    for user in (SECRETARY, DEPUTY, M1, M2, 5001):
        calls = await harness.press(user, f"vtb:{vote_id}:0", message_text="🗳 BIỂU QUYẾT")
        assert alerts(calls) == [T.CAST_OK.format(option="Tán thành")]
    calls = await harness.press(M3, f"vtb:{vote_id}:1")
    assert any("Lựa chọn của đồng chí" in t and "Không tán thành" in t for t in texts_of(calls))
    # …and changes their mind.
    calls = await harness.press(M3, f"vtb:{vote_id}:0")
    assert any(T.CAST_CHANGED.format(option="Tán thành") in (c.text or "") for c in calls if type(c).__name__ == "AnswerCallbackQuery")
    # The same choice twice changes nothing.
    calls = await harness.press(M3, f"vtb:{vote_id}:0")
    assert any("đã chọn" in (c.text or "") for c in calls if type(c).__name__ == "AnswerCallbackQuery")
    calls = await harness.press(EXEMPT_PRESENT, f"vtb:{vote_id}:2")
    assert not any(t == T.EXEMPT_NOT_PRESENT for t in alerts(calls))

    # Refused, politely, and nothing recorded.
    assert alerts(await harness.press(PROBATIONARY, f"vtb:{vote_id}:0")) == [T.PROBATIONARY_REFUSED]
    assert alerts(await harness.press(EXEMPT_ABSENT, f"vtb:{vote_id}:0")) == [T.EXEMPT_NOT_PRESENT]
    assert alerts(await harness.press(OTHER_CELL, f"vtb:{vote_id}:0")) == [texts.common.NOT_FOUND]
    assert alerts(await harness.press(STRANGER, f"vtb:{vote_id}:0")) == [texts.common.NOT_LINKED]
    assert alerts(await harness.press(M4, f"vtb:{vote_id}:7")) == [T.BAD_OPTION]
    ballots_now = list((await session.execute(select(OpenBallot.member_id, OpenBallot.option).where(OpenBallot.vote_id == vote_id))).all())
    assert sorted(ballots_now) == sorted(
        [(cell.secretary.id, 0), (cell.deputy.id, 0), (cell.members[0].id, 0), (cell.members[1].id, 0), (commune.committee_member.id, 0),
         (cell.members[2].id, 0), (extra["exempt_here"].id, 2)]
    )

    # The secretary follows the count, then closes.
    calls = await harness.press(SECRETARY, f"vto:card:{vote_id}")
    assert any("7/8" in t for t in texts_of(calls)), texts_of(calls)
    calls = await harness.press(SECRETARY, f"vto:close:{vote_id}")
    result = "\n".join(texts_of(calls))
    assert "KẾT QUẢ BIỂU QUYẾT" in result and "Được thông qua" in result
    vote = await fresh(session, vote_id)
    assert vote.status == VoteStatus.CLOSED
    # Eligible: 6 official members of the cell + the committee member (also of this cell) + the exempt one present = 8.
    assert (vote.eligible_count, vote.voted_count, vote.counts, vote.valid, vote.passed) == (8, 7, [6, 0, 1], True, True)

    # Late ballots change nothing: after closing, and a second close.
    assert alerts(await harness.press(M4, f"vtb:{vote_id}:1")) == [T.VOTE_CLOSED]
    assert alerts(await harness.press(SECRETARY, f"vto:close:{vote_id}")) == [T.ALREADY_CLOSED]
    assert (await fresh(session, vote_id)).counts == [6, 0, 1]

    # The result is in the meeting's conclusions and goes to those absent (and to the secretary).
    meeting = await session.get(Meeting, meeting.id, populate_existing=True)
    assert "Thông qua nghị quyết chi bộ tháng 12" in (meeting.conclusions_text or "") and "thông qua" in meeting.conclusions_text
    results = await outbox(session, service.KIND_RESULT)
    absent = {cell.members[3].id, extra["exempt_away"].id, commune.committee_member.id}  # the committee member voted from afar
    assert {r.member_id for r in results} == absent | {cell.secretary.id}
    assert "Được thông qua" in results[0].payload["text"] and "Tán thành: <b>6</b>" in results[0].payload["text"]


async def test_secret_ballot_cannot_be_joined_back_to_members(harness, session, world, cipher, clock) -> None:
    commune, meeting, _ = world
    cell = commune.cells[0]
    vote_id = await open_by_buttons(harness, commune, meeting, "secret")
    choices = {SECRETARY: 0, DEPUTY: 1, M1: 0, M2: 2, M3: 0}
    for user, option in choices.items():
        await harness.press(user, f"vtb:{vote_id}:{option}")
    await harness.press(DEPUTY, f"vtb:{vote_id}:0")  # changed: found through the deputy's own receipt, not added
    members = [cell.secretary, cell.deputy, *cell.members, commune.committee_member]

    # The tables: ballots hold no member, no time, no sequence.
    columns = {c["name"] for c in await session.run_sync(lambda s: sa_inspect(s.connection()).get_columns("secret_ballots"))}
    assert columns == {"id", "vote_id", "option", "receipt"}
    foreign = await session.run_sync(lambda s: sa_inspect(s.connection()).get_foreign_keys("secret_ballots"))
    assert {fk["referred_table"] for fk in foreign} == {"votes"}
    participation_columns = {c["name"] for c in await session.run_sync(lambda s: sa_inspect(s.connection()).get_columns("vote_participations"))}
    assert participation_columns == {"vote_id", "member_id"}
    rows = list((await session.execute(select(SecretBallot).where(SecretBallot.vote_id == vote_id))).scalars())
    assert len(rows) == 5 and sorted(r.option for r in rows) == [0, 0, 0, 0, 2]
    assert all(len(r.id) == 32 and not r.id.isdigit() for r in rows)

    # Try to join while open: every key someone without the server's secret could guess matches nothing.
    receipts = {r.receipt for r in rows}
    for member in members:
        guesses = {str(member.id), member.card_number, f"{vote_id}:{member.id}"}
        guesses |= {hashlib.sha256(g.encode()).hexdigest() for g in list(guesses)}
        guesses |= {hashlib.sha256(f"secret_ballot:{vote_id}:{member.id}".encode()).hexdigest()}
        assert not guesses & receipts
    joined = (await session.execute(text(
        "SELECT count(*) FROM secret_ballots b JOIN vote_participations p ON p.vote_id = b.vote_id "
        "AND (CAST(p.member_id AS TEXT) = b.receipt OR CAST(p.member_id AS TEXT) = b.id)"
    ))).scalar_one()
    assert joined == 0
    # Only the member's own keyed request finds their ballot: the deputy sees their changed choice.
    actor = await load_actor(session, cell.deputy)
    assert await service.own_choice(session, member=actor.member, vote=await fresh(session, vote_id), cipher=cipher) == 0

    # The secretary's card shows how many voted, never who chose what.
    calls = await harness.press(SECRETARY, f"vto:card:{vote_id}")
    card = "\n".join(texts_of(calls))
    assert "5/8" in card and "Phó bí thư" not in card

    await harness.press(SECRETARY, f"vto:close:{vote_id}")
    vote = await fresh(session, vote_id)
    assert (vote.voted_count, vote.counts, vote.valid, vote.passed) == (5, [4, 0, 1], True, False)  # 4 of 8 is not more than half
    # After closing: no receipt is left, and the rows were rewritten under new random ids.
    after = list((await session.execute(select(SecretBallot).where(SecretBallot.vote_id == vote_id))).scalars())
    assert [r.receipt for r in after] == [None] * 5
    assert not {r.id for r in after} & {r.id for r in rows}
    participants = set((await session.execute(select(VoteParticipation.member_id).where(VoteParticipation.vote_id == vote_id))).scalars())
    assert participants == {cell.secretary.id, cell.deputy.id, cell.members[0].id, cell.members[1].id, cell.members[2].id}


async def test_hand_vote_counts_recorded_by_the_secretary(harness, session, world) -> None:
    commune, meeting, _ = world
    vote_id = await open_by_buttons(harness, commune, meeting, "hand")
    assert not await outbox(session, service.KIND_BALLOT)
    calls = await harness.text(SECRETARY, "9 1 0")
    assert any("nhiều hơn số đảng viên có quyền biểu quyết" in t for t in texts_of(calls))
    calls = await harness.text(SECRETARY, "mười")
    assert any("Số phiếu chưa đúng" in t for t in texts_of(calls))
    calls = await harness.text(SECRETARY, "5 2 1")
    assert any("Được thông qua" in t for t in texts_of(calls))
    vote = await fresh(session, vote_id)
    assert (vote.kind, vote.eligible_count, vote.counts, vote.valid, vote.passed) == (BallotKind.HAND, 8, [5, 2, 1], True, True)
    assert alerts(await harness.press(M1, f"vtb:{vote_id}:0")) == [T.HAND_NO_BALLOTS]  # a forged ballot on a hand vote


async def test_conclusions_typed_later_keep_the_vote_result_line(session, world, clock) -> None:
    from core.meetings import attendance

    commune, meeting, _ = world
    secretary = await load_actor(session, commune.cells[0].secretary)
    opened = await service.open_vote(session, actor=secretary, cell_id=meeting.cell_id, question="Kết nạp quần chúng Lò Văn A",
                                     now=clock.now(), meeting_id=meeting.id, kind=BallotKind.HAND)
    vote = await service.record_hand_counts(session, actor=secretary, vote_id=opened.vote.id, counts=[6, 1, 1], now=clock.now())
    line = service.conclusions_line(vote)
    assert meeting.conclusions_text == line
    for typed in ("Chi bộ thống nhất kế hoạch tháng 12.", "Sửa lại: kế hoạch tháng 12 và tháng 1."):  # sent, then corrected
        await attendance.send_conclusions(session, actor=secretary, meeting_id=meeting.id, text=typed, now=clock.now())
        assert meeting.conclusions_text == f"{typed}\n{line}"
    await attendance.send_conclusions(session, actor=secretary, meeting_id=meeting.id, voice_file_id="voice-1", voice_duration=20,
                                      now=clock.now())
    assert meeting.conclusions_text == line  # voice only: the result line is still there to read


async def test_rules_deadline_tick_and_refusals_in_core(session, world, cipher, clock) -> None:
    commune, meeting, extra = world
    cell = commune.cells[0]
    secretary = await load_actor(session, cell.secretary)
    member = await load_actor(session, cell.members[0])
    other_secretary = await load_actor(session, commune.cells[1].secretary)
    # Another cell's secretary cannot open, close or even see the vote.
    with pytest.raises(NotFound):
        await service.open_vote(session, actor=other_secretary, cell_id=cell.org.id, question="Q", now=clock.now())
    with pytest.raises(PermissionDenied):
        await service.open_vote(session, actor=member, cell_id=cell.org.id, question="Q", now=clock.now())
    # A stricter rule: two thirds.
    await service.set_cell_rule(session, actor=secretary, cell_id=cell.org.id, quorum=(2, 3), majority=(2, 3), now=clock.now())
    opened = await service.open_vote(session, actor=secretary, cell_id=cell.org.id, question="Kết nạp quần chúng A", now=clock.now(),
                                     meeting_id=meeting.id, closes_at=clock.now() + dt.timedelta(minutes=15))
    vote_id = opened.vote.id
    for person in (cell.secretary, cell.deputy, cell.members[0], cell.members[1], cell.members[2]):
        await service.cast(session, actor=await load_actor(session, person), vote_id=vote_id, option=0, cipher=cipher, now=clock.now())
    # Twice: one ballot.
    await service.cast(session, actor=member, vote_id=vote_id, option=0, cipher=cipher, now=clock.now())
    with pytest.raises(NotFound):
        await service.cast(session, actor=other_secretary, vote_id=vote_id, option=0, cipher=cipher, now=clock.now())
    await session.commit()
    later = clock.now() + dt.timedelta(minutes=16)
    with pytest.raises(Conflict):  # past its closing time, even before the tick closes it
        await service.cast(session, actor=await load_actor(session, cell.members[3]), vote_id=vote_id, option=0, cipher=cipher, now=later)
    assert await service.close_due_votes(session, TickContext(now=later, tz=LOCAL_TZ)) == 1
    assert await service.close_due_votes(session, TickContext(now=later, tz=LOCAL_TZ)) == 0
    vote = await fresh(session, vote_id)
    # 5 of 8 voted: 5·3 = 15 < 16 = 8·2 — not more than two thirds: invalid under the cell's stricter rule.
    assert (vote.eligible_count, vote.voted_count, vote.valid, vote.passed) == (8, 5, False, False)


async def test_present_only_votes_count_those_present_and_need_a_meeting(session, world, clock) -> None:
    from core.errors import InvalidInput
    from core.votes.models import Voters

    commune, meeting, extra = world
    cell = commune.cells[0]
    secretary = await load_actor(session, cell.secretary)
    with pytest.raises(InvalidInput):
        await service.open_vote(session, actor=secretary, cell_id=cell.org.id, question="Q", now=clock.now(), voters=Voters.PRESENT)
    opened = await service.open_vote(session, actor=secretary, cell_id=cell.org.id, question="Chỉ người có mặt", now=clock.now(),
                                     meeting_id=meeting.id, voters=Voters.PRESENT)
    present = {cell.secretary.id, cell.deputy.id, cell.members[0].id, cell.members[1].id, cell.members[2].id, extra["exempt_here"].id}
    assert set(await service.eligible_ids(session, opened.vote)) == present  # the probationary member, though present, is not entitled
    assert {b.member_id for b in await outbox(session, service.KIND_BALLOT)} == present
    with pytest.raises(NotFound):  # a vote of another cell's meeting
        await service.open_vote(session, actor=secretary, cell_id=cell.org.id, question="Q", now=clock.now(), meeting_id=meeting.id + 999)
