"""The Vietnamese lunar calendar (Hồ Ngọc Đức's algorithm, UTC+7) against known dates."""

import datetime as dt

import pytest

from core.meetings.dates import format_lunar
from core.meetings.lunar import LunarDate, astronomical, to_lunar


@pytest.mark.parametrize(
    ("solar", "lunar", "year_name"),
    [
        (dt.date(2026, 2, 17), LunarDate(1, 1, 2026), "Bính Ngọ"),  # Tết Bính Ngọ
        (dt.date(2025, 1, 29), LunarDate(1, 1, 2025), "Ất Tỵ"),  # Tết Ất Tỵ
        (dt.date(2024, 2, 10), LunarDate(1, 1, 2024), "Giáp Thìn"),
        (dt.date(2025, 10, 6), LunarDate(15, 8, 2025), "Ất Tỵ"),  # Trung thu
        (dt.date(2026, 2, 16), LunarDate(29, 12, 2025), "Ất Tỵ"),  # Giao thừa: tháng Chạp Ất Tỵ has no 30th
        (dt.date(2023, 3, 22), LunarDate(1, 2, 2023, leap=True), "Quý Mão"),  # tháng 2 nhuận
        (dt.date(2025, 7, 25), LunarDate(1, 6, 2025, leap=True), "Ất Tỵ"),  # tháng 6 nhuận
        (dt.date(2026, 12, 13), LunarDate(5, 11, 2026), "Bính Ngọ"),
    ],
)
def test_known_dates(solar: dt.date, lunar: LunarDate, year_name: str) -> None:
    found = to_lunar(solar)
    assert found == lunar
    assert found.year_name == year_name


def test_vietnam_differs_from_china_where_the_time_zone_decides() -> None:
    # Tết 1985: 21/01 in Vietnam (UTC+7), 20/02 in China (UTC+8).
    assert to_lunar(dt.date(1985, 1, 21)) == LunarDate(1, 1, 1985)
    assert to_lunar(dt.date(1985, 1, 21), tz=8.0) != LunarDate(1, 1, 1985)
    assert to_lunar(dt.date(1985, 2, 20), tz=8.0) == LunarDate(1, 1, 1985)
    # Tết 2007: 17/02 in Vietnam, 18/02 in China.
    assert to_lunar(dt.date(2007, 2, 17)) == LunarDate(1, 1, 2007)
    assert to_lunar(dt.date(2007, 2, 18), tz=8.0) == LunarDate(1, 1, 2007)


def test_every_day_of_a_year_advances_by_one_lunar_day_or_starts_a_month() -> None:
    day = dt.date(2026, 1, 1)
    previous = to_lunar(day)
    for _ in range(400):
        day += dt.timedelta(days=1)
        current = to_lunar(day)
        if current.day == 1:
            assert previous.day in (29, 30)
        else:
            assert (current.day, current.month, current.leap) == (previous.day + 1, previous.month, previous.leap)
        previous = current


def test_words() -> None:
    assert format_lunar(dt.date(2026, 12, 12)) == "mùng 4 tháng 11 âm lịch"
    assert format_lunar(dt.date(2026, 2, 17)) == "mùng 1 tháng Giêng âm lịch"
    assert format_lunar(dt.date(2025, 10, 6)) == "ngày 15 tháng 8 âm lịch"
    assert format_lunar(dt.date(2023, 3, 22)) == "mùng 1 tháng 2 nhuận âm lịch"
    assert format_lunar(dt.date(2026, 2, 16)) == "ngày 29 tháng Chạp âm lịch"


# ---------------------------------------------------------------- issue 17, item 2: every day 1901–2099

FIRST, LAST = dt.date(1901, 1, 1), dt.date(2099, 12, 31)


def _days(first: dt.date = FIRST, last: dt.date = LAST):  # type: ignore[no-untyped-def]
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def test_every_day_matches_an_independent_vietnamese_calendar() -> None:
    """Oracle: `vnlunar` (dev dependency), a separate implementation reading Hồ Ngọc Đức's
    published Vietnamese tables, which follow UTC+7 since 1968 and UTC+8 before."""
    from vnlunar.core import get_lunar_date_from_table

    wrong = []
    for day in _days():
        ours = to_lunar(day)
        theirs = get_lunar_date_from_table(day.day, day.month, day.year)
        if (ours.day, ours.month, ours.year, ours.leap) != (theirs["day"], theirs["month"], theirs["year"], bool(theirs["leap"])):
            wrong.append((day, ours, theirs))
    assert wrong == []


def test_the_reported_days_are_real_lunar_days() -> None:
    assert to_lunar(dt.date(2054, 5, 7)).day != 0 and to_lunar(dt.date(2062, 4, 9)).day != 0
    assert to_lunar(dt.date(2062, 4, 9)) == LunarDate(30, 2, 2062) and to_lunar(dt.date(2054, 5, 7)) == LunarDate(1, 4, 2054)
    # The formula (used outside the tables) never gives day 0 or a 31st either.
    assert all(1 <= astronomical(day).day <= 30 for day in _days(dt.date(2050, 1, 1), dt.date(2065, 12, 31)))


# Months where the formula's short series puts a new moon on the wrong side of midnight, so the
# formula (not the calendar) disagrees with the Chinese one: the tables are right there.
FORMULA_IMPRECISE = {(2054, 5), (2054, 6), (2072, 12), (2073, 1), (2077, 11), (2077, 12)}


def test_vietnamese_and_chinese_calendars_differ_only_where_the_time_zone_decides() -> None:
    """Oracle: `lunardate` (dev dependency; the Chinese calendar, from the Hong Kong Observatory's
    tables). Since 1968 Vietnam reckons at UTC+7 and China at UTC+8: a day may differ only when
    the new moon or the solar term falls between midnight UTC+7 and midnight UTC+8, which the
    formula shows as a different result for the two zones."""
    import lunardate

    unexplained = []
    differing = 0
    for day in _days(dt.date(1968, 1, 1)):
        ours = to_lunar(day)
        chinese = lunardate.LunarDate.from_solar_date(day.year, day.month, day.day)
        if (ours.day, ours.month, ours.year, ours.leap) == (chinese.day, chinese.month, chinese.year, chinese.is_leap_month):
            continue
        differing += 1
        if astronomical(day, 7.0) == astronomical(day, 8.0) and (day.year, day.month) not in FORMULA_IMPRECISE:
            unexplained.append(day)
    assert unexplained == [] and 0 < differing < 2000  # e.g. Tết 1985 and Tết 2007
