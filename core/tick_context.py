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
