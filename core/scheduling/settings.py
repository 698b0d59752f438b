"""Per-cell reminder settings, kept in `Org.settings["reminders"]` (no table of their own).

    {"reminders": {"eve_time": "19:00", "before_minutes": 120, "nudge_hours": 48,
                   "quiet_start": "21:30", "quiet_end": "06:30", "enabled": true,
                   "study_days_before": [3, 1], "study_time": "19:00"}}

Every key is optional; a missing or invalid value falls back to the default, so a typo in one
cell's settings never stops its reminders. `eve_time: null`, `before_minutes: 0` or
`nudge_hours: 0` switch that one reminder off; `enabled: false` switches them all off.
Settings are read when a meeting's reminders are planned: a change applies to meetings planned
(created or moved) afterwards; quiet hours are also checked again when sending.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.orgs.models import Org
from core.scheduling.quiet_hours import QuietHours

log = logging.getLogger(__name__)

SETTINGS_KEY = "reminders"
# Bounds that keep a mistyped value from doing harm (a "before" reminder 3 weeks early, say).
BEFORE_MINUTES = (15, 24 * 60)
NUDGE_HOURS = (1, 14 * 24)
STUDY_DAYS = (1, 30)


@dataclass(frozen=True)
class ReminderSettings:
    eve_time: dt.time | None = dt.time(19, 0)  # the evening before, local time
    before: dt.timedelta | None = dt.timedelta(hours=2)
    nudge: dt.timedelta | None = dt.timedelta(days=2)  # to those who have not answered
    quiet: QuietHours = field(default_factory=QuietHours)
    enabled: bool = True
    study_days_before: tuple[int, ...] = (3, 1)  # study-deadline reminders: days before, at study_time
    study_time: dt.time = dt.time(19, 0)


DEFAULT = ReminderSettings()


def settings_of(org: Org | None) -> ReminderSettings:
    return settings_from(org.settings if org is not None else None)


def settings_from(org_settings: Mapping[str, Any] | None) -> ReminderSettings:
    """Parse an organisation's settings JSON (the whole dict, or None)."""
    raw = (org_settings or {}).get(SETTINGS_KEY) or {}
    if not isinstance(raw, Mapping):
        return DEFAULT
    return ReminderSettings(
        eve_time=_time(raw, "eve_time", DEFAULT.eve_time, nullable=True),
        before=_minutes(raw, "before_minutes", DEFAULT.before, BEFORE_MINUTES, unit=60),
        nudge=_minutes(raw, "nudge_hours", DEFAULT.nudge, NUDGE_HOURS, unit=3600),
        quiet=QuietHours(
            start=_time(raw, "quiet_start", DEFAULT.quiet.start) or DEFAULT.quiet.start,
            end=_time(raw, "quiet_end", DEFAULT.quiet.end) or DEFAULT.quiet.end,
        ),
        enabled=raw.get("enabled", True) is not False,
        study_days_before=_days(raw.get("study_days_before", DEFAULT.study_days_before)),
        study_time=_time(raw, "study_time", DEFAULT.study_time) or DEFAULT.study_time,
    )


def _time(raw: Mapping[str, Any], key: str, default: dt.time | None, *, nullable: bool = False) -> dt.time | None:
    if key not in raw:
        return default
    value = raw[key]
    if value is None and nullable:
        return None
    try:
        hours, minutes = str(value).strip().split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, TypeError):
        log.warning("reminder setting %s ignored: not HH:MM", key)
        return default


def _minutes(raw: Mapping[str, Any], key: str, default: dt.timedelta | None, bounds: tuple[int, int], *, unit: int) -> dt.timedelta | None:
    if key not in raw:
        return default
    try:
        value = float(raw[key])
    except (TypeError, ValueError):
        log.warning("reminder setting %s ignored: not a number", key)
        return default
    if value == 0:
        return None
    if not bounds[0] <= value <= bounds[1]:
        log.warning("reminder setting %s ignored: outside %s..%s", key, *bounds)
        return default
    return dt.timedelta(seconds=value * unit)


def _days(value: Any) -> tuple[int, ...]:
    try:
        days = sorted({int(day) for day in value}, reverse=True)
    except (TypeError, ValueError):
        return DEFAULT.study_days_before
    if not all(STUDY_DAYS[0] <= day <= STUDY_DAYS[1] for day in days):
        return DEFAULT.study_days_before
    return tuple(days)
