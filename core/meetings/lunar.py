"""The Vietnamese lunar calendar (âm lịch), after Hồ Ngọc Đức's algorithm.

Vietnam reckons new moons and solar terms at UTC+7, China at UTC+8, so the two calendars
disagree now and then (Tết 1985 fell on 21/01 in Vietnam and 20/02 in China; Tết 2007 on
17/02 and 18/02). The astronomy follows Jean Meeus, "Astronomical Algorithms" (1998).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from core import texts

VIETNAM_TZ_HOURS = 7.0
_SYNODIC_MONTH = 29.530588853
_EPOCH_NEW_MOON = 2415021.076998695  # the new moon of 1900-01-01 (JD)



@dataclass(frozen=True)
class LunarDate:
    day: int
    month: int
    year: int
    leap: bool = False

    @property
    def year_name(self) -> str:
        """The sexagenary name of the lunar year, e.g. "Bính Ngọ" for 2026."""
        return f"{texts.meetings.LUNAR_STEMS[(self.year + 6) % 10]} {texts.meetings.LUNAR_BRANCHES[(self.year + 8) % 12]}"


def julian_day(day: int, month: int, year: int) -> int:
    """The Julian day number of a date (Gregorian after 1582-10-15, Julian before)."""
    a = (14 - month) // 12
    y = year + 4800 - a
    m = month + 12 * a - 3
    jd = day + (153 * m + 2) // 5 + 365 * y + y // 4 - y // 100 + y // 400 - 32045
    if jd < 2299161:
        jd = day + (153 * m + 2) // 5 + 365 * y + y // 4 - 32083
    return jd


def _new_moon(k: int) -> float:
    """The moment (JD, UT) of the k-th new moon after the one of 1900-01-01."""
    t = k / 1236.85
    t2 = t * t
    t3 = t2 * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 = c1 - 0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 = c1 - 0.0004 * math.sin(dr * 3 * mpr)
    c1 = c1 + 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 = c1 - 0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 = c1 - 0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 = c1 + 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - delta_t


def _new_moon_day(k: int, tz: float) -> int:
    """The local day (JDN) on which the k-th new moon falls."""
    return int(math.floor(_new_moon(k) + 0.5 + tz / 24))


def _sun_longitude(jd: float) -> float:
    """The sun's apparent longitude in radians, in [0, 2π), at a moment given in JD (UT)."""
    t = (jd - 2451545.0) / 36525
    t2 = t * t
    dr = math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    longitude = (l0 + dl) * dr
    return longitude - math.pi * 2 * math.floor(longitude / (math.pi * 2))


def _sun_sector(day_number: int, tz: float) -> int:
    """Which twelfth of the ecliptic (0..11) the sun is in at the start of a local day."""
    return int(math.floor(_sun_longitude(day_number - 0.5 - tz / 24) / math.pi * 6))


def _lunar_month_11(year: int, tz: float) -> int:
    """The first day of the lunar month containing the winter solstice of `year`."""
    offset = julian_day(31, 12, year) - 2415021
    k = int(math.floor(offset / _SYNODIC_MONTH))
    new_moon = _new_moon_day(k, tz)
    if _sun_sector(new_moon, tz) >= 9:
        new_moon = _new_moon_day(k - 1, tz)
    return new_moon


def _leap_month_offset(month_11: int, tz: float) -> int:
    """In a 13-month year, the index (after month 11) of the first month with no major solar term."""
    k = int(math.floor((month_11 - _EPOCH_NEW_MOON) / _SYNODIC_MONTH + 0.5))
    i = 1
    arc = _sun_sector(_new_moon_day(k + i, tz), tz)
    while True:
        last = arc
        i += 1
        arc = _sun_sector(_new_moon_day(k + i, tz), tz)
        if arc == last or i >= 14:
            break
    return i - 1


