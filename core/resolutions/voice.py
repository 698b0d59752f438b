"""Voice notes of a document's summary: rendered once per (text, voice, speed), outside any
database transaction, and re-sent by the platform's file id once uploaded.

`VoiceRenderer` (voice.service) caches on disk by (spoken text, engine, voice, speed), so a
replay, a second publication of the same summary or a restart never synthesises again; and each
note's `key` is the outbox `cache_key`, so the delivery worker uploads a note once and sends the
rest by file id (`MediaFile`). Handlers that send a note themselves use the same table.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import metrics
from core.db import insert_for
from core.delivery.models import MediaFile
from voice.engines import EngineConfig, SpeechError
from voice.service import VoiceNote, VoiceRenderer

log = logging.getLogger(__name__)
Variant = tuple[str, str]


@lru_cache(maxsize=4)
def default_renderer(cache_dir: str, engine: str | EngineConfig = "espeak") -> VoiceRenderer:
    """One renderer per process and cache directory (its per-key locks must be shared); `engine`
    is a name or the deployment's whole choice (`Settings.tts`)."""
    config = engine if isinstance(engine, EngineConfig) else EngineConfig(engine)
    return VoiceRenderer(config.speaker(), Path(cache_dir))


async def render_variants(renderer: VoiceRenderer, text: str, variants: Iterable[Variant]) -> dict[Variant, list[VoiceNote]]:
    """Each variant once. A variant that cannot be spoken is left out (its members get text only)."""
    notes: dict[Variant, list[VoiceNote]] = {}
    for voice, speed in sorted(set(variants)):
        misses = renderer.stats.cache_misses
        try:
            notes[(voice, speed)] = await renderer.render(text, voice=voice, speed=speed)
        except (SpeechError, OSError, RuntimeError, ValueError) as exc:
            log.warning("voice %s/%s could not be rendered: %s", voice, speed, type(exc).__name__)
            continue
        # What a member (or a publisher) waited for: served from the cache, or synthesised there and then.
        (metrics.TTS_CACHE_HITS if renderer.stats.cache_misses == misses else metrics.TTS_CACHE_MISSES).inc()
    return notes


async def stored_file_id(session: AsyncSession, *, cache_key: str, bot_key: str, platform: str = "telegram") -> str | None:
    return await session.scalar(
        select(MediaFile.file_id).where(MediaFile.platform == platform, MediaFile.bot_id == bot_key, MediaFile.cache_key == cache_key)
    )


async def remember_file_id(
    session: AsyncSession, *, cache_key: str, bot_key: str, file_id: str, now: dt.datetime, platform: str = "telegram"
) -> None:
    insert = insert_for(session, MediaFile)
    # The latest upload wins: an id the platform rejected is replaced by the new one.
    statement = insert.on_conflict_do_update(
        index_elements=["platform", "bot_id", "cache_key"], set_={"file_id": insert.excluded.file_id, "created_at": insert.excluded.created_at}
    )
    await session.execute(
        statement, [{"platform": platform, "bot_id": bot_key, "cache_key": cache_key, "file_id": file_id, "created_at": now}]
    )
