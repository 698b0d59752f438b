"""⏰ Cài đặt nhắc họp: a cell's leaders choose when reminders go out, with big buttons; a
committee's members choose the defaults for every cell below it.

Reached from 📅 Lịch họp (leaders' row). Every choice is a button; core.scheduling.service
re-checks who asks and for which organisation, validates the value and re-plans upcoming reminders.
A value the cell does not set itself is marked as coming from above.

Callback data:
    rms:<org_id>:<field>:<value>
        field ""                     the settings screen (org_id 0: choose among what the person leads)
        field eve|before|nudge|quiet|study, value ""   the choices for that setting
        field ... with a value       save it (times as HHMM, quiet as HHMM-HHMM, study as 3-1)
        field enabled, value 1|0     switch every reminder on or off
        field inherit, value 1       ↩️ Theo cấp trên: drop every value set at this organisation
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.filters import Linked
from bot.keyboards_reminders import ReminderSettingsButton
from bot.screens import show
from core import texts
from core.clock import Clock
from core.errors import InvalidInput, PermissionDenied
from core.meetings import render
from core.meetings.service import manageable_cells
from core.orgs.models import OrgKind
from core.orgs.service import Actor
from core.ports import Button
from core.scheduling import service
from core.scheduling.service import SettingsView
from core.scheduling.settings import KEYS, ReminderSettings, changed

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


def screen(view: SettingsView) -> tuple[str, InlineKeyboardMarkup]:
    org, settings = view.org, view.settings
    is_cell = org.kind == OrgKind.CELL
    words = values(settings)
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
    lines = [title, ""]
    if settings.enabled:
        lines += [T.SETTINGS_LINES.format(**marked), "", T.SETTINGS_HINT if is_cell else T.SETTINGS_HINT_COMMITTEE]
    else:
        lines.append(T.SETTINGS_OFF if is_cell else T.SETTINGS_OFF_COMMITTEE)

    def button(label: str, field: str, value: str = "") -> Button:
        return Button(label, ReminderSettingsButton(org_id=org.id, field=field, value=value).pack())

    rows: list[tuple[Button, ...]] = []
    if settings.enabled:
        rows += [
            (button(T.BTN_EVE.format(value=words["eve"]), "eve"),),
            (button(T.BTN_BEFORE.format(value=words["before"]), "before"),),
            (button(T.BTN_NUDGE.format(value=words["nudge"]), "nudge"),),
            (button(T.BTN_QUIET.format(value=words["quiet"]), "quiet"),),
            (button(T.BTN_STUDY.format(value=words["study"]), "study"),),
            (button(T.BTN_TURN_OFF, "enabled", "0"),),
        ]
    else:
        rows.append((button(T.BTN_TURN_ON, "enabled", "1"),))
    if view.own and org.parent_id is not None:
        rows.append((button(T.BTN_INHERIT, INHERIT, "1"),))
    rows.append((Button(texts.meetings.BTN_BACK, _meetings_home()),))
    return "\n".join(lines), kb.inline(rows)


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


# ---------------------------------------------------------------- handler


def _choosable(actor: Actor) -> list[tuple[str, int]]:
    """(label, org id): the committees whose defaults the person sets (they sit on them), then the
    cells they lead."""
    committees = {org.id: org for org in actor.managed_orgs if org.kind == OrgKind.COMMITTEE}
    return [
        (T.BTN_COMMITTEE_DEFAULTS.format(org=org.name), org.id) for org in sorted(committees.values(), key=lambda org: org.depth)
    ] + [(cell.name, cell.id) for cell in manageable_cells(actor)]


async def settings_action(
    query: CallbackQuery, callback_data: ReminderSettingsButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    org_id = callback_data.org_id
    if org_id == 0:
        options = _choosable(actor)
        if not options:
            raise PermissionDenied(texts.meetings.NOT_LEADER)
        if len(options) > 1:
            rows = [(Button(label, ReminderSettingsButton(org_id=option).pack()),) for label, option in options]
            await show(query, bot, T.ASK_ORG, kb.inline(rows))
            await query.answer()
            return
        org_id = options[0][1]
    field, value = callback_data.field, callback_data.value
    if field == INHERIT:
        if value != "1":
            raise InvalidInput(texts.common.STALE_BUTTON)
        view = await service.change_reminder_settings(session, actor=actor, org_id=org_id, changes={}, inherit=KEYS, now=clock.now())
        await show(query, bot, *screen(view))
        await query.answer(T.SETTINGS_INHERITED)
        return
    if field and (field not in CHOICES or (not value and field not in QUESTIONS)):
        raise InvalidInput(texts.common.STALE_BUTTON)
    if field and value:
        change = dict(CHOICES[field]).get(value)
        if change is None:
            raise InvalidInput(texts.common.STALE_BUTTON)
        view = await service.change_reminder_settings(session, actor=actor, org_id=org_id, changes=change, now=clock.now())
        await show(query, bot, *screen(view))
        await query.answer(T.SETTINGS_SAVED)
        return
    view = await service.reminder_settings(session, actor=actor, org_id=org_id)
    if field:
        await show(query, bot, QUESTIONS[field], choices(view.org.id, field, view.settings))
    else:
        await show(query, bot, *screen(view))
    await query.answer()


def build() -> Router:
    router = Router(name="reminders")
    router.callback_query.filter(Linked())
    router.callback_query.register(settings_action, ReminderSettingsButton.filter())
    return router
