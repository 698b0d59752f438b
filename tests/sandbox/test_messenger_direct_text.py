"""The delivery worker's text messages go out as one JSON POST (bot/messenger.py `direct_text`):
the person sees exactly what aiogram's path would have sent, and every refusal becomes the same
port error; anything the bot session's middlewares would change still takes aiogram's path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession

from bot.dispatcher import create_bot
from bot.messenger import TelegramMessenger, direct_text_body
from core.limits import TELEGRAM
from core.ports import (
    Attachment,
    Button,
    OutboundMessage,
    PermanentError,
    RateLimitedError,
    RecipientUnreachable,
    SendError,
    TemporaryError,
)
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.sandbox.conftest import MAI, TOKEN

LAN = 502
NOTICE = OutboundMessage(
    text="📢 <b>THÔNG BÁO</b> — họp chi bộ lúc <i>8 giờ</i> sáng Chủ Nhật",
    buttons=((Button("👁 Đã xem", callback_data="seen:7"),), (Button("🔊 Nghe", callback_data="listen:n:7"), Button("Trang", url="https://example.org/a"))),
)


@pytest.fixture
async def sotay_bot(server: SandboxServer, people: SandboxClient) -> AsyncIterator[Bot]:
    """The production bot (bot.dispatcher.create_bot: its middlewares, HTML by default); Lan exists too."""
    await people.create_user("Lan", user_id=LAN)
    bot = create_bot(TOKEN, server.base_url)
    yield bot
    await bot.session.close()


@pytest.fixture
def aiogram_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Bot API methods that went through aiogram's session (the direct path bypasses it)."""
    calls: list[str] = []
    original = AiohttpSession.make_request

    async def counted(self: AiohttpSession, bot: Bot, method: Any, timeout: int | None = None) -> Any:
        calls.append(type(method).__name__)
        return await original(self, bot, method, timeout)

    monkeypatch.setattr(AiohttpSession, "make_request", counted)
    return calls


def seen(raw: dict[str, Any]) -> dict[str, Any]:
    """What a person sees of a message (not its id or time)."""
    return {key: raw.get(key) for key in ("text", "entities", "reply_markup")}


async def test_a_notice_reads_the_same_by_either_path(sotay_bot: Bot, people: SandboxClient, aiogram_calls: list[str]) -> None:
    direct = await TelegramMessenger(sotay_bot).send(str(MAI), NOTICE)
    assert aiogram_calls == []  # no aiogram model, no form: one JSON POST
    through_aiogram = await TelegramMessenger(sotay_bot, direct_text=False).send(str(LAN), NOTICE)
    assert aiogram_calls == ["SendMessage"]

    [mine] = await people.bot_messages(MAI)
    [theirs] = await people.bot_messages(LAN)
    assert direct.message_id == str(mine.message_id) and through_aiogram.message_id == str(theirs.message_id)
    assert seen(mine.raw) == seen(theirs.raw)
    assert mine.text.startswith("📢 THÔNG BÁO") and {e["type"] for e in mine.entities} == {"bold", "italic"}  # HTML parsed
    assert mine.buttons == [("👁 Đã xem", "seen:7"), ("🔊 Nghe", "listen:n:7"), ("Trang", None)]


async def test_the_paid_flag_goes_only_on_a_paid_message(sotay_bot: Bot, people: SandboxClient, aiogram_calls: list[str]) -> None:
    messenger = TelegramMessenger(sotay_bot)
    await messenger.send(str(MAI), OutboundMessage(text="thường"))
    assert (await people.stats())["calls"].get("paid_broadcast", 0) == 0
    await messenger.send(str(LAN), OutboundMessage(text="khẩn", paid_broadcast=True))
    assert (await people.stats())["calls"]["paid_broadcast"] == 1
    assert aiogram_calls == []


async def test_plain_text_keeps_its_markup_characters(sotay_bot: Bot, people: SandboxClient) -> None:
    await TelegramMessenger(sotay_bot).send(str(MAI), OutboundMessage(text="a <b>b</b> & c", parse_mode=None))
    [message] = await people.bot_messages(MAI)
    assert message.text == "a <b>b</b> & c" and message.entities == []


