"""How fast one bot may send: token buckets for the whole bot and for each chat, and a pause.

Telegram allows a bot about 30 messages a second overall and about one a second per chat, and
answers 429 with `retry_after` when pushed harder; after a 429 the whole bot should wait, not just
the one request. A `RateBudget` encodes exactly that:

- `try_acquire(chat_id)` takes one token from the bot's bucket *and* the chat's bucket, or neither,
  and says how long to wait when it cannot (and whether the chat or the whole bot is the limit);
- `pause(seconds)` stops every sender of this bot for that long.

`LocalTokenBucket` keeps the buckets in this process (one worker, tests). `RedisTokenBucket`
keeps them in Redis behind one atomic Lua script, so any number of worker processes share one
budget per bot; it uses Redis's own clock, so the processes' clocks do not matter.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

Limit = Literal["none", "bot", "chat", "paused"]
# A level this close to a whole token is a whole token: float time never quite reaches it.
EPSILON = 1e-6


@dataclass(frozen=True)
class Verdict:
    granted: bool
    retry_in: float = 0.0  # seconds until trying again can succeed
    limit: Limit = "none"  # what refused: the bot's bucket, the chat's bucket, or a 429 pause

    @property
    def chat_limited(self) -> bool:
        return self.limit == "chat"


GRANTED = Verdict(granted=True)


@dataclass(frozen=True)
class BudgetConfig:
    rate: float = 30.0  # messages a second for the whole bot
    burst: float = 1.0  # tokens the bot's bucket holds: 1 = evenly paced, never a burst above `rate`
    chat_rate: float = 1.0  # messages a second into one chat
    chat_burst: float = 3.0  # a few quick messages into one chat are fine (a reply and its follow-up)
    # Catch-up within a window (seconds; 0 = off): never more than `rate × window` grants in any
    # `window`, and what the bucket could not hold while its senders were held up (a process that got
    # no CPU for half a second, a slow claim) may still be sent within it. A gap of a whole window
    # or more is idleness, not a hold-up: nothing is owed after it.
    window: float = 0.0
    # Paid broadcasts (Telegram's `allow_paid_broadcast`): a second lane for the bot with its own
    # rate (0 = none: every send is free and paced by `rate`). Chats are paced alike in both lanes.
    paid_rate: float = 0.0

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.chat_rate <= 0:
            raise ValueError("rates must be positive")
        if self.burst < 1 or self.chat_burst < 1:
            raise ValueError("a bucket must hold at least one token")
        if self.window < 0 or self.paid_rate < 0:
            raise ValueError("a window and a paid rate cannot be negative")

    @property
    def window_limit(self) -> int:
        """Grants allowed in any window (0 when there is no window)."""
        return max(1, math.floor(self.rate * self.window + EPSILON)) if self.window else 0

    def lane(self, paid: bool) -> BudgetConfig:
        """The bot-level limits of one lane: free sends, or paid ones (the same shape at `paid_rate`)."""
        if not paid:
            return self
        if not self.paid_rate:
            raise ValueError("this budget has no paid lane")
        return replace(self, rate=self.paid_rate, burst=max(1.0, self.paid_rate * self.burst / self.rate))


class RateBudget(Protocol):
    config: BudgetConfig

    async def try_acquire(self, chat_id: str, *, paid: bool = False) -> Verdict: ...

    async def pause(self, seconds: float) -> None: ...

    async def close(self) -> None: ...


@dataclass
class _Bucket:
    tokens: float
    at: float

    def level(self, now: float, rate: float, capacity: float) -> float:
        return min(capacity, self.tokens + max(0.0, now - self.at) * rate)


class _Lane:
    """The bot's pace in one lane: a token bucket, plus (with a window) the catch-up credit and the
    grants of the last window."""

    def __init__(self, config: BudgetConfig, now: float) -> None:
        self.config = config
        self.tokens, self.at, self.credit = config.burst, now, 0.0
        self.recent: deque[float] = deque()

    def _levels(self, now: float) -> tuple[float, float]:
        config = self.config
        raw = self.tokens + max(0.0, now - self.at) * config.rate
        level = min(config.burst, raw)
        if config.window and now - self.at < config.window:
            return level, min(float(config.window_limit), self.credit + raw - level)
        return level, 0.0

    def wait(self, now: float) -> float:
        """Seconds until this lane can grant (0: now)."""
        level, credit = self._levels(now)
        wait = 0.0
        if level < 1 - EPSILON and credit < 1 - EPSILON:
            wait = (1 - level) / self.config.rate
        if self.config.window:
            while self.recent and self.recent[0] <= now - self.config.window:
                self.recent.popleft()
            if len(self.recent) >= self.config.window_limit:
                wait = max(wait, self.recent[0] + self.config.window - now)
        return wait

    def hold_until(self, now: float, until: float) -> None:
        """A 429: nothing is owed for the time before it nor earned during the pause (the platform
        asked for less, not for a catch-up afterwards)."""
        self.tokens, _ = self._levels(now)
        self.credit, self.at = 0.0, max(self.at, until)

    def take(self, now: float) -> None:
        level, credit = self._levels(now)
        if level >= 1 - EPSILON:
            level -= 1
        else:
            credit -= 1
        self.tokens, self.credit, self.at = max(0.0, level), max(0.0, credit), now
        if self.config.window:
            self.recent.append(now)


class LocalTokenBucket:
    """The budget of one process. `now` is injectable so tests need not sleep."""

    def __init__(self, config: BudgetConfig, *, now: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._now = now
        self._lanes = {False: _Lane(config, now())}
        if config.paid_rate:
            self._lanes[True] = _Lane(config.lane(paid=True), now())
        self._chats: dict[str, _Bucket] = {}
        self._paused_until = 0.0
        self._last_sweep = now()

    async def try_acquire(self, chat_id: str, *, paid: bool = False) -> Verdict:
        now = self._now()
        if now < self._paused_until:
            return Verdict(False, self._paused_until - now, "paused")
        config = self.config
        lane = self._lanes.get(paid)
        if lane is None:
            raise ValueError("this budget has no paid lane")
        wait = lane.wait(now)
        if wait > 0:
            return Verdict(False, wait, "bot")
        chat = self._chats.get(chat_id)
        chat_tokens = config.chat_burst if chat is None else chat.level(now, config.chat_rate, config.chat_burst)
        if chat_tokens < 1 - EPSILON:
            return Verdict(False, (1 - chat_tokens) / config.chat_rate, "chat")
        lane.take(now)
        self._chats[chat_id] = _Bucket(max(0.0, chat_tokens - 1), now)
        self._sweep(now)
        return GRANTED

    async def pause(self, seconds: float) -> None:
        now = self._now()
        self._paused_until = max(self._paused_until, now + max(0.0, seconds))
        for lane in self._lanes.values():
            lane.hold_until(now, self._paused_until)

    async def close(self) -> None:
        return None

    def _sweep(self, now: float) -> None:
        """Forget chats whose bucket has refilled: a full bucket is the same as no bucket."""
        refill = self.config.chat_burst / self.config.chat_rate
        if now - self._last_sweep < max(refill, 1.0) or len(self._chats) < 1024:
            return
        self._last_sweep = now
        self._chats = {chat: bucket for chat, bucket in self._chats.items() if now - bucket.at < refill}


# KEYS: the lane's bucket, chat bucket, pause flag, the lane's window (a sorted set of grant times).
# ARGV: rate, burst, chat rate, chat burst, window seconds (0 = none), grants allowed per window.
# Returns {granted 0|1, retry_in seconds as a string (Lua numbers become integers), limit}.
_ACQUIRE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local paused_ms = redis.call('PTTL', KEYS[3])
if paused_ms > 0 then
  return {0, tostring(paused_ms / 1000), 'paused'}
end
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local chat_rate, chat_burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local window, limit = tonumber(ARGV[5]), tonumber(ARGV[6])
local function level(key, r, capacity)
  local stored = redis.call('HMGET', key, 't', 'at')
  local tokens, at = tonumber(stored[1]), tonumber(stored[2])
  if tokens == nil or at == nil then
    return capacity
  end
  return math.min(capacity, tokens + math.max(0, now - at) * r)
end
local stored = redis.call('HMGET', KEYS[1], 't', 'at', 'c', 'n')
local bot_tokens, credit, seq = burst, 0, tonumber(stored[4]) or 0
local tokens, at = tonumber(stored[1]), tonumber(stored[2])
if tokens ~= nil and at ~= nil then
  local raw = tokens + math.max(0, now - at) * rate
  bot_tokens = math.min(burst, raw)
  if window > 0 and now - at < window then
    credit = math.min(limit, (tonumber(stored[3]) or 0) + raw - bot_tokens)
  end
end
local wait = 0
if bot_tokens < 1 - 1e-6 and credit < 1 - 1e-6 then
  wait = (1 - bot_tokens) / rate
end
if window > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - window)
  if redis.call('ZCARD', KEYS[4]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then
  return {0, tostring(wait), 'bot'}
end
local chat_tokens = level(KEYS[2], chat_rate, chat_burst)
if chat_tokens < 1 - 1e-6 then
  return {0, tostring((1 - chat_tokens) / chat_rate), 'chat'}
end
if bot_tokens >= 1 - 1e-6 then
  bot_tokens = bot_tokens - 1
else
  credit = credit - 1
end
local keep = math.ceil((burst / rate + window) * 1000) + 60000
redis.call('HSET', KEYS[1], 't', tostring(math.max(0, bot_tokens)), 'at', tostring(now), 'c', tostring(math.max(0, credit)), 'n', seq + 1)
redis.call('PEXPIRE', KEYS[1], keep)
if window > 0 then
  redis.call('ZADD', KEYS[4], now, seq + 1)
  redis.call('PEXPIRE', KEYS[4], keep)
end
redis.call('HSET', KEYS[2], 't', tostring(math.max(0, chat_tokens - 1)), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[2], math.ceil(chat_burst / chat_rate * 1000) + 1000)
return {1, '0', 'none'}
"""

