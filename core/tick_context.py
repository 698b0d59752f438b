"""What every periodic job is given: the tick's time and the local time zone.

Outside core.scheduling, which imports every domain's jobs (core.scheduling.ticks): a domain's
`scheduled.py` names it without its package importing core.scheduling (no package cycle).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class TickContext:
    now: dt.datetime
    tz: ZoneInfo
