"""What the recording and listening parts share: the callback data, the flow's state, small buttons."""

from __future__ import annotations

import datetime as dt

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup

from core import texts
from core.ports import Button
from core.recordings import service
from core.resolutions.models import Document
from core.resolutions.render import escape

T = texts.recordings
FLOW_TTL = dt.timedelta(minutes=30)


class RecCb(CallbackData, prefix=service.RECORD_PREFIX):
    action: str
    document_id: int
    language: str = ""


class RecordingFlow(StatesGroup):
    voice = State()
    subject_voice = State()  # a notice's or conclusions' reading (bot/routers/recordings/subjects.py)


def listen_language_button() -> Button:
    """«🌐 Ngôn ngữ nghe» under the voice settings of 👤 Hồ sơ."""
    return Button(T.BTN_LISTEN_LANGUAGE.format(name="…").replace(": …", ""), RecCb(action="lang", document_id=0).pack())


def cancel_row() -> tuple[Button, ...]:
    return (Button(T.BTN_CANCEL, RecCb(action="stop", document_id=0).pack()),)


def code(document: Document) -> str:
    return f" {escape(document.code)}" if document.code else ""
