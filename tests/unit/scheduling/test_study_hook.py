"""The study-deadline hook: which reminder is due, with quiet hours, catch-up and stale ones skipped."""

import datetime as dt
from zoneinfo import ZoneInfo

from core.scheduling.settings import DEFAULT, settings_from
from core.scheduling.study import due_study_reminder, study_reminder_times

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
DEADLINE = dt.datetime(2026, 12, 10, 23, 59, tzinfo=HANOI)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HANOI)


def test_times_three_days_and_one_day_before_at_seven_in_the_evening() -> None:
    times = study_reminder_times(DEADLINE, settings=DEFAULT, tz=HANOI)
    assert times == {"d3": local(2026, 12, 7, 19, 0), "d1": local(2026, 12, 9, 19, 0)}


def test_the_right_one_at_the_right_time() -> None:
    def due(now: dt.datetime, sent: tuple[str, ...] = ()) -> str | None:
        return due_study_reminder(DEADLINE, now=now, tz=HANOI, settings=DEFAULT, already_sent=sent)

    assert due(local(2026, 12, 7, 18, 59)) is None
    assert due(local(2026, 12, 7, 19, 0)) == "d3"
    assert due(local(2026, 12, 7, 19, 5), ("d3",)) is None
    assert due(local(2026, 12, 9, 19, 0), ("d3",)) == "d1"
    # Down from before d3 until after d1: only d1 is sent, d3 is skipped.
    assert due(local(2026, 12, 9, 20, 0)) == "d1"
    assert due(local(2026, 12, 9, 20, 5), ("d1",)) is None
    # Caught up at night: not now; in the morning, yes.
    assert due(local(2026, 12, 9, 23, 0)) is None
    assert due(local(2026, 12, 10, 6, 30)) == "d1"
    # Too close to the deadline, or past it: stale.
    assert due(local(2026, 12, 10, 23, 30)) is None
    assert due(local(2026, 12, 11, 9, 0)) is None


def test_per_cell_study_settings_and_switched_off() -> None:
    settings = settings_from({"reminders": {"study_days_before": [1, 5], "study_time": "07:00", "quiet_end": "07:30"}})
    assert study_reminder_times(DEADLINE, settings=settings, tz=HANOI) == {"d5": local(2026, 12, 5, 7, 30), "d1": local(2026, 12, 9, 7, 30)}
    off = settings_from({"reminders": {"enabled": False}})
    assert due_study_reminder(DEADLINE, now=local(2026, 12, 9, 20, 0), tz=HANOI, settings=off) is None
