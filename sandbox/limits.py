"""Telegram's limits and the token buckets that enforce them.

Telegram documents its flood limits loosely ("about 30 messages per second", "no more than one
message per second in a single chat", "20 messages per minute in a group"); the sandbox turns them
into token buckets so a bot that ignores them meets the same 429 answers it would meet in production.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeVar

MEGABYTE = 1024 * 1024
T = TypeVar("T")


@dataclass
class RateLimits:
    """What both sides share: token-bucket rates per bot and per chat, text and caption sizes, and
    the control API's way of changing them. `enabled=False` switches the rate limits off (sizes stay)."""

    enabled: bool = True
    per_bot_per_second: float = 30.0
    per_bot_burst: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: float = 3.0
    max_text: int = 4096
    max_caption: int = 1024

    def updated(self, changes: Mapping[str, Any]) -> Self:
        """A copy with `changes` applied; values arriving as JSON or strings are coerced to the field's type."""
        return updated_dataclass(self, changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Limits(RateLimits):
    """What Telegram allows."""

    per_group_per_minute: float = 20.0
    # Paid broadcasts: a send with `allow_paid_broadcast` ignores the bot's 30/s and spends this
    # bucket instead (Telegram: up to 1,000 a second, 0.1 Star each); chats are paced as ever.
    paid_per_second: float = 1000.0
    paid_burst: float = 1000.0
    max_callback_data: int = 64
    max_callback_answer: int = 200
    max_inline_buttons: int = 100
    max_upload_bytes: int = 50 * MEGABYTE
    max_download_bytes: int = 20 * MEGABYTE
    # How long a pressed button waits for answerCallbackQuery before the query is "too old".
    callback_query_ttl: float = 15.0


def updated_dataclass(limits: T, changes: Mapping[str, Any]) -> T:
    """A copy of a limits dataclass with `changes` applied, coerced to each field's type."""
    known = {f.name: f for f in dataclasses.fields(limits)}  # type: ignore[arg-type]
    unknown = sorted(set(changes) - set(known))
    if unknown:
        raise ValueError(f"unknown limits: {', '.join(unknown)}")
    coerced: dict[str, Any] = {}
    for name, value in changes.items():
        current = getattr(limits, name)
        if isinstance(current, bool):
            coerced[name] = _to_bool(value)
        elif isinstance(current, int):
            coerced[name] = int(value)
        else:
            coerced[name] = float(value)
    return dataclasses.replace(limits, **coerced)  # type: ignore[type-var]


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class TokenBucket:
    """`rate` tokens a second, holding at most `capacity`; starts full."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = self.capacity
        self._clock = clock
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self) -> float:
        """Seconds until a token is available (0 when one is there now)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self._refill()
        self.tokens -= 1


class RateLimiter:
    """One bot's flood limits: overall, per private chat and per group chat."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._overall = TokenBucket(limits.per_bot_per_second, limits.per_bot_burst, clock)
        self._paid = TokenBucket(limits.paid_per_second, limits.paid_burst, clock)
        self._chats: dict[int, TokenBucket] = {}

    def _chat_bucket(self, chat_id: int) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:  # Telegram's group and channel ids are negative
                bucket = TokenBucket(self.limits.per_group_per_minute / 60, self.limits.per_group_per_minute, self._clock)
            else:
                bucket = TokenBucket(self.limits.per_chat_per_second, self.limits.per_chat_burst, self._clock)
            self._chats[chat_id] = bucket
        return bucket

    def retry_after(self, chat_id: int, *, paid: bool = False) -> int:
        """0 and a message is counted when one may be sent now; else whole seconds to wait.

        Both buckets are checked before either is spent, so a refusal costs the bot nothing,
        as with Telegram. A paid broadcast spends the paid bucket instead of the bot's.
        """
        if not self.limits.enabled:
            return 0
        chat = self._chat_bucket(chat_id)
        overall = self._paid if paid else self._overall
        wait = max(overall.wait_time(), chat.wait_time())
        if wait > 0:
            return max(1, math.ceil(wait))
        overall.take()
        chat.take()
        return 0
