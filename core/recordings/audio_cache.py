"""Housekeeping of the synthetic voice's audio cache (voice.cache, DATA_DIR/audio): a tick job.

Every `PRUNE_EVERY` (the last pass is a shared watermark, so two schedulers do not both scan), the
scheduler removes what a crash left and, while the folder holds more than the budget
(SOTAY_VOICE_CACHE_MAX_MB), the least recently used entries — for at most `PASS_SECONDS`; a pass
cut short leaves the watermark, so the next tick goes on. Kept whatever the budget: an entry
used in the last SOTAY_VOICE_CACHE_KEEP_HOURS — a hit touches it, so a subject members are tapping,
or one read ahead after publishing (core.recordings.presynthesis renders, or finds and touches,
every variant its listeners need), stays — and a voice note that an outbox message not yet sent
will upload. People's recordings live in DATA_DIR/recordings and are never looked at.

An evicted note costs one synthesis on the next tap; its Telegram file id (media_files) still
works, and a re-upload comes from the new rendering under the same key.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import metrics
from core.db import insert_for
from core.delivery.models import OutboxMessage, OutboxState
from core.scheduling.models import Watermark
from core.tick_context import TickContext
from voice.cache import PruneResult, prune, survey

log = logging.getLogger(__name__)
PRUNE_EVERY = dt.timedelta(minutes=10)
# Removing stops after this long (a tick's other jobs wait meanwhile); an unfinished pass leaves the
# watermark where it was, so the next tick goes on. At 2 ms an unlink (a busy VM disk mounted with
# `discard`, bench.voice_cache) that is ~800 entries a tick.
PASS_SECONDS = 5.0
WATERMARK = "voice_cache_pruned"
_CACHED_NOTE = re.compile(r"([0-9a-f]{64})\.\d+\.ogg")  # voice.cache's part files (recordings are <sha256>.ogg)


async def notes_waiting_to_be_sent(session: AsyncSession) -> set[str]:
    """Cache keys of the voice notes that outbox messages not sent yet will upload."""
    path = OutboxMessage.payload["attachment"]["path"].as_string()
    rows = await session.scalars(
        select(path).where(OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]), path.is_not(None)).distinct()
    )
    return {found.group(1) for value in rows if (found := _CACHED_NOTE.fullmatch(PurePath(value).name))}


async def prune_audio_cache(session: AsyncSession, context: TickContext) -> int:
    """Tick job: entries evicted plus leftovers removed (0 when not due, or no cache folder)."""
    if context.voice_cache_dir is None:
        return 0
    last = await session.scalar(select(Watermark.value).where(Watermark.name == WATERMARK))
    if last is not None and last > context.now - PRUNE_EVERY:
        return 0
    result = await prune_now(session, context, time_budget=PASS_SECONDS)
    if not result.unfinished:
        statement = insert_for(session, Watermark).values(name=WATERMARK, value=context.now)
        await session.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"value": statement.excluded.value}))
    return result.evicted + result.leftovers


async def prune_now(session: AsyncSession, context: TickContext, *, time_budget: float = PASS_SECONDS) -> PruneResult:
    """One pass, due or not: the outbox is asked which notes it still needs only when over budget.
    Files' ages are measured on the system clock, the one their mtimes were written with."""
    assert context.voice_cache_dir is not None
    directory, now = context.voice_cache_dir, time.time()
    found = await asyncio.to_thread(survey, directory, now=now)
    protected = await notes_waiting_to_be_sent(session) if found.total > context.voice_cache_max_bytes else set()
    result = await asyncio.to_thread(prune, directory, max_bytes=context.voice_cache_max_bytes,
                                     keep_since=now - context.voice_cache_keep.total_seconds(), protected=protected, surveyed=found,
                                     time_budget=time_budget)
    metrics.VOICE_CACHE_BYTES.set(result.bytes_after)
    metrics.VOICE_CACHE_EVICTED.inc(result.evicted)
    if result.evicted or result.leftovers:
        log.info("audio cache: %d entries evicted (%.1f MB), %d leftovers removed, %.1f MB left, in %.2fs%s", result.evicted,
                 result.evicted_bytes / 2**20, result.leftovers, result.bytes_after / 2**20, result.seconds,
                 "; more at the next tick" if result.unfinished else "")
    if result.over_budget:
        log.warning("audio cache: %.1f MB, over its budget of %.1f MB, and all of it used in the last %s or waiting to be sent: "
                    "raise SOTAY_VOICE_CACHE_MAX_MB or lower SOTAY_VOICE_CACHE_KEEP_HOURS", result.bytes_after / 2**20,
                    result.max_bytes / 2**20, context.voice_cache_keep)
    return result
