"""What every periodic job is given: the tick's time and the local time zone.

A leaf below every domain: a domain's `scheduled.py` names it without importing core.scheduling
or the job registry (core.ticks), which imports every domain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
