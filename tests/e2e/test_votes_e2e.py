"""A vote in a cell meeting over real HTTP against the sandbox: the secretary opens it with buttons,
ballots reach the members through the delivery worker, they vote by one tap, a probationary member is
refused politely, a member changes their vote, the secretary closes it, the result (valid, passed,
counts) is right and reaches those absent; a ballot pressed after closing changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core import texts
from core.meetings.models import Attendance, Invitation, Meeting, MeetingKind, MeetingStatus
from core.votes.models import OpenBallot, Vote, VoteStatus
from tests.factories import add_member, make_commune

pytestmark = pytest.mark.e2e
T = texts.votes
SECRETARY, DEPUTY, M1, M2, M3, ABSENT = 1001, 1002, 1003, 1004, 1005, 1006
PROBATIONARY, COMMITTEE = 1201, 5001


@pytest.mark.parametrize("app", ["polling"], indirect=True)
async def test_vote_in_a_meeting_from_opening_to_absentees(app, people, e2e_sessions, e2e_cipher) -> None:
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=True)
        cell = commune.cells[0]
        probationary = await add_member(session, e2e_cipher, cell.org, "Đảng viên Dự Bị", probationary=True, link_to=PROBATIONARY)
        meeting = Meeting(cell_id=cell.org.id, kind=MeetingKind.REGULAR, place="Nhà văn hóa thôn", status=MeetingStatus.HELD,
                          starts_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20))
        session.add(meeting)
        await session.flush()
        present = {cell.secretary.id, cell.deputy.id, *(m.id for m in cell.members[:3]), probationary.id}
        for person in [*cell.everyone, commune.committee_member, probationary]:
            session.add(Invitation(meeting_id=meeting.id, member_id=person.id))
            session.add(Attendance(meeting_id=meeting.id, member_id=person.id, present=person.id in present))
        await session.commit()
        meeting_id = meeting.id
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in (SECRETARY, DEPUTY, M1, M2, M3, ABSENT, PROBATIONARY, COMMITTEE)])

    # The secretary: 🗳 Biểu quyết → ➕ → the meeting → types the question → open ballot → closes when she says.
    await people.send_text(SECRETARY, T.BTN_VOTES)
    menu = await people.wait_for_message(SECRETARY, lambda m: any("Mở biểu quyết" in t for t, _ in m.buttons))
    await people.press(SECRETARY, menu.message_id, menu.button("Mở biểu quyết"))
    which = await people.wait_for_message(SECRETARY, lambda m: any(d == f"vtm:{meeting_id}" for _, d in m.buttons))
    await people.press(SECRETARY, which.message_id, f"vtm:{meeting_id}")
    await people.wait_for_message(SECRETARY, lambda m: "gõ nội dung cần biểu quyết" in m.text)
    await people.send_text(SECRETARY, "Thông qua kế hoạch làm đường bê tông thôn")
    kinds = await people.wait_for_message(SECRETARY, lambda m: any("Công khai" in t for t, _ in m.buttons))
    await people.press(SECRETARY, kinds.message_id, kinds.button("Công khai"))
    closing = await people.wait_for_message(SECRETARY, lambda m: any("Khi tôi bấm" in t for t, _ in m.buttons))
    await people.press(SECRETARY, closing.message_id, closing.button("Khi tôi bấm"))
    await people.wait_for_message(SECRETARY, lambda m: "Đã mở biểu quyết" in m.text)
    card = await people.wait_for_message(SECRETARY, lambda m: any("Kết thúc biểu quyết" in t for t, _ in m.buttons))

    # Ballots arrive through the delivery worker; one tap each.
    ballots = {}
    for user in (SECRETARY, DEPUTY, M1, M2, M3, ABSENT):
        ballots[user] = await people.wait_for_message(user, lambda m: "BIỂU QUYẾT" in m.text and any("Tán thành" in t for t, _ in m.buttons),
                                                      timeout=25)
        assert "Thông qua kế hoạch làm đường bê tông thôn" in ballots[user].text
    for user in (SECRETARY, DEPUTY, M1, M2):
        answer = await people.press(user, ballots[user].message_id, ballots[user].button("✅ Tán thành"))
        assert answer["answered"] and "Đã ghi nhận" in answer["text"]
    # One changes their vote.
    answer = await people.press(M3, ballots[M3].message_id, ballots[M3].button("Không tán thành"))
    assert "Không tán thành" in answer["text"]
    await people.wait_for_message(M3, lambda m: m.message_id == ballots[M3].message_id and "Lựa chọn của đồng chí: Không tán thành" in m.text)
    answer = await people.press(M3, ballots[M3].message_id, ballots[M3].button("✅ Tán thành"))
    assert "Đã đổi thành" in answer["text"]
    await people.wait_for_message(M3, lambda m: m.message_id == ballots[M3].message_id and "Lựa chọn của đồng chí: Tán thành" in m.text)

    # The probationary member got no ballot; asking for it, they see it, and a tap is refused politely.
    await people.send_text(PROBATIONARY, T.BTN_VOTES)
    shown = await people.wait_for_message(PROBATIONARY, lambda m: "BIỂU QUYẾT" in m.text and bool(m.buttons))
    answer = await people.press(PROBATIONARY, shown.message_id, shown.button("Tán thành"))
    assert answer["text"] == T.PROBATIONARY_REFUSED and answer["show_alert"]

    # The secretary closes: 7 entitled (six of the cell and the commune's committee member, all official), 5 voted, 5 approve.
    await people.press(SECRETARY, card.message_id, card.button("Kết thúc biểu quyết"))
    result = await people.wait_for_message(SECRETARY, lambda m: m.message_id == card.message_id and "KẾT QUẢ BIỂU QUYẾT" in m.text)
    assert "Số đảng viên có quyền biểu quyết: 7" in result.text and "Số tham gia biểu quyết: 5" in result.text
    assert "Tán thành: 5" in result.text and "Được thông qua" in result.text

    # Those absent receive the result.
    for user in (ABSENT, COMMITTEE):
        told = await people.wait_for_message(user, lambda m: "KẾT QUẢ BIỂU QUYẾT" in m.text, timeout=25)
        assert "Được thông qua" in told.text and "Tán thành: 5" in told.text

    # A late ballot changes nothing.
    answer = await people.press(ABSENT, ballots[ABSENT].message_id, ballots[ABSENT].button("Không tán thành"))
    assert answer["text"] == T.VOTE_CLOSED
    async with e2e_sessions() as session:
        vote = (await session.execute(select(Vote))).scalar_one()
        assert (vote.status, vote.eligible_count, vote.voted_count, vote.counts, vote.valid, vote.passed) == (
            VoteStatus.CLOSED, 7, 5, [5, 0, 0], True, True)
        assert len((await session.execute(select(OpenBallot).where(OpenBallot.vote_id == vote.id))).all()) == 5
        conclusions = (await session.get(Meeting, meeting_id)).conclusions_text  # type: ignore[union-attr]
        assert conclusions and "Thông qua kế hoạch làm đường bê tông thôn" in conclusions
