"""Dates and times as Vietnamese people say and read them.

Parsing understands what a secretary types ("4/12 19h30", "04/12/2026 19:30", "19h ngày 4/12",
"mai 19h", "thứ 7 tuần này 8h sáng"), with or without accents. Formatting gives the weekday in
Vietnamese ("Thứ Bảy, 05/12/2026 — 19:30") and, when a cell wants it, the lunar date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core import texts
from core.clock import local_tz
from core.errors import InvalidInput
from core.folding import strip_accents
from core.meetings.lunar import LunarDate, to_lunar



def __getattr__(name: str) -> ZoneInfo:
    # `dates.LOCAL_TZ`, kept for callers written before the zone came from settings: always the
    # zone set at start-up (core.clock.set_local_tz), read when asked, never a constant.
    if name == "LOCAL_TZ":
        return local_tz()
    raise AttributeError(name)


COMMON_TIMES = (
    dt.time(7, 0), dt.time(7, 30), dt.time(8, 0), dt.time(14, 0),
    dt.time(14, 30), dt.time(19, 0), dt.time(19, 30), dt.time(20, 0),
)


# ---------------------------------------------------------------- formatting


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(local_tz())


def weekday_name(day: dt.date) -> str:
    return texts.common.WEEKDAYS[day.weekday()]


def format_day(day: dt.date) -> str:
    """"Thứ Bảy, 05/12/2026"."""
    return texts.meetings.DAY_FORMAT.format(weekday=weekday_name(day), date=day.strftime("%d/%m/%Y"))


def format_short_day(day: dt.date) -> str:
    """"Thứ Bảy 05/12" — for buttons."""
    return texts.meetings.SHORT_DAY_FORMAT.format(weekday=weekday_name(day), date=day.strftime("%d/%m"))


def format_time(value: dt.time) -> str:
    return value.strftime("%H:%M")


def format_when(moment: dt.datetime) -> str:
    """"Thứ Bảy, 05/12/2026 — 19:30", in the local time zone (SOTAY_TIMEZONE)."""
    at = local(moment)
    return texts.meetings.WHEN_FORMAT.format(day=format_day(at.date()), time=format_time(at.time()))


def lunar_day_words(lunar: LunarDate) -> str:
    day = texts.meetings.LUNAR_DAY_EARLY if lunar.day <= 10 else texts.meetings.LUNAR_DAY_LATE
    month = texts.meetings.LUNAR_MONTH_NAMES.get(lunar.month, str(lunar.month))
    leap = texts.meetings.LUNAR_LEAP if lunar.leap else ""
    return texts.meetings.LUNAR_FORMAT.format(day=day.format(day=lunar.day), month=month, leap=leap)


def format_lunar(day: dt.date) -> str:
    """"mùng 4 tháng 11 âm lịch" (Vietnamese reckoning, UTC+7)."""
    return lunar_day_words(to_lunar(day))


# ---------------------------------------------------------------- arithmetic


def to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=local_tz()).astimezone(dt.timezone.utc)


def clamp_day(year: int, month: int, day_of_month: int) -> dt.date:
    """The day_of_month-th of a month, or its last day when the month is shorter (31 → 30, 28…)."""
    return dt.date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def add_months(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


def next_monthly(day_of_month: int, on_or_after: dt.date) -> dt.date:
    """The first "day_of_month of a month" on or after a date."""
    candidate = clamp_day(on_or_after.year, on_or_after.month, day_of_month)
    if candidate >= on_or_after:
        return candidate
    year, month = add_months(on_or_after.year, on_or_after.month, 1)
    return clamp_day(year, month, day_of_month)


def next_weekday(today: dt.date, weekday: int, *, include_today: bool = False) -> dt.date:
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and not include_today:
        ahead = 7
    return today + dt.timedelta(days=ahead)


def suggest_dates(today: dt.date, *, usual_day_of_month: int | None = None, count: int = 4) -> list[dt.date]:
    """Dates a secretary most likely wants: the cell's usual day of the month, then the coming weekends."""
    found: list[dt.date] = []
    if usual_day_of_month is not None:
        found.append(next_monthly(usual_day_of_month, today + dt.timedelta(days=1)))
    day = today + dt.timedelta(days=1)
    while len(found) < count and day <= today + dt.timedelta(days=60):
        if day.weekday() in (5, 6) and day not in found:
            found.append(day)
        day += dt.timedelta(days=1)
    return sorted(found[:count])


