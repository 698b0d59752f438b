"""The bot commits, then answers (as the API does, tests/integration/test_api_commit_before_answer.py):
when a reply leaves, what it tells is already in the database, the update is recorded as handled,
and no transaction is open while the network call runs (on SQLite it would hold the one write lock
for every other person's update)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import Chat, Message, Update, User
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares import DatabaseMiddleware
from core.conversation.models import ChannelPeer
from core.orgs.models import ProcessedUpdate

TOKEN = "7000000004:commit_before_answer_abcdefghijklm"
BOT = User(id=7000000004, is_bot=True, first_name="Sổ tay")


class LookingSession(BaseSession):
    """Telegram's side: at each call, looks at the database through a connection of its own."""

    def __init__(self, look: Any) -> None:
        super().__init__()
        self.look = look
        self.seen: list[Any] = []
        self.ids = itertools.count(100)

    async def close(self) -> None:
        return None

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.seen.append(await self.look())
        return Message(message_id=next(self.ids), date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=55, type="private"),
                       from_user=BOT, text="ok")

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - no files here
        raise NotImplementedError
        yield b""


def _update(update_id: int, text: str) -> Update:
    return Update(update_id=update_id, message=Message(
        message_id=update_id, date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=55, type="private"),
        from_user=User(id=55, is_bot=False, first_name="Mai"), text=text,
    ))


def _dispatcher(session_factory: async_sessionmaker[AsyncSession], handled: list[str]) -> Dispatcher:
    router = Router()

    @router.message(F.text)
    async def remember_then_answer(message: Message, session: AsyncSession) -> None:
        handled.append(message.text or "")
        session.add(ChannelPeer(platform="zalo", platform_user_id=f"peer-{message.text}", display_name="before"))
        await session.flush()
        await message.answer("Đã ghi nhận")
        # Written after the reply: committed by the middleware at the end, as before.
        await session.execute(update(ChannelPeer).where(ChannelPeer.platform_user_id == f"peer-{message.text}").values(display_name="after"))

    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(DatabaseMiddleware(session_factory))
    dispatcher.include_router(router)
    return dispatcher


async def test_the_reply_leaves_after_the_change_and_the_update_are_committed(session_factory) -> None:  # type: ignore[no-untyped-def]
    async def look() -> tuple[str | None, bool]:
        async with session_factory() as fresh:
            name = await fresh.scalar(select(ChannelPeer.display_name).where(ChannelPeer.platform_user_id == "peer-one"))
            recorded = await fresh.scalar(select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == 1)) is not None
            return name, recorded

    handled: list[str] = []
    session = LookingSession(look)
    bot = Bot(TOKEN, session=session)
    dispatcher = _dispatcher(session_factory, handled)
    await dispatcher.feed_update(bot, _update(1, "one"))
    assert session.seen == [("before", True)]  # committed before the reply; the update counts as handled
    async with session_factory() as fresh:  # what the handler wrote after replying is committed too
        assert await fresh.scalar(select(ChannelPeer.display_name).where(ChannelPeer.platform_user_id == "peer-one")) == "after"
    # A redelivery of an update already answered changes nothing and answers nothing.
    await dispatcher.feed_update(bot, _update(1, "one"))
    assert handled == ["one"] and len(session.seen) == 1


async def test_another_persons_write_goes_through_while_a_reply_is_on_its_way(session_factory) -> None:  # type: ignore[no-untyped-def]
    """While the bot waits for Telegram, someone else's update can write (on SQLite: the write lock is free)."""

    async def write_elsewhere() -> str:
        async with session_factory() as other:
            other.add(ChannelPeer(platform="zalo", platform_user_id="someone-else", display_name="x"))
            await other.commit()  # before the fix: waited for this very reply, then "database is locked"
        return "written"

    handled: list[str] = []
    session = LookingSession(write_elsewhere)
    bot = Bot(TOKEN, session=session)
    await _dispatcher(session_factory, handled).feed_update(bot, _update(2, "two"))
    assert session.seen == ["written"]
    async with session_factory() as fresh:
        names = set((await fresh.execute(select(ChannelPeer.platform_user_id))).scalars())
    assert names == {"peer-two", "someone-else"}
