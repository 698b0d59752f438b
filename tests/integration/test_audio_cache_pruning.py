"""The scheduler keeps the audio cache within SOTAY_VOICE_CACHE_MAX_MB (core.recordings.audio_cache):
the least recently used entries go, never a voice note an unsent outbox message will upload, never
what was used within the keep window (reading ahead touches every variant it needs), never a
person's recording; every 10 minutes at most, by a shared watermark. And the read-ahead worker's
metrics: queue depth, subjects done, variants made / cached / failed, seconds per variant."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from core import metrics
from core.clock import local_tz
from core.db import transaction
from core.delivery.models import OutboxMessage, OutboxState
from core.delivery.outbox import enqueue
from core.listening import presynthesis as queueing
from core.listening.models import SubjectKind, VoicePresynthesis
from core.ports import Attachment, OutboundMessage
from core.recordings import presynthesis
from core.recordings.audio_cache import PRUNE_EVERY
from core.storage import store_by_content
from core.ticks import TickContext, tick_jobs
from sotay.settings import Settings


@pytest.fixture(autouse=True)
def time_enough_for_a_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass's time budget never decides a test here (a busy disk may take seconds to unlink a few
    files); the test about the budget sets its own."""
    from core.recordings import audio_cache

    monkeypatch.setattr(audio_cache, "PASS_SECONDS", 3600.0)
from tests.conftest import TEST_SECRET_KEY
from tests.integration.test_recordings_subjects import notice_of
from tests.integration.test_voice_presynthesis import CENTRAL, PLAIN, SOUTH_SLOW, SpyEspeak, listeners, worker
from voice.cache import AudioCache

__all__ = ["listeners"]  # the fixture, shared with the read-ahead tests
HOUR = 3600.0
PART = b"\x00" * 4000


def stored(cache: AudioCache, name: str, *, used_hours_ago: float) -> str:
    key = hashlib.sha256(name.encode()).hexdigest()
    cache.store(key, engine="espeak", parts=[(PART, 1.0)])
    age(cache.directory, key, used_hours_ago)
    return key


def age(directory: Path, key: str, hours_ago: float) -> None:
    moment = time.time() - hours_ago * HOUR
    for path in (directory / key[:2]).glob(f"{key}.*"):
        os.utime(path, (moment, moment))


def voice_note(cache: AudioCache, key: str) -> OutboundMessage:
    return OutboundMessage(text="🔊 Thông báo", attachment=Attachment(kind="voice", path=str(cache.part_path(key, 0)), duration=1,
                                                                      cache_key=f"{key}.0", filename="doc.ogg"))


def context(now: dt.datetime, directory: Path, *, max_bytes: int, keep_hours: float = 72) -> TickContext:
    return TickContext(now=now, tz=local_tz(), voice_cache_dir=directory, voice_cache_max_bytes=max_bytes,
                       voice_cache_keep=dt.timedelta(hours=keep_hours))


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def test_the_tick_evicts_the_oldest_but_never_a_note_waiting_in_the_outbox_nor_a_recording(
    commune, session, session_factory, clock, tmp_path,
) -> None:
    cache = AudioCache(tmp_path / "audio")
    waiting, sent, oldest = (stored(cache, name, used_hours_ago=hours) for name, hours in (("waiting", 300), ("sent", 200), ("oldest", 400)))
    recent = stored(cache, "tapped this morning", used_hours_ago=2)
    size = sum(p.stat().st_size for p in (cache.directory / recent[:2]).glob(f"{recent}.*"))
    recording = store_by_content(tmp_path / "recordings", b"OggS the secretary's own voice", extension=".ogg")
    os.utime(recording, (time.time() - 1000 * HOUR,) * 2)
    member = commune.cells[0].members[0]
    for source, key in (("notice:1", waiting), ("notice:2", sent)):
        assert await enqueue(session, member_id=member.id, kind="notice", source=source, message=voice_note(cache, key), not_before=clock.now())
    await session.execute(update(OutboxMessage).where(OutboxMessage.source == "notice:2").values(state=OutboxState.SENT))
    await session.commit()

    job = dict(tick_jobs())["prune_audio_cache"]
    evicted_before = sample("sotay_voice_cache_evicted_total")
    async with transaction(session_factory) as tick:
        assert await job(tick, context(clock.now(), cache.directory, max_bytes=2 * size)) == 2
    assert cache.load(oldest) is None and cache.load(sent) is None
    assert cache.load(waiting) is not None and cache.load(recent) is not None  # the outbox will upload it; used today
    assert recording.read_bytes() == b"OggS the secretary's own voice"
    assert sample("sotay_voice_cache_evicted_total") == evicted_before + 2 and sample("sotay_voice_cache_bytes") == 2 * size

    # Every 10 minutes at most (the watermark is shared by every scheduler): an old entry waits for the next pass.
    later = stored(cache, "written after the pass", used_hours_ago=500)
    async with transaction(session_factory) as tick:
        assert await job(tick, context(clock.now() + PRUNE_EVERY / 2, cache.directory, max_bytes=2 * size)) == 0
    assert cache.load(later) is not None
    age(cache.directory, later, 500)  # the load above was a use
    async with transaction(session_factory) as tick:
        assert await job(tick, context(clock.now() + PRUNE_EVERY * 1.1, cache.directory, max_bytes=2 * size)) == 1
    assert cache.load(later) is None and cache.load(waiting) is not None


