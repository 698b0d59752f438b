"""The audio cache within a size budget (voice.cache.prune): least recently used first, a hit
counts as a use, and never an entry in use, protected, or being written; crash leftovers go;
nothing the cache did not name is ever touched."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from core.storage import store_by_content
from voice.cache import WRITE_GRACE_SECONDS, AudioCache, prune, survey

NOW = time.time()
HOUR = 3600.0
PART = b"\x00" * 1000  # one 1,000-byte part per entry, plus a small manifest


def key_of(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def stored(cache: AudioCache, name: str, *, used_hours_ago: float, parts: int = 1) -> str:
    """An entry written, then last used `used_hours_ago` (every file's mtime)."""
    key = key_of(name)
    cache.store(key, engine="espeak", parts=[(PART, 1.0)] * parts)
    age(cache, key, used_hours_ago)
    return key


def age(cache: AudioCache, key: str, hours_ago: float) -> None:
    moment = NOW - hours_ago * HOUR
    for path in (cache.directory / key[:2]).glob(f"{key}.*"):
        os.utime(path, (moment, moment))


def entry_size(cache: AudioCache, key: str) -> int:
    return sum(p.stat().st_size for p in (cache.directory / key[:2]).glob(f"{key}.*"))


def test_the_least_recently_used_go_first_until_the_folder_fits(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    keys = [stored(cache, f"text {n}", used_hours_ago=100 - n) for n in range(6)]  # keys[0] the oldest
    size = entry_size(cache, keys[0])
    result = prune(tmp_path, max_bytes=3 * size, keep_since=NOW - 24 * HOUR, now=NOW)
    assert (result.entries, result.evicted, result.evicted_bytes) == (6, 3, 3 * size)
    assert result.bytes_before == 6 * size and result.bytes_after == 3 * size and not result.over_budget
    assert [cache.load(k) is not None for k in keys] == [False, False, False, True, True, True]
    # Nothing of the evicted entries is left behind: neither a manifest nor a part.
    assert not list((tmp_path / keys[0][:2]).glob(f"{keys[0]}.*"))
    # Under the budget nothing more goes.
    assert prune(tmp_path, max_bytes=3 * size, keep_since=NOW - 24 * HOUR, now=NOW).evicted == 0


def test_a_hit_counts_as_a_use(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    oldest = stored(cache, "listened again", used_hours_ago=200)
    newer = stored(cache, "never again", used_hours_ago=100)
    assert cache.load(oldest) is not None  # a member taps «🔊»: the entry is used now
    result = prune(tmp_path, max_bytes=entry_size(cache, oldest), keep_since=NOW - 24 * HOUR)
    assert result.evicted == 1
    assert cache.load(oldest) is not None and cache.load(newer) is None


def test_entries_in_use_or_protected_stay_even_over_the_budget(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    old = stored(cache, "old", used_hours_ago=100)
    waiting = stored(cache, "waiting in the outbox", used_hours_ago=90)
    recent = [stored(cache, f"read this week {n}", used_hours_ago=n + 1) for n in range(3)]
    result = prune(tmp_path, max_bytes=0, keep_since=NOW - 72 * HOUR, protected={waiting}, now=NOW)
    assert result.evicted == 1 and result.kept_in_use == 4 and result.over_budget  # the budget is too small: said, not forced
    assert cache.load(old) is None
    assert all(cache.load(k) is not None for k in [waiting, *recent])


def test_an_entry_used_between_the_scan_and_the_removal_stays(tmp_path: Path) -> None:
    """Another process (the bot) serves it while the scheduler decides: the removal looks again."""
    cache = AudioCache(tmp_path)
    key = stored(cache, "tapped just now", used_hours_ago=100)
    scanned = survey(tmp_path, now=NOW)
    assert cache.load(key) is not None  # touched after the scan
    result = prune(tmp_path, max_bytes=0, keep_since=NOW - 24 * HOUR, surveyed=scanned)
    assert result.evicted == 0 and cache.load(key) is not None


def test_writes_under_way_stay_and_what_a_crash_left_goes(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path)
    complete = stored(cache, "complete", used_hours_ago=1)
    # A render writing its parts now (no manifest yet), and one that died half-way two hours ago.
    writing, dead = key_of("being written"), key_of("crashed")
    for key, hours in ((writing, 0.0), (dead, 2.0)):
        cache.part_path(key, 0).parent.mkdir(parents=True, exist_ok=True)
        cache.part_path(key, 0).write_bytes(PART)
        age(cache, key, hours)
    # Temporary files (voice.cache._write_atomically's names): one being written, one a crash left.
    fresh_tmp = cache.part_path(writing, 1).parent / f".{writing}.1.ogg.abc123.tmp"
    stale_tmp = cache.manifest_path(dead).parent / f".{dead}.json.xyz789.tmp"
    for path, hours in ((fresh_tmp, 0.0), (stale_tmp, 2.0)):
        path.write_bytes(b"{}")
        os.utime(path, (NOW - hours * HOUR,) * 2)
    assert WRITE_GRACE_SECONDS <= 2 * HOUR
    result = prune(tmp_path, max_bytes=10**9, keep_since=NOW - 24 * HOUR, now=NOW)
    assert result.leftovers == 2 and result.evicted == 0
    assert cache.part_path(writing, 0).exists() and fresh_tmp.exists()
    assert not cache.part_path(dead, 0).exists() and not stale_tmp.exists()
    assert cache.load(complete) is not None


def test_nothing_the_cache_did_not_name_is_touched(tmp_path: Path) -> None:
    """Human recordings (core.storage.store_by_content: <sha256[:2]>/<sha256>.ogg) put in the cache
    folder by mistake, an operator's notes, other folders: all stay, even with a budget of 0."""
    cache = AudioCache(tmp_path)
    synthetic = stored(cache, "synthetic", used_hours_ago=100)
    recording = store_by_content(tmp_path, b"OggS a person's voice", extension=".ogg")
    (tmp_path / "README.txt").write_text("notes")
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / f"{synthetic}.0.ogg").write_bytes(PART)  # our names, but not in a bucket of ours
    (tmp_path / synthetic[:2] / "notes.ogg").write_bytes(PART)
    old = NOW - 1000 * HOUR
    for path in (recording, tmp_path / "README.txt", tmp_path / synthetic[:2] / "notes.ogg"):
        os.utime(path, (old, old))
    result = prune(tmp_path, max_bytes=0, keep_since=NOW - 24 * HOUR, now=NOW)
    assert result.evicted == 1 and result.leftovers == 0 and not result.over_budget
    assert recording.read_bytes() == b"OggS a person's voice"
    assert (tmp_path / "README.txt").exists() and (tmp_path / "recordings" / f"{synthetic}.0.ogg").exists()
    assert (tmp_path / synthetic[:2] / "notes.ogg").exists()


def test_a_missing_folder_is_an_empty_cache(tmp_path: Path) -> None:
    result = prune(tmp_path / "none", max_bytes=0, keep_since=NOW)
    assert (result.entries, result.bytes_before, result.evicted) == (0, 0, 0)


def test_a_pass_out_of_time_stops_and_the_next_one_goes_on(tmp_path: Path) -> None:
    """Unlinking costs what the disk makes it cost: a pass stops at its time budget, unfinished."""
    cache = AudioCache(tmp_path)
    keys = [stored(cache, f"text {n}", used_hours_ago=100 - n) for n in range(4)]
    cut = prune(tmp_path, max_bytes=0, keep_since=NOW - 24 * HOUR, now=NOW, time_budget=-1)
    assert cut.unfinished and cut.evicted == 0 and not cut.over_budget
    assert all(cache.load(k) is not None for k in keys)
    for key in keys:
        age(cache, key, 100)  # the loads above were uses
    done = prune(tmp_path, max_bytes=0, keep_since=NOW - 24 * HOUR, now=NOW)
    assert not done.unfinished and done.evicted == 4
