"""Refusals reach the person: the error handler's reply waits out a short flood limit, and a
refusal for a button whose query was already answered (or expired) is said in the chat instead.

Found end to end (tests/e2e/test_study_e2e.py): a committee member typing quiz questions in quick
succession typed one wrong; the refusal hit Telegram's per-chat limit and, sent from the error
handler outside the update middleware, was dropped ("could not send apology"): the person saw
nothing. And a member pressing «📝 Làm bài kiểm tra» again after finishing saw nothing either: the
handler had answered the query before the refusal, so the alert was refused by Telegram.
Here against the sandbox.
"""

from __future__ import annotations

import datetime as dt

from aiogram import Dispatcher, F, Router
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bot.dispatcher import create_bot
from bot.middlewares import DatabaseMiddleware
from bot.routers import fallback
from core.errors import InvalidInput

TOKEN = "7000000002:patience_sandbox_token_abcdefghij"
PERSON = 4242
REFUSAL = "Mỗi câu hỏi cần từ 2 đến 10 phương án."
ANSWER = "Đã nhận."


def _dispatcher(session_factory) -> Dispatcher:  # type: ignore[no-untyped-def]
    router = Router()

    @router.message(F.text == "sai")
    async def refuse(message: Message) -> None:
        raise InvalidInput(REFUSAL)

    @router.message(F.text == "đúng")
    async def accept(message: Message) -> None:
        await message.answer(ANSWER)

    @router.callback_query(F.data == "quiz")
    async def answered_then_refused(query: CallbackQuery) -> None:
        await query.answer()
        raise InvalidInput(REFUSAL)

    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(DatabaseMiddleware(session_factory))
    dispatcher.include_routers(router, fallback.build())
    return dispatcher


def _update(update_id: int, text: str) -> Update:
    person = User(id=PERSON, is_bot=False, first_name="Mai")
    return Update(update_id=update_id, message=Message(
        message_id=update_id % 1000, date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=PERSON, type="private"), from_user=person, text=text,
    ))


async def test_a_refusal_waits_out_a_short_flood_limit(session_factory) -> None:  # type: ignore[no-untyped-def]
    from sandbox.client import SandboxClient
    from sandbox.server import SandboxServer

    async with SandboxServer(port=0, bots={TOKEN: "patience_bot"}) as server:
        people = SandboxClient(server.base_url, TOKEN)
        bot = create_bot(TOKEN, server.base_url)
        try:
            await people.create_user("Mai", user_id=PERSON)
            dispatcher = _dispatcher(session_factory)
            for update_id, text, reply in ((900001, "sai", REFUSAL), (900002, "đúng", ANSWER)):  # the error handler, then a handler
                await people.inject_fault("sendMessage", 429, count=1, retry_after=1)
                await dispatcher.feed_update(bot, _update(update_id, text))
                assert [m.text for m in await people.bot_messages(PERSON)][-1] == reply
            stats = await people.stats()
            assert stats["http_429"] == 2
        finally:
            await bot.session.close()
            await people.aclose()


async def test_a_refusal_after_the_query_was_answered_goes_to_the_chat(session_factory) -> None:  # type: ignore[no-untyped-def]
    from sandbox.client import SandboxClient
    from sandbox.server import SandboxServer

    async with SandboxServer(port=0, bots={TOKEN: "patience_bot"}) as server:
        people = SandboxClient(server.base_url, TOKEN)
        bot = create_bot(TOKEN, server.base_url)
        try:
            await people.create_user("Mai", user_id=PERSON)
            dispatcher = _dispatcher(session_factory)
            await dispatcher.feed_update(bot, _update(900001, "đúng"))  # ids apart from the sandbox's own
            shown = (await people.bot_messages(PERSON))[-1]
            await bot.edit_message_reply_markup(chat_id=PERSON, message_id=shown.message_id, reply_markup={
                "inline_keyboard": [[{"text": "📝 Làm bài kiểm tra", "callback_data": "quiz"}]]})
            await people.press(PERSON, shown.message_id, "quiz", wait=0)
            pressed = [u for u in await bot.get_updates(timeout=0) if u.callback_query is not None]
            await dispatcher.feed_update(bot, pressed[0])
            refusal = (await people.bot_messages(PERSON))[-1]
            assert refusal.text == REFUSAL and refusal.message_id > shown.message_id
            assert [a.get("text") for a in (await people.bot_messages(PERSON))[-2].callback_answers] in ([None], [""])
        finally:
            await bot.session.close()
            await people.aclose()
