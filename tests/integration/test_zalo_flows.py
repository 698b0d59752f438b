"""Zalo-specific tests for what the shared routers render on Zalo (#15): a lost phone untied on Zalo,
a secretary creating a meeting by typing numbers (with the overlap warning and a past day asked
about), and a stale numbered list answered after a newer one. The real Dispatcher, the real
database, the sandbox's Zalo side over HTTP (tests/zalokit.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import texts
from core.conversation.models import ChannelScreen
from core.orgs import management
from core.orgs.linking import create_invite
from core.orgs.models import ChannelLink
from core.meetings import service
from core.meetings.models import Answer
from core.orgs.service import load_actor
from core.ports import OutboundMessage
from tests.factories import make_commune
from tests.integration.test_meetings_bot import MEMBER_A, invitation_of, meetings, outbox
from tests.integration import test_zalo_bot as zalo_bot
from tests.integration.test_zalo_bot import linked_on_zalo, number_of
from tests.zalokit import ZaloPhones

# The Zalo side of the same Dispatcher as test_zalo_bot's (the sandbox, a harness with a voice renderer).
zalo_sandbox, harness, media, phones = zalo_bot.zalo_sandbox, zalo_bot.harness, zalo_bot.media, zalo_bot.phones

T = texts.meetings
STARTS = dt.datetime(2026, 12, 10, 12, 30, tzinfo=dt.timezone.utc)  # Thursday 10/12 19:30 in Hà Nội


async def _links(session, member_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    query = select(ChannelLink.platform).where(ChannelLink.member_id == member_id).execution_options(populate_existing=True)
    return set((await session.execute(query)).scalars())


async def _screens(session, chat: str) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count(ChannelScreen.id)).where(ChannelScreen.platform == "zalo", ChannelScreen.chat_id == chat)) or 0)


# ---------------------------------------------------------------- e. reset_link on Zalo


async def test_a_lost_phone_is_untied_on_zalo_and_its_old_lists_answer_nothing(phones: ZaloPhones, session, cipher, clock) -> None:
    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    assert await _links(session, member.id) == {"telegram", "zalo"}
    assert await _screens(session, lan) >= 1  # the home menu's numbered list, remembered
    actor = await load_actor(session, commune.cells[0].secretary)
    assert await management.reset_member_link(session, actor, member_id=member.id, now=clock.now(), platform="zalo") == ["zalo"]
    await session.commit()
    assert await _links(session, member.id) == {"telegram"} and await _screens(session, lan) == 0
    # Whoever holds the lost phone now is a stranger: "4" (👤 Hồ sơ a moment ago) shows nothing of the member's.
    answers = await phones.say(lan, "4")
    assert answers == [texts.conversation.NOT_LINKED] and member.card_number not in " ".join(answers)
    # A new code ties the member's new Zalo account.
    invite = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    new_phone = await phones.person("Trần Thị Lan (máy mới)")
    assert member.full_name in (await phones.say(new_phone, invite.code))[0]
    assert await _links(session, member.id) == {"telegram", "zalo"}


async def test_the_api_unties_every_messenger_or_the_one_asked(api_client, phones: ZaloPhones, session, cipher, clock, bearer) -> None:
    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    headers = await bearer(commune.cells[0].secretary)
    url = f"/api/v1/members/{member.id}/reset-link"
    assert (await api_client.post(url, params={"platform": "fax"}, headers=headers)).status_code == 422
    assert (await api_client.post(url, params={"platform": "zalo"}, headers=headers)).json() == {"reset": True, "platforms": ["zalo"]}
    assert await _links(session, member.id) == {"telegram"}
    other = commune.cells[0].members[1]  # linked on Telegram only
    assert (await api_client.post(f"/api/v1/members/{other.id}/reset-link", params={"platform": "zalo"}, headers=headers)).json() == {
        "reset": False, "platforms": []}
    # A lost phone: by default every messenger is untied at once.
    invite = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    await phones.say(await phones.person("Lan lại"), invite.code)
    assert await _links(session, member.id) == {"telegram", "zalo"}
    assert (await api_client.post(url, headers=headers)).json() == {"reset": True, "platforms": ["telegram", "zalo"]}
    assert await _links(session, member.id) == set()
    # Another cell's secretary does not even find the member.
    stranger = await bearer(commune.cells[1].secretary)
    assert (await api_client.post(f"/api/v1/members/{other.id}/reset-link", headers=stranger)).status_code == 404


# ---------------------------------------------------------------- g. a secretary on Zalo


async def secretary_on_zalo(phones: ZaloPhones, session, cipher, clock):  # type: ignore[no-untyped-def]
    """The usual commune; cell A's secretary types an invite code on Zalo."""
    commune = await make_commune(session, cipher, linked=True)
    secretary = commune.cells[0].secretary
    invite = await create_invite(session, member=secretary, now=clock.now())
    await session.commit()
    chat = await phones.person("Bí thư Khe Gầy")
    assert secretary.full_name in (await phones.say(chat, invite.code))[0]
    return commune, chat


