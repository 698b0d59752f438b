"""When reminders are due: offsets, quiet hours, collapsing, per-cell settings (pure rules)."""

import datetime as dt
from zoneinfo import ZoneInfo

from core.orgs.models import Org, OrgKind
from core.scheduling.models import ReminderKind
from core.scheduling.reminders import ReminderSettings, in_quiet_hours, next_allowed, schedule, settings_of

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT = ReminderSettings()


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HANOI)


def as_local(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(HANOI).replace(tzinfo=None)


def test_default_offsets_for_an_evening_meeting() -> None:
    due = schedule(local(2026, 12, 5, 19, 30), DEFAULT, HANOI)
    assert as_local(due[ReminderKind.EVE]) == dt.datetime(2026, 12, 4, 19, 0)
    assert as_local(due[ReminderKind.BEFORE]) == dt.datetime(2026, 12, 5, 17, 30)
    assert as_local(due[ReminderKind.NUDGE]) == dt.datetime(2026, 12, 3, 19, 30)


def test_quiet_hours_move_a_reminder_to_the_morning_when_still_useful() -> None:
    due = schedule(local(2026, 12, 5, 7, 0), DEFAULT, HANOI)
    assert as_local(due[ReminderKind.BEFORE]) == dt.datetime(2026, 12, 5, 6, 30)  # 05:00 is quiet
    assert as_local(due[ReminderKind.EVE]) == dt.datetime(2026, 12, 4, 19, 0)


def test_a_reminder_that_cannot_be_useful_is_dropped() -> None:
    due = schedule(local(2026, 12, 5, 6, 40), DEFAULT, HANOI)
    assert due[ReminderKind.BEFORE] is None  # 04:40 → 06:30 is only 10 minutes before


def test_a_late_nudge_in_the_night_moves_to_morning() -> None:
    due = schedule(local(2026, 12, 7, 23, 0), DEFAULT, HANOI)  # nudge 2 days before = 23:00, quiet
    assert as_local(due[ReminderKind.NUDGE]) == dt.datetime(2026, 12, 6, 6, 30)


def test_evening_reminder_collapses_into_the_last_one() -> None:
    # A 21:00 meeting: eve 19:00 the day before; before = 19:00 the same day — far apart, both kept.
    both = schedule(local(2026, 12, 5, 21, 0), DEFAULT, HANOI)
    assert both[ReminderKind.EVE] is not None and both[ReminderKind.BEFORE] is not None
    # With the eve reminder set at 23:00 (quiet → 06:30 the meeting day) next to an 08:00 meeting's 06:30 reminder.
    late_eve = ReminderSettings(eve_time=dt.time(23, 0))
    collapsed = schedule(local(2026, 12, 5, 8, 30), late_eve, HANOI)
    assert collapsed[ReminderKind.EVE] is None and collapsed[ReminderKind.BEFORE] is not None


def test_quiet_hours_boundaries() -> None:
    assert in_quiet_hours(local(2026, 1, 1, 21, 30), DEFAULT, HANOI)
    assert in_quiet_hours(local(2026, 1, 1, 6, 29), DEFAULT, HANOI)
    assert not in_quiet_hours(local(2026, 1, 1, 6, 30), DEFAULT, HANOI)
    assert not in_quiet_hours(local(2026, 1, 1, 21, 29), DEFAULT, HANOI)
    assert as_local(next_allowed(local(2026, 1, 1, 23, 0), DEFAULT, HANOI)) == dt.datetime(2026, 1, 2, 6, 30)
    assert as_local(next_allowed(local(2026, 1, 1, 3, 0), DEFAULT, HANOI)) == dt.datetime(2026, 1, 1, 6, 30)


def test_per_cell_settings() -> None:
    cell = Org(name="c", kind=OrgKind.CELL, settings={"reminders": {"eve_time": "18:00", "before_minutes": 60,
                                                                     "quiet_start": "22:00", "quiet_end": "05:00"}})
    settings = settings_of(cell)
    due = schedule(local(2026, 12, 5, 19, 30), settings, HANOI)
    assert as_local(due[ReminderKind.EVE]) == dt.datetime(2026, 12, 4, 18, 0)
    assert as_local(due[ReminderKind.BEFORE]) == dt.datetime(2026, 12, 5, 18, 30)
    off = settings_of(Org(name="c", kind=OrgKind.CELL, settings={"reminders": {"enabled": False}}))
    assert off.enabled is False
