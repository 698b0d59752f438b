"""Every Redis client has connect and read timeouts (#18): a Redis that accepts connections and then
says nothing (a paused container, a half-open connection) fails each call in seconds, and each
caller's "Redis unavailable" path takes over, instead of a worker or an update waiting forever."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from redis.exceptions import TimeoutError as RedisTimeout

from api.ratelimit import FixedWindowLimiter
from bot.dispatcher import create_storage
from bot.middlewares import RedisTurns
from core import redis_clients
from core.delivery.budget import BudgetConfig, RedisTokenBucket

GUARD = 60  # a hang fails the test instead of stalling the run; never a measure of speed


@pytest.fixture
async def silent_redis(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """redis://127.0.0.1:<port>: accepts, reads every command, never answers."""
    monkeypatch.setattr(redis_clients, "READ_TIMEOUT", 0.3)
    monkeypatch.setattr(redis_clients, "CONNECT_TIMEOUT", 0.3)
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0"
    for writer in held:
        writer.close()
    server.close()


def _pool_options(client) -> dict:  # type: ignore[no-untyped-def]
    return client.connection_pool.connection_kwargs


def test_every_client_is_built_with_timeouts() -> None:
    url = "redis://127.0.0.1:6399/0"  # nothing is contacted here
    clients = [
        RedisTokenBucket.from_url(url, BudgetConfig(), bot_key="1").redis,
        RedisTurns.from_url(url).redis,
        create_storage(url).redis,  # type: ignore[attr-defined]
    ]
    for client in clients:
        options = _pool_options(client)
        assert options["socket_timeout"] == redis_clients.READ_TIMEOUT
        assert options["socket_connect_timeout"] == redis_clients.CONNECT_TIMEOUT
    assert redis_clients.redis_options(read_timeout=1)["socket_timeout"] == 1


async def test_the_rate_budget_fails_instead_of_hanging(silent_redis: str) -> None:
    bucket = RedisTokenBucket.from_url(silent_redis, BudgetConfig(), bot_key="1")
    try:
        with pytest.raises(RedisTimeout):  # the worker's "budget unreachable" path hands rows back
            await asyncio.wait_for(bucket.try_acquire("42"), GUARD)
    finally:
        await bucket.close()


async def test_person_turns_go_on_without_redis(silent_redis: str) -> None:
    turns = RedisTurns.from_url(silent_redis)
    handled = []
    try:
        async def one_update() -> None:
            async with turns.turn(1, 42):
                handled.append(True)

        await asyncio.wait_for(one_update(), GUARD)
    finally:
        await turns.close()
    assert handled == [True]


async def test_fsm_storage_fails_the_update_instead_of_hanging(silent_redis: str) -> None:
    from aiogram.fsm.storage.base import StorageKey

    storage = create_storage(silent_redis)
    try:
        with pytest.raises(RedisTimeout):
            await asyncio.wait_for(storage.get_state(StorageKey(bot_id=1, chat_id=42, user_id=42)), GUARD)
    finally:
        await storage.close()


async def test_the_api_rate_limit_counts_in_memory_meanwhile(silent_redis: str) -> None:
    limiter = FixedWindowLimiter(limit=2, redis_url=silent_redis)
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)
    try:
        decisions = [await asyncio.wait_for(limiter.hit("member:1", now=now), GUARD) for _ in range(3)]
    finally:
        await limiter.close()
    assert [d.allowed for d in decisions] == [True, True, False]
