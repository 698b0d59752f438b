"""On-disk audio cache: one synthesis per (spoken text, engine, voice, speed).

Layout: <dir>/<key[:2]>/<key>.<part>.ogg for each voice note of a text and <key>.json, the
manifest, written last: a text is cached only once its manifest exists, so a crash half-way
leaves a miss, never half an answer. Every file is written to a temporary name and renamed, so a
reader never sees a partial file and two writers of the same key never interleave bytes.

Bounded: a hit touches the manifest (its mtime is the entry's last use), and `prune` removes the
least recently used entries while the folder is over a size budget, never one used since
`keep_since` (a note someone is listening to, or one read ahead after publishing), never one named
in `protected` (a voice note waiting in the outbox), never one being written; crash leftovers
(parts without a manifest, temporary files) go once they are an hour old. It touches only files
named as this cache names them: anything else in the folder is left alone. Several processes may
share the folder: removing a manifest first makes an entry a miss before its parts go, and an
entry used or written again between the scan and its removal is kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

# Part of every key: bump it when the encoding changes (bitrate, sample rate, loudness, split
# length) so old notes are re-rendered rather than served.
AUDIO_FORMAT_VERSION = "opus24k-v2"
# Parts without a manifest and temporary files younger than this are a write under way; older ones
# are what a crash left.
WRITE_GRACE_SECONDS = 3600.0
_BUCKET = re.compile(r"[0-9a-f]{2}")
_ENTRY_FILE = re.compile(r"([0-9a-f]{64})\.(?:(\d+)\.ogg|json)")
_TEMPORARY_FILE = re.compile(r"\.([0-9a-f]{64})\.(?:\d+\.ogg|json)\..+\.tmp")


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
            cached = CachedAudio(engine=str(manifest["engine"]), parts=parts)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, or damaged by hand: render again and overwrite
        self.touch(key)
        return cached

    def touch(self, key: str) -> None:
        """Marks `key` used now: its manifest's mtime is what `prune` evicts the oldest by."""
        with contextlib.suppress(OSError):  # removed meanwhile, or a read-only copy: still a hit
            os.utime(self.manifest_path(key))

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


@dataclass
class _Entry:
    key: str
    size: int = 0
    last_used: float = 0.0  # the newest mtime of its files: the manifest's is touched on every hit
    manifest: bool = False
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class PruneResult:
    """What one `prune` found and did (sizes in bytes)."""

    entries: int  # complete entries found
    max_bytes: int
    bytes_before: int
    bytes_after: int
    evicted: int = 0  # entries removed, least recently used first
    evicted_bytes: int = 0
    leftovers: int = 0  # files a crash left (parts without a manifest, temporary files), removed
    kept_in_use: int = 0  # entries over the budget kept: used since `keep_since`, or protected
    seconds: float = 0.0
    unfinished: bool = False  # stopped at `time_budget` with more to remove: the next pass goes on

    @property
    def over_budget(self) -> bool:
        """Still over when done: everything left is in use (the budget is too small for what members listen to)."""
        return self.bytes_after > self.max_bytes and not self.unfinished


@dataclass(frozen=True)
class Survey:
    """The folder as one scan found it: complete entries by key, crash leftovers, and the bytes of
    every file of ours (a write under way too)."""

    entries: dict[str, _Entry]
    leftovers: list[Path]
    total: int
    now: float
    seconds: float


def survey(directory: str | Path, *, now: float | None = None, grace: float = WRITE_GRACE_SECONDS) -> Survey:
    """Scans the cache folder (blocking: run it in a thread)."""
    started = time.perf_counter()
    now = time.time() if now is None else now
    entries: dict[str, _Entry] = {}
    leftovers: list[Path] = []
    total = 0
    with contextlib.suppress(FileNotFoundError):
        buckets = [b.path for b in os.scandir(directory) if b.is_dir(follow_symlinks=False) and _BUCKET.fullmatch(b.name)]
        for bucket in buckets:
            with contextlib.suppress(FileNotFoundError), os.scandir(bucket) as files:
                for item in files:
                    named = _ENTRY_FILE.fullmatch(item.name)
                    temporary = None if named else _TEMPORARY_FILE.fullmatch(item.name)
                    if (named is None and temporary is None) or not item.is_file(follow_symlinks=False):
                        continue  # not ours: never touched
                    try:
                        stat = item.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    total += stat.st_size
                    if temporary is not None:
                        if stat.st_mtime < now - grace:
                            leftovers.append(Path(item.path))
                        continue
                    assert named is not None
                    entry = entries.setdefault(named.group(1), _Entry(named.group(1)))
                    entry.size += stat.st_size
                    entry.last_used = max(entry.last_used, stat.st_mtime)
                    entry.manifest = entry.manifest or named.group(2) is None
                    entry.files.append(Path(item.path))
    for key, entry in list(entries.items()):
        if not entry.manifest:
            del entries[key]
            if entry.last_used < now - grace:  # parts whose manifest never came: a crash half-way
                leftovers.extend(entry.files)
    return Survey(entries=entries, leftovers=leftovers, total=total, now=now, seconds=time.perf_counter() - started)


def prune(directory: str | Path, *, max_bytes: int, keep_since: float, protected: Collection[str] = (),
          now: float | None = None, grace: float = WRITE_GRACE_SECONDS, surveyed: Survey | None = None,
          time_budget: float | None = None) -> PruneResult:
    """Removes crash leftovers, then the least recently used entries until the folder holds at
    most `max_bytes`, except entries used at or after `keep_since` (a Unix time) and the keys in
    `protected`. `surveyed`: a scan made just before (`survey`), else one is made. `time_budget`:
    seconds of removing after which it stops (`unfinished`): an unlink costs what the disk makes it
    cost (2 ms each on a busy VM disk mounted with `discard`). Blocking (file system): run it in a thread."""
    found = surveyed or survey(directory, now=now, grace=grace)
    started = time.perf_counter()
    stop_at = started + time_budget if time_budget is not None else float("inf")
    total = found.total
    removed_leftovers = 0
    unfinished = False
    for path in found.leftovers:
        if time.perf_counter() > stop_at:
            unfinished = True
            break
        with contextlib.suppress(FileNotFoundError):
            size = path.stat().st_size
            path.unlink()
            total -= size
            removed_leftovers += 1
    evicted = evicted_bytes = kept = 0
    for entry in sorted(found.entries.values(), key=lambda e: e.last_used):
        if total <= max_bytes:
            break
        if time.perf_counter() > stop_at:
            unfinished = True
            break
        if entry.last_used >= keep_since or entry.key in protected or _used_since(entry, keep_since):
            kept += 1
            continue
        # The manifest first: from here on the entry is a miss, so nobody reads half of it.
        for path in sorted(entry.files, key=lambda p: not p.name.endswith(".json")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        total -= entry.size
        evicted += 1
        evicted_bytes += entry.size
    return PruneResult(entries=len(found.entries), max_bytes=max_bytes, bytes_before=found.total, bytes_after=total, evicted=evicted,
                       evicted_bytes=evicted_bytes, leftovers=removed_leftovers, kept_in_use=kept,
                       seconds=time.perf_counter() - started + found.seconds, unfinished=unfinished)


def _used_since(entry: _Entry, keep_since: float) -> bool:
    """Looked at again just before removing: another process may have used or rewritten it since the scan."""
    for path in entry.files:
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime >= keep_since:
                return True
    return False


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