# KEYS: pause flag, then every lane's bucket. ARGV: milliseconds. Only ever lengthens a pause; the
# lanes' catch-up credit is dropped and nothing accrues during the pause (after a 429 nothing is owed).
_PAUSE = """
local wanted = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < wanted then
  redis.call('SET', KEYS[1], '1', 'PX', wanted)
end
local now_parts = redis.call('TIME')
local until_ = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000 + wanted / 1000
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local at = tonumber(redis.call('HGET', KEYS[i], 'at')) or 0
    redis.call('HSET', KEYS[i], 'c', '0', 'at', tostring(math.max(at, until_)))
  end
end
return 1
"""


class RedisTokenBucket:
    """The budget shared by every worker process of one bot, kept in Redis."""

    def __init__(
        self, config: BudgetConfig, *, redis: Any, bot_key: str, prefix: str = "sotay:budget", platform: str = "telegram"
    ) -> None:
        self.config = config
        self.redis = redis
        # Each platform's bots have their own keys. Telegram's keep the name they always had, so
        # workers of the previous release share the budget during a rolling upgrade.
        if platform != "telegram":
            prefix = f"{prefix}:{platform}"
        # The braces keep one bot's keys in one Redis Cluster slot, as the script needs.
        base = f"{prefix}:{{{bot_key}}}"
        self._pause_key = f"{base}:pause"
        self._chat_prefix = f"{base}:chat:"
        # Free sends keep the key they always had; paid ones have their own lane.
        self._lanes = {False: f"{base}:bot"}
        if config.paid_rate:
            self._lanes[True] = f"{base}:paid"
        self._acquire = redis.register_script(_ACQUIRE)
        self._pause = redis.register_script(_PAUSE)
        self._args = {paid: self._lane_args(config.lane(paid)) for paid in self._lanes}

    @staticmethod
    def _lane_args(lane: BudgetConfig) -> list[str]:
        return [repr(lane.rate), repr(lane.burst), repr(lane.chat_rate), repr(lane.chat_burst), repr(lane.window), str(lane.window_limit)]

    @classmethod
    def from_url(cls, url: str, config: BudgetConfig, *, bot_key: str, platform: str = "telegram") -> RedisTokenBucket:
        from core.redis_clients import connect

        return cls(config, redis=connect(url), bot_key=bot_key, platform=platform)

    async def try_acquire(self, chat_id: str, *, paid: bool = False) -> Verdict:
        lane = self._lanes.get(paid)
        if lane is None:
            raise ValueError("this budget has no paid lane")
        granted, retry_in, limit = await self._acquire(
            keys=[lane, self._chat_prefix + chat_id, self._pause_key, lane + ":window"], args=self._args[paid]
        )
        if int(granted):
            return GRANTED
        label = limit.decode() if isinstance(limit, bytes) else str(limit)
        wait = float(retry_in.decode() if isinstance(retry_in, bytes) else retry_in)
        return Verdict(False, wait if math.isfinite(wait) else 1.0, label)  # type: ignore[arg-type]

    async def pause(self, seconds: float) -> None:
        milliseconds = max(1, int(math.ceil(seconds * 1000)))
        await self._pause(keys=[self._pause_key, *self._lanes.values()], args=[milliseconds])

    async def close(self) -> None:
        await self.redis.aclose()
