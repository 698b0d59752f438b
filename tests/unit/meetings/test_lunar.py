"""The Vietnamese lunar calendar (Hồ Ngọc Đức's algorithm, UTC+7) against known dates."""

import datetime as dt

import pytest

from core.meetings.dates import format_lunar
from core.meetings.lunar import LunarDate, to_lunar


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
