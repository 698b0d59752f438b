"""Time as a dependency, so reminders and expiries are testable on a controllable clock."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def set(self, moment: dt.datetime) -> None:
        self._now = moment

    def advance(self, **delta: float) -> dt.datetime:
        self._now += dt.timedelta(**delta)
        return self._now


# ---------------------------------------------------------------- the local time zone

# The one place the local time zone lives. The composition root sets it from `Settings.tz`
# (SOTAY_TIMEZONE) at start-up; core reads it through these functions at call time, never as a
# module constant, so dates are shown, parsed, bucketed into months and reminded in one zone.
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
_local_tz: ZoneInfo = ZoneInfo(DEFAULT_TIMEZONE)


def local_tz() -> ZoneInfo:
    return _local_tz


def set_local_tz(tz: ZoneInfo | str) -> ZoneInfo:
    """Set the local time zone (start-up, tests); returns the previous one."""
    global _local_tz
    previous = _local_tz
    _local_tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    return previous


def local_date(moment: dt.datetime) -> dt.date:
    """The local calendar day of an aware instant."""
    return moment.astimezone(_local_tz).date()


def today(clock: Clock | None = None) -> dt.date:
    return local_date((clock or SystemClock()).now())
