"""Text → voice notes: normalise, split into parts of at most ~3 minutes, synthesise, encode, cache."""

from __future__ import annotations

import asyncio
import math
import os
import re
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from voice.audio import Pcm, split_at_pauses
from voice.cache import AudioCache, cache_key
from voice.engines import (
    SYLLABLES_PER_MINUTE,
    Speaker,
    SpeechError,
    check_voice_and_speed,
    speaking_rate,
    unbreakable_words,
)
from voice.normalize import normalize
from voice.opus import MAX_PART_SECONDS, EncodedAudio, encode_voice

# Where text-level splitting aims; the audio-level cut at MAX_PART_SECONDS catches any misestimate.
PART_TARGET_SECONDS = 150

_SENTENCE_END = re.compile(r"(?<=[.!?;…])\s+")
_CLAUSE_END = re.compile(r"(?<=[,:])\s+")


@dataclass(frozen=True)
class VoiceNote:
    """One voice message: part `part` of `parts` of a rendered text."""

    path: Path
    data: bytes
    duration_seconds: float
    key: str  # unique per voice note ("<text_key>.<part>"): what a platform file-id cache is keyed by
    engine: str  # the engine that actually spoke, after any fallback
    part: int = 0
    parts: int = 1

    @property
    def text_key(self) -> str:
        """sha256 of (spoken text, engine, voice, speed): the same for every part of one rendering."""
        return self.key.rsplit(".", 1)[0]

    @property
    def duration(self) -> int:
        """Whole seconds, as Telegram's sendVoice wants them."""
        return max(1, round(self.duration_seconds))


@dataclass
class RenderStats:
    """Counters for metrics."""

    cache_hits: int = 0
    cache_misses: int = 0
    syntheses: int = 0  # calls to the speaker, one per text part
    fallbacks: int = 0  # renders spoken by another engine than the configured one
    synthesis_seconds: float = 0.0
    encoding_seconds: float = 0.0
    audio_seconds: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def _speech_units(spoken: str) -> list[str]:
    """Sentences; a line without final punctuation (a heading) gets a full stop so that the voice
    pauses after it once lines are joined."""
    units: list[str] = []
    for line in spoken.splitlines():
        line = line.strip()
        if not line:
            continue
        if line[-1] not in ".!?;:…,":
            line += "."
        units.extend(s for s in _SENTENCE_END.split(line) if s)
    return units


def _shorter_than(unit: str, budget: int) -> list[str]:
    """A sentence too long for one part, cut at clause ends, or between words as a last resort
    (never inside a spelled-out number: its words travel together)."""
    pieces: list[str] = []
    for clause in _CLAUSE_END.split(unit):
        current: list[str] = []
        count = 0
        for word in unbreakable_words(clause):
            syllables = len(word.split())
            if current and count + syllables > budget:
                pieces.append(" ".join(current))
                current, count = [], 0
            current.append(word)
            count += syllables
        if current:
            pieces.append(" ".join(current))
    return pieces


def split_parts(spoken: str, *, speed: str, target_seconds: float = PART_TARGET_SECONDS,
                syllables_per_minute: float | None = None) -> list[str]:
    """Groups of whole sentences, each estimated to last at most `target_seconds`, and about the
    same length: a long text becomes three parts of two minutes, not two long ones and a stub."""
    rate = syllables_per_minute or SYLLABLES_PER_MINUTE[speed]
    budget = max(1, int(rate * target_seconds / 60))
    units: list[str] = []
    for unit in _speech_units(spoken):
        units.extend([unit] if len(unit.split()) <= budget else _shorter_than(unit, budget))
    total = sum(len(unit.split()) for unit in units)
    if total <= budget:
        return [" ".join(units)] if units else []
    # Try the fewest parts first; sentence lengths can make the ideal shares unreachable, then
    # one more part gives shorter shares.
    for count in range(math.ceil(total / budget), len(units) + 1):
        parts = _group(units, goal=total / count, budget=budget)
        if len(parts) <= count:
            return parts
    return units


def _group(units: list[str], *, goal: float, budget: int) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    count = done = 0
    boundary = goal  # where the current part should end, counted from the start of the text
    for unit in units:
        words = len(unit.split())
        # Close the part when this sentence would overflow it, or when the text so far is
        # nearer the part's ideal end than it would be after this sentence.
        if current and (count + words > budget or abs(done - boundary) < abs(done + words - boundary)):
            parts.append(" ".join(current))
            current, count = [], 0
            boundary += goal
        current.append(unit)
        count += words
        done += words
    if current:
        parts.append(" ".join(current))
    return parts


