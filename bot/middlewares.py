"""Per-update plumbing: one database session, who is asking, redelivery protection.

The session commits here, at the edge, after the handler returns; handlers and core never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
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


class DatabaseMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        with answering_a_person():  # this task is answering a person (see bot/patience.py)
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
