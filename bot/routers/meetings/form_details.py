"""Creating or editing a meeting: the place, the agenda and the documents."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Document, Message, PhotoSize
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_meetings as kbm
from bot import storage
from bot.flow import flow_data, menu_or_command
from bot.keyboards_meetings import FormPlace
from bot.routers.meetings.flow import (
    MeetingForm,
    form_states,
)
from bot.routers.meetings.steps import (
    after_agenda,
    after_place,
    download_document,
)
from bot.screens import show
from core import texts
from core.clock import Clock
from core.errors import InvalidInput
from core.meetings import documents, render, service
from core.meetings.models import DocumentKind
from core.orgs.service import Actor


async def pick_place(
    query: CallbackQuery, callback_data: FormPlace, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    data = await flow_data(state, now)
    places = (data or {}).get("places") or []
    if data is None or not 0 <= callback_data.index < len(places):
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    place = service.clean_place(places[callback_data.index])
    await show(query, bot, *await after_place(state, session, actor, place, now))
    await query.answer()


async def typed_place(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    if await flow_data(state, now) is None:
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return
    if not message.text:
        await message.answer(texts.meetings.PLACE_EMPTY)
        return
    place = service.clean_place(message.text)
    text, markup = await after_place(state, session, actor, place, now)
    await message.answer(text, reply_markup=markup)


async def typed_agenda(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    if await flow_data(state, now) is None:
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return
    agenda = service.clean_agenda(message.text, required=True)
    text, markup = await after_agenda(state, session, actor, agenda, now)
    await message.answer(text, reply_markup=markup)


async def receive_document(
    message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    files_dir: Path | None = None, settings: Any = None,
) -> None:
    """A file for the meeting: checked by name and size first, then downloaded, checked by content
    and kept (by its content hash), so the API can hand it out too."""
    data = await flow_data(state, clock.now())
    if data is None:
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return
    already = await _documents_so_far(session, data)
    if message.document is not None:
        upload = await _stored_document(message.document, bot, storage.files_dir(files_dir, settings))
    elif message.photo:
        upload = _photo(message.photo[-1], already)
    else:
        await message.answer(texts.meetings.NOT_A_DOCUMENT, reply_markup=kbm.documents(bool(data.get("docs"))))
        return
    await state.update_data(docs=[*data.get("docs", []), upload])
    size = render.size_label(int(upload["size"]))
    await message.answer(texts.meetings.DOCUMENT_ADDED.format(name=render.escape(upload["filename"]), size=size), reply_markup=kbm.documents(True))


async def _documents_so_far(session: AsyncSession, data: dict[str, Any]) -> int:
    """Documents added in this form (and, when editing, the meeting's own): refused past the limit."""
    already = len(data.get("docs", []))
    if data["mode"] == "edit":
        already += len(await service.documents_of(session, int(data["meeting_id"])))
    if already >= documents.MAX_DOCUMENTS:
        raise InvalidInput(texts.meetings.TOO_MANY_DOCUMENTS.format(limit=documents.MAX_DOCUMENTS))
    return already


async def _stored_document(document: Document, bot: Bot, files_dir: Path) -> dict[str, Any]:
    name = documents.clean_filename(document.file_name or "")
    documents.check_metadata(name, document.file_size)  # before downloading anything
    content = await download_document(bot, document.file_id, name)
    stored = await asyncio.to_thread(documents.store_upload, files_dir, content, filename=name)
    return {"file_id": document.file_id, "filename": stored.filename, "mime_type": stored.mime_type, "size": stored.size,
            "kind": stored.kind.value, "path": stored.path}


def _photo(photo: PhotoSize, already: int) -> dict[str, Any]:
    name = f"anh-{already + 1}.jpg"
    documents.check_metadata(name, photo.file_size)
    return {"file_id": photo.file_id, "filename": name, "mime_type": "image/jpeg", "size": photo.file_size or 0, "kind": DocumentKind.PHOTO.value}


def build() -> Router:
    router = Router(name="meetings.form_details")
    router.callback_query.register(pick_place, FormPlace.filter(), form_states())
    router.message.register(typed_place, StateFilter(MeetingForm.place), ~menu_or_command())
    router.message.register(typed_agenda, StateFilter(MeetingForm.agenda), ~menu_or_command())
    router.message.register(receive_document, StateFilter(MeetingForm.documents), ~menu_or_command())
    return router
