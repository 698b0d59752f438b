"""The delivery worker as a background job of `sotay run` (role "worker"), and the follow-up of
running notices (the author's status message, then the final report).

Several worker processes may run against one PostgreSQL database: they share the outbox through
SKIP LOCKED claims and, when SOTAY_REDIS_URL is set, one rate budget per bot through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.db import transaction
from core.delivery.budget import BudgetConfig, LocalTokenBucket, RateBudget, RedisTokenBucket
from core.delivery.worker import DEFAULT_LEASE, DeliveryWorker
from core.notices import service as notices
from sotay.runtime import Runtime
from sotay.settings import Settings

log = logging.getLogger(__name__)
NOTICE_PROGRESS_SECONDS = 2.0


def budget_config(settings: Settings) -> BudgetConfig:
    return BudgetConfig(
        rate=settings.send_rate_per_second,
        # A tenth of a second of slack absorbs timer jitter without ever bursting past Telegram's pace.
        burst=max(1.0, settings.send_rate_per_second / 10),
        chat_rate=settings.send_rate_per_chat,
        chat_burst=float(settings.send_burst_per_chat),
    )


def build_budget(settings: Settings, *, bot_key: str) -> RateBudget:
    config = budget_config(settings)
    if settings.redis_url:
        return RedisTokenBucket.from_url(settings.redis_url, config, bot_key=bot_key)
    return LocalTokenBucket(config)


def build_worker(
    settings: Settings,
    *,
    bot: Bot,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> DeliveryWorker:
    from bot.messenger import TelegramMessenger

    bot_key = str(bot.id)
    return DeliveryWorker(
        session_factory,
        TelegramMessenger(bot),
        build_budget(settings, bot_key=bot_key),
        clock,
        bot_key=bot_key,
        batch_size=settings.delivery_batch_size,
        concurrency=settings.delivery_concurrency,
        max_attempts=settings.delivery_max_attempts,
        lease=lease,
        quiet_kinds={notices.KIND},  # a notice's final report names who could not be reached
    )


async def follow_notices(runtime: Runtime, stop: asyncio.Event, *, every: float = NOTICE_PROGRESS_SECONDS) -> None:
    """Every few seconds: edit running notices' status messages, report the finished ones."""
    while not stop.is_set():
        try:
            async with transaction(runtime.session_factory) as session:
                await notices.refresh_progress(session, now=runtime.clock.now())
        except Exception as exc:  # the database was briefly away: try again next round
            log.warning("notice progress failed: %s", type(exc).__name__)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def run_delivery(runtime: Runtime, stop: asyncio.Event) -> None:
    if runtime.bot is None:
        log.warning("no Telegram token: the delivery worker does not run; messages stay queued")
        await stop.wait()
        return
    worker = build_worker(runtime.settings, bot=runtime.bot, session_factory=runtime.session_factory, clock=runtime.clock)
    runtime.services["delivery_worker"] = worker
    follower = asyncio.create_task(follow_notices(runtime, stop))
    try:
        await worker.run(stop)
    finally:
        stop.set()
        await follower
        await worker.budget.close()
