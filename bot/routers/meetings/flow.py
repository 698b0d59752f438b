"""What every meetings flow shares: its states, how long a half-filled form lives, reading the form back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.flow import flow_data
from core import texts
from core.meetings import dates, documents, render
from core.meetings.models import DocumentKind, MeetingKind
from core.orgs.models import Org

# The leader's meeting card summarises: at most this many pending requests, names and reasons cut to these lengths.
CARD_PENDING_LINES = 10
CARD_REASON_CHARS = 80
CARD_NAME_CHARS = 60
MAX_PLACE_SUGGESTIONS = 4


class MeetingForm(StatesGroup):
    cell = State()
    kind = State()
    day = State()
    time = State()
    place = State()
    agenda = State()
    documents = State()
    review = State()
    edit_review = State()


class AbsenceFlow(StatesGroup):
    reason = State()


class ConclusionsFlow(StatesGroup):
    content = State()


def form_states() -> StateFilter:
    return StateFilter(*MeetingForm.__all_states__)


async def flow_with(state: FSMContext, now: dt.datetime, key: str) -> dict[str, Any] | None:
    """A one-question flow's data (it must hold `key`), or None (and the state cleared)."""
    data = await flow_data(state, now)
    if data is None or key not in data:
        await state.clear()
        return None
    return data


async def typed_target(message: Message, state: FSMContext, now: dt.datetime, key: str, empty: str) -> int | None:
    """The id a text-or-voice step answers for (`key` in the flow's data), or None once the member was
    told why not: the flow expired, or the message holds neither text nor voice."""
    data = await flow_with(state, now, key)
    if data is None:
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return None
    if message.voice is None and not message.text:
        await message.answer(empty)
        return None
    return int(data[key])


def text_or_voice(message: Message) -> dict[str, Any]:
    """What the member typed, or said in a voice message (its caption as the text)."""
    if message.voice is not None:
        return {"text": message.caption, "voice_file_id": message.voice.file_id, "voice_duration": message.voice.duration}
    return {"text": message.text}


def local_today(now: dt.datetime) -> dt.date:
    return dates.local(now).date()


def starts_at_of(data: dict[str, Any]) -> dt.datetime | None:
    if not data.get("day") or not data.get("time"):
        return None
    return dates.to_utc(dt.date.fromisoformat(data["day"]), dt.time.fromisoformat(data["time"]))


def form_uploads(data: dict[str, Any]) -> list[documents.DocumentUpload]:
    return [
        documents.DocumentUpload(
            file_id=d["file_id"], filename=d["filename"], mime_type=d["mime_type"], size=int(d["size"]), kind=DocumentKind(d["kind"]),
            path=d.get("path"),
        )
        for d in data.get("docs", [])
    ]


def details_text(
    *, kind: MeetingKind, cell: Org, starts_at: dt.datetime, place: str, agenda: str, document_names: list[str], repeat_line: str = ""
) -> str:
    show_lunar = cell.show_lunar_date
    return texts.meetings.DETAILS.format(
        title=texts.meetings.KINDS[kind.value],
        cell=render.escape(cell.name),
        when=dates.format_when(starts_at),
        lunar_line=texts.meetings.LUNAR_LINE.format(lunar=dates.format_lunar(dates.local(starts_at).date())) if show_lunar else "",
        place=render.escape(place),
        agenda_block=texts.meetings.AGENDA_BLOCK.format(agenda=render.escape(agenda)) if agenda else "",
        documents_block=texts.meetings.CARD_DOCUMENTS.format(names=", ".join(render.escape(n) for n in document_names)) if document_names else "",
        repeat_line=repeat_line,
    )


async def inert(query: CallbackQuery) -> None:
    await query.answer()

