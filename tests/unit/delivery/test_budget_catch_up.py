"""The bot's budget catches up after a hold-up within its window, never passing the rate in any
window; and a paid lane (Telegram's allow_paid_broadcast) beside the free one."""

from __future__ import annotations

import uuid

import pytest

from core.delivery.budget import BudgetConfig, LocalTokenBucket, RedisTokenBucket

TELEGRAM = BudgetConfig(rate=30, burst=3, chat_rate=1000, chat_burst=1000, window=1.0)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def drain(budget: LocalTokenBucket, time_: FakeTime, seconds: float, *, paid: bool = False, step: float = 0.001) -> list[float]:
    """Ask as often as `step` allows for `seconds`; the times of the grants."""
    granted: list[float] = []
    end = time_.now + seconds
    n = 0
    while time_.now < end:
        n += 1
        if (await budget.try_acquire(f"c{n}", paid=paid)).granted:
            granted.append(time_.now)
        else:
            time_.now += step
    return granted


def most_in_any_window(times: list[float], window: float = 1.0) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_a_held_up_sender_catches_up_within_the_window_but_never_passes_the_rate() -> None:
    time_ = FakeTime()
    budget = LocalTokenBucket(TELEGRAM, now=time_)
    before = await drain(budget, time_, 2.0)
    time_.now += 0.5  # the process got no CPU for half a second, rows waiting
    after = await drain(budget, time_, 2.5)
    times = before + after
    # Without catch-up the half second is lost for good (~135 in 5 s); with it ~150, the full rate.
    assert len(times) >= 148
    assert most_in_any_window(times) <= 30


async def test_after_idleness_nothing_is_owed() -> None:
    time_ = FakeTime()
    budget = LocalTokenBucket(TELEGRAM, now=time_)
    await drain(budget, time_, 1.0)
    time_.now += 60  # nothing to send for a minute
    first_tenth = await drain(budget, time_, 0.1)
    assert len(first_tenth) <= 6  # the bucket's own 3 and the pace (3 in 0.1 s): no burst of "saved" tokens


async def test_a_429_pause_drops_the_catch_up() -> None:
    time_ = FakeTime()
    budget = LocalTokenBucket(TELEGRAM, now=time_)
    await drain(budget, time_, 1.0)
    time_.now += 0.5
    await budget.pause(0.2)
    time_.now += 0.2
    assert len(await drain(budget, time_, 0.1)) <= 6  # without the pause's reset: 20 at once (the half second owed)


async def test_the_paid_lane_has_its_own_rate_and_the_free_lane_keeps_its_own() -> None:
    time_ = FakeTime()
    config = BudgetConfig(rate=30, burst=3, chat_rate=1000, chat_burst=1000, window=1.0, paid_rate=1000)
    budget = LocalTokenBucket(config, now=time_)
    start = time_.now
    paid = await drain(budget, time_, 1.0, paid=True, step=0.0005)
    assert 990 <= len(paid) <= 1000 and most_in_any_window(paid) <= 1000
    time_.now = start + 1.0
    free = await drain(budget, time_, 1.0)
    assert 28 <= len(free) <= 30  # paid sends did not use the free budget, nor does it lend them more


async def test_a_budget_without_a_paid_lane_refuses_paid_asks() -> None:
    budget = LocalTokenBucket(TELEGRAM)
    with pytest.raises(ValueError):
        await budget.try_acquire("1", paid=True)


async def test_chats_are_paced_alike_in_the_paid_lane() -> None:
    time_ = FakeTime()
    budget = LocalTokenBucket(BudgetConfig(rate=30, chat_rate=1, chat_burst=3, window=1.0, paid_rate=1000), now=time_)
    verdicts = [await budget.try_acquire("7", paid=True) for _ in range(4)]
    assert [v.granted for v in verdicts] == [True, True, True, False] and verdicts[3].chat_limited


@pytest.mark.redis
async def test_redis_window_caps_any_window_and_lanes_are_separate(redis_url) -> None:
    bot_key = f"test-{uuid.uuid4().hex[:8]}"
    made: list[RedisTokenBucket] = []

    def make(config: BudgetConfig) -> RedisTokenBucket:
        made.append(RedisTokenBucket.from_url(redis_url, config, bot_key=bot_key))
        return made[-1]

    try:
        # A bucket of 10 but a window of 4 per 2 s: the window wins, across both clients.
        windowed = BudgetConfig(rate=2, burst=10, chat_rate=1000, chat_burst=1000, window=2.0)
        first, second = make(windowed), make(windowed)
        grants = [(await (first if n % 2 else second).try_acquire(str(n))).granted for n in range(8)]
        assert grants == [True] * 4 + [False] * 4
        # The paid lane is a budget of its own for the same bot: its 50 at once, shared; the free lane's 1.
        lanes = BudgetConfig(rate=0.01, burst=1, chat_rate=1000, chat_burst=1000, paid_rate=0.5)
        first, second = make(lanes), make(lanes)
        await first.redis.delete(f"sotay:budget:{{{bot_key}}}:bot", f"sotay:budget:{{{bot_key}}}:bot:window")
        paid = [(await (first if n % 2 else second).try_acquire(f"p{n}", paid=True)).granted for n in range(60)]
        assert paid[:50] == [True] * 50 and 50 <= sum(paid) <= 52
        assert [(await first.try_acquire(f"f{n}")).granted for n in range(2)] == [True, False]
        await first.pause(1.0)
        assert (await second.try_acquire("x", paid=True)).limit == "paused"
    finally:
        keys = [k async for k in made[0].redis.scan_iter(match=f"sotay:budget:{{{bot_key}}}:*")]
        if keys:
            await made[0].redis.delete(*keys)
        for budget in made:
            await budget.close()