# Hồ Ngọc Đức's published tables of the Vietnamese calendar, 1900–2099 (amlich.js, "TK20" and
# "TK21"), computed with precise astronomy and with the UTC+8 reckoning Vietnam used before 1968.
# One code per solar year: bits 17+ the offset of Tết from 1 January, bit 16 the length of the
# leap month (0: 29 days, 1: 30), bits 4–15 the lengths of months 1..12 (month 1 highest), bits
# 0–3 the leap month (0: none). The formula above reproduces them except where a new moon falls
# within minutes of midnight (its short series is that precise); it serves outside 1900–2099.
_TK20 = (
    0x3c4bd8, 0x624ae0, 0x4ca570, 0x3854d5, 0x5cd260, 0x44d950, 0x315554, 0x5656a0, 0x409ad0, 0x2a55d2,
    0x504ae0, 0x3aa5b6, 0x60a4d0, 0x48d250, 0x33d255, 0x58b540, 0x42d6a0, 0x2cada2, 0x5295b0, 0x3f4977,
    0x644970, 0x4ca4b0, 0x36b4b5, 0x5c6a50, 0x466d50, 0x312b54, 0x562b60, 0x409570, 0x2c52f2, 0x504970,
    0x3a6566, 0x5ed4a0, 0x48ea50, 0x336a95, 0x585ad0, 0x442b60, 0x2f86e3, 0x5292e0, 0x3dc8d7, 0x62c950,
    0x4cd4a0, 0x35d8a6, 0x5ab550, 0x4656a0, 0x31a5b4, 0x5625d0, 0x4092d0, 0x2ad2b2, 0x50a950, 0x38b557,
    0x5e6ca0, 0x48b550, 0x355355, 0x584da0, 0x42a5b0, 0x2f4573, 0x5452b0, 0x3ca9a8, 0x60e950, 0x4c6aa0,
    0x36aea6, 0x5aab50, 0x464b60, 0x30aae4, 0x56a570, 0x405260, 0x28f263, 0x4ed940, 0x38db47, 0x5cd6a0,
    0x4896d0, 0x344dd5, 0x5a4ad0, 0x42a4d0, 0x2cd4b4, 0x52b250, 0x3cd558, 0x60b540, 0x4ab5a0, 0x3755a6,
    0x5c95b0, 0x4649b0, 0x30a974, 0x56a4b0, 0x40aa50, 0x29aa52, 0x4e6d20, 0x39ad47, 0x5eab60, 0x489370,
    0x344af5, 0x5a4970, 0x4464b0, 0x2c74a3, 0x50ea50, 0x3d6a58, 0x6256a0, 0x4aaad0, 0x3696d5, 0x5c92e0,
)
_TK21 = (
    0x46c960, 0x2ed954, 0x54d4a0, 0x3eda50, 0x2a7552, 0x4e56a0, 0x38a7a7, 0x5ea5d0, 0x4a92b0, 0x32aab5,
    0x58a950, 0x42b4a0, 0x2cbaa4, 0x50ad50, 0x3c55d9, 0x624ba0, 0x4ca5b0, 0x375176, 0x5c5270, 0x466930,
    0x307934, 0x546aa0, 0x3ead50, 0x2a5b52, 0x504b60, 0x38a6e6, 0x5ea4e0, 0x48d260, 0x32ea65, 0x56d520,
    0x40daa0, 0x2d56a3, 0x5256d0, 0x3c4afb, 0x6249d0, 0x4ca4d0, 0x37d0b6, 0x5ab250, 0x44b520, 0x2edd25,
    0x54b5a0, 0x3e55d0, 0x2a55b2, 0x5049b0, 0x3aa577, 0x5ea4b0, 0x48aa50, 0x33b255, 0x586d20, 0x40ad60,
    0x2d4b63, 0x525370, 0x3e49e8, 0x60c970, 0x4c54b0, 0x3768a6, 0x5ada50, 0x445aa0, 0x2fa6a4, 0x54aad0,
    0x4052e0, 0x28d2e3, 0x4ec950, 0x38d557, 0x5ed4a0, 0x46d950, 0x325d55, 0x5856a0, 0x42a6d0, 0x2c55d4,
    0x5252b0, 0x3ca9b8, 0x62a930, 0x4ab490, 0x34b6a6, 0x5aad50, 0x4655a0, 0x2eab64, 0x54a570, 0x4052b0,
    0x2ab173, 0x4e6930, 0x386b37, 0x5e6aa0, 0x48ad50, 0x332ad5, 0x582b60, 0x42a570, 0x2e52e4, 0x50d160,
    0x3ae958, 0x60d520, 0x4ada90, 0x355aa6, 0x5a56d0, 0x462ae0, 0x30a9d4, 0x54a2d0, 0x3ed150, 0x28e952,
)
_TABLE_FIRST_YEAR = 1900