async def start_meeting(phones: ZaloPhones, chat: str, when: str) -> str:
    """lịch họp → ➕ Tạo cuộc họp → 1 (thường kỳ) → the typed day: the screen that answers it."""
    menu = (await phones.say(chat, "lịch họp"))[-1]
    kinds = (await phones.say(chat, number_of(menu, T.BTN_NEW)))[-1]
    assert number_of(kinds, T.KIND_BUTTONS["regular"]) == "1"
    days = (await phones.say(chat, "1"))[-1]
    assert "Thứ Bảy 28/11" in days  # suggested days as numbers, a week or so ahead of the clock
    return (await phones.say(chat, when))[-1]


async def to_review(phones: ZaloPhones, chat: str, when: str) -> str:
    places = await start_meeting(phones, chat, when)
    agenda = (await phones.say(chat, number_of(places, "Nhà văn hóa thôn")))[-1]
    documents = (await phones.say(chat, number_of(agenda, T.BTN_DEFAULT_AGENDA)))[-1]
    review = (await phones.say(chat, number_of(documents, T.BTN_NO_DOCUMENTS)))[-1]
    assert "Xem lại trước khi gửi" in review and "Nhà văn hóa thôn" in review
    return review


async def test_a_secretary_creates_a_meeting_on_zalo_by_typing_numbers(phones: ZaloPhones, session, cipher, clock) -> None:
    commune, chat = await secretary_on_zalo(phones, session, cipher, clock)
    review = await to_review(phones, chat, "10/12 20h")
    assert "📅 Thứ Năm, 10/12/2026 — 20:00" in review and "<b>" not in review
    assert await meetings(session) == []  # nothing before the send
    done = (await phones.say(chat, number_of(review, T.BTN_SEND)))[-1]
    assert "✅ Đã tạo cuộc họp" in done
    [meeting] = await meetings(session)
    assert meeting.starts_at == dt.datetime(2026, 12, 10, 13, 0, tzinfo=dt.timezone.utc) and meeting.place == "Nhà văn hóa thôn"
    invited = {row.member_id for row in await outbox(session, service.KIND_INVITATION)}
    assert {m.id for m in commune.cells[0].everyone} <= invited and f"gửi tới {len(invited)} đảng viên" in review


async def test_a_second_meeting_at_that_time_is_warned_about_on_zalo_and_sent_only_deliberately(phones: ZaloPhones, session, cipher, clock) -> None:
    commune, chat = await secretary_on_zalo(phones, session, cipher, clock)
    actor = await load_actor(session, commune.cells[0].secretary)
    await service.create_meeting(session, actor=actor, cell_id=commune.cells[0].org.id, kind=service.MeetingKind.REGULAR,
                                 starts_at=STARTS, place="Nhà văn hóa thôn", agenda="Việc tháng 12", now=clock.now())
    await session.commit()
    invitations = len(await outbox(session, service.KIND_INVITATION))
    review = await to_review(phones, chat, "10/12 20h")  # half an hour after the first one starts
    warning = (await phones.say(chat, number_of(review, T.BTN_SEND)))[-1]
    assert "Trùng lịch" in warning and "Thứ Năm, 10/12/2026 — 19:30" in warning
    assert [number_of(warning, label) for label in (T.BTN_CHANGE_WHEN, T.BTN_SEND_ANYWAY, T.BTN_CANCEL_FLOW)] == ["1", "2", "3"]
    assert len(await meetings(session)) == 1 and len(await outbox(session, service.KIND_INVITATION)) == invitations
    # "1" again (as if still on the review screen, where it meant «Gửi») acts on the warning: change the time.
    again = (await phones.say(chat, "1"))[-1]
    assert len(await meetings(session)) == 1 and "Trùng lịch" not in again
    # Going on anyway is the deliberate choice on the warning.
    review = (await phones.say(chat, "10/12 20h"))[-1]
    review = review if T.BTN_SEND in review else (await phones.say(chat, number_of(review, "Nhà văn hóa thôn")))[-1]
    warning = (await phones.say(chat, number_of(review, T.BTN_SEND)))[-1]
    assert "Trùng lịch" in warning
    created = (await phones.say(chat, number_of(warning, T.BTN_SEND_ANYWAY)))[-1]
    assert "✅ Đã tạo cuộc họp" in created and len(await meetings(session)) == 2


