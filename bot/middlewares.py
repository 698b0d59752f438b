"""Per-update plumbing: one database session, who is asking, redelivery protection, and one
update at a time per person.

The session commits here, at the edge, after the handler returns; handlers and core never commit.

Nothing leaves the process while the update's transaction is open: before the handler's first
Bot API call (or Zalo send) the session commits what the handler changed so far (`commit_before_sending`,
called by `CommitBeforeSending` on every bot this middleware serves). A reply therefore never goes
out for a change that is not yet committed, and a slow network call (Telegram, the sandbox under a
hall of trainees, a flood-limit pause) holds neither SQLite's one write lock nor a pooled
connection. The update counts as handled from that first commit: a redelivery after the person has
been answered changes nothing and answers nothing twice.

A person's updates are handled in the order they arrived, each after the previous one committed
(aiogram runs polled updates as concurrent tasks). Otherwise the answer to a quiz poll, sent the
moment the poll appears, is looked up before the handler that sent the poll has committed the
poll's record, and is lost; a double tap races the same way. Within one process the order is
first come, first served (`PersonQueue`). Several webhook processes behind one address may each
receive one of a person's updates; with Redis configured they also take turns through Redis
(`RedisTurns`), so one of them waits for the other to commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.types import Chat, TelegramObject, Update, User
from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.patience import answering_a_person
from core import metrics
from core.db import utcnow
from core.orgs.models import ProcessedUpdate
from core.orgs.actor_cache import DIRECTORY_VERSION, ActorCache

log = logging.getLogger(__name__)
PLATFORM = "telegram"  # a bot without a `platform` attribute is aiogram's Telegram bot

# The database session of the update being handled. A channel adapter that must remember what a
# handler sent (Zalo's screen memory) writes in this transaction: a second connection writing while
# this one holds SQLite's write lock would wait for it forever.
handler_session: ContextVar[AsyncSession | None] = ContextVar("handler_session", default=None)


@dataclass
class _OpenUpdate:
    """The update being handled: its session, the task handling it, and (SQLite) whether the update is
    recorded as handled yet (PostgreSQL claims it with its first statement)."""

    session: AsyncSession
    task: asyncio.Task[Any] | None
    bot_id: int
    update_id: int
    recorded: bool


_open_update: ContextVar[_OpenUpdate | None] = ContextVar("sotay_open_update", default=None)


async def commit_before_sending() -> None:
    """Commit the handling update's transaction before something leaves the process (a Bot API call,
    a Zalo send): what the reply tells is then true in the database, and the wait for the network holds
    no lock and no connection. Does nothing outside a handler, in a task the handler spawned (only the
    handler's own task may use its session), or when nothing is open.

    A handler that has only read so far just hands its connection back: recording the update as
    handled is a write, and on SQLite it would put every reply (a menu, a question) behind the queue
    of writers; it is recorded at the end, as before."""
    update = _open_update.get()
    if update is None or asyncio.current_task() is not update.task:
        return
    session = update.session
    if not session.in_transaction():
        return
    if not update.recorded and await _has_written(session):
        await _record(session, update)
    await session.commit()  # also hands the connection back to the pool until the next statement


async def _record(session: AsyncSession, update: _OpenUpdate) -> None:
    """SQLite: the update is handled (a plain INSERT: the unit of work's flush cost more than the row)."""
    await session.execute(_RECORD, {"bot_id": update.bot_id, "update_id": update.update_id, "processed_at": utcnow()})
    update.recorded = True


async def _has_written(session: AsyncSession) -> bool:
    if session.new or session.dirty or session.deleted:
        return True
    raw = await (await session.connection()).get_raw_connection()
    sqlite = getattr(raw.driver_connection, "_conn", None)  # aiosqlite's sqlite3 connection
    return sqlite is None or bool(sqlite.in_transaction)  # pysqlite opens a transaction at the first write only


class CommitBeforeSending(BaseRequestMiddleware):
    """Every call of a bot served by `DatabaseMiddleware` first commits the handler's transaction."""

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        await commit_before_sending()
        return await make_request(bot, method)


def _commit_before_sending_on(bot: Bot) -> None:
    """Once per bot session (`bot.dispatcher.create_bot` installs it outermost already; a bot built
    elsewhere, a test's or Zalo's, gets it here on its first update)."""
    chain = bot.session.middleware
    if not any(isinstance(middleware, CommitBeforeSending) for middleware in chain):
        chain.register(CommitBeforeSending())


class PersonQueue:
    """One update at a time per person, first come first served (asyncio.Lock wakes waiters in
    order). A lock lives only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, person_id: Hashable) -> AsyncIterator[None]:
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


class RedisTurns:
    """One update at a time per person across processes: a lease in Redis per (bot, person).

    Waiting is bounded: a lease lost with its process ends by itself after LEASE seconds, and an
    update that has waited WAIT seconds, or cannot reach Redis at all, is handled anyway. An update
    is never dropped for the sake of order.
    """

    LEASE = 60.0  # longer than any handler takes; frees a person whose process died mid-update
    WAIT = 20.0
    POLL = 0.02

    def __init__(self, redis: Any, *, prefix: str = "sotay:turn", lease: float = LEASE, wait: float = WAIT) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lease = lease
        self.wait = wait

    @classmethod
    def from_url(cls, url: str) -> RedisTurns:
        from core.redis_clients import connect

        return cls(connect(url))

    @asynccontextmanager
    async def turn(self, bot_id: int, person_id: int) -> AsyncIterator[None]:
        lock = self.redis.lock(
            f"{self.prefix}:{bot_id}:{person_id}", timeout=self.lease, sleep=self.POLL, blocking_timeout=self.wait, thread_local=False,
        )
        try:
            held = await lock.acquire()
        except Exception:  # Redis away: handle the update anyway, in this process's order
            log.warning("person lock unavailable (Redis); handling the update without it", exc_info=True)
            held = False
        else:
            if not held:
                log.warning("waited %.0f s for another process to finish a person's update; handling it anyway", self.wait)
        try:
            yield
        finally:
            if held:
                try:
                    await lock.release()
                except Exception:  # the lease ran out (a very slow handler) or Redis went away
                    log.warning("person lock could not be released; its lease will end by itself", exc_info=True)

    async def close(self) -> None:
        await self.redis.aclose()


# Built once: run for every update. PostgreSQL claims the update, SQLite looks for it; both read the
# directory's version in the same statement (who is asking comes from memory while it is unchanged:
# core.orgs.actor_cache).
_CLAIM_CTE = (
    pg_insert(ProcessedUpdate)
    .values(bot_id=bindparam("bot_id"), update_id=bindparam("update_id"), processed_at=bindparam("processed_at"))
    .on_conflict_do_nothing()
    .returning(ProcessedUpdate.update_id)
    .cte("claim")
)
_CLAIM = select(select(_CLAIM_CTE.c.update_id).scalar_subquery(), DIRECTORY_VERSION)
_RECORD = insert(ProcessedUpdate).values(bot_id=bindparam("bot_id"), update_id=bindparam("update_id"),
                                         processed_at=bindparam("processed_at"))
_HANDLED = select(
    select(ProcessedUpdate.update_id).where(ProcessedUpdate.bot_id == bindparam("bot_id"), ProcessedUpdate.update_id == bindparam("update_id"))
    .scalar_subquery(),
    DIRECTORY_VERSION,
)


class DatabaseMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], *, shared_turns: RedisTurns | None = None) -> None:
        self.session_factory = session_factory
        self.queue = PersonQueue()
        self.shared_turns = shared_turns
        self.actors = ActorCache()

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
                if self.shared_turns is None:
                    return await self._handle(handler, event, data)
                async with self.shared_turns.turn(data["bot"].id, user.id):
                    return await self._handle(handler, event, data)

    async def _handle(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: Update,
        data: dict[str, Any],
    ) -> Any:
        bot = data["bot"]
        bot_id = bot.id
        _commit_before_sending_on(bot)
        platform = getattr(bot, "platform", PLATFORM)
        async with self.session_factory() as session:
            claimed_first = session.bind.dialect.name == "postgresql"
            if claimed_first:
                # One round trip: the update is claimed before it is handled. A redelivery finds the row
                # (or waits for the first handler's commit, then finds it) and changes nothing.
                claimed, version = (await session.execute(_CLAIM, {"bot_id": bot_id, "update_id": event.update_id,
                                                                    "processed_at": utcnow()})).one()
                already = claimed is None
            else:
                # SQLite: a write here would hold the database's one write lock for the whole update.
                handled, version = (await session.execute(_HANDLED, {"bot_id": bot_id, "update_id": event.update_id})).one()
                already = handled is not None
            if already:
                log.info("update %s already handled; ignoring redelivery", event.update_id)
                await session.rollback()
                return None
            data["session"] = session
            data["member"] = None
            data["actor"] = None
            data["platform"] = platform
            data["platform_user_id"] = data["platform_chat_id"] = None
            # Zalo's ids are strings: its bot maps the int ids aiogram sees back to the platform's.
            to_platform_id = getattr(bot, "platform_user_id", None)
            chat: Chat | None = data.get("event_chat")
            if chat is not None:
                data["platform_chat_id"] = await to_platform_id(chat.id) if to_platform_id is not None else str(chat.id)
            user: User | None = data.get("event_from_user")
            if user is not None:
                platform_user_id = await to_platform_id(user.id) if to_platform_id is not None else str(user.id)
                data["platform_user_id"] = platform_user_id
                actor = await self.actors.actor(session, platform=platform, platform_user_id=platform_user_id, version=version)
                if actor is not None:
                    data["member"] = actor.member
                    data["actor"] = actor
            update = _OpenUpdate(session=session, task=asyncio.current_task(), bot_id=bot_id, update_id=event.update_id,
                                 recorded=claimed_first)
            token = handler_session.set(session)
            opened = _open_update.set(update)
            try:
                result = await handler(event, data)
                if not update.recorded:
                    await _record(session, update)
                await session.commit()
            except IntegrityError:
                # The same update handled concurrently by another worker won the race; ours rolls back.
                await session.rollback()
                log.info("update %s was handled concurrently; rolled back", event.update_id)
                return None
            except BaseException:
                await session.rollback()
                raise
            finally:
                _open_update.reset(opened)
                handler_session.reset(token)
            metrics.UPDATES_HANDLED.labels(kind=event.event_type).inc()
            return result
