"""What the figures and the reports share: callback data, the note flow, months as numbers."""

from __future__ import annotations

import datetime as dt

from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup

from core import texts
from core.ports import Button
from core.reporting import reports

T = texts.reports
MAX_CHILD_LINES = 15
MAX_MISSING_NAMES = 12
NOTE_TTL = dt.timedelta(minutes=30)


class ReportButton(CallbackData, prefix=reports.REPORT_PREFIX):
    action: str
    cell_id: int
    month: int


class NoteFlow(StatesGroup):
    note = State()
    return_comment = State()  # a committee member types why a report goes back


def month_code(month: dt.date) -> int:
    return month.year * 100 + month.month


def month_of(code: int) -> dt.date:
    """A button's yyyymm; a forged one is nobody's button (the update goes on to the fallback)."""
    try:
        return dt.date(code // 100, code % 100, 1)
    except ValueError:
        raise SkipHandler() from None


def b(text: str, data: CallbackData) -> Button:
    return Button(text, data.pack())
