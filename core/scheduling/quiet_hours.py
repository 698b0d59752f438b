"""Quiet hours: no reminder wakes anyone at night. Pure time rules, shared by every kind of reminder."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """A daily local window, e.g. 21:30–06:30 (it may wrap past midnight). start == end: never quiet."""

    start: dt.time = dt.time(21, 30)
    end: dt.time = dt.time(6, 30)

    def contains(self, moment: dt.datetime, tz: ZoneInfo) -> bool:
        local = moment.astimezone(tz).time()
        if self.start == self.end:
            return False
        if self.start > self.end:  # wraps past midnight
            return local >= self.start or local < self.end
        return self.start <= local < self.end

    def next_allowed(self, moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        """The moment itself when allowed, else the end of the quiet window it falls in (aware UTC)."""
        if not self.contains(moment, tz):
            return moment.astimezone(dt.timezone.utc)
        local = moment.astimezone(tz)
        end = dt.datetime.combine(local.date(), self.end, tzinfo=tz)
        if end <= local:
            end = dt.datetime.combine(local.date() + dt.timedelta(days=1), self.end, tzinfo=tz)
        return end.astimezone(dt.timezone.utc)

    def place(self, moment: dt.datetime, *, deadline: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
        """Where a reminder due at `moment` may go: moved out of the quiet window, or None if that
        would be after `deadline` (the latest moment it is still useful)."""
        moved = self.next_allowed(moment, tz)
        return moved if moved <= deadline else None
