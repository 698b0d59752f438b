"""Sổ tay on Zalo: the real Dispatcher and routers, the real database, and the sandbox's Zalo side
over HTTP. The same flows as on Telegram, driven by typed numbers and words."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.zalo.wiring import build_zalo
from core import texts
from core.conversation.models import ChannelPeer
from core.meetings.models import Answer
from core.orgs.linking import create_invite
from core.orgs.models import ChannelLink
from core.ports import OutboundMessage
from sandbox.server import SandboxServer
from sandbox.zalo import ZaloLimits
from sandbox.zalo_client import ZaloSandboxClient
from tests.factories import make_commune
from tests.zalokit import ZALO_TOKEN, RecordingMedia, ZaloPhones


@pytest.fixture
async def zalo_sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(zalo_bots={ZALO_TOKEN: "Sổ tay"}, zalo_limits=ZaloLimits(enabled=False)) as server:
        yield server


@pytest.fixture
def harness(session_factory, cipher, clock, tmp_path):  # type: ignore[no-untyped-def]
    """The Telegram side of the same Dispatcher, with a voice renderer (resolutions are listened to)."""
    from bot.dispatcher import build_dispatcher
    from tests.botkit import BotHarness
    from tests.unit.resolutions.helpers import CountingSpeaker
    from voice.service import VoiceRenderer

    renderer = VoiceRenderer(CountingSpeaker(), tmp_path / "voice")
    return BotHarness(build_dispatcher(session_factory=session_factory, cipher=cipher, clock=clock, voice_renderer=renderer,
                                       files_dir=tmp_path / "files"))


@pytest.fixture
def media() -> RecordingMedia:
    return RecordingMedia()


@pytest.fixture
async def phones(zalo_sandbox, harness, session_factory, clock, media) -> AsyncIterator[ZaloPhones]:  # type: ignore[no-untyped-def]
    """Zalo served by the same Dispatcher as the Telegram harness."""
    channel = build_zalo(ZALO_TOKEN, zalo_sandbox.base_url + "/zalo", dispatcher=harness.dispatcher, session_factory=session_factory,
                         clock=clock, media=media)
    people = ZaloSandboxClient(zalo_sandbox.base_url, ZALO_TOKEN)
    yield ZaloPhones(channel, people)
    await people.aclose()
    await channel.close()


async def zalo_links(session) -> list[ChannelLink]:  # type: ignore[no-untyped-def]
    query = select(ChannelLink).where(ChannelLink.platform == "zalo").execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def linked_on_zalo(phones: ZaloPhones, session, cipher, clock, *, member_index: int = 0):  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    member = commune.cells[0].members[member_index]
    invite = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    lan = await phones.person("Trần Thị Lan")
    answers = await phones.say(lan, invite.code.lower()[:4] + " " + invite.code.lower()[4:])
    assert member.full_name in answers[0], answers
    return commune, member, lan


async def test_an_unlinked_person_is_asked_for_the_code_and_links_with_it_typed_in_any_case(phones, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=False)
    member = commune.cells[0].members[0]
    invite = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    lan = await phones.person("Trần Thị Lan")
    assert await phones.say(lan, "Xin chào") == [texts.conversation.NOT_LINKED]
    assert await zalo_links(session) == []
    answers = await phones.say(lan, f" {invite.code[:4].lower()}-{invite.code[4:]} ")
    assert len(answers) == 1 and member.full_name in answers[0] and "<b>" not in answers[0]
    # The home menu as a numbered list, in the same message.
    assert "1. 📅 Lịch họp" in answers[0] and "👉" in answers[0]
    [link] = await zalo_links(session)
    assert (link.member_id, link.platform_user_id, link.chat_id) == (member.id, lan, lan)
    # The home menu answers its numbers: "4" is 👤 Hồ sơ.
    profile = await phones.say(lan, "4")
    assert member.card_number in profile[0]


async def test_someone_elses_used_code_and_garbage_codes_are_refused_and_change_nothing(phones, session, cipher, clock) -> None:
    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    other = await phones.person("Người lạ")
    invite = (await session.execute(select(func.count()).select_from(ChannelLink))).scalar_one()
    code = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    assert await phones.say(other, code.code) == [texts.account.MEMBER_TAKEN]
    assert await phones.say(other, "ZZZZ2222") == [texts.account.CODE_INVALID]
    assert (await session.execute(select(func.count()).select_from(ChannelLink))).scalar_one() == invite
    assert len(await zalo_links(session)) == 1


async def test_invitation_answered_with_1_and_2_then_a_typed_reason(phones, harness, session, cipher, clock) -> None:
    from tests.integration.test_meetings_bot import SECRETARY_A, create_via_buttons, invitation_of, meetings, outbox
    from core.meetings import service

    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [meeting] = await meetings(session)
    [row] = [r for r in await outbox(session, service.KIND_INVITATION) if r.member_id == member.id]
    shown = await phones.deliver(lan, OutboundMessage.from_payload(row.payload))
    assert "1. ✅ Tôi sẽ dự họp" in shown[-1] and "2. 🙏 Xin vắng mặt" in shown[-1]
    await phones.say(lan, "1")
    assert (await invitation_of(session, meeting, member)).answer == Answer.ATTENDING
    # Change of answer: "2" on the invitation, then "4" (another reason), then the reason typed.
    await phones.deliver(lan, OutboundMessage.from_payload(row.payload))
    reasons = await phones.say(lan, "2")
    assert texts.meetings.REASON_BUTTONS["other"] in reasons[-1]
    number = next(line.split(".")[0] for line in reasons[-1].splitlines() if texts.meetings.REASON_BUTTONS["other"] in line)
    await phones.say(lan, number)
    await phones.say(lan, "Tôi phải đưa cháu đi khám bệnh")
    invitation = await invitation_of(session, meeting, member)
    assert invitation.answer == Answer.ABSENCE_REQUESTED and "khám bệnh" in (invitation.reason_text or "")


async def test_the_meetings_screen_numbers_only_its_choices(phones, harness, session, cipher, clock) -> None:
    """📅 Lịch họp lists the meetings, then numbered choices: on Zalo the meetings are bullets, so each
    number on the screen is one choice and "1" cannot mean both the first meeting and the first choice."""
    from tests.integration.test_meetings_bot import SECRETARY_A, create_via_buttons

    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [screen] = await phones.say(lan, "lịch họp")
    numbers = [line.split(".", 1)[0] for line in screen.splitlines() if line.split(".", 1)[0].isdigit()]
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)], screen  # one sequence, each number once
    assert any(line.startswith(texts.conversation.LIST_BULLET + " ") for line in screen.splitlines()), screen  # the meeting
    answer = number_of(screen, texts.meetings.BTN_ANSWER.split(":")[0])
    invitation = await phones.say(lan, answer)
    assert texts.meetings.BTN_ATTEND in invitation[-1] and texts.meetings.BTN_ABSENT in invitation[-1]


def number_of(screen: str, label: str) -> str:
    """The number a person types for the choice whose line shows `label`."""
    return next(line.split(".", 1)[0] for line in screen.splitlines() if label in line and line.split(".", 1)[0].isdigit())


async def notice_to(phones, harness, session, member, chat: str) -> int:  # type: ignore[no-untyped-def]
    from core.delivery.models import OutboxMessage
    from core.notices import service as notices
    from tests.integration.test_meetings_bot import SECRETARY_A
    from tests.integration.test_notices_bot import send_now, write

    await send_now(harness, SECRETARY_A, await write(harness, SECRETARY_A))
    query = select(OutboxMessage).where(OutboxMessage.kind == notices.KIND, OutboxMessage.member_id == member.id)
    row = (await session.execute(query.execution_options(populate_existing=True))).scalars().all()[-1]
    shown = await phones.deliver(chat, OutboundMessage.from_payload(row.payload))
    assert "Họp chi bộ lúc 8 giờ" in shown[0] and texts.notices.BTN_SEEN in shown[-1]
    return int(row.payload["buttons"][0][0]["callback_data"].split(":")[1])


async def seen(session, notice_id: int, member_id: int) -> bool:  # type: ignore[no-untyped-def]
    from core.notices.models import NoticeRecipient

    query = select(NoticeRecipient.seen_at).where(NoticeRecipient.notice_id == notice_id, NoticeRecipient.member_id == member_id)
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one() is not None


async def test_a_notice_is_confirmed_by_typing_da_xem(phones, harness, session, cipher, clock) -> None:
    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    notice_id = await notice_to(phones, harness, session, member, lan)
    answers = await phones.say(lan, "da xem")
    assert answers == [texts.notices.SEEN_THANKS] and await seen(session, notice_id, member.id)


async def test_a_resolution_is_read_and_listened_to_by_a_link(phones, harness, session, cipher, clock, media) -> None:
    from tests.integration.test_resolutions_bot import published

    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    document = await published(session, commune, clock)
    library = await phones.say(lan, "nghi quyet")  # the home menu's word, without diacritics
    screen = await phones.say(lan, number_of(library[-1], "21-NQ/TW"))
    assert "2030" in "\n".join(screen) and "<b>" not in "\n".join(screen)
    listened = await phones.say(lan, number_of(screen[-1], texts.resolutions.BTN_LISTEN))
    assert "🔊 Nghe: https://sotay.example/m/token1" in "\n".join(listened)
    assert [(p.kind, bool(p.path)) for p in media.published] == [("voice", True)]
    assert document.id


async def test_gop_y_is_sent_and_the_reply_received(phones, harness, session, cipher, clock) -> None:
    from core.feedback.models import FeedbackItem
    from core.delivery.models import OutboxMessage
    from tests.integration.test_meetings_bot import SECRETARY_A

    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    menu = await phones.say(lan, "Góp ý")
    kinds = await phones.say(lan, number_of(menu[-1], texts.feedback.BTN_NEW))
    recipients = await phones.say(lan, "1")
    assert commune.cells[0].org.name in recipients[-1], (kinds, recipients)
    prompt = await phones.say(lan, number_of(recipients[-1], commune.cells[0].org.name))
    assert prompt
    await phones.say(lan, "Đề nghị sửa đường vào nhà văn hóa thôn.")
    [item] = (await session.execute(select(FeedbackItem))).scalars().all()
    assert item.author_id == member.id and "nhà văn hóa" in (item.text or "")
    await harness.press(SECRETARY_A, f"fbi:reply:{item.id}")
    await harness.text(SECRETARY_A, "Chi bộ sẽ đề xuất xã sửa trong tháng tới.")
    [row] = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "feedback_reply"))).scalars().all()
    shown = await phones.deliver(lan, OutboundMessage.from_payload(row.payload))
    assert any("tháng tới" in part and item.reference in part for part in shown)


async def test_garbage_and_forged_input_get_a_polite_answer_and_change_nothing(phones, harness, session, cipher, clock) -> None:
    from tests.integration.test_meetings_bot import SECRETARY_A, create_via_buttons, invitation_of, meetings, outbox
    from core.meetings import service

    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [meeting] = await meetings(session)
    [row] = [r for r in await outbox(session, service.KIND_INVITATION) if r.member_id == member.id]
    await phones.deliver(lan, OutboundMessage.from_payload(row.payload))

    async def unchanged() -> None:
        assert (await invitation_of(session, meeting, member)).answer == Answer.NONE

    # A digit that selects nothing: the valid choices again.
    wrong = await phones.say(lan, "7")
    assert wrong[0].startswith(texts.conversation.WRONG_CHOICE.format(typed="7")) and "1. ✅ Tôi sẽ dự họp" in wrong[0]
    await unchanged()
    # A word that could be either (vâng / vắng without diacritics): asked again.
    assert (await phones.say(lan, "vang"))[0].startswith(texts.conversation.AMBIGUOUS_CHOICE.format(typed="vang"))
    await unchanged()
    # A sticker and an image where an answer was expected: a polite answer.
    for answer in (await phones.sticker(lan), await phones.image(lan, PNG)):
        assert answer and "trả lời bằng một số" in answer[0]
    await unchanged()
    # 10,000 characters (a forged update: the app allows 2,000), delivered twice: answered once.
    forged = {"event_name": "message.text.received", "message": {
        "message_id": "f" * 20, "date": 0, "from": {"id": lan, "display_name": "Lan"}, "chat": {"id": lan, "chat_type": "PRIVATE"},
        "text": "1" * 10_000}}
    before = len(await phones.people.bot_messages(lan))
    await phones.channel.inbound.handle(forged)
    await phones.channel.inbound.handle(forged)
    assert [m.text for m in await phones.people.bot_messages(lan)][before:] == [texts.conversation.TEXT_TOO_LONG.format(length=10_000, limit=4096)]
    await unchanged()
    # A stale screen: "1" written before a notice arrived answers the invitation it was meant for.
    await phones.deliver(lan, OutboundMessage.from_payload(row.payload))
    await phones.people.send_text(lan, "1")
    notice_id = await notice_to(phones, harness, session, member, lan)
    await phones._pump()
    assert (await invitation_of(session, meeting, member)).answer == Answer.ATTENDING
    assert not await seen(session, notice_id, member.id)
    assert len(await zalo_links(session)) == 1


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def test_a_quiz_is_one_numbered_question_at_a_time(phones, harness, session, cipher, clock) -> None:
    from core.delivery.models import OutboxMessage
    from core.orgs.service import load_actor
    from core.resolutions import service as resolutions
    from core.resolutions.models import DocumentKind, QuizAnswer

    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    committee = await load_actor(session, commune.committee_member)
    document = await resolutions.create_draft(session, actor=committee, now=clock.now(), draft=resolutions.DraftInput(
        kind=DocumentKind.NQ, code="21-NQ/TW", title="Về xây dựng tổ chức cơ sở đảng",
        full_text="Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ.", org_id=commune.commune.id))
    await resolutions.publish(session, actor=committee, document_id=document.id, now=clock.now())
    await session.commit()
    await harness.press(5001, f"rd:camp:{document.id}")
    await harness.press(5001, "scs:w1")
    await harness.text(5001, "Nghị quyết đặt mục tiêu đến năm nào?\nA. 2025\nB. 2030\nC. 2045")
    await harness.press(5001, "scc:1")
    await harness.text(5001, "Tỉ lệ tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ?\nTrên 50%\nTrên 75%")
    await harness.press(5001, "scc:1")
    await harness.press(5001, "scs:done")
    await harness.press(5001, "scs:open")
    query = select(OutboxMessage).where(OutboxMessage.source.like("campaign:%"), OutboxMessage.member_id == member.id)
    row = (await session.execute(query)).scalars().first()
    notice = await phones.deliver(lan, OutboundMessage.from_payload(row.payload))
    first = await phones.say(lan, number_of(notice[-1], texts.resolutions.BTN_QUIZ))
    # The introduction, then only the first question.
    assert "Bài kiểm tra" in first[0] and "năm nào" in first[-1] and "1. 2025" in first[-1] and "Tỉ lệ" not in "\n".join(first)
    second = await phones.say(lan, "2")
    assert len(second) == 1 and "Tỉ lệ" in second[0] and "2. Trên 75%" in second[0]
    finished = await phones.say(lan, "số 2")
    assert "đúng 2/2" in finished[-1]
    answers = (await session.execute(select(QuizAnswer).where(QuizAnswer.member_id == member.id))).scalars().all()
    assert len(answers) == 2 and all(a.correct for a in answers)


async def test_the_webhook_checks_the_secret_and_a_redelivered_update_is_handled_once(phones, session) -> None:
    import httpx
    from fastapi import FastAPI

    from bot.zalo.webhook import webhook_router

    app = FastAPI()
    app.include_router(webhook_router(phones.channel.inbound, "the-webhook-secret-0123456789"))
    lan = await phones.person("Trần Thị Lan")
    await phones.people.send_text(lan, "Xin chào")  # what the platform would POST: the update, in its envelope
    update = await phones.channel.client.get_update(timeout=5)
    body = {"ok": True, "result": update}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sotay") as http:
        assert (await http.post("/zalo/webhook", json=body)).status_code == 401
        assert (await http.post("/zalo/webhook", json=body, headers={"X-Bot-Api-Secret-Token": "wrong"})).status_code == 403
        assert await phones.people.bot_messages(lan) == []
        good = {"X-Bot-Api-Secret-Token": "the-webhook-secret-0123456789"}
        assert (await http.post("/zalo/webhook", json=body, headers=good)).status_code == 200
        assert (await http.post("/zalo/webhook", json=body, headers=good)).status_code == 200  # redelivered
        assert (await http.post("/zalo/webhook", content=b"not json", headers=good)).status_code == 400
    assert [m.text for m in await phones.people.bot_messages(lan)] == [texts.conversation.NOT_LINKED]
    assert (await session.execute(select(func.count()).select_from(ChannelPeer))).scalar_one() == 1


async def test_publishing_which_needs_files_points_elsewhere_on_zalo(phones, session, cipher, clock) -> None:
    from core.resolutions.models import Document

    commune = await make_commune(session, cipher, linked=True)
    invite = await create_invite(session, member=commune.committee_member, now=clock.now())
    await session.commit()
    committee = await phones.person("Ủy viên")
    await phones.say(committee, invite.code)
    library = await phones.say(committee, "nghị quyết")
    answer = await phones.say(committee, number_of(library[-1], texts.resolutions.BTN_PUBLISH))
    assert answer == [texts.conversation.NOT_HERE]
    assert (await session.execute(select(func.count()).select_from(Document))).scalar_one() == 0


async def test_on_telegram_a_typed_code_links_too_and_legacy_16_character_codes_still_work(harness, session, cipher, clock) -> None:
    import datetime as dt

    from core.crypto import hash_secret_token
    from core.orgs.models import InviteCode
    from tests.botkit import texts_of

    commune = await make_commune(session, cipher, linked=False)
    first, second = commune.cells[0].members[:2]
    legacy = "aB3_kL9-Qx2mPz7W"  # issued before: secrets.token_urlsafe(12), case-sensitive
    session.add(InviteCode(member_id=first.id, code_hash=hash_secret_token(legacy), created_at=clock.now(),
                           expires_at=clock.now() + dt.timedelta(days=14)))
    invite = await create_invite(session, member=second, now=clock.now())
    await session.commit()
    assert first.full_name in texts_of(await harness.text(777, f"/start {legacy}"))[0]
    assert second.full_name in texts_of(await harness.text(888, f"{invite.code[:4].lower()} {invite.code[4:].lower()}"))[0]
    links = (await session.execute(select(ChannelLink.platform, ChannelLink.platform_user_id).order_by(ChannelLink.id))).all()
    assert [tuple(row) for row in links] == [("telegram", "777"), ("telegram", "888")]


async def test_a_secretary_on_zalo_approves_an_absence_with_dong_y(phones, harness, session, cipher, clock) -> None:
    from core.meetings import service
    from tests.integration.test_meetings_bot import MEMBER_A, SECRETARY_A, create_via_buttons, invitation_of, meetings, outbox

    commune = await make_commune(session, cipher, linked=True)
    secretary = commune.cells[0].secretary
    invite = await create_invite(session, member=secretary, now=clock.now())
    await session.commit()
    chat = await phones.person("Bí thư")
    await phones.say(chat, invite.code)
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [meeting] = await meetings(session)
    member = commune.cells[0].members[0]
    invitation = await invitation_of(session, meeting, member)
    await harness.press(MEMBER_A, f"mti:no:{invitation.id}")
    await harness.press(MEMBER_A, f"mtr:sick:{invitation.id}")
    [request] = [r for r in await outbox(session, service.KIND_ABSENCE_REQUEST) if r.member_id == secretary.id]
    shown = await phones.deliver(chat, OutboundMessage.from_payload(request.payload))
    assert "1. ✅ Đồng ý" in shown[-1] and "2. ❌ Không đồng ý" in shown[-1]
    await phones.say(chat, "đồng ý")
    assert (await invitation_of(session, meeting, member)).answer == Answer.EXCUSED


async def test_a_secretary_on_zalo_broadcasts_a_text_notice(phones, session, cipher, clock) -> None:
    from core.delivery.models import OutboxMessage
    from core.notices import service as notices
    from core.notices.models import Notice

    commune = await make_commune(session, cipher, linked=True)
    invite = await create_invite(session, member=commune.cells[0].secretary, now=clock.now())
    await session.commit()
    chat = await phones.person("Bí thư")
    await phones.say(chat, invite.code)
    menu = await phones.say(chat, "thông báo")
    prompt = await phones.say(chat, number_of(menu[-1], texts.notices.BTN_NEW))
    assert any("Gửi tới:" in part for part in prompt)
    preview = await phones.say(chat, "Sáng Chủ Nhật tổng vệ sinh đường thôn.")
    await phones.say(chat, number_of(preview[-1], texts.notices.BTN_SEND))
    [notice] = (await session.execute(select(Notice))).scalars().all()
    assert notice.status_chat_id == chat  # the Zalo chat, for the final report
    rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == notices.KIND))).scalars().all()
    assert len(rows) == 6 and all("tổng vệ sinh" in r.payload["text"] for r in rows)


async def test_a_secretary_on_zalo_reads_the_figures_as_text_with_the_chart_as_a_link(phones, session, cipher, clock, media) -> None:
    commune = await make_commune(session, cipher, linked=True)
    invite = await create_invite(session, member=commune.cells[0].secretary, now=clock.now())
    await session.commit()
    chat = await phones.person("Bí thư")
    await phones.say(chat, invite.code)
    shown = "\n".join(await phones.say(chat, "thống kê"))
    assert "Thống kê dự họp" in shown and "1. 👥 Theo đảng viên" in shown and "<b>" not in shown
    # The chart: Zalo fetches photos by URL; this one leads nowhere, so it is offered as a link.
    assert "🖼 Xem ảnh: https://sotay.example/m/token1" in shown and [p.kind for p in media.published] == ["photo"]


async def test_a_zalo_member_chooses_hmong_and_hears_the_hmong_recording_by_a_link(phones, harness, session, cipher, clock, media, tmp_path) -> None:
    """Zalo cannot carry voice: the member's language is chosen with typed numbers (the same screens),
    and «🔊 Nghe» publishes the person's recording in that language as the listen link."""
    import io

    import numpy as np
    import soundfile

    from core.orgs.service import load_actor
    from core.recordings import service as recordings
    from core.recordings.audio import prepare_recording
    from tests.integration.test_resolutions_bot import published

    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    profile = await phones.say(lan, "ho so")
    settings = await phones.say(lan, number_of(profile[-1], texts.resolutions.BTN_VOICE_SETTINGS))
    choices = await phones.say(lan, number_of(settings[-1], "Ngôn ngữ nghe"))
    chosen = await phones.say(lan, number_of(choices[-1], "Tiếng Hmông"))
    assert "Tiếng Hmông" in "\n".join(chosen)
    await session.refresh(member)
    assert member.listen_language == "hmong"

    document = await published(session, commune, clock)
    buffer = io.BytesIO()
    soundfile.write(buffer, (0.3 * np.sin(np.arange(24000) / 10)).astype(np.float32), 16000, format="WAV")
    actor = await load_actor(session, commune.committee_member)
    result = await recordings.add_recording(session, actor=actor, document_id=document.id, language="hmong",
                                            audio=prepare_recording(buffer.getvalue()), store_dir=tmp_path / "recordings", now=clock.now())
    await session.commit()
    library = await phones.say(lan, "nghi quyet")
    screen = await phones.say(lan, number_of(library[-1], "21-NQ/TW"))
    listened = await phones.say(lan, number_of(screen[-1], texts.resolutions.BTN_LISTEN))
    assert "🔊 Nghe: https://sotay.example/m/token" in "\n".join(listened)
    assert [(p.kind, p.path) for p in media.published][-1] == ("voice", result.recording.path)
