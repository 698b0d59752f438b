"""The Zalo session answers the Telegram methods handlers call: what reaches Zalo, what is
remembered, and what aiogram gets back."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import (
    BufferedInputFile,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from sqlalchemy import select

from bot.zalo import memory
from bot.zalo.client import ZaloClient, error_kind
from bot.zalo.courier import ZaloCourier
from bot.zalo.session import ZaloBot, ZaloSession
from core.conversation.models import ChannelScreen
from core.ports import PermanentError, RateLimitedError, RecipientUnreachable, TemporaryError

TOKEN = "1459232241454765289:UNIT_secret_abcdefgh"
LAN = "e4ea2cd5189df1c3a88c"


class FakeZalo(ZaloClient):
    def __init__(self) -> None:
        super().__init__(TOKEN, "http://zalo.invalid")
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.refusals: list[Exception] = []
        self.files: dict[str, bytes] = {}
        self._ids = itertools.count(1)

    async def call(self, method: str, payload: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        if self.refusals:
            raise self.refusals.pop(0)
        self.calls.append((method, payload or {}))
        return {"message_id": f"{next(self._ids):020x}", "date": 1_800_000_000_000 + len(self.calls)}

    async def download(self, url: str) -> bytes:
        return self.files[url]

    def texts(self) -> list[str]:
        return [payload["text"] for method, payload in self.calls if method == "sendMessage"]


class Publisher:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def publish(self, **kwargs: Any) -> str:
        self.published.append(kwargs)
        return f"https://sotay.example/m/t{len(self.published)}"


@pytest.fixture
async def zalo(session_factory):  # type: ignore[no-untyped-def]
    client, publisher = FakeZalo(), Publisher()
    courier = ZaloCourier(client, session_factory, media=publisher)
    bot = ZaloBot(TOKEN, ZaloSession(courier))
    async with session_factory() as session:
        peer = await memory.peer_id(session, LAN, "Lan")
        await session.commit()
    return bot, client, publisher, peer


async def screens(session_factory) -> list[ChannelScreen]:  # type: ignore[no-untyped-def]
    async with session_factory() as session:
        return list((await session.execute(select(ChannelScreen).order_by(ChannelScreen.id))).scalars())


def test_the_zalo_bot_cannot_be_taken_for_a_telegram_bot() -> None:
    bot = ZaloBot(TOKEN, ZaloSession(ZaloCourier(FakeZalo(), None)))  # type: ignore[arg-type]
    assert bot.id == -1459232241454765289 and bot.platform == "zalo"


async def test_a_message_with_keyboards_becomes_numbered_text_and_is_remembered(zalo, session_factory) -> None:
    bot, client, _, peer = zalo
    markup = InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text="✅ Tôi sẽ dự họp", callback_data="mti:yes:1"), InlineKeyboardButton(text="🙏 Xin vắng mặt", callback_data="mti:no:1")],
        [InlineKeyboardButton(text="🗺 Bản đồ", url="https://maps.example/x")],
    ])
    sent = await bot.send_message(peer, "<b>Mời họp</b> &amp; bàn việc", reply_markup=markup)
    [text] = client.texts()
    assert text.startswith("Mời họp & bàn việc") and "🔗 🗺 Bản đồ: https://maps.example/x" in text and "2. 🙏 Xin vắng mặt" in text
    assert client.calls[0][1]["chat_id"] == LAN and set(client.calls[0][1]) == {"chat_id", "text"}  # nothing Zalo would ignore
    # aiogram gets a real Message, its id the screen's, its keyboard echoed.
    [screen] = await screens(session_factory)
    assert sent.message_id == screen.id and sent.chat.id == peer and sent.reply_markup.inline_keyboard[1][0].callback_data == "mti:no:1"
    assert [(c["number"], c["kind"], c["value"]) for c in screen.choices] == [(1, "callback", "mti:yes:1"), (2, "callback", "mti:no:1")]
    assert screen.sent_at.timestamp() == pytest.approx(1_800_000_000.001)  # the platform's time of sending


async def test_a_reply_keyboard_is_numbered_and_contact_sharing_dropped(zalo, session_factory) -> None:
    bot, client, _, peer = zalo
    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="📱 Gửi số điện thoại", request_contact=True)],
                                             [KeyboardButton(text="📅 Lịch họp"), KeyboardButton(text="👤 Hồ sơ")]])
    await bot.send_message(peer, "Chọn", reply_markup=keyboard)
    assert "Gửi số điện thoại" not in client.texts()[0] and "1. 📅 Lịch họp" in client.texts()[0]
    [screen] = await screens(session_factory)
    assert [(c["kind"], c["value"]) for c in screen.choices] == [("reply", "📅 Lịch họp"), ("reply", "👤 Hồ sơ")]


async def test_edits_send_a_new_screen_unless_nothing_changed_and_a_removed_keyboard_only_forgets(zalo, session_factory) -> None:
    bot, client, _, peer = zalo
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="✅ Đã xem", callback_data="nts:1")]])
    first = await bot.send_message(peer, "Thông báo", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text("Thông báo", chat_id=peer, message_id=first.message_id, reply_markup=markup)
    edited = await bot.edit_message_text("Thông báo (đã sửa)", chat_id=peer, message_id=first.message_id)
    assert client.texts()[-1] == "Thông báo (đã sửa)" and edited.message_id != first.message_id
    before = len(client.calls)
    await bot.edit_message_reply_markup(chat_id=peer, message_id=first.message_id, reply_markup=None)
    assert len(client.calls) == before
    assert (await screens(session_factory))[0].choices == []


async def test_a_toast_is_a_message_but_not_a_screen(zalo, session_factory) -> None:
    bot, client, _, peer = zalo
    await bot.answer_callback_query(f"z{peer}-99", text="Cảm ơn đồng chí đã xác nhận.")
    await bot.answer_callback_query(f"z{peer}-100")  # no text: nothing to say
    assert client.texts() == ["Cảm ơn đồng chí đã xác nhận."] and await screens(session_factory) == []


async def test_voice_and_files_become_signed_links_and_photos_zalo_photos(zalo, tmp_path) -> None:
    bot, client, publisher, peer = zalo
    note = tmp_path / "tom-tat.ogg"
    note.write_bytes(b"OggS...")
    voice = await bot.send_voice(peer, FSInputFile(note), caption="<b>Nghị quyết 21</b>", duration=12)
    assert client.texts()[-1] == "Nghị quyết 21\n\n🔊 Nghe: https://sotay.example/m/t1"
    assert publisher.published[0]["kind"] == "voice" and publisher.published[0]["path"] == str(note)
    assert voice.voice is not None and voice.voice.file_id == f"zfile:{note}" and voice.voice.duration == 12
    document = await bot.send_document(peer, BufferedInputFile(b"a,b\n", filename="so-lieu.csv"))
    assert client.texts()[-1] == "📄 Tải về: https://sotay.example/m/t2" and publisher.published[1]["data"] == b"a,b\n"
    assert document.document is not None
    await bot.send_photo(peer, BufferedInputFile(b"\x89PNG", filename="bieu-do.png"), caption="Biểu đồ")
    assert client.calls[-2] == ("sendPhoto", {"chat_id": LAN, "photo": "https://sotay.example/m/t3"}) and client.texts()[-1] == "Biểu đồ"


async def test_no_ops_chat_action_and_a_photo_the_member_sent(zalo) -> None:
    bot, client, _, peer = zalo
    assert await bot.delete_message(peer, 5) is True
    assert await bot.set_my_commands([]) is True
    assert client.calls == []
    await bot.send_chat_action(peer, "typing")
    assert client.calls == [("sendChatAction", {"chat_id": LAN, "action": "typing"})]
    client.files["https://zalo.cdn/p.jpg"] = b"JPEG"
    file = await bot.get_file("zurl:https://zalo.cdn/p.jpg")
    assert (await bot.download_file(file.file_path)).read() == b"JPEG"  # type: ignore[union-attr,arg-type]


async def test_zalo_refusals_reach_handlers_as_telegram_errors(zalo) -> None:
    bot, client, _, peer = zalo
    client.refusals.append(RateLimitedError("Too Many Requests", retry_after=30))
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(peer, "x")
    client.refusals.append(RecipientUnreachable("chat not found"))
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(peer, "x")
    client.refusals.append(PermanentError("400 text must be between 1 and 2000 characters"))
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(peer, "x")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(987654, "nobody")  # a peer that does not exist


def test_zalo_error_codes_map_to_the_ports_kinds() -> None:
    assert isinstance(error_kind(429, "Too Many Requests", 3), RateLimitedError)
    assert isinstance(error_kind(400, "Bad Request: chat not found"), RecipientUnreachable)
    assert isinstance(error_kind(403, "Forbidden"), RecipientUnreachable)
    assert isinstance(error_kind(400, "Bad Request: text must be between 1 and 2000 characters"), PermanentError)
    assert isinstance(error_kind(502, "Bad Gateway"), TemporaryError) and isinstance(error_kind(401, "Unauthorized"), TemporaryError)


async def test_the_worker_messenger_renders_core_screens_links_media_and_skips_edits(zalo, session_factory) -> None:
    from bot.zalo.messenger import ZaloMessenger
    from core.ports import Attachment, Button, OutboundMessage

    bot, client, publisher, _ = zalo
    messenger = ZaloMessenger(bot.session.courier, bot_key=str(bot.id))
    message = OutboundMessage(text="<b>Thông báo</b>", buttons=((Button("✅ Đã xem", callback_data="nts:4"),), (Button("Trang", url="https://x.vn"),)),
                              attachment=Attachment(kind="voice", data=b"OggS", cache_key="k"))
    receipt = await messenger.send(LAN, message)
    [text] = client.texts()
    assert text.startswith("Thông báo\n\n🔊 Nghe: https://sotay.example/m/t1") and "🔗 Trang: https://x.vn" in text and "1. ✅ Đã xem" in text
    [screen] = await screens(session_factory)
    assert receipt.message_id == str(screen.id) and screen.choices[0]["value"] == "nts:4"
    assert (await messenger.send(LAN, OutboundMessage(text="Đã gửi 3/6", edit_message_id="77"))).message_id == "77"
    assert len(client.texts()) == 1  # a running status line is not re-sent as new messages


async def test_a_zalo_file_id_becomes_a_file_telegram_uploads(tmp_path) -> None:
    from aiogram.methods import SendPhoto
    from aiogram.types import URLInputFile

    from bot.zalo.files import PortableFiles

    seen: list[Any] = []

    async def make_request(bot, method):  # type: ignore[no-untyped-def]
        seen.append(method)
        return "sent"

    middleware = PortableFiles()
    assert await middleware(make_request, None, SendPhoto(chat_id=1, photo="zurl:https://zalo.cdn/p.jpg")) == "sent"  # type: ignore[arg-type]
    assert isinstance(seen[0].photo, URLInputFile) and seen[0].photo.url == "https://zalo.cdn/p.jpg"
    note = tmp_path / "n.ogg"
    note.write_bytes(b"x")
    from aiogram.methods import SendVoice

    await middleware(make_request, None, SendVoice(chat_id=1, voice=f"zfile:{note}"))  # type: ignore[arg-type]
    assert isinstance(seen[1].voice, FSInputFile) and str(seen[1].voice.path) == str(note)
    await middleware(make_request, None, SendPhoto(chat_id=1, photo="AgACAgIAAx-telegram-id"))  # type: ignore[arg-type]
    assert seen[2].photo == "AgACAgIAAx-telegram-id"