async def test_a_day_already_past_typed_on_zalo_is_asked_about(phones: ZaloPhones, session, cipher, clock) -> None:
    commune, chat = await secretary_on_zalo(phones, session, cipher, clock)
    question = await start_meeting(phones, chat, "4/11 19h30")  # the clock says 23/11/2026
    assert "04/11" in question and "2027" in question and "Nhà văn hóa thôn" not in question  # not taken as a day and moved on
    yes = number_of(question, T.BTN_NEXT_YEAR.format(day="Thứ Năm 04/11/2027"))
    places = (await phones.say(chat, yes))[-1]
    assert "Thứ Năm, 04/11/2027 — 19:30" in places and "Nhà văn hóa thôn" in places
    assert await meetings(session) == []


# ---------------------------------------------------------------- g. stale cards on Zalo


async def test_an_old_absence_list_decides_nothing_on_zalo_and_the_newer_one_decides(phones: ZaloPhones, harness, session, cipher, clock) -> None:
    commune, chat = await secretary_on_zalo(phones, session, cipher, clock)
    actor = await load_actor(session, commune.cells[0].secretary)
    meeting = (await service.create_meeting(session, actor=actor, cell_id=commune.cells[0].org.id, kind=service.MeetingKind.REGULAR,
                                            starts_at=STARTS, place="Nhà văn hóa thôn", agenda="Việc tháng 12", now=clock.now())).meeting
    await session.commit()
    member = commune.cells[0].members[0]
    invitation = await invitation_of(session, meeting, member)
    await harness.press(MEMBER_A, f"mti:no:{invitation.id}")
    await harness.press(MEMBER_A, f"mtr:sick:{invitation.id}")
    secretary_id = commune.cells[0].secretary.id
    [first_card] = [r for r in await outbox(session, service.KIND_ABSENCE_REQUEST) if r.member_id == secretary_id]
    shown = (await phones.deliver(chat, OutboundMessage.from_payload(first_card.payload)))[-1]
    assert number_of(shown, T.BTN_APPROVE) == "1" and number_of(shown, T.BTN_REFUSE) == "2"

    # The member changes the reason; the newer card has not reached the secretary's Zalo yet.
    await harness.press(MEMBER_A, f"mti:no:{invitation.id}")
    await harness.press(MEMBER_A, f"mtr:other:{invitation.id}")
    await harness.text(MEMBER_A, "Đi đám cưới cháu ở huyện")
    answers = await phones.say(chat, "1")  # «Đồng ý» on the old list
    invitation = await invitation_of(session, meeting, member)
    assert invitation.answer == Answer.ABSENCE_REQUESTED and invitation.decided_by_id is None  # nothing approved
    assert T.ABSENCE_CHANGED in " ".join(answers) and "Đi đám cưới cháu ở huyện" in answers[-1]

    # The current request's list (shown with the refusal, and the newer card when it arrives) decides it.
    newer = [r for r in await outbox(session, service.KIND_ABSENCE_REQUEST) if r.member_id == secretary_id][-1]
    assert newer.id != first_card.id
    await phones.deliver(chat, OutboundMessage.from_payload(newer.payload))
    await phones.say(chat, "1")
    invitation = await invitation_of(session, meeting, member)
    assert invitation.answer == Answer.EXCUSED and "đám cưới" in (invitation.reason_text or "")