async def test_a_pass_out_of_time_is_taken_up_at_the_next_tick(session_factory, clock, tmp_path, monkeypatch) -> None:
    from core.recordings import audio_cache

    cache = AudioCache(tmp_path / "audio")
    old = stored(cache, "old", used_hours_ago=300)
    job = dict(tick_jobs())["prune_audio_cache"]
    monkeypatch.setattr(audio_cache, "PASS_SECONDS", -1.0)  # the disk is so slow that nothing gets removed in time
    async with transaction(session_factory) as tick:
        assert await job(tick, context(clock.now(), cache.directory, max_bytes=0)) == 0
    age(cache.directory, old, 300)
    monkeypatch.setattr(audio_cache, "PASS_SECONDS", 3600.0)  # time enough on any disk, however busy
    async with transaction(session_factory) as tick:  # the next tick, 15 s later: the watermark was left, so it is due
        assert await job(tick, context(clock.now() + dt.timedelta(seconds=15), cache.directory, max_bytes=0)) == 1
    assert cache.load(old) is None


async def test_no_folder_no_pass_and_the_settings_reach_the_job(session, tmp_path) -> None:
    job = dict(tick_jobs())["prune_audio_cache"]
    assert await job(session, TickContext(now=dt.datetime.now(dt.timezone.utc), tz=local_tz())) == 0
    settings = Settings(secret_key=TEST_SECRET_KEY, data_dir=tmp_path, voice_cache_max_mb=1.5, voice_cache_keep_hours=6)
    given = settings.tick_context(dt.datetime.now(dt.timezone.utc))
    assert given.voice_cache_dir == tmp_path / "audio" and given.voice_cache_max_bytes == 1_572_864
    assert given.voice_cache_keep == dt.timedelta(hours=6)


async def test_reading_ahead_keeps_a_subjects_variants_and_is_counted(listeners, session, session_factory, clock, tmp_path) -> None:
    notice_id = await notice_of(session, listeners, clock)
    await presynthesis.observe_depth(session)
    assert sample("sotay_presynthesis_queue_depth", {"state": "due"}) == 1
    made, cached = (sample("sotay_presynthesis_variants_total", {"result": r}) for r in ("made", "cached"))
    done, timed = sample("sotay_presynthesis_subjects_done_total"), sample("sotay_presynthesis_variant_seconds_count")

    speaker = SpyEspeak()
    ahead = worker(session_factory, clock, tmp_path, speaker)
    assert await ahead.run_once()
    assert speaker.variants() == sorted([PLAIN, SOUTH_SLOW, CENTRAL])
    assert sample("sotay_presynthesis_variants_total", {"result": "made"}) == made + 3
    assert sample("sotay_presynthesis_variant_seconds_count") == timed + 3
    assert sample("sotay_presynthesis_subjects_done_total") == done + 1
    await presynthesis.observe_depth(session)
    assert sample("sotay_presynthesis_queue_depth", {"state": "due"}) == 0

    directory = tmp_path / "audio"
    variants = sorted(p.name.removesuffix(".json") for p in directory.glob("*/*.json"))
    assert len(variants) == 3
    # Four days later nobody has tapped: the variants are old, like another text read long ago.
    for key in variants:
        age(directory, key, 96)
    other = stored(AudioCache(directory), "another notice", used_hours_ago=96)
    # The notice is read ahead again (a member changed their voice or speed): every variant is found
    # made — no synthesis — and touched, so the cache keeps them.
    await queueing.queue(session, kind=SubjectKind.NOTICE, subject_id=notice_id, now=clock.now())
    await session.commit()
    assert await ahead.run_once() and len(speaker.calls) == 3
    assert sample("sotay_presynthesis_variants_total", {"result": "cached"}) == cached + 3

    job = dict(tick_jobs())["prune_audio_cache"]
    async with transaction(session_factory) as tick:
        assert await job(tick, context(clock.now(), directory, max_bytes=0)) == 1  # a budget of 0: only what is in use stays
    assert sorted(p.name.removesuffix(".json") for p in directory.glob("*/*.json")) == variants
    assert other not in variants

    # A subject whose attempts are spent is counted apart.
    await session.execute(update(VoicePresynthesis).values(done_at=None, attempts=presynthesis.MAX_ATTEMPTS))
    await session.commit()
    await presynthesis.observe_depth(session)
    assert sample("sotay_presynthesis_queue_depth", {"state": "given_up"}) == 1
    assert sample("sotay_presynthesis_queue_depth", {"state": "due"}) == 0
