"""⏰ Cài đặt nhắc họp: the settings screen and each setting's choices, in words and big buttons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from bot import keyboards as kb
from bot.keyboards_reminders import ReminderSettingsButton
from core import texts
from core.meetings import render
from core.orgs.models import OrgKind
from core.ports import Button
from core.scheduling.service import SettingsView
from core.scheduling.settings import ReminderSettings, changed

T = texts.reminders

# What each setting offers, as (button value, what it changes). Anything else can be set through the API.
CHOICES: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "eve": tuple((f"{hour}00", {"eve_time": f"{hour}:00"}) for hour in (18, 19, 20)) + (("off", {"eve_time": None}),),
    "before": tuple((str(minutes), {"before_minutes": minutes}) for minutes in (60, 120, 180)) + (("0", {"before_minutes": 0}),),
    "nudge": tuple((str(hours), {"nudge_hours": hours}) for hours in (24, 48, 72)) + (("0", {"nudge_hours": 0}),),
    "quiet": (
        ("2100-0600", {"quiet_start": "21:00", "quiet_end": "06:00"}),
        ("2130-0630", {"quiet_start": "21:30", "quiet_end": "06:30"}),
        ("2200-0700", {"quiet_start": "22:00", "quiet_end": "07:00"}),
    ),
    "study": (("3-1", {"study_days_before": [3, 1]}), ("7-3-1", {"study_days_before": [7, 3, 1]}),
              ("1", {"study_days_before": [1]}), ("0", {"study_days_before": []})),
    "enabled": (("1", {"enabled": True}), ("0", {"enabled": False})),
}
QUESTIONS = {"eve": T.ASK_EVE, "before": T.ASK_BEFORE, "nudge": T.ASK_NUDGE, "quiet": T.ASK_QUIET, "study": T.ASK_STUDY}
# The settings screen's buttons, one per setting, in this order.
BUTTONS = {"eve": T.BTN_EVE, "before": T.BTN_BEFORE, "nudge": T.BTN_NUDGE, "quiet": T.BTN_QUIET, "study": T.BTN_STUDY}
# The stored keys behind each line of the screen.
FIELD_KEYS = {
    "eve": ("eve_time",), "before": ("before_minutes",), "nudge": ("nudge_hours",), "quiet": ("quiet_start", "quiet_end"),
    "study": ("study_days_before", "study_time"),
}
INHERIT = "inherit"


# ---------------------------------------------------------------- words


def _hhmm(moment: dt.time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _ahead(delta: dt.timedelta | None) -> str:
    if delta is None:
        return T.SETTING_OFF
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return T.SETTING_BEFORE_DAYS.format(count=minutes // (24 * 60))
    if minutes % 60 == 0:
        return T.SETTING_BEFORE_HOURS.format(count=minutes // 60)
    return T.SETTING_BEFORE_MINUTES.format(count=minutes)


def values(settings: ReminderSettings) -> dict[str, str]:
    """Each setting in words, as shown on the screen and on its button."""
    quiet = settings.quiet
    return {
        "eve": T.SETTING_AT.format(time=_hhmm(settings.eve_time)) if settings.eve_time is not None else T.SETTING_OFF,
        "before": _ahead(settings.before),
        "nudge": _ahead(settings.nudge),
        "quiet": T.SETTING_QUIET.format(start=_hhmm(quiet.start), end=_hhmm(quiet.end)) if quiet.start != quiet.end else T.SETTING_QUIET_NONE,
        "study": T.SETTING_STUDY.format(
            days=T.SETTING_DAYS_JOIN.join(str(day) for day in settings.study_days_before), time=_hhmm(settings.study_time)
        ) if settings.study_days_before else T.SETTING_OFF,
    }


def _lines(view: SettingsView, words: dict[str, str]) -> list[str]:
    org, settings = view.org, view.settings
    is_cell = org.kind == OrgKind.CELL
    if is_cell:
        # A value that comes from a committee above is marked, so the cell knows it may set its own.
        marked = {
            field: text + T.FROM_ABOVE if any(view.source.get(key) not in (org.id, None) for key in FIELD_KEYS[field]) else text
            for field, text in words.items()
        }
        title = T.SETTINGS_TITLE.format(cell=render.escape(org.name))
    else:
        marked = words
        title = T.SETTINGS_TITLE_COMMITTEE.format(org=render.escape(org.name))
    if settings.enabled:
        return [title, "", T.SETTINGS_LINES.format(**marked), "", T.SETTINGS_HINT if is_cell else T.SETTINGS_HINT_COMMITTEE]
    return [title, "", T.SETTINGS_OFF if is_cell else T.SETTINGS_OFF_COMMITTEE]


def _rows(view: SettingsView, words: dict[str, str]) -> list[tuple[Button, ...]]:
    org = view.org

    def button(label: str, field: str, value: str = "") -> Button:
        return Button(label, ReminderSettingsButton(org_id=org.id, field=field, value=value).pack())

    rows: list[tuple[Button, ...]]
    if view.settings.enabled:
        rows = [(button(label.format(value=words[field]), field),) for field, label in BUTTONS.items()]
        rows.append((button(T.BTN_TURN_OFF, "enabled", "0"),))
    else:
        rows = [(button(T.BTN_TURN_ON, "enabled", "1"),)]
    if view.own and org.parent_id is not None:
        rows.append((button(T.BTN_INHERIT, INHERIT, "1"),))
    rows.append((Button(texts.meetings.BTN_BACK, _meetings_home()),))
    return rows


def screen(view: SettingsView) -> tuple[str, InlineKeyboardMarkup]:
    words = values(view.settings)
    return "\n".join(_lines(view, words)), kb.inline(_rows(view, words))


def _meetings_home() -> str:
    from bot.keyboards_meetings import MeetMenu, MenuAction  # that module shows this screen's button

    return MeetMenu(action=MenuAction.HOME).pack()


def choices(org_id: int, field: str, current: ReminderSettings) -> InlineKeyboardMarkup:
    now_words = values(current)[field]
    rows: list[tuple[Button, ...]] = []
    for value, change in CHOICES[field]:
        label = T.BTN_CHOICE_OFF if value in ("off", "0") else values(changed(current, change))[field]
        if label == now_words:
            label = f"✅ {label}"
        rows.append((Button(label, ReminderSettingsButton(org_id=org_id, field=field, value=value).pack()),))
    rows.append((Button(texts.meetings.BTN_BACK, ReminderSettingsButton(org_id=org_id).pack()),))
    return kb.inline(rows)
