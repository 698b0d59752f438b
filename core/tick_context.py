"""What every periodic job is given: the tick's time and the local time zone.

A leaf below every domain: a domain's `scheduled.py` names it without importing core.scheduling
or the job registry (core.ticks), which imports every domain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class TickContext:
    now: dt.datetime
    tz: ZoneInfo
    # The once-only «no recording yet» reminder (core.recordings.scheduled): a published document is
    # due this long after publishing, and no longer once it is older than the window. Settings
    # SOTAY_RECORDING_REMINDER_MINUTES and SOTAY_RECORDING_REMINDER_WINDOW_DAYS (docs/voices.md).
    recording_reminder_delay: dt.timedelta = dt.timedelta(minutes=30)
    recording_reminder_window: dt.timedelta = dt.timedelta(days=7)
    # The synthetic voice's audio cache (core.recordings.audio_cache): its folder (None: not pruned),
    # its size budget and how long an entry used is never evicted. Settings SOTAY_VOICE_CACHE_MAX_MB
    # and SOTAY_VOICE_CACHE_KEEP_HOURS (docs/voices.md).
    voice_cache_dir: Path | None = None
    voice_cache_max_bytes: int = 2048 * 1024 * 1024
    voice_cache_keep: dt.timedelta = dt.timedelta(hours=72)
