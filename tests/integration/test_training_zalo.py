"""The training ground on Zalo: a trainee whose practice phone is a Zalo person does the member lessons
by typing numbers and words — each lesson's words say what to type on Zalo, and each check passes from
what the real Dispatcher recorded (the sandbox's Zalo side over HTTP, the real database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core import texts
from core.db import transaction
from core.delivery.models import OutboxMessage
from core.ports import OutboundMessage
from sandbox.server import SandboxServer
from sandbox.zalo import ZaloLimits
from sotay import demo_data, demo_content
from sotay.demo import DEMO_BOT, DEMO_TOKEN
from sotay.training import LESSONS, Phones, Room, zalo_id
from tests.integration import test_zalo_bot as zalo_bot
from tests.integration.test_zalo_bot import number_of
from tests.zalokit import ZALO_TOKEN, ZaloPhones

harness, media, phones = zalo_bot.harness, zalo_bot.media, zalo_bot.phones


@pytest.fixture
async def zalo_sandbox() -> AsyncIterator[SandboxServer]:
    """The demo's sandbox: Telegram's bot beside Zalo's (the room adds its phones to either)."""
    async with SandboxServer(bots={DEMO_TOKEN: DEMO_BOT}, zalo_bots={ZALO_TOKEN: "Sổ tay"}, zalo_limits=ZaloLimits(enabled=False)) as server:
        yield server


async def _pending_for(session, chat: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    query = select(OutboxMessage).where(OutboxMessage.platform == "zalo", OutboxMessage.chat_id == chat).order_by(OutboxMessage.id)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


async def test_a_zalo_trainee_does_the_member_lessons_by_typing(zalo_sandbox, phones: ZaloPhones, session_factory, session, cipher, clock,
                                                               tmp_path: Path) -> None:
    async with transaction(session_factory) as seeding:
        await demo_data.seed(seeding, cipher)
    await demo_content.seed_resolution(session_factory, renderer=None, now=clock.now(), report=demo_content.SeedReport())
    room = Room(session_factory=session_factory, cipher=cipher, phones=Phones(zalo_sandbox, DEMO_TOKEN, ZALO_TOKEN), folder=tmp_path,
                key="k", clock=clock.now)
    room.set_platform("zalo")
    trainee = await room.join(track="member")
    chat = zalo_id(trainee.user_id)
    assert trainee.platform == "zalo" and chat in zalo_sandbox.zalo.world.people
    await phones._pump()  # the phone's first words (on Zalo a person writes first): the bot's home list
    for row in await _pending_for(session, chat):  # the delivery worker: the two invitations
        await phones.deliver(chat, OutboundMessage.from_payload(row.payload))
    room.unlocked["member"] = len(LESSONS["member"])  # the trainer opened every lesson

    async def do(lesson_key: str, *words: str) -> None:
        status = await room.status(trainee.user_id)
        assert status["lesson"]["key"] == lesson_key
        assert status["line"] == texts.training.lesson_words(lesson_key, "zalo")[1]  # Zalo's words, not Telegram's
        assert "Bấm" not in status["line"]
        for word in words:  # each word answers the newest list
            assert await phones.say(chat, word)
        status = await room.status(trainee.user_id, acted=True)  # the phone asks again after a step
        assert status.get("done_lesson") == lesson_key, (lesson_key, status)

    # 1. The newest message is the first lesson's invitation: "1" answers it.
    await do("rsvp", "1")
    # 2. Lịch họp lists the other meeting as the only one still to answer (📝).
    calendar = (await phones.say(chat, "lịch họp"))[-1]
    choice = number_of(calendar, "📝 Trả lời mời họp")
    await do("excuse", choice, "2", "1")
    # 3. The resolution by its number, then "✅ Tôi đã nghiên cứu" by its number.
    library = (await phones.say(chat, "nghị quyết"))[-1]
    document = (await phones.say(chat, number_of(library, demo_content.DOCUMENT_CODE)))[-1]
    await do("study", number_of(document, "Tôi đã nghiên cứu"))
    # 4. Lesson 2 went through Lịch họp, which shows the last conclusions: already read, and recorded so.
    assert (await room.status(trainee.user_id))["done_lesson"] == "conclusions"
    # 5.
    await do("feedback", "góp ý", "1", "1", "1", "Đề nghị chi bộ tổ chức thêm buổi tập huấn.")
    assert (await room.status(trainee.user_id))["line"] == texts.training.ALL_DONE
    assert room.progress()["trainees"][0]["platform"] == "zalo"

    # A new group: the Zalo phone leaves the room and its link is gone.
    await room.reset()
    assert chat not in zalo_sandbox.zalo.world.people


async def test_a_zalo_secretary_trainee_approves_and_reports_by_typing(zalo_sandbox, phones: ZaloPhones, session_factory, session, cipher,
                                                                        clock, tmp_path: Path) -> None:
    async with transaction(session_factory) as seeding:
        await demo_data.seed(seeding, cipher)
    room = Room(session_factory=session_factory, cipher=cipher, phones=Phones(zalo_sandbox, DEMO_TOKEN, ZALO_TOKEN), folder=tmp_path,
                key="k", clock=clock.now)
    trainee = await room.join(track="secretary", platform="zalo")
    chat = zalo_id(trainee.user_id)
    await phones._pump()
    words = {key: texts.training.lesson_words(key, "zalo")[1] for key in (x.key for x in LESSONS["secretary"])}
    assert not any("Bấm" in line or "bấm" in line for line in words.values()), words
    for row in await _pending_for(session, chat):  # the delivery worker: the meeting's invitation, then the absence report
        await phones.deliver(chat, OutboundMessage.from_payload(row.payload))
    practice = await room.practice()
    approve, report = LESSONS["secretary"][1], LESSONS["secretary"][4]

    # Lesson 2, as its words say: «đồng ý» answers the newest message, the absence report.
    assert "«đồng ý»" in words[approve.key]
    assert "Đã đồng ý" in (await phones.say(chat, "đồng ý"))[0]
    async with session_factory() as reading:
        assert await approve.check(reading, trainee, practice)

    # Lesson 5, by the path its words give: thống kê → 📈 Số liệu tổng hợp → 📝 Báo cáo tháng → send.
    figures = (await phones.say(chat, "thống kê"))[-1]
    monthly = (await phones.say(chat, number_of(figures, texts.reports.BTN_FIGURES)))[-1]
    draft = (await phones.say(chat, number_of(monthly, "Báo cáo tháng")))[-1]
    async with session_factory() as reading:
        assert not await report.check(reading, trainee, practice)  # a draft is not sent
    await phones.say(chat, number_of(draft, "Gửi lên cấp ủy"))
    async with session_factory() as reading:
        assert await report.check(reading, trainee, practice)

    # Lesson 4 sends a Zalo secretary to the console; where this server serves none, a secretary is told
    # so — not that the console is for secretaries only.
    assert await phones.say(chat, "mở trang quản lý") == [texts.console.NOT_SERVED]
