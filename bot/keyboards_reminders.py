"""The ⏰ Cài đặt nhắc họp button and its callback data (`rms:…`, described in bot/routers/reminders/).

Here and not in the router, so that 📅 Lịch họp's keyboard (bot/keyboards_meetings.py) can show the
button without importing the router that imports that keyboard back.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from core import texts
from core.ports import Button


class ReminderSettingsButton(CallbackData, prefix="rms"):
    org_id: int
    field: str = ""
    value: str = ""


def settings_button(org_id: int = 0) -> Button:
    """«⏰ Cài đặt nhắc họp» for the 📅 Lịch họp leaders' row."""
    return Button(texts.reminders.BTN_SETTINGS, ReminderSettingsButton(org_id=org_id).pack())
