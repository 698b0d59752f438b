"""aiogram's real HTTP client against the sandbox, with only the API base URL changed."""

import asyncio

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter, TelegramServerError
from aiogram.types import BotCommand, BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, PollAnswer
from aiohttp import web

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from sandbox.state import Limits

TOKEN = "123456:SANDBOX_TEST_abcdefghijklmnopqrstu"


@pytest.fixture
async def server():
    server = SandboxServer(port=0, bots={TOKEN: "test_sotay_bot"}, limits=Limits(enabled=False))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(server):
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
    yield bot
    await bot.session.close()


@pytest.fixture
async def people(server):
    client = SandboxClient(server.base_url, TOKEN)
    await client.create_user("Mai", user_id=501)
    yield client
    await client.aclose()


async def test_messages_keyboards_edits_and_commands(bot, people) -> None:
    me = await bot.get_me()
    assert me.username == "test_sotay_bot" and me.is_bot
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="✅ Đồng ý", callback_data="yes:1")]])
    sent = await bot.send_message(501, "<b>Xin chào</b> đồng chí", parse_mode="HTML", reply_markup=markup)
    assert sent.text == "Xin chào đồng chí" and sent.reply_markup.inline_keyboard[0][0].callback_data == "yes:1"
    edited = await bot.edit_message_text("Đã sửa", chat_id=501, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "Đã sửa"
    chat = await people.bot_messages(501)
    assert [m.text for m in chat] == ["Đã sửa"] and chat[0].raw["edits"] == ["Xin chào đồng chí"]
    assert chat[0].buttons == []  # the edit dropped the keyboard, as Telegram does
    assert await bot.set_my_commands([BotCommand(command="start", description="Màn hình chính")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert await bot.delete_message(501, sent.message_id)
    assert await people.bot_messages(501) == []


async def test_voice_upload_then_by_file_id_and_download(bot, people) -> None:
    data = b"OggS" + bytes(range(200))
    first = await bot.send_voice(501, BufferedInputFile(data, "note.ogg"), duration=7)
    again = await bot.send_voice(501, first.voice.file_id)
    same_bytes = await bot.send_voice(501, BufferedInputFile(data, "other.ogg"))
    assert first.voice.duration == 7
    assert again.voice.file_id == first.voice.file_id == same_bytes.voice.file_id
    file = await bot.get_file(first.voice.file_id)
    downloaded = await bot.download_file(file.file_path)
    assert downloaded.read() == data
    chat = await people.bot_messages(501)
    assert await people.download(chat[0].attachment) == data
    assert (await people.stats())["calls"]["uploads"] == 2


async def test_documents_photos_and_polls(bot, people) -> None:
    doc = await bot.send_document(501, BufferedInputFile(b"%PDF-1.4 test", "nghi-quyet.pdf"), caption="Toàn văn")
    assert doc.document.file_name == "nghi-quyet.pdf" and doc.caption == "Toàn văn"
    photo = await bot.send_photo(501, BufferedInputFile(b"\xff\xd8\xff fake jpeg", "a.jpg"))
    assert photo.photo[-1].file_id
    poll = await bot.send_poll(501, "Nghị quyết 21 nói về?", ["Tổ chức cơ sở đảng", "Kinh tế"], type="quiz",
                               correct_option_id=0, is_anonymous=False)
    assert poll.poll.type == "quiz" and poll.poll.correct_option_id == 0


async def test_errors_have_telegrams_shape(bot, server, people) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(501, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(501, "")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "ai đó")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(501, "x", reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="d" * 65)]]))
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(501, "a < b <i>", parse_mode="HTML")
    await people.block(501)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(501, "x")


async def test_rate_limit_answers_429_with_retry_after(server, people) -> None:
    import httpx

    await people.set_limits(enabled=True, per_chat_per_second=1, per_chat_burst=2)
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        answers = [await http.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": 501, "text": f"m{i}"}) for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    body = answers[2].json()
    assert body["ok"] is False and body["error_code"] == 429
    assert body["parameters"]["retry_after"] >= 1 and body["description"].startswith("Too Many Requests: retry after")


async def test_fault_injection_and_aiogram_exceptions(bot, people) -> None:
    await people.inject_fault("sendMessage", 429, count=1, retry_after=3)
    await people.inject_fault("sendMessage", 502, count=1)
    with pytest.raises(TelegramRetryAfter) as rate:
        await bot.send_message(501, "a")
    assert rate.value.retry_after == 3
    with pytest.raises(TelegramServerError):
        await bot.send_message(501, "b")
    assert (await bot.send_message(501, "c")).text == "c"


async def test_unknown_method_and_token(server) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=server.base_url) as http:
        unknown = await http.post(f"/bot{TOKEN}/launchRocket")
        bad_token = await http.post("/botnot-a-token/getMe")
    assert (unknown.status_code, unknown.json()["description"]) == (404, "Not Found")
    assert (bad_token.status_code, bad_token.json()["description"]) == (401, "Unauthorized")


async def test_polling_dispatcher_gets_text_button_and_poll_answer(bot, people) -> None:
    dp = Dispatcher()
    seen: list[str] = []
    done = asyncio.Event()

    @dp.message(F.text)
    async def on_text(message: Message) -> None:
        seen.append(f"text:{message.text}")
        await message.answer("chọn", reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]]))

    @dp.callback_query(F.data == "ok")
    async def on_press(query: CallbackQuery) -> None:
        seen.append("press")
        await query.answer("Đã nhận", show_alert=True)

    @dp.poll_answer()
    async def on_poll(answer: PollAnswer) -> None:
        seen.append(f"poll:{answer.option_ids}")
        done.set()

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1))
    await people.send_text(501, "/start abc")
    reply = await people.wait_for_message(501, lambda m: m.text == "chọn")
    answer = await people.press(501, reply.message_id, "ok")
    assert answer == {"ok": True, "answered": True, "text": "Đã nhận", "show_alert": True}
    poll = await bot.send_poll(501, "Câu hỏi?", ["A", "B"], is_anonymous=False)
    await people.answer_poll(501, poll.poll.id, [1])
    await asyncio.wait_for(done.wait(), 10)
    await dp.stop_polling()
    await polling
    assert seen == ["text:/start abc", "press", "poll:[1]"]


async def test_webhook_delivery_survives_a_stopped_receiver(bot, people) -> None:
    received: list[dict] = []

    async def receive(request: web.Request) -> web.Response:
        assert request.headers.get("X-Telegram-Bot-Api-Secret-Token") == "secret-0123456789"
        received.append(await request.json())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    await runner.cleanup()  # the bot is down before the first update arrives

    await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="secret-0123456789")
    with pytest.raises(Exception, match="Conflict"):
        await bot.get_updates()
    await people.send_text(501, "một")
    await people.send_text(501, "hai")
    await asyncio.sleep(1.0)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 2 and "Connection failed" in (info.last_error_message or "")

    runner = web.AppRunner(app)  # the bot comes back on the same port
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    for _ in range(100):
        if len(received) == 2:
            break
        await asyncio.sleep(0.1)
    await runner.cleanup()
    assert [u["message"]["text"] for u in received] == ["một", "hai"]
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_upload_over_the_limit_is_413(server, bot, people) -> None:
    await people.set_limits(max_upload_bytes=1000)
    with pytest.raises(Exception, match="Too Large"):
        await bot.send_document(501, BufferedInputFile(b"x" * 2000, "big.pdf"))
