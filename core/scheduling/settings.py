"""Reminder settings, kept in `Org.settings["reminders"]` of cells and committees (no table of their own).

    {"reminders": {"eve_time": "19:00", "before_minutes": 120, "nudge_hours": 48,
                   "quiet_start": "21:30", "quiet_end": "06:30", "enabled": true,
                   "study_days_before": [3, 1], "study_time": "19:00"}}

Every key is optional; a missing or invalid value falls back to the default, so a typo in one
cell's settings never stops its reminders. `eve_time: null`, `before_minutes: 0` or
`nudge_hours: 0` switch that one reminder off; `enabled: false` switches them all off.
Settings are read when a meeting's reminders are planned: a change applies to meetings planned
(created or moved) afterwards; quiet hours are also checked again when sending.

Inheritance: each level stores only the keys set at that level. A cell's effective settings are
the built-in defaults, overlaid by each ancestor committee's keys from the root down, overlaid by
the cell's own keys (`effective`). Settings stored before inheritance existed hold every key:
they read as that level's own keys, so such a cell keeps its values until it goes back to
"theo cấp trên" (`change_own(..., inherit=KEYS)`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.db import among
from core.errors import InvalidInput
from core.orgs.models import Org, path_ids
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
    """One organisation's own keys over the built-in defaults (no ancestors: see `effective`)."""
    return settings_from(org.settings if org is not None else None)


