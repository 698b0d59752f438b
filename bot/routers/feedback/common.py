"""What the feedback parts share: callback data, the flows' states, what a message carries, bursts."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.flow import expired
from core import texts
from core.feedback import service
from core.feedback.models import FeedbackKind

PAGE_SIZE = 5


class MenuAction(str, enum.Enum):
    NEW = "new"
    MINE = "mine"
    INBOX = "inbox"
    CANCEL = "cancel"
    BACK = "back"


class ListScope(str, enum.Enum):
    MINE = "mine"
    INBOX = "inbox"


class ListView(str, enum.Enum):
    WAITING = "w"
    ALL = "a"


class ItemAction(str, enum.Enum):
    OPEN = "open"
    REPLY = "reply"
    CLOSE = "close"
    CLOSE_OK = "close_ok"
    FORWARD = "fwd"
    FORWARD_OK = "fwd_ok"


class FeedbackMenu(CallbackData, prefix="fbm"):
    action: MenuAction


class FeedbackKindChoice(CallbackData, prefix="fbk"):
    kind: FeedbackKind


class FeedbackTo(CallbackData, prefix="fbt"):
    org_id: int


class FeedbackList(CallbackData, prefix="fbl"):
    scope: ListScope
    view: ListView
    page: int


class FeedbackItemAction(CallbackData, prefix=service.ITEM_CALLBACK_PREFIX):
    action: ItemAction
    item_id: int


class SendFlow(StatesGroup):
    kind = State()
    recipient = State()
    content = State()
    sent = State()  # just sent: a burst of extra messages (an album, a split text) gets one answer


class ReplyFlow(StatesGroup):
    content = State()


def _moment(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


async def in_burst(state: FSMContext, now: dt.datetime) -> tuple[bool, bool]:
    """(this message belongs to a burst, the burst was already answered). Remembers the time."""
    data = await state.get_data()
    last = _moment(data.get("last_at"))
    burst = last is not None and now - last < service.FLOOD_WINDOW
    answered = burst and bool(data.get("burst_answered"))
    await state.update_data(last_at=now.isoformat(), burst_answered=answered if burst else False)
    return burst, answered


async def mark_burst_answered(state: FSMContext) -> None:
    await state.update_data(burst_answered=True)


async def typed_step(message: Message, state: FSMContext, now: dt.datetime, complete: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """The flow's data for a typed step, or None when the message was answered here: the flow is too
    old or incomplete (it ends), or the message belongs to a burst (one «slow down» per burst)."""
    data = await state.get_data()
    if expired(data, now, service.FLOW_TTL) or not complete(data):
        await state.clear()
        await message.answer(texts.feedback.FLOW_EXPIRED)
        return None
    burst, answered = await in_burst(state, now)
    if burst:
        if not answered:
            await mark_burst_answered(state)
            await message.answer(texts.feedback.FLOOD)
        return None
    return data


def content_of(message: Message) -> service.Content | None:
    """Text, a voice message or a photo; None for anything else."""
    if message.voice is not None:
        voice = message.voice
        return service.Content(
            text=message.caption, voice_file_id=voice.file_id, voice_duration=voice.duration, mime_type=voice.mime_type,
            file_size=voice.file_size,
        )
    if message.photo:
        largest = message.photo[-1]
        return service.Content(text=message.caption, photo_file_id=largest.file_id, mime_type="image/jpeg", file_size=largest.file_size)
    if message.text is not None:
        return service.Content(text=message.text)
    return None


def unsupported_text(message: Message) -> str:
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return texts.feedback.UNSUPPORTED_IMAGE_FILE
    return texts.feedback.UNSUPPORTED
