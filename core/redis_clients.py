"""The one way the project opens Redis: every client gets connect and read timeouts.

Without them a Redis that accepts connections but stops answering (a half-open TCP connection, a
paused container, a black-holed network) makes every caller wait forever: a delivery worker holds
its claimed rows, a bot update never finishes. With them the call fails in seconds with
`redis.exceptions.TimeoutError`, which each caller already handles as "Redis unavailable"
(the worker hands its rows back and backs off; person turns and the API's rate limit go on without
Redis; the FSM storage fails that one update).
"""

from __future__ import annotations

from typing import Any

CONNECT_TIMEOUT = 2.0  # seconds to open a connection
READ_TIMEOUT = 5.0  # seconds for one command's answer (every command used is O(1) or a short script)
HEALTH_CHECK_INTERVAL = 30  # a connection idle this long is PINGed before reuse


def redis_options(*, read_timeout: float | None = None, connect_timeout: float | None = None) -> dict[str, Any]:
    return {
        "socket_connect_timeout": CONNECT_TIMEOUT if connect_timeout is None else connect_timeout,
        "socket_timeout": READ_TIMEOUT if read_timeout is None else read_timeout,
        "health_check_interval": HEALTH_CHECK_INTERVAL,
    }


def connect(url: str, *, read_timeout: float | None = None, connect_timeout: float | None = None) -> Any:
    """A `redis.asyncio.Redis` for `url` with the project's timeouts."""
    from redis.asyncio import Redis

    return Redis.from_url(url, **redis_options(read_timeout=read_timeout, connect_timeout=connect_timeout))
