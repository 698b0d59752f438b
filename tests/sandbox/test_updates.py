"""Updates reach bots as from Telegram: long polling (aiogram's Dispatcher) and webhooks."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    PollAnswer,
)
from aiohttp import web

from sandbox.client import SandboxClient
from tests.sandbox.conftest import MAI, TOKEN, Receiver

SECRET = "secret-0123456789"


async def until(fetch, done, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    """`await fetch()` again until `done(result)`; the timeout is only a safety net."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not done(result := await fetch()):
        assert asyncio.get_running_loop().time() < deadline, f"still {result!r} after {timeout}s"
        await asyncio.sleep(0.02)
    return result


async def test_dispatcher_polling_gets_text_button_press_and_poll_answer(bot: Bot, people: SandboxClient) -> None:
    dp = Dispatcher()
    seen: list[str] = []
    poll_answered = asyncio.Event()

    @dp.message(CommandStart(deep_link=True))
    async def on_start(message: Message, command: CommandObject) -> None:
        seen.append(f"start:{command.args}")
        await message.answer("chọn", reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]]))

    @dp.callback_query(F.data == "ok")
    async def on_press(query: CallbackQuery) -> None:
        seen.append(f"press:{query.message.message_id if query.message else None}")
        await query.answer("Đã nhận", show_alert=True)

    @dp.poll_answer()
    async def on_poll(answer: PollAnswer) -> None:
        seen.append(f"poll:{answer.user.id if answer.user else None}:{answer.option_ids}")
        poll_answered.set()

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1))
    try:
        await people.send_text(MAI, "/start abc")
        reply = await people.wait_for_message(MAI, lambda m: m.text == "chọn")
        answer = await people.press(MAI, reply.message_id, "ok")
        assert (answer["answered"], answer["text"], answer["show_alert"]) == (True, "Đã nhận", True)
        poll = await bot.send_poll(MAI, "Câu hỏi?", ["A", "B"], is_anonymous=False)
        await people.answer_poll(MAI, poll.poll.id, [1])
        await asyncio.wait_for(poll_answered.wait(), 10)
    finally:
        await dp.stop_polling()
        await polling
    assert seen == ["start:abc", f"press:{reply.message_id}", f"poll:{MAI}:[1]"]
    [pressed] = [m for m in await people.bot_messages(MAI) if m.text == "chọn"]
    assert pressed.callback_answers == [{"text": "Đã nhận", "show_alert": True}]


async def test_get_updates_offset_limit_and_allowed_updates(bot: Bot, people: SandboxClient) -> None:
    for text in ("một", "hai", "ba"):
        await people.send_text(MAI, text)
    first_two = await bot.get_updates(limit=2)
    assert [u.message.text for u in first_two if u.message] == ["một", "hai"]
    rest = await bot.get_updates(offset=first_two[-1].update_id + 1)  # confirms the first two
    assert [u.message.text for u in rest if u.message] == ["ba"]
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["ba"]  # not confirmed yet
    assert await bot.get_updates(offset=-1) == rest  # a negative offset keeps the last ones
    await bot.get_updates(offset=rest[-1].update_id + 1, allowed_updates=["callback_query"])
    await people.send_text(MAI, "bốn")  # a message: not wanted any more, so Telegram drops it
    assert await bot.get_updates(timeout=0) == []


async def test_long_poll_waits_for_the_next_update(bot: Bot, people: SandboxClient) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=600, request_timeout=700))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await people.send_text(MAI, "đến rồi")
    updates = await asyncio.wait_for(waiting, 60)  # on the update: long before the poll's 10 minutes
    assert [u.message.text for u in updates if u.message] == ["đến rồi"]
    started = asyncio.get_running_loop().time()
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1) == []
    assert asyncio.get_running_loop().time() - started >= 0.9


async def test_a_second_poller_ends_the_first_with_409(http: httpx.AsyncClient, people: SandboxClient) -> None:
    first = asyncio.create_task(http.post(f"/bot{TOKEN}/getUpdates", json={"timeout": 5}))
    # The second poller comes once the first is waiting in the sandbox (a fixed pause was not always enough).
    await until(lambda: people.stats(), lambda stats: stats["methods"].get("getUpdates") == 1)
    second = asyncio.create_task(http.post(f"/bot{TOKEN}/getUpdates", json={"timeout": 0}))
    answer = await asyncio.wait_for(first, 2)
    assert answer.status_code == 409 and "terminated by other getUpdates request" in answer.json()["description"]
    assert (await second).json() == {"ok": True, "result": []}


async def test_webhook_delivery_with_secret_survives_a_stopped_receiver(bot: Bot, people: SandboxClient, serve_app: Receiver) -> None:
    received: list[dict] = []
    secrets: list[str | None] = []

    async def receive(request: web.Request) -> web.Response:
        secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        received.append(await request.json())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner, port = await serve_app(app)
    await runner.cleanup()  # the bot is down before the first update arrives

    await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token=SECRET)
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    await people.send_text(MAI, "một")
    await people.send_text(MAI, "hai")
    info = await until(bot.get_webhook_info, lambda info: info.last_error_message is not None)  # the first attempt failed
    assert info.url.endswith("/hook") and info.pending_update_count == 2
    assert info.last_error_message == "Connection refused" and info.last_error_date
    assert (await people.chat(MAI))["messages"]  # the sandbox itself kept serving

    await serve_app(app, port)  # the bot comes back on the same port
    for _ in range(50):
        if len(received) == 2:
            break
        await asyncio.sleep(0.1)
    assert [u["message"]["text"] for u in received] == ["một", "hai"]
    assert secrets == [SECRET, SECRET]
    assert (await bot.get_webhook_info()).pending_update_count == 0
    stats = await people.stats()
    assert stats["events"]["webhook_deliveries"] == 2 and stats["events"]["webhook_failures"] >= 1


async def test_webhook_answer_can_carry_a_method_and_errors_are_retried(bot: Bot, people: SandboxClient, serve_app: Receiver) -> None:
    attempts = 0

    async def receive(request: web.Request) -> web.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            return web.Response(status=500)
        update = await request.json()
        return web.json_response({"method": "sendMessage", "chat_id": update["message"]["chat"]["id"], "text": "đã nhận"})

    app = web.Application()
    app.router.add_post("/hook", receive)
    _, port = await serve_app(app)
    await bot.set_webhook(f"http://127.0.0.1:{port}/hook", drop_pending_updates=True)
    await people.send_text(MAI, "xin chào")
    reply = await people.wait_for_message(MAI, lambda m: m.text == "đã nhận", timeout=5)
    assert reply.from_bot and attempts == 2
    assert (await bot.get_webhook_info()).last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert await bot.delete_webhook()
    await people.send_text(MAI, "sau khi xoá webhook")
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["sau khi xoá webhook"]


async def test_set_webhook_validates_like_telegram(bot: Bot) -> None:
    from aiogram.exceptions import TelegramBadRequest

    with pytest.raises(TelegramBadRequest, match="HTTPS URL must be provided"):
        await bot.set_webhook("ftp://example.org/hook")
    with pytest.raises(TelegramBadRequest, match="secret token contains unallowed characters"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="có dấu")
