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

from aiogram import F, Router

from bot.filters import Linked
from bot.keyboards_reminders import ReminderSettingsButton
from bot.routers.reminders import settings
from bot.routers.reminders.screens import INHERIT, QUESTIONS, choices, screen, values

__all__ = ["build", "choices", "screen", "values"]


def build() -> Router:
    """One handler per kind of button, in order; whatever none takes is a stale button."""
    router = Router(name="reminders")
    router.callback_query.filter(Linked())
    button = ReminderSettingsButton.filter
    router.callback_query.register(settings.open_settings, button(F.field == ""))
    router.callback_query.register(settings.inherit, button((F.field == INHERIT) & (F.value == "1")))
    router.callback_query.register(settings.ask_setting, button(F.field.in_(QUESTIONS) & (F.value == "")))
    router.callback_query.register(settings.save_setting, button(F.func(settings.is_choice)))
    router.callback_query.register(settings.stale, button())
    return router
