"""A person's updates are handled one at a time, in arrival order, each after the previous committed.

Found end to end (tests/e2e/test_study_e2e.py): a member answered the first quiz poll the moment the
polls appeared; aiogram handled that `poll_answer` concurrently with the button press that sent the
polls, before it had committed their records, so the answer was not counted and the member never
got a score. Different people are still handled side by side.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Chat, Message, Update, User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares import DatabaseMiddleware
from core.orgs.models import ProcessedUpdate

TOKEN = "7000000003:update_order_token_abcdefghijklmno"


def _update(update_id: int, person: int, text: str) -> Update:
    user = User(id=person, is_bot=False, first_name="Mai")
    return Update(update_id=update_id, message=Message(
        message_id=update_id, date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=person, type="private"), from_user=user, text=text,
    ))


async def test_one_update_at_a_time_per_person(session_factory) -> None:  # type: ignore[no-untyped-def]
    events: list[str] = []
    router = Router()

    @router.message(F.text == "slow")
    async def slow(message: Message, session: AsyncSession) -> None:
        events.append(f"{message.chat.id}:slow:start")
        await asyncio.sleep(0.3)
        events.append(f"{message.chat.id}:slow:end")

    @router.message(F.text == "next")
    async def after(message: Message, session: AsyncSession) -> None:
        # The slow update's row is committed by the time this one runs.
        handled = set((await session.execute(select(ProcessedUpdate.update_id))).scalars())
        events.append(f"{message.chat.id}:next:{'after-commit' if 1 in handled else 'too-early'}")

    middleware = DatabaseMiddleware(session_factory)
    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(middleware)
    dispatcher.include_router(router)
    bot = Bot(TOKEN)
    try:
        await asyncio.gather(
            dispatcher.feed_update(bot, _update(1, 11, "slow")),
            dispatcher.feed_update(bot, _update(2, 11, "next")),
            dispatcher.feed_update(bot, _update(3, 22, "next")),
        )
    finally:
        await bot.session.close()
    # Person 11's second update waited for the first to commit; person 22 did not wait for person 11.
    assert events.index("11:slow:end") < events.index("11:next:after-commit")
    assert events.index("22:next:too-early") < events.index("11:slow:end")
    assert len(middleware.queue) == 0  # no lock kept once nobody waits
