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
from collections.abc import Mapping

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.db import transaction
from core.delivery.budget import BudgetConfig, LocalTokenBucket, RateBudget, RedisTokenBucket
from core.delivery.worker import DEFAULT_LEASE, DeliveryWorker
from core.notices import service as notices
from core.ports import Messenger
from sotay.runtime import Runtime
from sotay.settings import Settings

log = logging.getLogger(__name__)
NOTICE_PROGRESS_SECONDS = 2.0
# The recorder writes what came back within this long in one transaction (at 30/s: ~3 answers).
RECORD_GATHER = 0.1


def budget_config(settings: Settings, platform: str = "telegram") -> BudgetConfig:
    """The platform's send budget: Telegram's from SOTAY_SEND_RATE_*, Zalo's from SOTAY_ZALO_SEND_RATE_*."""
    paid_rate = 0.0
    if platform == "zalo":
        rate, chat_rate, chat_burst = settings.zalo_send_rate_per_second, settings.zalo_send_rate_per_chat, settings.zalo_send_burst_per_chat
    else:
        rate, chat_rate, chat_burst = settings.send_rate_per_second, settings.send_rate_per_chat, settings.send_burst_per_chat
        # Telegram's paid broadcasts: a lane of their own, only when the operator set a price.
        paid_rate = settings.paid_broadcast_rate if settings.paid_broadcast_price else 0.0
    return BudgetConfig(
        rate=rate,
        # A tenth of a second of slack absorbs timer jitter without ever bursting past the platform's pace.
        burst=max(1.0, rate / 10),
        chat_rate=chat_rate,
        chat_burst=float(chat_burst),
        # Never more than `rate` in any second, and a sender held up for less than a second (no CPU for
        # a moment, a slow claim) catches up within it instead of losing that time for good.
        window=1.0,
        paid_rate=paid_rate,
    )


def build_budget(settings: Settings, *, bot_key: str, platform: str = "telegram") -> RateBudget:
    config = budget_config(settings, platform)
    if settings.redis_url:
        return RedisTokenBucket.from_url(settings.redis_url, config, bot_key=bot_key, platform=platform)
    return LocalTokenBucket(config)


def bot_key_of(messenger: Messenger) -> str:
    """The identity of the bot behind a messenger: its budget's and its file ids' key."""
    return str(getattr(messenger, "bot_key", "") or "")


def build_worker(
    settings: Settings,
    *,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    bot: Bot | None = None,
    messengers: Mapping[str, Messenger] | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> DeliveryWorker:
    """One worker for every platform given: Telegram through `bot`, others through `messengers`
    (platform → Messenger; a messenger's `bot_key` attribute names its bot, see `bot_key_of`)."""
    senders: dict[str, Messenger] = {}
    bot_keys: dict[str, str] = {}
    if bot is not None:
        from bot.messenger import TelegramMessenger

        senders["telegram"], bot_keys["telegram"] = TelegramMessenger(bot), str(bot.id)
    for platform, messenger in (messengers or {}).items():
        senders[platform] = messenger
        bot_keys.setdefault(platform, bot_key_of(messenger))
    if not senders:
        raise ValueError("no messenger: nothing to deliver with")
    paid_rate = settings.paid_broadcast_rate if "telegram" in senders and settings.paid_broadcast_price else 0.0
    return DeliveryWorker(
        session_factory,
        senders,
        {platform: build_budget(settings, bot_key=bot_keys[platform], platform=platform) for platform in senders},
        clock,
        bot_key=bot_keys,
        # Paid broadcasts go up to 1,000/s: enough requests on their way and rows claimed for that pace.
        batch_size=max(settings.delivery_batch_size, int(paid_rate // 4)),
        concurrency=max(settings.delivery_concurrency, int(paid_rate // 4)),
        record_gather=RECORD_GATHER,
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
    """Deliver on every platform this process has a messenger for: Telegram when the bot is built,
    plus whatever `runtime.messengers` holds (the Zalo adapter registers its messenger there).
    Rows of a platform without a messenger stay pending until a process that has one runs."""
    if runtime.bot is None and not runtime.messengers:
        log.warning("no messenger token: the delivery worker does not run; messages stay queued")
        await stop.wait()
        return
    worker = build_worker(
        runtime.settings, bot=runtime.bot, messengers=runtime.messengers, session_factory=runtime.session_factory, clock=runtime.clock,
    )
    runtime.services["delivery_worker"] = worker
    follower = asyncio.create_task(follow_notices(runtime, stop))
    try:
        await worker.run(stop)
    finally:
        stop.set()
        await follower
        await worker.close()
