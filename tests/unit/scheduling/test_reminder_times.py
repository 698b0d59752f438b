"""When reminders are due: offsets, quiet hours, collapsing, per-cell settings, the words used (pure rules)."""

import datetime as dt
from zoneinfo import ZoneInfo

from core.orgs.models import Org, OrgKind
from core.scheduling.models import ReminderKind
from core.scheduling.quiet_hours import QuietHours
from core.scheduling.reminders import schedule, time_left_words, when_words
from core.scheduling.settings import DEFAULT, ReminderSettings, settings_from, settings_of

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
QUIET = QuietHours()


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HANOI)


def as_local(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(HANOI).replace(tzinfo=None)


def test_default_offsets_for_an_evening_meeting() -> None:
    due = schedule(local(2026, 12, 5, 19, 30), DEFAULT, HANOI)
    assert as_local(due[ReminderKind.EVE]) == dt.datetime(2026, 12, 4, 19, 0)
    assert as_local(due[ReminderKind.BEFORE]) == dt.datetime(2026, 12, 5, 17, 30)
    assert as_local(due[ReminderKind.NUDGE]) == dt.datetime(2026, 12, 3, 19, 30)
    assert all(moment is not None and moment.tzinfo is not None and moment.utcoffset() == dt.timedelta(0) for moment in due.values())


def test_quiet_hours_move_a_reminder_to_the_morning_when_still_useful() -> None:
    due = schedule(local(2026, 12, 5, 7, 0), DEFAULT, HANOI)
    assert as_local(due[ReminderKind.BEFORE]) == dt.datetime(2026, 12, 5, 6, 30)  # 05:00 is quiet
    assert as_local(due[ReminderKind.EVE]) == dt.datetime(2026, 12, 4, 19, 0)


def test_a_reminder_that_cannot_be_useful_is_dropped() -> None:
    due = schedule(local(2026, 12, 5, 6, 40), DEFAULT, HANOI)
    assert due[ReminderKind.BEFORE] is None  # 04:40 → 06:30 is only 10 minutes before
    assert due[ReminderKind.EVE] is not None


def test_a_late_nudge_in_the_night_moves_to_morning() -> None:
    due = schedule(local(2026, 12, 7, 23, 0), DEFAULT, HANOI)  # nudge 2 days before = 23:00, quiet
    assert as_local(due[ReminderKind.NUDGE]) == dt.datetime(2026, 12, 6, 6, 30)


def test_evening_reminder_collapses_into_the_last_one() -> None:
    # A 21:00 meeting: eve 19:00 the day before; before = 19:00 the same day — far apart, both kept.
    both = schedule(local(2026, 12, 5, 21, 0), DEFAULT, HANOI)
    assert both[ReminderKind.EVE] is not None and both[ReminderKind.BEFORE] is not None
    # An eve reminder at 23:00 (quiet → 06:30 the meeting day) next to an 08:30 meeting's 06:30 reminder.
    collapsed = schedule(local(2026, 12, 5, 8, 30), ReminderSettings(eve_time=dt.time(23, 0)), HANOI)
    assert collapsed[ReminderKind.EVE] is None and as_local(collapsed[ReminderKind.BEFORE]) == dt.datetime(2026, 12, 5, 6, 30)


def test_reminders_switched_off() -> None:
    assert set(schedule(local(2026, 12, 5, 19, 30), ReminderSettings(enabled=False), HANOI).values()) == {None}
    no_eve = schedule(local(2026, 12, 5, 19, 30), ReminderSettings(eve_time=None, nudge=None), HANOI)
    assert no_eve[ReminderKind.EVE] is None and no_eve[ReminderKind.NUDGE] is None and no_eve[ReminderKind.BEFORE] is not None


def test_quiet_hours_boundaries() -> None:
    assert QUIET.contains(local(2026, 1, 1, 21, 30), HANOI)
    assert QUIET.contains(local(2026, 1, 1, 0, 0), HANOI)
    assert QUIET.contains(local(2026, 1, 1, 6, 29), HANOI)
    assert not QUIET.contains(local(2026, 1, 1, 6, 30), HANOI)
    assert not QUIET.contains(local(2026, 1, 1, 21, 29), HANOI)
    assert as_local(QUIET.next_allowed(local(2026, 1, 1, 23, 0), HANOI)) == dt.datetime(2026, 1, 2, 6, 30)
    assert as_local(QUIET.next_allowed(local(2026, 1, 1, 3, 0), HANOI)) == dt.datetime(2026, 1, 1, 6, 30)
    assert QUIET.next_allowed(local(2026, 1, 1, 12, 0), HANOI) == local(2026, 1, 1, 12, 0)
    # Given in UTC, judged in local time: 15:00 UTC is 22:00 in Hà Nội.
    assert QUIET.contains(dt.datetime(2026, 1, 1, 15, 0, tzinfo=dt.timezone.utc), HANOI)


def test_quiet_hours_that_do_not_wrap_midnight_and_none_at_all() -> None:
    siesta = QuietHours(start=dt.time(12, 0), end=dt.time(13, 30))
    assert siesta.contains(local(2026, 1, 1, 12, 45), HANOI) and not siesta.contains(local(2026, 1, 1, 23, 0), HANOI)
    assert as_local(siesta.next_allowed(local(2026, 1, 1, 12, 45), HANOI)) == dt.datetime(2026, 1, 1, 13, 30)
    never = QuietHours(start=dt.time(0, 0), end=dt.time(0, 0))
    assert not never.contains(local(2026, 1, 1, 3, 0), HANOI)
    assert QUIET.place(local(2026, 1, 1, 23, 0), deadline=local(2026, 1, 2, 6, 0), tz=HANOI) is None


def test_per_cell_settings() -> None:
    cell = Org(name="c", kind=OrgKind.CELL, settings={"reminders": {"eve_time": "18:00", "before_minutes": 60,
                                                                     "quiet_start": "22:00", "quiet_end": "05:00"}})
    settings = settings_of(cell)
    due = schedule(local(2026, 12, 5, 19, 30), settings, HANOI)
    assert as_local(due[ReminderKind.EVE]) == dt.datetime(2026, 12, 4, 18, 0)
    assert as_local(due[ReminderKind.BEFORE]) == dt.datetime(2026, 12, 5, 18, 30)
    assert settings.quiet == QuietHours(start=dt.time(22, 0), end=dt.time(5, 0))
    assert settings_from({"reminders": {"enabled": False}}).enabled is False
    assert settings_of(None) == DEFAULT == settings_from({}) == settings_from({"reminders": None})


def test_bad_settings_fall_back_to_the_defaults() -> None:
    typos = settings_from({"reminders": {"eve_time": "7pm", "before_minutes": "abc", "nudge_hours": 10_000,
                                         "quiet_start": "25:00", "quiet_end": None, "study_days_before": [0, 99]}})
    assert typos == DEFAULT
    assert settings_from({"reminders": "yes"}) == DEFAULT
    off = settings_from({"reminders": {"eve_time": None, "before_minutes": 0, "nudge_hours": 0}})
    assert off.eve_time is None and off.before is None and off.nudge is None


def test_when_words_are_relative_to_today() -> None:
    now = local(2026, 12, 4, 19, 0)
    assert when_words(local(2026, 12, 5, 19, 30), now, HANOI) == "19:30 tối mai (Thứ Bảy, 05/12/2026)"
    assert when_words(local(2026, 12, 4, 20, 0), now, HANOI) == "20:00 tối nay (Thứ Sáu, 04/12/2026)"
    assert when_words(local(2026, 12, 5, 7, 30), now, HANOI) == "07:30 sáng mai (Thứ Bảy, 05/12/2026)"
    assert when_words(local(2026, 12, 5, 14, 0), now, HANOI) == "14:00 chiều mai (Thứ Bảy, 05/12/2026)"
    assert when_words(local(2026, 12, 7, 11, 30), now, HANOI) == "11:30 trưa Thứ Hai, 07/12/2026"


def test_time_left_words() -> None:
    assert time_left_words(dt.timedelta(hours=2)) == "2 tiếng"
    assert time_left_words(dt.timedelta(hours=1, minutes=35)) == "1 tiếng rưỡi"
    assert time_left_words(dt.timedelta(minutes=44)) == "45 phút"
    assert time_left_words(dt.timedelta(minutes=1)) == "5 phút"
