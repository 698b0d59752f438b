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


def to_lunar(day: dt.date, tz: float = VIETNAM_TZ_HOURS) -> LunarDate:
    """The lunar date of a solar (Gregorian) date, in the Vietnamese reckoning by default."""
    day_number = julian_day(day.day, day.month, day.year)
    k = int(math.floor((day_number - _EPOCH_NEW_MOON) / _SYNODIC_MONTH))
    month_start = _new_moon_day(k + 1, tz)
    if month_start > day_number:
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
