"""Token buckets: the bot's pace, each chat's pace, and the 429 pause — in-process and in Redis."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from core.delivery.budget import BudgetConfig, LocalTokenBucket, RedisTokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_local_bucket_paces_the_bot() -> None:
    time_ = FakeTime()
    budget = LocalTokenBucket(BudgetConfig(rate=30, burst=1, chat_rate=1000, chat_burst=1000), now=time_)
    assert (await budget.try_acquire("1")).granted
    refused = await budget.try_acquire("2")
    assert not refused.granted and refused.limit == "bot" and refused.retry_in == pytest.approx(1 / 30)
    granted, start = 0, time_.now
    while time_.now - start < 10:  # ten simulated seconds, each refusal waited out exactly
        verdict = await budget.try_acquire(str(granted))
        granted += verdict.granted
        time_.now += verdict.retry_in
    assert granted == pytest.approx(300, abs=1)


async def test_local_bucket_paces_each_chat_with_a_small_burst() -> None:
    time_ = FakeTime()
    budget = LocalTokenBucket(BudgetConfig(rate=1000, burst=1000, chat_rate=1, chat_burst=3), now=time_)
    assert [(await budget.try_acquire("7")).granted for _ in range(4)] == [True, True, True, False]
    refused = await budget.try_acquire("7")
    assert refused.chat_limited and refused.retry_in == pytest.approx(1.0)
    assert (await budget.try_acquire("8")).granted  # another chat is not held up
    time_.now += 1.0
    assert (await budget.try_acquire("7")).granted


async def test_a_chat_refusal_does_not_spend_the_bots_token() -> None:
    time_ = FakeTime()
    budget = LocalTokenBucket(BudgetConfig(rate=1, burst=1, chat_rate=0.5, chat_burst=1), now=time_)
    assert (await budget.try_acquire("a")).granted
    time_.now += 1.0
    assert (await budget.try_acquire("a")).limit == "chat"
    assert (await budget.try_acquire("b")).granted


async def test_local_pause_only_lengthens() -> None:
    time_ = FakeTime()
    budget = LocalTokenBucket(BudgetConfig(), now=time_)
    await budget.pause(5)
    await budget.pause(2)
    verdict = await budget.try_acquire("1")
    assert verdict.limit == "paused" and verdict.retry_in == pytest.approx(5)
    time_.now += 5.0
    assert (await budget.try_acquire("1")).granted


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        BudgetConfig(rate=0)
    with pytest.raises(ValueError):
        BudgetConfig(chat_burst=0.5)


@pytest.fixture
async def redis_budget_factory(redis_url):  # type: ignore[no-untyped-def]
    made: list[RedisTokenBucket] = []
    bot_key = f"test-{uuid.uuid4().hex[:8]}"

    def make(config: BudgetConfig) -> RedisTokenBucket:
        budget = RedisTokenBucket.from_url(redis_url, config, bot_key=bot_key)
        made.append(budget)
        return budget

    yield make
    if made:
        keys = [k async for k in made[0].redis.scan_iter(match=f"sotay:budget:{{{bot_key}}}:*")]
        if keys:
            await made[0].redis.delete(*keys)
    for budget in made:
        await budget.close()


@pytest.mark.redis
async def test_redis_bucket_is_one_budget_shared_by_every_client(redis_budget_factory) -> None:
    """Two workers (two clients here; two processes in production: the state lives in Redis) draw
    from one bucket: with a burst of 10 and next to no refill they get 10 grants between them, not 10
    each. The pace over time, with real processes, is measured by bench/budget.py."""
    config = BudgetConfig(rate=0.001, burst=10, chat_rate=1000, chat_burst=1000)
    first, second = redis_budget_factory(config), redis_budget_factory(config)
    verdicts = [await (first if n % 2 else second).try_acquire(str(n)) for n in range(30)]
    assert [v.granted for v in verdicts] == [True] * 10 + [False] * 20
    assert all(v.retry_in > 0 for v in verdicts[10:])


@pytest.mark.redis
async def test_redis_bucket_paces_each_chat(redis_budget_factory) -> None:
    # One message every 10 s: the four asks may take a while on a busy machine (Redis's clock runs on).
    budget = redis_budget_factory(BudgetConfig(rate=1000, burst=1000, chat_rate=0.1, chat_burst=3))
    started = time.monotonic()
    verdicts = [await budget.try_acquire("555") for _ in range(4)]
    elapsed = time.monotonic() - started
    assert [v.granted for v in verdicts] == [True, True, True, False]
    # The next token comes 10 s after the burst began, less what has passed since (however long that was).
    assert verdicts[3].chat_limited and 10 - elapsed - 0.1 <= verdicts[3].retry_in <= 10
    assert (await budget.try_acquire("556")).granted


@pytest.mark.redis
async def test_redis_pause_stops_every_client(redis_budget_factory) -> None:
    config = BudgetConfig(rate=1000, burst=1000)
    first, second = redis_budget_factory(config), redis_budget_factory(config)
    started = time.monotonic()
    await first.pause(1.0)
    await first.pause(0.1)  # a shorter pause never shortens a longer one
    verdict = await second.try_acquire("1")
    elapsed = time.monotonic() - started
    assert verdict.limit == "paused" and 1.0 - elapsed - 0.1 <= verdict.retry_in <= 1.0
    await asyncio.sleep(verdict.retry_in + 0.02)
    assert (await second.try_acquire("1")).granted