@dataclass
class _KeyLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class VoiceRenderer:
    """Renders texts to voice notes, each (text, engine, voice, speed) once: later renders of the
    same text come from the on-disk cache, and concurrent ones wait for the first."""

    def __init__(self, speaker: Speaker, cache_dir: str | Path, *, abbreviations: Mapping[str, str] | None = None,
                 max_part_seconds: float = MAX_PART_SECONDS, encoder_threads: int | None = None) -> None:
        self.speaker = speaker
        self.cache = AudioCache(cache_dir)
        self.abbreviations = abbreviations
        self.max_part_seconds = max_part_seconds
        self.stats = RenderStats()
        self._locks: dict[str, _KeyLock] = {}
        # Opus encoding is the slow stage (libopus ~90× faster than real time per CPU-second,
        # libsndfile's ~35×; docs/voices.md) and releases the GIL: parts are encoded in parallel, on a bounded pool shared by all
        # renders so that a burst of publications cannot take every core from the bot.
        threads = encoder_threads or min(2, os.cpu_count() or 1)
        self._encoders = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="opus-encoder")
        # Renders nobody waits for (made ahead, after publishing) encode on one thread of their own:
        # a member's tap always finds the shared pool free of them.
        self._background_encoders = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opus-background")

    @property
    def cache_hits(self) -> int:
        return self.stats.cache_hits

    @property
    def cache_misses(self) -> int:
        return self.stats.cache_misses

    @property
    def syntheses(self) -> int:
        return self.stats.syntheses

    async def render(self, text: str, *, voice: str = "vi", speed: str = "normal", background: bool = False) -> list[VoiceNote]:
        """The voice notes of `text`; `background`: nobody waits for them (encoded on one thread, so
        that renders someone waits for are never queued behind them)."""
        check_voice_and_speed(voice, speed)
        spoken = normalize(text, abbreviations=self.abbreviations)
        if not re.search(r"\w", spoken):
            raise SpeechError("nothing to say")
        key = cache_key(spoken, engine=self.speaker.name, voice=voice, speed=speed)
        entry = self._locks.setdefault(key, _KeyLock())
        entry.users += 1
        try:
            async with entry.lock:  # two publishers of the same text wait for one synthesis
                cached = await asyncio.to_thread(self.cache.load, key)
                speaking = getattr(self.speaker, "speaking_engine", None)
                if cached is None and speaking is not None and speaking() != self.speaker.name:
                    # The better engine is resting after a failure: what the fallback said before
                    # is served from the cache, not synthesised again.
                    fallback_key = cache_key(spoken, engine=speaking(), voice=voice, speed=speed)
                    cached = await asyncio.to_thread(self.cache.load, fallback_key)
                    if cached is not None:  # its file ids are the fallback's, never the better engine's
                        self.stats.cache_hits += 1
                        return self._notes(fallback_key, cached.engine, [(p.path, p.data, p.duration_seconds) for p in cached.parts])
                if cached is not None:
                    self.stats.cache_hits += 1
                    return self._notes(key, cached.engine, [(p.path, p.data, p.duration_seconds) for p in cached.parts])
                self.stats.cache_misses += 1
                return await self._render_uncached(spoken, key, voice=voice, speed=speed,
                                                   pool=self._background_encoders if background else self._encoders)
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[key]

    async def _render_uncached(self, spoken: str, key: str, *, voice: str, speed: str, pool: ThreadPoolExecutor) -> list[VoiceNote]:
        texts = split_parts(spoken, speed=speed, target_seconds=min(PART_TARGET_SECONDS, self.max_part_seconds * 5 / 6),
                            syllables_per_minute=speaking_rate(self.speaker, speed))
        encodings: list[asyncio.Future[EncodedAudio]] = []
        engines: list[str] = []
        try:
            for part_text in texts:  # synthesis is fast and engines are serial: one part at a time
                started = time.perf_counter()
                pcm: Pcm = await self.speaker.synthesize(part_text, voice=voice, speed=speed)
                self.stats.syntheses += 1
                self.stats.synthesis_seconds += time.perf_counter() - started
                engines.append(pcm.engine or self.speaker.name)
                if len(pcm.samples) == 0:
                    raise SpeechError(f"{engines[-1]} produced no audio")
                encodings += [asyncio.ensure_future(self._encode(piece, pool)) for piece in split_at_pauses(pcm, self.max_part_seconds)]
            encoded = await asyncio.gather(*encodings)
        except BaseException:
            for pending in encodings:
                pending.cancel()
            raise
        engine = "+".join(dict.fromkeys(engines))
        if engine != self.speaker.name:
            # A fallback spoke. File it under the engine that did, not under the one asked for:
            # the next render then tries the better voice again instead of serving this forever.
            self.stats.fallbacks += 1
            key = cache_key(spoken, engine=engine, voice=voice, speed=speed)
        parts = [(note.data, note.duration_seconds) for note in encoded]
        stored = await asyncio.to_thread(self.cache.store, key, engine=engine, parts=parts)
        return self._notes(key, engine, [(p.path, p.data, p.duration_seconds) for p in stored.parts])

    async def _encode(self, pcm: Pcm, pool: ThreadPoolExecutor) -> EncodedAudio:
        started = time.perf_counter()
        note = await asyncio.get_running_loop().run_in_executor(pool, encode_voice, pcm)
        self.stats.encoding_seconds += time.perf_counter() - started
        self.stats.audio_seconds += note.duration_seconds
        return note

    @staticmethod
    def _notes(key: str, engine: str, parts: list[tuple[Path, bytes, float]]) -> list[VoiceNote]:
        return [VoiceNote(path=path, data=data, duration_seconds=duration, key=f"{key}.{index}", engine=engine,
                          part=index, parts=len(parts))
                for index, (path, data, duration) in enumerate(parts)]
