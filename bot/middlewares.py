"""Per-update plumbing: one database session, who is asking, redelivery protection, and one
update at a time per person.

The session commits here, at the edge, after the handler returns; handlers and core never commit.

A person's updates are handled in the order they arrived, each after the previous one committed
(aiogram runs polled updates as concurrent tasks). Otherwise the answer to a quiz poll, sent the
moment the poll appears, is looked up before the handler that sent the poll has committed the
poll's record, and is lost; a double tap races the same way. The order holds within one process:
the one poller, or each webhook worker for the updates it receives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.patience import answering_a_person
from core import metrics
from core.orgs.models import ProcessedUpdate
from core.orgs.service import load_actor, member_by_platform_user

log = logging.getLogger(__name__)
PLATFORM = "telegram"


class PersonQueue:
    """One update at a time per person, first come first served (asyncio.Lock wakes waiters in
    order). A lock lives only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, person_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(person_id, (asyncio.Lock(), 0))
        self._locks[person_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[person_id]
            if users == 1:
                del self._locks[person_id]
            else:
                self._locks[person_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class DatabaseMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        self.queue = PersonQueue()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        with answering_a_person():  # this task is answering a person (see bot/patience.py)
            if user is None:
                return await self._handle(handler, event, data)
            async with self.queue.turn(user.id):
                return await self._handle(handler, event, data)

    async def _handle(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: Update,
        data: dict[str, Any],
    ) -> Any:
        bot_id = data["bot"].id
        async with self.session_factory() as session:
            already = await session.scalar(
                select(ProcessedUpdate.update_id).where(ProcessedUpdate.bot_id == bot_id, ProcessedUpdate.update_id == event.update_id)
            )
            if already is not None:
                log.info("update %s already handled; ignoring redelivery", event.update_id)
                return None
            data["session"] = session
            data["member"] = None
            data["actor"] = None
            user: User | None = data.get("event_from_user")
            if user is not None:
                member = await member_by_platform_user(session, platform=PLATFORM, platform_user_id=str(user.id))
                if member is not None:
                    data["member"] = member
                    data["actor"] = await load_actor(session, member)
            try:
                result = await handler(event, data)
                session.add(ProcessedUpdate(bot_id=bot_id, update_id=event.update_id))
                await session.commit()
            except IntegrityError:
                # The same update handled concurrently by another worker won the race; ours rolls back.
                await session.rollback()
                log.info("update %s was handled concurrently; rolled back", event.update_id)
                return None
            except BaseException:
                await session.rollback()
                raise
            metrics.UPDATES_HANDLED.labels(kind=event.event_type).inc()
            return result
