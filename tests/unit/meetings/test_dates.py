"""Reading the dates and times secretaries type, and writing them the way members read them."""

import datetime as dt

import pytest

from core import texts
from core.errors import InvalidInput
from core.meetings import dates
from core.meetings.dates import ParsedWhen, parse_when

TODAY = dt.date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4/12 19h30", ParsedWhen(dt.date(2026, 12, 4), dt.time(19, 30))),
        ("04/12/2026 19:30", ParsedWhen(dt.date(2026, 12, 4), dt.time(19, 30))),
        ("19h ngày 4/12", ParsedWhen(dt.date(2026, 12, 4), dt.time(19, 0))),
        ("19h30 ngày 4 tháng 12", ParsedWhen(dt.date(2026, 12, 4), dt.time(19, 30))),
        ("ngày 4 tháng 12 năm 2026 lúc 8 giờ", ParsedWhen(dt.date(2026, 12, 4), dt.time(8, 0))),
        ("4-12-26 7h", ParsedWhen(dt.date(2026, 12, 4), dt.time(7, 0))),
        ("4.12 14g30", ParsedWhen(dt.date(2026, 12, 4), dt.time(14, 30))),
        ("mai 19h", ParsedWhen(dt.date(2026, 11, 24), dt.time(19, 0))),
        ("ngày mai 7 giờ 30 tối", ParsedWhen(dt.date(2026, 11, 24), dt.time(19, 30))),
        ("ngày kia 2h chiều", ParsedWhen(dt.date(2026, 11, 25), dt.time(14, 0))),
        ("hôm nay 20:00", ParsedWhen(dt.date(2026, 11, 23), dt.time(20, 0))),
        ("thứ 7 tuần này", ParsedWhen(dt.date(2026, 11, 28), None)),
        ("Thứ Bảy tuần này 8h sáng", ParsedWhen(dt.date(2026, 11, 28), dt.time(8, 0))),
        ("thu bay tuan sau 19h", ParsedWhen(dt.date(2026, 12, 5), dt.time(19, 0))),
        ("t7 tuần tới 7h", ParsedWhen(dt.date(2026, 12, 5), dt.time(7, 0))),  # "tới" is not "tối"
        ("chủ nhật 14h", ParsedWhen(dt.date(2026, 11, 29), dt.time(14, 0))),
        ("CN tuần sau", ParsedWhen(dt.date(2026, 12, 6), None)),
        ("thứ hai", ParsedWhen(dt.date(2026, 11, 23), None)),
        ("mùng 4", ParsedWhen(dt.date(2026, 12, 4), None)),
        ("ngày 25", ParsedWhen(dt.date(2026, 11, 25), None)),
        ("5/1", ParsedWhen(None, None, next_year=dt.date(2027, 1, 5))),  # already past this year: asked about, not assumed
        ("19h30", ParsedWhen(None, dt.time(19, 30))),
        ("7h tối", ParsedWhen(None, dt.time(19, 0))),
        ("12h trưa", ParsedWhen(None, dt.time(12, 0))),
        ("  4/12   lúc   19 giờ  ", ParsedWhen(dt.date(2026, 12, 4), dt.time(19, 0))),
    ],
)
def test_understands(typed: str, expected: ParsedWhen) -> None:
    assert parse_when(typed, today=TODAY) == expected


