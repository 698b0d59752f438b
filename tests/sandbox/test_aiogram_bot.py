"""aiogram's real Bot and HTTP session against the sandbox, with only the API base URL changed."""

from __future__ import annotations

import struct
import zlib

import httpx
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    ChatFullInfo,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from sandbox.client import SandboxClient
from sandbox.media import make_sample_voice
from sandbox.server import SandboxServer
from tests.sandbox.conftest import MAI, MAI_PHONE, OTHER_TOKEN, aiogram_bot

YES = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="✅ Đồng ý", callback_data="yes:1")]])


def png(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))


async def test_get_me_and_chat_parse_as_aiogram_objects(bot: Bot, people: SandboxClient) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "test_sotay_bot", True)
    chat = await bot.get_chat(MAI)
    assert isinstance(chat, ChatFullInfo) and (chat.type, chat.first_name, chat.last_name) == ("private", "Mai", "Nguyễn")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat(999)


async def test_html_text_with_inline_keyboard_is_stored_as_telegram_does(bot: Bot, people: SandboxClient) -> None:
    sent = await bot.send_message(MAI, "<b>Xin chào</b> đồng chí &lt;Mai&gt;", parse_mode="HTML", reply_markup=YES)
    assert sent.text == "Xin chào đồng chí <Mai>"
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 8)]
    assert sent.from_user and sent.from_user.username == "test_sotay_bot"
    assert sent.chat.id == MAI and sent.reply_markup and sent.reply_markup.inline_keyboard[0][0].callback_data == "yes:1"
    [seen] = await people.bot_messages(MAI)
    assert (seen.message_id, seen.text, seen.buttons) == (sent.message_id, "Xin chào đồng chí <Mai>", [("✅ Đồng ý", "yes:1")])


async def test_markdown_v2_is_parsed_and_unescaped_characters_refused(bot: Bot, people: SandboxClient) -> None:
    sent = await bot.send_message(MAI, r"*Họp* ngày 3\.12 \- [chi tiết](https://example.org/a)", parse_mode="MarkdownV2")
    assert sent.text == "Họp ngày 3.12 - chi tiết"
    assert [(e.type, e.url) for e in sent.entities or []] == [("bold", None), ("text_link", "https://example.org/a")]
    with pytest.raises(TelegramBadRequest, match=r"Character '\.' is reserved"):
        await bot.send_message(MAI, "Họp ngày 3.12", parse_mode="MarkdownV2")


async def test_edits_keep_history_and_refuse_no_change(bot: Bot, people: SandboxClient) -> None:
    sent = await bot.send_message(MAI, "Bản nháp", reply_markup=YES)
    edited = await bot.edit_message_text("Bản chính", chat_id=MAI, message_id=sent.message_id, reply_markup=YES)
    assert isinstance(edited, Message) and edited.text == "Bản chính" and edited.edit_date
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Bản chính", chat_id=MAI, message_id=sent.message_id, reply_markup=YES)
    without_keyboard = await bot.edit_message_reply_markup(chat_id=MAI, message_id=sent.message_id)
    assert isinstance(without_keyboard, Message) and without_keyboard.reply_markup is None
    [seen] = await people.bot_messages(MAI)
    assert (seen.text, seen.edits, seen.buttons) == ("Bản chính", ["Bản nháp"], [])
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=MAI, message_id=sent.message_id, caption="x")
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("?", chat_id=MAI, message_id=999)