def month_grid(year: int, month: int) -> list[list[dt.date | None]]:
    """Weeks of a month, Monday first; None outside the month."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[day if day.month == month else None for day in week] for week in weeks]


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True)
class ParsedWhen:
    date: dt.date | None = None
    time: dt.time | None = None
    # A day and month typed without a year that has already passed this year ("4/12" typed on 7/12):
    # never assumed to mean next year. `date` stays None and this is the same day next year, to ask about.
    next_year: dt.date | None = None


def example_day(today: dt.date) -> str:
    """A date to show as an example of typing one: a week ahead, so it is always in the future; with
    its year when that is next year (a bare "4/1" typed in December would be asked about)."""
    day = today + dt.timedelta(days=7)
    return f"{day.day}/{day.month}" if day.year == today.year else f"{day.day}/{day.month}/{day.year}"


def when_not_understood(today: dt.date) -> str:
    day = today + dt.timedelta(days=7)
    return texts.meetings.WHEN_NOT_UNDERSTOOD.format(example=example_day(today), full=day.strftime("%d/%m/%Y"))


def normalize(text: str) -> str:
    """Lower case, no accents, đ → d, single spaces: "Thứ Bảy" and "thu bay" read the same."""
    return " ".join(strip_accents(text.lower()).split())


_TIME = re.compile(
    r"(?<![\d/.\-])(?P<h>\d{1,2})\s*(?:gio(?:\s*(?P<m2>\d{1,2}))?|(?::|h|g)\s*(?P<m>\d{1,2})?)(?:\s*(?:phut|p))?(?![\d/])"
)
_PART_OF_DAY = re.compile(r"\b(sang|trua|chieu|toi|dem)\b")
_WEEK_PHRASE = re.compile(r"\btuan\s+(?:nay|sau|toi)\b")
_NUMERIC_DATE = re.compile(r"(?<!\d)(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})(?:\s*[/.\-]\s*(?P<y>\d{4}|\d{2}))?(?!\d)")
_WORDED_DATE = re.compile(r"\bngay\s+(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})(?:\s+nam\s+(?P<y>\d{4}))?\b")
_DAY_ONLY = re.compile(r"\b(?:ngay|mung|mong)\s+(?P<d>\d{1,2})\b")
_WEEKDAY = re.compile(
    r"\b(?:thu\s*(?P<n>[2-7]|hai|ba|tu|nam|sau|bay)|t(?P<t>[2-7])|(?P<sun>chu\s*nhat|cn))\b(?:\s+(?P<week>tuan\s+(?:nay|sau|toi)))?"
)
_WEEKDAY_WORDS = {"hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7}
_RELATIVE = (
    (re.compile(r"\b(?:ngay\s+kia|ngay\s+mot|mot)\b"), 2),
    (re.compile(r"\b(?:ngay\s+mai|mai)\b"), 1),
    (re.compile(r"\bhom\s+nay\b"), 0),
)


def _parse_time(text: str) -> tuple[dt.time | None, str]:
    match = _TIME.search(text)
    if match is None:
        return None, text
    hour = int(match.group("h"))
    minute = int(match.group("m") or match.group("m2") or 0)
    part = _PART_OF_DAY.search(_WEEK_PHRASE.sub(" ", text))  # "tuần tới" is not "tối"
    if part is not None:
        word = part.group(1)
        if word in ("chieu", "toi") and 1 <= hour < 12:
            hour += 12
        elif word == "dem" and 8 <= hour < 12:
            hour += 12
        elif word == "trua" and 1 <= hour <= 2:
            hour += 12
    if hour > 23 or minute > 59:
        raise InvalidInput(texts.meetings.TIME_IMPOSSIBLE.format(text=match.group(0).strip()))
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    return dt.time(hour, minute), rest


def _make_date(day: int, month: int, year: int | None, today: dt.date, shown: str) -> dt.date:
    """The date as typed; without a year, this year's (which may be past: the caller asks, never assumes)."""
    if year is not None and year < 100:
        year += 2000
    try:
        return dt.date(year or today.year, month, day)
    except ValueError:
        raise InvalidInput(texts.meetings.DATE_IMPOSSIBLE.format(text=shown)) from None


class _PastThisYear(Exception):
    def __init__(self, past: dt.date) -> None:
        self.past = past


def _parse_date(text: str, today: dt.date) -> dt.date | None:
    for pattern in (_NUMERIC_DATE, _WORDED_DATE):
        match = pattern.search(text)
        if match is not None:
            year = match.group("y")
            value = _make_date(int(match.group("d")), int(match.group("m")), int(year) if year else None, today, match.group(0).strip())
            if year is None and value < today:
                raise _PastThisYear(value)
            return value
    match = _WEEKDAY.search(text)
    if match is not None:
        if match.group("sun"):
            number = 8
        else:
            raw = match.group("n") or match.group("t")
            number = _WEEKDAY_WORDS.get(raw) or int(raw)
        weekday = number - 2  # thứ 2 is Monday (0), chủ nhật Sunday (6)
        week = match.group("week") or ""
        monday = today - dt.timedelta(days=today.weekday())
        if week.endswith("nay"):
            return monday + dt.timedelta(days=weekday)
        if week:
            return monday + dt.timedelta(days=7 + weekday)
        return next_weekday(today, weekday, include_today=True)
    for pattern, days in _RELATIVE:
        if pattern.search(text):
            return today + dt.timedelta(days=days)
    match = _DAY_ONLY.search(text)
    if match is not None:
        day = int(match.group("d"))
        if not 1 <= day <= 31:
            raise InvalidInput(texts.meetings.DATE_IMPOSSIBLE.format(text=match.group(0).strip()))
        candidate = today
        for _ in range(3):
            try:
                value = dt.date(candidate.year, candidate.month, day)
                if value >= today:
                    return value
            except ValueError:
                pass
            year, month = add_months(candidate.year, candidate.month, 1)
            candidate = dt.date(year, month, 1)
        raise InvalidInput(texts.meetings.DATE_IMPOSSIBLE.format(text=match.group(0).strip()))
    return None


def parse_when(text: str, *, today: dt.date) -> ParsedWhen:
    """A date, a time or both from free text; refuses impossible ones and text with neither."""
    normalized = normalize(text)
    time, rest = _parse_time(normalized)
    try:
        date = _parse_date(rest, today)
    except _PastThisYear as past:
        try:
            following = past.past.replace(year=today.year + 1)
        except ValueError:  # 29/2 of a leap year, and next year is not one
            raise InvalidInput(texts.meetings.DATE_PAST.format(when=format_day(past.past))) from None
        return ParsedWhen(date=None, time=time, next_year=following)
    if date is None and time is None:
        raise InvalidInput(when_not_understood(today))
    return ParsedWhen(date=date, time=time)
