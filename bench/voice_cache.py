"""The audio cache's housekeeping at size: `python -m bench.voice_cache [--entries 1000 10000 30000] [--parts 2] [--part-kb 2]`

For each N, fills a scratch folder with N cache entries as `voice.cache.AudioCache.store` writes them
(`--parts` OGG parts and a manifest each: 3 files an entry by default, spread over the 256 buckets),
last used at random over the past 30 days, then times what the scheduler's pass does
(`core.recordings.audio_cache.prune_now`: `voice.cache.survey` then `voice.cache.prune`):

- `survey_s`: the scan alone (every pass pays it, under budget too);
- `evict_half_s`: a pass over budget by half: the older half of the entries evicted (3 files each
  unlinked), entries used in the last 72 h kept;
- `idle_pass_s`: the next pass, under budget: a scan and nothing to remove;
- `ms_per_file_removed`: the eviction's time (its own scan excluded) per file unlinked — mostly the
  disk's unlink time (no `time_budget` here; the scheduler's pass stops after 5 s and goes on at the next tick).

File sizes do not change the times much (a scan stats, an eviction unlinks); real parts are
100-400 KB, the default here is 2 KB to keep the scratch folder small. Prints one JSON object per N
with the load average; the folder is removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from voice.cache import AudioCache, prune, survey

DAY = 86400.0


def fill(directory: Path, entries: int, *, parts: int, part_bytes: int, now: float, rng: random.Random) -> int:
    """Entries named and laid out as AudioCache.store writes them (without its fsync per file: filling is not measured)."""
    cache = AudioCache(directory)
    data = os.urandom(part_bytes)
    manifest = json.dumps({"engine": "espeak", "durations": [60.0] * parts}).encode()
    for index in range(entries):
        key = hashlib.sha256(f"bench entry {index}".encode()).hexdigest()
        cache.manifest_path(key).parent.mkdir(exist_ok=True)
        files = [cache.part_path(key, part) for part in range(parts)] + [cache.manifest_path(key)]
        moment = now - rng.uniform(0, 30 * DAY)
        for path in files:
            path.write_bytes(manifest if path.suffix == ".json" else data)
            os.utime(path, (moment, moment))
    return survey(directory, now=now).total


def measure(entries: int, *, parts: int, part_bytes: int) -> dict[str, object]:
    rng = random.Random(entries)
    folder = Path(tempfile.mkdtemp(prefix="sotay-bench-cache-"))
    try:
        now = time.time()
        started = time.perf_counter()
        total = fill(folder, entries, parts=parts, part_bytes=part_bytes, now=now, rng=rng)
        filled = time.perf_counter() - started
        os.sync()  # the fill's writes on disk first: a real cache was written long before the pass
        keep_since = now - 3 * DAY
        scanned = survey(folder, now=now)
        over = prune(folder, max_bytes=total // 2, keep_since=keep_since, now=now)
        idle = prune(folder, max_bytes=total // 2, keep_since=keep_since, now=now)
        return {
            "entries": entries, "files": entries * (parts + 1), "megabytes": round(total / 2**20, 1),
            "fill_s": round(filled, 2), "survey_s": round(scanned.seconds, 3),
            "evict_half_s": round(over.seconds, 3), "evicted": over.evicted, "kept_in_use": over.kept_in_use,
            "ms_per_file_removed": round(1000 * (over.seconds - scanned.seconds) / max(1, over.evicted * (parts + 1)), 3),
            "idle_pass_s": round(idle.seconds, 3), "idle_evicted": idle.evicted,
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, nargs="+", default=[1000, 10000, 30000])
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--part-kb", type=float, default=2.0)
    args = parser.parse_args()
    for entries in args.entries:
        print(json.dumps(measure(entries, parts=args.parts, part_bytes=int(args.part_kb * 1024))), flush=True)


if __name__ == "__main__":
    main()