async def test_delete_and_reply_to(bot: Bot, people: SandboxClient) -> None:
    first = await bot.send_message(MAI, "Câu hỏi")
    reply = await bot.send_message(MAI, "Trả lời", reply_parameters=ReplyParameters(message_id=first.message_id))
    assert reply.reply_to_message and reply.reply_to_message.text == "Câu hỏi"
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(MAI, "x", reply_to_message_id=999)
    assert await bot.delete_message(MAI, first.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(MAI, first.message_id)
    chat = await people.messages(MAI)
    assert [(m.text, m.deleted) for m in chat] == [("Câu hỏi", True), ("Trả lời", False)]
    assert chat[1].raw["reply_to"] == first.message_id


async def test_voice_upload_then_by_file_id_then_download(bot: Bot, people: SandboxClient) -> None:
    voice = make_sample_voice(3.0)
    first = await bot.send_voice(MAI, BufferedInputFile(voice, "tom-tat.ogg"))
    again = await bot.send_voice(MAI, first.voice.file_id)
    same_bytes = await bot.send_voice(MAI, BufferedInputFile(voice, "khac-ten.ogg"), duration=99)
    assert first.voice.duration == 3 and first.voice.mime_type == "audio/ogg" and first.voice.file_size == len(voice)
    assert again.voice.file_id == first.voice.file_id == same_bytes.voice.file_id
    assert same_bytes.voice.file_unique_id == first.voice.file_unique_id and same_bytes.voice.duration == 3
    file = await bot.get_file(first.voice.file_id)
    assert file.file_path and file.file_path.endswith(".oga")
    assert (await bot.download_file(file.file_path)).read() == voice
    seen = (await people.bot_messages(MAI))[0]
    assert seen.attachment and (seen.attachment["kind"], seen.attachment["duration"]) == ("voice", 3)
    assert await people.download(seen) == voice
    assert (await people.stats())["events"]["uploads"] == 2


async def test_given_duration_wins_and_file_ids_belong_to_one_bot(server, bot: Bot, people: SandboxClient) -> None:
    sent = await bot.send_voice(MAI, BufferedInputFile(b"OggS not really", "a.ogg"), duration=7)
    assert sent.voice.duration == 7
    other = aiogram_bot(server, OTHER_TOKEN)
    try:
        with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
            await other.send_voice(MAI, sent.voice.file_id)
    finally:
        await other.session.close()
    with pytest.raises(TelegramBadRequest, match="type of file mismatch"):
        await bot.send_photo(MAI, sent.voice.file_id)


async def test_documents_photos_and_captions(bot: Bot, people: SandboxClient) -> None:
    doc = await bot.send_document(MAI, BufferedInputFile(b"%PDF-1.4 test", "nghi-quyet.pdf"), caption="<i>Toàn văn</i>",
                                  parse_mode="HTML")
    assert doc.document and (doc.document.file_name, doc.document.mime_type) == ("nghi-quyet.pdf", "application/pdf")
    assert doc.caption == "Toàn văn" and doc.caption_entities and doc.caption_entities[0].type == "italic"
    photo = await bot.send_photo(MAI, BufferedInputFile(png(320, 200), "bieu-do.png"))
    assert photo.photo and (photo.photo[-1].width, photo.photo[-1].height) == (320, 200)
    edited = await bot.edit_message_caption(chat_id=MAI, message_id=photo.message_id, caption="Biểu đồ tham dự")
    assert isinstance(edited, Message) and edited.caption == "Biểu đồ tham dự"
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(MAI, doc.document.file_id, caption="x" * 1025)
    chat = await people.bot_messages(MAI)
    assert [m.attachment["kind"] for m in chat if m.attachment] == ["document", "photo"]
    assert chat[0].attachment and chat[0].attachment["file_name"] == "nghi-quyet.pdf"


async def test_polls_regular_and_quiz(bot: Bot, people: SandboxClient) -> None:
    regular = await bot.send_poll(MAI, "Họp vào thứ mấy?", ["Thứ bảy", "Chủ nhật"], is_anonymous=False)
    assert regular.poll and regular.poll.type == "regular" and not regular.poll.is_anonymous
    quiz = await bot.send_poll(MAI, "Nghị quyết 21 nói về?", ["Tổ chức cơ sở đảng", "Kinh tế"], type="quiz", correct_option_id=0)
    assert quiz.poll and quiz.poll.correct_option_id == 0 and quiz.poll.correct_option_ids == [0]
    answered = await people.answer_poll(MAI, quiz.poll.id, [1])
    assert answered["correct"] is False and answered["poll"]["options"][1]["voter_count"] == 1
    stopped = await bot.stop_poll(MAI, quiz.message_id)
    assert stopped.is_closed and stopped.total_voter_count == 1
    with pytest.raises(TelegramBadRequest, match="poll has already been closed"):
        await bot.stop_poll(MAI, quiz.message_id)
    with pytest.raises(TelegramBadRequest, match="wrong correct option ID"):
        await bot.send_poll(MAI, "?", ["a", "b"], type="quiz", correct_option_id=5)


async def test_commands_and_chat_action(bot: Bot, people: SandboxClient) -> None:
    assert await bot.set_my_commands([BotCommand(command="start", description="Màn hình chính")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert await people.commands() == [{"command": "start", "description": "Màn hình chính"}]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bắt đầu", description="x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    assert await bot.send_chat_action(MAI, "record_voice")
    assert (await people.chat(MAI))["action"] == "record_voice"
    await bot.send_message(MAI, "xong")
    assert (await people.chat(MAI))["action"] is None  # a message ends "recording…"


async def test_reply_keyboard_with_contact_button(bot: Bot, people: SandboxClient) -> None:
    share = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="📱 Gửi số điện thoại", request_contact=True)]],
                                resize_keyboard=True, one_time_keyboard=True)
    await bot.send_message(MAI, "Mời đồng chí gửi số điện thoại", reply_markup=share)
    assert await people.keyboard(MAI) == ["📱 Gửi số điện thoại"]
    await people.tap(MAI, "📱 Gửi số điện thoại")
    updates = await bot.get_updates()
    contact = updates[-1].message.contact if updates[-1].message else None
    assert contact and (contact.phone_number, contact.user_id, contact.first_name) == (MAI_PHONE, MAI, "Mai")
    assert (await people.chat(MAI))["keyboard_collapsed"] is True  # one-time keyboards fold away after use
    await bot.send_message(MAI, "Đã liên kết", reply_markup=ReplyKeyboardRemove())
    assert await people.keyboard(MAI) == []


async def test_the_chat_page_can_seek_in_a_voice_note(bot: Bot, people: SandboxClient, server: SandboxServer) -> None:
    # A browser asks for byte ranges of an OGG to learn its length and to seek; answered like
    # Telegram's file server (206 with Content-Range), the whole file without a Range header.
    voice = make_sample_voice(2.0)
    await bot.send_voice(MAI, BufferedInputFile(voice, "tom-tat.ogg"))
    url = server.base_url + (await people.bot_messages(MAI))[0].attachment["url"]  # type: ignore[index]
    size = len(voice)
    async with httpx.AsyncClient() as client:
        whole = await client.get(url)
        assert whole.status_code == 200 and whole.content == voice and whole.headers["accept-ranges"] == "bytes"
        head = await client.get(url, headers={"Range": "bytes=0-99"})
        assert head.status_code == 206 and head.content == voice[:100] and head.headers["content-range"] == f"bytes 0-99/{size}"
        tail = await client.get(url, headers={"Range": "bytes=-50"})
        assert tail.status_code == 206 and tail.content == voice[-50:]
        rest = await client.get(url, headers={"Range": f"bytes={size - 10}-"})
        assert rest.status_code == 206 and rest.content == voice[-10:]
        beyond = await client.get(url, headers={"Range": f"bytes={size + 5}-"})
        assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
        nonsense = await client.get(url, headers={"Range": "bytes=abc"})
        assert nonsense.status_code == 200 and nonsense.content == voice
