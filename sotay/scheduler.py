"""The scheduler: APScheduler ticks every SOTAY_TICK_SECONDS and runs core's periodic jobs."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core import metrics
from core.db import transaction
from core.ticks import DRAINED, tick_jobs
from sotay.runtime import Runtime

log = logging.getLogger(__name__)


async def run_tick(runtime: Runtime) -> dict[str, int]:
    """One pass over every job; a failing job is logged and does not stop the others. A batched job
    (`DRAINED`) runs again, a transaction per batch, while it finds work and the tick's time lasts."""
    context = runtime.settings.tick_context(runtime.clock.now())
    done: dict[str, int] = {}
    for name, job in tick_jobs():
        started = time.perf_counter()
        total = 0
        try:
            while True:
                async with transaction(runtime.session_factory) as session:
                    batch = await job(session, context)
                total += batch
                if not batch or name not in DRAINED or time.perf_counter() - started > runtime.settings.tick_seconds:
                    break
        except Exception as exc:  # one job's failure must not starve the others
            log.error("tick job %s failed: %s", name, type(exc).__name__, exc_info=exc)
            if total:  # the batches before it were committed
                done[name] = total
            continue
        done[name] = total
        elapsed = time.perf_counter() - started
        if done[name] or elapsed > 1:
            log.info("tick job %s: %d in %.3fs", name, done[name], elapsed)
    metrics.TICKS.inc()
    return done


async def run_scheduler(runtime: Runtime, stop: asyncio.Event) -> None:
    scheduler = AsyncIOScheduler(timezone=dt.timezone.utc)
    in_flight = asyncio.Lock()

    async def guarded_tick(runtime: Runtime) -> None:
        async with in_flight:
            await run_tick(runtime)

    scheduler.add_job(
        guarded_tick,
        "interval",
        seconds=runtime.settings.tick_seconds,
        args=[runtime],
        id="tick",
        max_instances=1,  # a slow tick is skipped, not stacked
        coalesce=True,
        next_run_time=dt.datetime.now(dt.timezone.utc),  # catch up right after a restart
        misfire_grace_time=None,
    )
    scheduler.start()
    try:
        await stop.wait()
    finally:
        # Let a tick that is under way finish its transactions; shutting down cancels what runs.
        scheduler.pause()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(in_flight.acquire(), 30)
        scheduler.shutdown(wait=False)
