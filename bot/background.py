"""Slow work for a person (synthesising a voice note) runs after the update's handler has returned:
the person's next taps are answered meanwhile and the update's database session is not held for
seconds. A job opens its own session and commits at its end (its own edge).

`drain()` waits for every job: tests feeding updates, and a clean shutdown.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)
_jobs: set[asyncio.Task[Any]] = set()


def spawn(job: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
    # A task inherits the handler's context variables; the update's session must not be among them:
    # the middleware commits and closes it when the handler returns, and a job that went on writing
    # through it would hold a transaction (on SQLite, the write lock) that nobody ever ends.
    from bot.middlewares import handler_session

    context = contextvars.copy_context()
    context.run(handler_session.set, None)
    task = asyncio.get_running_loop().create_task(job, name=name, context=context)
    _jobs.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _jobs.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("background job %s failed: %s", task.get_name(), type(task.exception()).__name__)


async def drain() -> None:
    """Wait until no job is left (a job may start another)."""
    while _jobs:
        await asyncio.gather(*list(_jobs), return_exceptions=True)
