"""What every periodic job is given: the tick's time and the local time zone.

Apart from core.scheduling.ticks, which imports every domain's jobs, so that those jobs can name
it without an import cycle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class TickContext:
    now: dt.datetime
    tz: ZoneInfo