def own_keys(org_settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The reminder keys stored at one level (the whole settings dict, or None), as stored."""
    raw = (org_settings or {}).get(SETTINGS_KEY) if isinstance(org_settings, Mapping) else None
    if not isinstance(raw, Mapping):
        return {}
    return {key: value for key, value in raw.items() if key in KEYS}


def effective(chain: Sequence[Mapping[str, Any] | None]) -> ReminderSettings:
    """The settings of the last level of `chain` (each level's whole settings dict, root first):
    every level's own keys overlay those above it. Lenient: a bad value at one level leaves the
    value inherited from above."""
    settings = DEFAULT
    for org_settings in chain:
        settings = settings_from(org_settings, base=settings)
    return settings


def sources(chain: Sequence[tuple[int, Mapping[str, Any] | None]]) -> dict[str, int | None]:
    """For each key, the id of the deepest level in `chain` ((org id, settings), root first) that
    sets it; None: the built-in default."""
    found: dict[str, int | None] = dict.fromkeys(KEYS)
    for org_id, org_settings in chain:
        for key in own_keys(org_settings):
            found[key] = org_id
    return found


def settings_from(org_settings: Mapping[str, Any] | None, *, base: ReminderSettings = DEFAULT) -> ReminderSettings:
    """Parse one level's settings JSON (the whole dict, or None) over `base`: a missing or
    invalid value keeps the value of `base`."""
    raw = (org_settings.get(SETTINGS_KEY) if isinstance(org_settings, Mapping) else None) or {}
    if not isinstance(raw, Mapping):
        return base
    return ReminderSettings(
        eve_time=_time(raw, "eve_time", base.eve_time, nullable=True),
        before=_minutes(raw, "before_minutes", base.before, BEFORE_MINUTES, unit=60),
        nudge=_minutes(raw, "nudge_hours", base.nudge, NUDGE_HOURS, unit=3600),
        quiet=QuietHours(
            start=_time(raw, "quiet_start", base.quiet.start) or base.quiet.start,
            end=_time(raw, "quiet_end", base.quiet.end) or base.quiet.end,
        ),
        enabled=base.enabled if "enabled" not in raw else raw["enabled"] is not False,
        study_days_before=_days(raw.get("study_days_before", base.study_days_before), base.study_days_before),
        study_time=_time(raw, "study_time", base.study_time) or base.study_time,
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


def _days(value: Any, default: tuple[int, ...]) -> tuple[int, ...]:
    try:
        days = sorted({int(day) for day in value}, reverse=True)
    except (TypeError, ValueError):
        return default
    if not all(STUDY_DAYS[0] <= day <= STUDY_DAYS[1] for day in days):
        return default
    return tuple(days)


# ---------------------------------------------------------------- changing them (strict)

MAX_STUDY_REMINDERS = 5
HHMM = re.compile(r"(\d{1,2})[:hH](\d{2})")


def as_raw(settings: ReminderSettings) -> dict[str, Any]:
    """The stored JSON form of `settings` (what `settings_from` reads back to the same value)."""
    return {
        "enabled": settings.enabled,
        "eve_time": _hhmm(settings.eve_time) if settings.eve_time is not None else None,
        "before_minutes": int(settings.before.total_seconds() // 60) if settings.before is not None else 0,
        "nudge_hours": int(settings.nudge.total_seconds() // 3600) if settings.nudge is not None else 0,
        "quiet_start": _hhmm(settings.quiet.start),
        "quiet_end": _hhmm(settings.quiet.end),
        "study_days_before": list(settings.study_days_before),
        "study_time": _hhmm(settings.study_time),
    }


def changed(current: ReminderSettings, changes: Mapping[str, Any]) -> ReminderSettings:
    """`current` with `changes` applied, each checked strictly (see `change_own`)."""
    return settings_from({SETTINGS_KEY: change_own({}, changes, inherited=current)}, base=current)


def change_own(
    own: Mapping[str, Any], changes: Mapping[str, Any], *, inherited: ReminderSettings, inherit: Iterable[str] = (),
) -> dict[str, Any]:
    """One level's own keys after `changes` (set here) and `inherit` (keys dropped, to follow the
    level above), each checked strictly: an unknown key, a wrong type or a value out of bounds is
    refused with a message naming it (unlike the lenient reader above, which must never stop
    reminders over a bad stored value). `inherited` is what the levels above give."""
    result = dict(own)
    for key in inherit:
        if key not in KEYS:
            raise InvalidInput(texts.reminders.SETTING_UNKNOWN.format(key=key))
        result.pop(key, None)
    for key, value in changes.items():
        if key not in KEYS:
            raise InvalidInput(texts.reminders.SETTING_UNKNOWN.format(key=key))
        result[key] = _checked(key, value)
    if set(changes) & {"quiet_start", "quiet_end"}:
        quiet = settings_from({SETTINGS_KEY: result}, base=inherited).quiet
        start, end = _hhmm(quiet.start), _hhmm(quiet.end)
        if start != end and _quiet_length(start, end) > dt.timedelta(hours=12):
            raise InvalidInput(texts.reminders.SETTING_QUIET_TOO_LONG)
    return result


def _checked(key: str, value: Any) -> Any:
    def refuse() -> InvalidInput:
        return InvalidInput(texts.reminders.SETTING_INVALID[key])

    if key == "enabled":
        if not isinstance(value, bool):
            raise refuse()
        return value
    if key in ("eve_time", "quiet_start", "quiet_end", "study_time"):
        if value is None and key == "eve_time":
            return None
        match = HHMM.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None or int(match[1]) > 23 or int(match[2]) > 59:
            raise refuse()
        return f"{int(match[1]):02d}:{match[2]}"
    if key in ("before_minutes", "nudge_hours"):
        bounds = BEFORE_MINUTES if key == "before_minutes" else NUDGE_HOURS
        if isinstance(value, bool) or not isinstance(value, int) or (value != 0 and not bounds[0] <= value <= bounds[1]):
            raise refuse()
        return value
    # study_days_before
    if not isinstance(value, list) or len(value) > MAX_STUDY_REMINDERS or not all(
        isinstance(day, int) and not isinstance(day, bool) and STUDY_DAYS[0] <= day <= STUDY_DAYS[1] for day in value
    ):
        raise refuse()
    return sorted(set(value), reverse=True)


def _hhmm(moment: dt.time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _quiet_length(start: str, end: str) -> dt.timedelta:
    begin, finish = (dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(moment)) for moment in (start, end))
    if finish <= begin:
        finish += dt.timedelta(days=1)
    return finish - begin


KEYS = tuple(as_raw(DEFAULT))  # the stored keys


# ---------------------------------------------------------------- reading them for many organisations at once


OrgChain = list[tuple[int, Mapping[str, Any] | None]]


async def chains_of(session: AsyncSession, rows: Iterable[tuple[int, str, Mapping[str, Any] | None] | Row[Any]]) -> dict[int, OrgChain]:
    """Each organisation's (id, settings) from the root down to itself, given its own
    (id, path, settings) row: one query for every ancestor of the whole batch (by `Org.path`)."""
    known: dict[int, Mapping[str, Any] | None] = {}
    paths: dict[int, list[int]] = {}
    for org_id, path, org_settings in rows:
        known[org_id] = org_settings
        ids = path_ids(path or "")
        paths[org_id] = ids if ids and ids[-1] == org_id else [*ids, org_id]
    missing = sorted({ancestor for ids in paths.values() for ancestor in ids} - known.keys())
    if missing:
        known.update((org_id, org_settings) for org_id, org_settings in await session.execute(
            select(Org.id, Org.settings).where(among(session, Org.id, missing))
        ))
    return {org_id: [(ancestor, known.get(ancestor)) for ancestor in ids] for org_id, ids in paths.items()}


async def effective_settings(session: AsyncSession, org_ids: Iterable[int]) -> dict[int, ReminderSettings]:
    """Effective settings of many organisations (cells, say) in two queries, whatever their number."""
    wanted = sorted(set(org_ids))
    if not wanted:
        return {}
    rows = (await session.execute(select(Org.id, Org.path, Org.settings).where(among(session, Org.id, wanted)))).all()
    return {org_id: effective([level for _, level in chain]) for org_id, chain in (await chains_of(session, rows)).items()}