def _table_year(year: int) -> list[tuple[int, int, bool]]:
    """(first day as JDN, month, leap) of each month of the lunar year that starts in `year`."""
    code = (_TK20 + _TK21)[year - _TABLE_FIRST_YEAR]
    lengths = [30 if code >> (4 + 11 - index) & 1 else 29 for index in range(12)]
    leap_month, leap_length = code & 0xF, 30 if code >> 16 & 1 else 29
    start = julian_day(1, 1, year) + (code >> 17)
    months: list[tuple[int, int, bool]] = []
    for month in range(1, 13):
        months.append((start, month, False))
        start += lengths[month - 1]
        if month == leap_month:
            months.append((start, month, True))
            start += leap_length
    return months


def _from_table(day: dt.date) -> LunarDate | None:
    if not _TABLE_FIRST_YEAR + 1 <= day.year <= _TABLE_FIRST_YEAR + 199:
        return None
    day_number = julian_day(day.day, day.month, day.year)
    year = day.year
    months = _table_year(year)
    if day_number < months[0][0]:
        year -= 1
        months = _table_year(year)
    start, month, leap = next(m for m in reversed(months) if m[0] <= day_number)
    return LunarDate(day=day_number - start + 1, month=month, year=year, leap=leap)


def to_lunar(day: dt.date, tz: float | None = None) -> LunarDate:
    """The lunar date of a solar (Gregorian) date in the Vietnamese calendar: Hồ Ngọc Đức's
    tables for 1901–2099, the formula elsewhere. With `tz` (hours east of UTC), the formula's
    reckoning for that time zone (8.0: the Chinese calendar, near enough)."""
    if tz is None:
        found = _from_table(day)
        if found is not None:
            return found
        tz = VIETNAM_TZ_HOURS
    return astronomical(day, tz)


def astronomical(day: dt.date, tz: float = VIETNAM_TZ_HOURS) -> LunarDate:
    """The lunar date by Hồ Ngọc Đức's formula for a time zone."""
    day_number = julian_day(day.day, day.month, day.year)
    # The mean lunation only estimates which new moon began the month: the true one can fall a
    # day or two either side, so step until new moon k is on or before the day and k + 1 after it
    # (stopping at the first candidate gave "day 0" on 2054-05-07 and 2062-04-09).
    k = int(math.floor((day_number - _EPOCH_NEW_MOON) / _SYNODIC_MONTH)) + 1
    while _new_moon_day(k, tz) > day_number:
        k -= 1
    while _new_moon_day(k + 1, tz) <= day_number:
        k += 1
    month_start = _new_moon_day(k, tz)
    a11 = _lunar_month_11(day.year, tz)
    b11 = a11
    if a11 >= month_start:
        lunar_year = day.year
        a11 = _lunar_month_11(day.year - 1, tz)
    else:
        lunar_year = day.year + 1
        b11 = _lunar_month_11(day.year + 1, tz)
    lunar_day = day_number - month_start + 1
    diff = int(math.floor((month_start - a11) / 29))
    leap = False
    lunar_month = diff + 11
    if b11 - a11 > 365:
        leap_offset = _leap_month_offset(a11, tz)
        if diff >= leap_offset:
            lunar_month = diff + 10
            leap = diff == leap_offset
    if lunar_month > 12:
        lunar_month -= 12
    if lunar_month >= 11 and diff < 4:
        lunar_year -= 1
    return LunarDate(day=lunar_day, month=lunar_month, year=lunar_year, leap=leap)
