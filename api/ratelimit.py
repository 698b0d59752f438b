"""Per-person rate limits for /api/v1 (all of a member's tokens share one budget): a fixed-window counter, in Redis when several processes serve
the API (SOTAY_REDIS_URL), in process memory otherwise.

Windows follow the runtime's clock, so tests move them by hand. If Redis stops answering, the
limiter counts in memory until it answers again: a Redis outage must not take the API down.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response

from api.deps import ClockDep, TokenHolderDep
from core import texts

log = logging.getLogger(__name__)

REQUESTS_PER_MINUTE = 120
WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the current window ends


class FixedWindowLimiter:
    def __init__(self, *, limit: int = REQUESTS_PER_MINUTE, window_seconds: int = WINDOW_SECONDS, redis_url: str | None = None) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.redis_url = redis_url
        self._redis: Any = None
        self._counts: dict[str, int] = {}
        self._window: int | None = None

    async def hit(self, key: str, *, now: dt.datetime) -> Decision:
        second = int(now.timestamp())
        window, elapsed = divmod(second, self.window_seconds)
        count = await self._increment(f"sotay:ratelimit:{key}:{window}", window)
        return Decision(
            allowed=count <= self.limit,
            limit=self.limit,
            remaining=max(0, self.limit - count),
            retry_after=self.window_seconds - elapsed,
        )

    async def _increment(self, name: str, window: int) -> int:
        if self.redis_url:
            try:
                return await self._increment_in_redis(name, self.redis_url)
            except Exception as exc:  # noqa: BLE001 — any Redis failure: fall back rather than refuse every request
                log.warning("rate limiter: Redis unavailable (%s); counting in memory", type(exc).__name__)
        if self._window != window:
            self._counts.clear()  # one window at a time keeps memory bounded by the number of tokens
            self._window = window
        self._counts[name] = self._counts.get(name, 0) + 1
        return self._counts[name]

    async def _increment_in_redis(self, name: str, redis_url: str) -> int:
        if self._redis is None:
            from core.redis_clients import connect

            # Short: a request waits on this; on a timeout it is counted in memory instead.
            self._redis = connect(redis_url, read_timeout=1, connect_timeout=1)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, self.window_seconds * 2)
            count, _ = await pipe.execute()
        return int(count)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


async def enforce_rate_limit(request: Request, response: Response, holder: TokenHolderDep, clock: ClockDep) -> None:
    """Every /api/v1 route depends on this (see api.app): authenticate, then count the request."""
    limiter: FixedWindowLimiter = request.app.state.rate_limiter
    # Counted per person, not per token: minting more tokens buys no more requests.
    decision = await limiter.hit(f"member:{holder[1].id}", now=clock.now())
    headers = {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining)}
    if not decision.allowed:
        raise HTTPException(
            429,
            texts.api.RATE_LIMITED.format(seconds=decision.retry_after),
            headers={**headers, "Retry-After": str(decision.retry_after)},
        )
    response.headers.update(headers)


RateLimited = Annotated[None, Depends(enforce_rate_limit)]
