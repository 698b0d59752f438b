"""On-disk audio cache: one synthesis per (spoken text, engine, voice, speed).

Layout: <dir>/<key[:2]>/<key>.<part>.ogg for each voice note of a text and <key>.json, the
manifest, written last: a text is cached only once its manifest exists, so a crash half-way
leaves a miss, never half an answer. Every file is written to a temporary name and renamed, so a
reader never sees a partial file and two writers of the same key never interleave bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Part of every key: bump it when the encoding changes (bitrate, sample rate, loudness, split
# length) so old notes are re-rendered rather than served.
AUDIO_FORMAT_VERSION = "opus24k-v2"


def cache_key(spoken_text: str, *, engine: str, voice: str, speed: str) -> str:
    """sha256 of the normalised text and how it is spoken (fields separated by NUL, which none contains)."""
    material = f"{AUDIO_FORMAT_VERSION}\x00{engine}\x00{voice}\x00{speed}\x00{spoken_text}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedPart:
    path: Path
    data: bytes
    duration_seconds: float


@dataclass(frozen=True)
class CachedAudio:
    engine: str
    parts: list[CachedPart]


class AudioCache:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def part_path(self, key: str, part: int) -> Path:
        return self.directory / key[:2] / f"{key}.{part}.ogg"

    def manifest_path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def load(self, key: str) -> CachedAudio | None:
        """The cached notes of `key`, or None when absent or incomplete."""
        try:
            manifest = json.loads(self.manifest_path(key).read_text(encoding="utf-8"))
            parts = []
            for index, duration in enumerate(manifest["durations"]):
                path = self.part_path(key, index)
                parts.append(CachedPart(path, path.read_bytes(), float(duration)))
            return CachedAudio(engine=str(manifest["engine"]), parts=parts)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, or damaged by hand: render again and overwrite

    def store(self, key: str, *, engine: str, parts: list[tuple[bytes, float]]) -> CachedAudio:
        """Writes every part, then the manifest that makes them visible."""
        stored = []
        for index, (data, duration) in enumerate(parts):
            path = self.part_path(key, index)
            _write_atomically(path, data)
            stored.append(CachedPart(path, data, duration))
        manifest = {"engine": engine, "durations": [duration for _, duration in parts]}
        _write_atomically(self.manifest_path(key), json.dumps(manifest).encode("utf-8"))
        return CachedAudio(engine=engine, parts=stored)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