@pytest.mark.parametrize(
    ("typed", "message_start"),
    [
        ("31/2 19h", texts.meetings.DATE_IMPOSSIBLE.split("«")[0]),
        ("30/02/2027", texts.meetings.DATE_IMPOSSIBLE.split("«")[0]),
        ("4/13", texts.meetings.DATE_IMPOSSIBLE.split("«")[0]),
        ("0/12", texts.meetings.DATE_IMPOSSIBLE.split("«")[0]),
        ("ngày 32", texts.meetings.DATE_IMPOSSIBLE.split("«")[0]),
        ("25h", texts.meetings.TIME_IMPOSSIBLE.split("«")[0]),
        ("4/12 19h75", texts.meetings.TIME_IMPOSSIBLE.split("«")[0]),
        ("họp chi bộ", texts.meetings.WHEN_NOT_UNDERSTOOD[:20]),
        ("", texts.meetings.WHEN_NOT_UNDERSTOOD[:20]),
    ],
)
def test_refuses_with_a_clear_message(typed: str, message_start: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        parse_when(typed, today=TODAY)
    assert refusal.value.message.startswith(message_start)


def test_a_day_past_this_year_is_asked_about_never_assumed() -> None:
    """Issue 17 item 7: "4/12 19h30" (the bot's own example) typed on 7/12 silently became 04/12/2027."""
    on_the_7th = dt.date(2026, 12, 7)
    parsed = parse_when("4/12 19h30", today=on_the_7th)
    assert parsed == ParsedWhen(date=None, time=dt.time(19, 30), next_year=dt.date(2027, 12, 4))
    assert parse_when("ngày 4 tháng 12", today=on_the_7th).date is None
    # Today, a coming day, and a day with its year typed are taken as they are.
    assert parse_when("7/12 19h30", today=on_the_7th).date == dt.date(2026, 12, 7)
    assert parse_when("8/12", today=on_the_7th).date == dt.date(2026, 12, 8)
    assert parse_when("4/12/2027", today=on_the_7th).date == dt.date(2027, 12, 4)


@pytest.mark.parametrize("today", [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(0, 366, 3)] + [dt.date(2026, 12, 31)])
def test_the_example_shown_is_always_a_coming_day_taken_as_typed(today: dt.date) -> None:
    example = dates.example_day(today)
    parsed = parse_when(f"{example} 19h30", today=today)
    assert parsed.next_year is None and parsed.date is not None and parsed.date > today
    assert example in dates.when_not_understood(today)


def test_explicit_past_year_is_kept_for_the_past_check() -> None:
    assert parse_when("4/12/2025 19h", today=TODAY).date == dt.date(2025, 12, 4)


def test_formatting_in_vietnamese() -> None:
    moment = dt.datetime(2026, 12, 5, 12, 30, tzinfo=dt.timezone.utc)  # 19:30 in Hà Nội
    assert dates.format_when(moment) == "Thứ Bảy, 05/12/2026 — 19:30"
    assert dates.format_day(dt.date(2026, 12, 6)) == "Chủ Nhật, 06/12/2026"
    assert dates.format_short_day(dt.date(2026, 11, 23)) == "Thứ Hai 23/11"
    assert dates.to_utc(dt.date(2026, 12, 5), dt.time(19, 30)) == moment


def test_monthly_days_are_clamped_to_short_months() -> None:
    assert dates.next_monthly(31, dt.date(2026, 2, 1)) == dt.date(2026, 2, 28)
    assert dates.next_monthly(31, dt.date(2026, 3, 1)) == dt.date(2026, 3, 31)
    assert dates.next_monthly(4, dt.date(2026, 12, 5)) == dt.date(2027, 1, 4)
    assert dates.next_monthly(4, dt.date(2026, 12, 4)) == dt.date(2026, 12, 4)


def test_suggestions_are_the_usual_day_then_weekends() -> None:
    assert dates.suggest_dates(TODAY, usual_day_of_month=4) == [
        dt.date(2026, 11, 28), dt.date(2026, 11, 29), dt.date(2026, 12, 4), dt.date(2026, 12, 5),
    ]
    assert dates.suggest_dates(TODAY) == [dt.date(2026, 11, 28), dt.date(2026, 11, 29), dt.date(2026, 12, 5), dt.date(2026, 12, 6)]


def test_month_grid_starts_on_monday() -> None:
    grid = dates.month_grid(2026, 12)
    assert grid[0][:2] == [None, dt.date(2026, 12, 1)]  # 1/12/2026 is a Tuesday
    assert all(len(week) == 7 for week in grid)
    assert sum(1 for week in grid for day in week if day) == 31
