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
from dataclasses import dataclass
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

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.chat_rate <= 0:
            raise ValueError("rates must be positive")
        if self.burst < 1 or self.chat_burst < 1:
            raise ValueError("a bucket must hold at least one token")


class RateBudget(Protocol):
    config: BudgetConfig

    async def try_acquire(self, chat_id: str) -> Verdict: ...

    async def pause(self, seconds: float) -> None: ...

    async def close(self) -> None: ...


@dataclass
class _Bucket:
    tokens: float
    at: float

    def level(self, now: float, rate: float, capacity: float) -> float:
        return min(capacity, self.tokens + max(0.0, now - self.at) * rate)


class LocalTokenBucket:
    """The budget of one process. `now` is injectable so tests need not sleep."""

    def __init__(self, config: BudgetConfig, *, now: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._now = now
        self._bot = _Bucket(config.burst, now())
        self._chats: dict[str, _Bucket] = {}
        self._paused_until = 0.0
        self._last_sweep = now()

    async def try_acquire(self, chat_id: str) -> Verdict:
        now = self._now()
        if now < self._paused_until:
            return Verdict(False, self._paused_until - now, "paused")
        config = self.config
        bot_tokens = self._bot.level(now, config.rate, config.burst)
        if bot_tokens < 1 - EPSILON:
            return Verdict(False, (1 - bot_tokens) / config.rate, "bot")
        chat = self._chats.get(chat_id)
        chat_tokens = config.chat_burst if chat is None else chat.level(now, config.chat_rate, config.chat_burst)
        if chat_tokens < 1 - EPSILON:
            return Verdict(False, (1 - chat_tokens) / config.chat_rate, "chat")
        self._bot = _Bucket(max(0.0, bot_tokens - 1), now)
        self._chats[chat_id] = _Bucket(max(0.0, chat_tokens - 1), now)
        self._sweep(now)
        return GRANTED

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._now() + max(0.0, seconds))

    async def close(self) -> None:
        return None

    def _sweep(self, now: float) -> None:
        """Forget chats whose bucket has refilled: a full bucket is the same as no bucket."""
        refill = self.config.chat_burst / self.config.chat_rate
        if now - self._last_sweep < max(refill, 1.0) or len(self._chats) < 1024:
            return
        self._last_sweep = now
        self._chats = {chat: bucket for chat, bucket in self._chats.items() if now - bucket.at < refill}


# KEYS: bot bucket, chat bucket, pause flag. ARGV: rate, burst, chat rate, chat burst.
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
local function level(key, r, capacity)
  local stored = redis.call('HMGET', key, 't', 'at')
  local tokens, at = tonumber(stored[1]), tonumber(stored[2])
  if tokens == nil or at == nil then
    return capacity
  end
  return math.min(capacity, tokens + math.max(0, now - at) * r)
end
local bot_tokens = level(KEYS[1], rate, burst)
if bot_tokens < 1 - 1e-6 then
  return {0, tostring((1 - bot_tokens) / rate), 'bot'}
end
local chat_tokens = level(KEYS[2], chat_rate, chat_burst)
if chat_tokens < 1 - 1e-6 then
  return {0, tostring((1 - chat_tokens) / chat_rate), 'chat'}
end
redis.call('HSET', KEYS[1], 't', tostring(math.max(0, bot_tokens - 1)), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 60000)
redis.call('HSET', KEYS[2], 't', tostring(math.max(0, chat_tokens - 1)), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[2], math.ceil(chat_burst / chat_rate * 1000) + 1000)
return {1, '0', 'none'}
"""

# KEYS: pause flag. ARGV: milliseconds. Only ever lengthens a pause.
_PAUSE = """
local wanted = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < wanted then
  redis.call('SET', KEYS[1], '1', 'PX', wanted)
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
        self._bot_key = f"{base}:bot"
        self._pause_key = f"{base}:pause"
        self._chat_prefix = f"{base}:chat:"
        self._acquire = redis.register_script(_ACQUIRE)
        self._pause = redis.register_script(_PAUSE)
        self._args = [repr(config.rate), repr(config.burst), repr(config.chat_rate), repr(config.chat_burst)]

    @classmethod
    def from_url(cls, url: str, config: BudgetConfig, *, bot_key: str, platform: str = "telegram") -> RedisTokenBucket:
        from core.redis_clients import connect

        return cls(config, redis=connect(url), bot_key=bot_key, platform=platform)

    async def try_acquire(self, chat_id: str) -> Verdict:
        granted, retry_in, limit = await self._acquire(keys=[self._bot_key, self._chat_prefix + chat_id, self._pause_key], args=self._args)
        if int(granted):
            return GRANTED
        label = limit.decode() if isinstance(limit, bytes) else str(limit)
        wait = float(retry_in.decode() if isinstance(retry_in, bytes) else retry_in)
        return Verdict(False, wait if math.isfinite(wait) else 1.0, label)  # type: ignore[arg-type]

    async def pause(self, seconds: float) -> None:
        milliseconds = max(1, int(math.ceil(seconds * 1000)))
        await self._pause(keys=[self._pause_key], args=[milliseconds])

    async def close(self) -> None:
        await self.redis.aclose()
