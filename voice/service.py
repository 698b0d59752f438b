"""Text → voice notes: normalise, split into parts of at most ~3 minutes, synthesise, encode, cache."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from voice.cache import AudioCache, cache_key
from voice.engines import Pcm, Speaker, SpeechError
from voice.normalize import normalize
from voice.opus import MAX_PART_SECONDS, encode_voice

# Spoken Vietnamese syllables per minute, by speed (a syllable is a written word).
SYLLABLES_PER_MINUTE = {"normal": 150, "slow": 115}
PART_TARGET_SECONDS = MAX_PART_SECONDS - 20  # estimates are rough: keep a margin under 3 minutes


@dataclass(frozen=True)
class VoiceNote:
    path: Path
    data: bytes
    duration_seconds: float
    key: str  # unique per part: the platform file-id cache key
    engine: str
    part: int
    parts: int

    @property
    def duration(self) -> int:
        return max(1, round(self.duration_seconds))


def split_parts(spoken: str, *, speed: str) -> list[str]:
    """Sentence groups short enough to be spoken in under ~3 minutes each."""
    budget = SYLLABLES_PER_MINUTE.get(speed, 150) * PART_TARGET_SECONDS / 60
    sentences = [s.strip() for s in re.split(r"(?<=[.!?;…])\s+|\n+", spoken) if s.strip()]
    parts: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in sentences:
        words = len(sentence.split())
        if current and count + words > budget:
            parts.append(" ".join(current))
            current, count = [], 0
        if words > budget:  # one enormous sentence: cut at words
            tokens = sentence.split()
            for start in range(0, len(tokens), int(budget)):
                parts.append(" ".join(tokens[start : start + int(budget)]))
            continue
        current.append(sentence)
        count += words
    if current:
        parts.append(" ".join(current))
    return parts


class VoiceRenderer:
    def __init__(self, speaker: Speaker, cache_dir: str | Path, *, abbreviations: Mapping[str, str] | None = None) -> None:
        self.speaker = speaker
        self.cache = AudioCache(cache_dir)
        self.abbreviations = abbreviations
        self.cache_hits = 0
        self.cache_misses = 0
        self.syntheses = 0
        self._locks: dict[str, asyncio.Lock] = {}

    async def render(self, text: str, *, voice: str = "vi", speed: str = "normal") -> list[VoiceNote]:
        spoken = normalize(text, abbreviations=self.abbreviations)
        if not spoken.strip():
            raise SpeechError("nothing to say")
        key = cache_key(spoken, engine=self.speaker.name, voice=voice, speed=speed)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # two publishers of the same text wait for one synthesis
            cached = self._from_cache(key)
            if cached is not None:
                self.cache_hits += 1
                return cached
            self.cache_misses += 1
            notes = []
            texts = split_parts(spoken, speed=speed)
            manifest = []
            for index, part_text in enumerate(texts):
                pcm: Pcm = await self.speaker.synthesize(part_text, voice=voice, speed=speed)
                self.syntheses += 1
                encoded = encode_voice(pcm)
                path = self.cache.put(key, encoded.data, part=index)
                manifest.append({"duration": encoded.duration_seconds})
                notes.append(VoiceNote(path=path, data=encoded.data, duration_seconds=encoded.duration_seconds,
                                       key=f"{key}.{index}", engine=getattr(self.speaker, "last_used", self.speaker.name),
                                       part=index, parts=len(texts)))
            self._manifest_path(key).write_text(json.dumps({"engine": notes[0].engine, "parts": manifest}))
            return notes

    def _manifest_path(self, key: str) -> Path:
        return self.cache.path_for(key).with_name(f"{key}.json")

    def _from_cache(self, key: str) -> list[VoiceNote] | None:
        manifest_path = self._manifest_path(key)
        if not manifest_path.exists():
            return None
        manifest = json.loads(manifest_path.read_text())
        notes = []
        for index, part in enumerate(manifest["parts"]):
            data = self.cache.get(key, index)
            if data is None:
                return None
            notes.append(VoiceNote(path=self.cache.path_for(key, index), data=data, duration_seconds=part["duration"],
                                   key=f"{key}.{index}", engine=manifest["engine"], part=index, parts=len(manifest["parts"])))
        return notes