async def test_what_the_middlewares_would_change_takes_aiograms_path(sotay_bot: Bot, people: SandboxClient,
                                                                    aiogram_calls: list[str]) -> None:
    messenger = TelegramMessenger(sotay_bot)
    long_text = "Nội dung dài. " * 400  # over one message: split in parts, the keyboard on the last
    await messenger.send(str(MAI), OutboundMessage(text=long_text, buttons=((Button("OK", callback_data="ok"),),)))
    assert aiogram_calls == ["SendMessage", "SendMessage"]
    parts = await people.bot_messages(MAI)
    assert len(parts) == 2 and parts[0].buttons == [] and parts[1].buttons == [("OK", "ok")]

    label = "Nhãn rất dài " * 10  # shortened with "…" by FitToLimits
    await messenger.send(str(LAN), OutboundMessage(text="x", buttons=((Button(label, callback_data="b"),),)))
    assert aiogram_calls[-1] == "SendMessage" and len(aiogram_calls) == 3
    [message] = await people.bot_messages(LAN)
    assert message.buttons[0][0].endswith("…") and len(message.buttons[0][0]) <= TELEGRAM.button_text


@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"code": 429, "retry_after": 7}, RateLimitedError),
        ({"code": 403, "description": "Forbidden: bot was blocked by the user"}, RecipientUnreachable),
        ({"code": 400, "description": "Bad Request: chat not found"}, RecipientUnreachable),
        ({"code": 400, "description": "Bad Request: can't parse entities"}, PermanentError),
        ({"code": 502}, TemporaryError),
        ({"code": 401, "description": "Unauthorized"}, TemporaryError),
    ],
)
async def test_refusals_become_the_same_port_errors(sotay_bot: Bot, people: SandboxClient, direct: bool, fault: dict[str, Any],
                                                    error: type[SendError]) -> None:
    await people.inject_fault("sendMessage", fault["code"], retry_after=fault.get("retry_after"), description=fault.get("description"))
    with pytest.raises(error) as raised:
        await TelegramMessenger(sotay_bot, direct_text=direct).send(str(MAI), NOTICE)
    if error is RateLimitedError:
        assert isinstance(raised.value, RateLimitedError) and raised.value.retry_after == 7
    assert await people.bot_messages(MAI) == []


async def test_a_blocked_person_is_unreachable(sotay_bot: Bot, people: SandboxClient) -> None:
    await people.block(MAI)
    with pytest.raises(RecipientUnreachable):
        await TelegramMessenger(sotay_bot).send(str(MAI), OutboundMessage(text="x"))


async def test_an_answer_lost_after_sending_is_a_temporary_error(sotay_bot: Bot, people: SandboxClient) -> None:
    """The worker sends it again later (the in-flight window the outbox documents), never drops it."""
    await people.inject_fault("sendMessage", 500, after_effect=True)
    with pytest.raises(TemporaryError):
        await TelegramMessenger(sotay_bot).send(str(MAI), OutboundMessage(text="x"))


def test_the_body_is_built_only_for_what_needs_no_fitting(sotay_bot: Bot) -> None:
    assert direct_text_body(sotay_bot, "1", OutboundMessage(text="x", edit_message_id="5")) is None
    assert direct_text_body(sotay_bot, "1", OutboundMessage(text="x", attachment=Attachment(kind="voice", file_id="f"))) is None
    assert direct_text_body(sotay_bot, "1", OutboundMessage(text="x" * (TELEGRAM.text + 1))) is None
    too_much_data = "d" * (TELEGRAM.callback_data_bytes + 1)
    assert direct_text_body(sotay_bot, "1", OutboundMessage(text="x", buttons=((Button("b", callback_data=too_much_data),),))) is None
    # Tags do not count towards the limit, as Telegram counts it: this one fits.
    assert direct_text_body(sotay_bot, "1", OutboundMessage(text="<b>" + "x" * TELEGRAM.text + "</b>")) is not None
    assert b"allow_paid_broadcast" not in (direct_text_body(sotay_bot, "1", OutboundMessage(text="x")) or b"")
    assert b'"allow_paid_broadcast": true' in (direct_text_body(sotay_bot, "1", OutboundMessage(text="x", paid_broadcast=True)) or b"")
