"""A person's updates are handled one at a time, in arrival order, each after the previous committed.

Found end to end (tests/e2e/test_study_e2e.py): a member answered the first quiz poll the moment the
polls appeared; aiogram handled that `poll_answer` concurrently with the button press that sent the
polls, before it had committed their records, so the answer was not counted and the member never
got a score. Different people are still handled side by side.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Chat, Message, Update, User
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares import DatabaseMiddleware, RedisTurns
from core.orgs.models import ProcessedUpdate

TOKEN = "7000000003:update_order_token_abcdefghijklmno"


def _update(update_id: int, person: int, text: str) -> Update:
    user = User(id=person, is_bot=False, first_name="Mai")
    return Update(update_id=update_id, message=Message(
        message_id=update_id, date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=person, type="private"), from_user=user, text=text,
    ))


async def test_one_update_at_a_time_per_person(session_factory) -> None:  # type: ignore[no-untyped-def]
    events: list[str] = []
    router = _order_router(events, lambda events: "22:next:too-early" in events)  # «slow» lasts until person 22 was handled

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


def _two_processes(session_factory, turns_of, router_factory):  # type: ignore[no-untyped-def]
    """Two dispatchers with middlewares of their own, as two webhook processes would have."""
    dispatchers = []
    for turns in turns_of:
        dispatcher = Dispatcher()
        dispatcher.update.outer_middleware(DatabaseMiddleware(session_factory, shared_turns=turns))
        dispatcher.include_router(router_factory())
        dispatchers.append(dispatcher)
    return dispatchers


def _order_router(events: list[str], slow_until: Callable[[list[str]], bool] = lambda events: True) -> Router:
    """«slow» stays busy until `slow_until(events)` holds (what the test needs to have happened
    meanwhile; a fixed pause was not always long enough on a busy machine). If it never holds, it
    ends after 10 s and the order of the events says what went wrong."""
    router = Router()

    @router.message(F.text == "slow")
    async def slow(message: Message, session: AsyncSession) -> None:
        events.append(f"{message.chat.id}:slow:start")
        deadline = asyncio.get_running_loop().time() + 10
        while not slow_until(events) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        events.append(f"{message.chat.id}:slow:end")

    @router.message(F.text == "next")
    async def after(message: Message, session: AsyncSession) -> None:
        handled = set((await session.execute(select(ProcessedUpdate.update_id))).scalars())
        events.append(f"{message.chat.id}:next:{'after-commit' if 1 in handled else 'too-early'}")

    return router


@pytest.fixture
async def redis_turns(redis_url):  # type: ignore[no-untyped-def]
    made: list[RedisTurns] = []
    prefix = f"test-turn-{uuid.uuid4().hex[:8]}"

    def make(**options: float) -> RedisTurns:
        turns = RedisTurns(Redis.from_url(redis_url), prefix=prefix, **options)
        made.append(turns)
        return turns

    yield make
    for turns in made:
        await turns.close()


async def _feed_slow_then_next(dispatchers, events: list[str], person: int = 11, other: int = 22) -> None:  # type: ignore[no-untyped-def]
    bot = Bot(TOKEN)
    try:
        first = asyncio.create_task(dispatchers[0].feed_update(bot, _update(1, person, "slow")))
        deadline = asyncio.get_running_loop().time() + 10
        while f"{person}:slow:start" not in events and not first.done():  # the first process has begun the slow update
            assert asyncio.get_running_loop().time() < deadline, events
            await asyncio.sleep(0.01)
        await asyncio.gather(
            first,
            dispatchers[1].feed_update(bot, _update(2, person, "next")),
            dispatchers[1].feed_update(bot, _update(3, other, "next")),
        )
    finally:
        await bot.session.close()


@pytest.mark.redis
async def test_a_persons_updates_take_turns_across_processes(session_factory, redis_turns) -> None:  # type: ignore[no-untyped-def]
    events: list[str] = []
    # «slow» lasts until person 22 has been handled meanwhile.
    dispatchers = _two_processes(session_factory, [redis_turns(), redis_turns()],
                                 lambda: _order_router(events, lambda events: "22:next:too-early" in events))
    await _feed_slow_then_next(dispatchers, events)
    # The second process waited for the first to commit person 11's slow update; person 22 did not wait.
    assert events.index("11:slow:end") < events.index("11:next:after-commit")
    assert events.index("22:next:too-early") < events.index("11:slow:end")


async def test_without_shared_turns_two_processes_race(session_factory) -> None:  # type: ignore[no-untyped-def]
    """What the Redis turns prevent: without them the second process runs before the first commits."""
    events: list[str] = []
    # «slow» lasts until person 11's next update has been handled (by the other process, meanwhile).
    dispatchers = _two_processes(session_factory, [None, None],
                                 lambda: _order_router(events, lambda events: any(e.startswith("11:next:") for e in events)))
    await _feed_slow_then_next(dispatchers, events)
    assert "11:next:too-early" in events


@pytest.mark.redis
async def test_a_lease_left_by_a_dead_process_ends_by_itself(session_factory, redis_turns) -> None:  # type: ignore[no-untyped-def]
    dead = redis_turns(lease=0.5)
    lock = dead.redis.lock(f"{dead.prefix}:{TOKEN.split(':')[0]}:11", timeout=0.5)  # bot id: the token's first part
    assert await lock.acquire()  # held by a process that then died: never released
    events: list[str] = []
    (dispatcher,) = _two_processes(session_factory, [redis_turns()], lambda: _order_router(events))
    bot = Bot(TOKEN)
    try:
        started = asyncio.get_running_loop().time()
        await dispatcher.feed_update(bot, _update(5, 11, "next"))
        waited = asyncio.get_running_loop().time() - started
    finally:
        await bot.session.close()
    assert events == ["11:next:too-early"]  # handled, once the dead lease ended
    assert waited >= 0.3  # it waited for the dead lease (0.5 s) to end; no upper bound: a busy machine is slower


async def test_without_redis_the_update_is_still_handled(session_factory) -> None:  # type: ignore[no-untyped-def]
    events: list[str] = []
    unreachable = RedisTurns(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    (dispatcher,) = _two_processes(session_factory, [unreachable], lambda: _order_router(events))
    bot = Bot(TOKEN)
    try:
        await dispatcher.feed_update(bot, _update(6, 11, "next"))
    finally:
        await bot.session.close()
        await unreachable.close()
    assert events == ["11:next:too-early"]
