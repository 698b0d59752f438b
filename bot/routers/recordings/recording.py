"""🎙 Recording a document's summary: the language, whom to ask to read it, and the voice message itself."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import Audio, CallbackQuery, InlineKeyboardMarkup, Message, Voice
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.flow import flow_data
from bot.routers.recordings.common import FLOW_TTL, RecCb, RecordingFlow, T, cancel_row, code
from bot.screens import show
from core.clock import Clock
from core.orgs.service import Actor
from core.ports import Button
from core.recordings import service
from core.recordings.audio import MAX_BYTES, PreparedAudio, prepare_recording
from core.resolutions.models import Document
from core.resolutions.render import escape, kind_word, summary_html
from core.resolutions.voice import remember_file_id


async def _language_screen(session: AsyncSession, document: Document) -> tuple[str, InlineKeyboardMarkup]:
    recorded = await service.recordings_of(session, document_id=document.id)
    rows: list[tuple[Button, ...]] = [
        (Button(T.BTN_LANGUAGE.format(mark="✅ " if language.code in recorded else "", name=language.name),
                RecCb(action="pick", document_id=document.id, language=language.code).pack()),)
        for language in await service.languages(session)
    ]
    rows.append((Button(T.BTN_NAME_READER, RecCb(action="readers", document_id=document.id).pack()),))
    rows.append(cancel_row())
    text = T.CHOOSE_LANGUAGE.format(kind=kind_word(document), code=code(document), title=escape(document.title))
    return text, kb.inline(rows)


async def open_recording(query: CallbackQuery, callback_data: RecCb, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    document = await service.recordable(session, actor=actor, document_id=callback_data.document_id)
    text, markup = await _language_screen(session, document)
    await bot.send_message(query.from_user.id, text, reply_markup=markup)
    await query.answer()


async def pick_language(
    query: CallbackQuery, callback_data: RecCb, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
) -> None:
    document = await service.recordable(session, actor=actor, document_id=callback_data.document_id)
    names = await service.language_names(session)
    if callback_data.language not in names:
        await query.answer(T.UNKNOWN_LANGUAGE, show_alert=True)
        return
    await state.set_state(RecordingFlow.voice)
    await state.set_data({"document_id": document.id, "language": callback_data.language, "started_at": clock.now().isoformat()})
    text = T.ASK_RECORDING.format(language=escape(names[callback_data.language]), summary=summary_html(document.summary))
    await show(query, bot, text, kb.inline([cancel_row()]))
    await query.answer()


async def list_readers(query: CallbackQuery, callback_data: RecCb, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    document = await service.recordable(session, actor=actor, document_id=callback_data.document_id)
    members = await service.reader_choices(session, actor=actor, document_id=document.id)
    rows: list[tuple[Button, ...]] = [(Button(member.full_name, RecCb(action="reader", document_id=document.id, language=str(member.id)).pack()),)
            for member in members]
    rows.append(cancel_row())
    await show(query, bot, T.CHOOSE_READER.format(kind=kind_word(document), code=code(document)), kb.inline(rows))
    await query.answer()


async def name_reader(query: CallbackQuery, callback_data: RecCb, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    """The member's id rides in `language` (the filter lets only digits through)."""
    reader = await service.name_reader(session, actor=actor, document_id=callback_data.document_id,
                                       member_id=int(callback_data.language), now=clock.now())
    await show(query, bot, T.READER_NAMED.format(name=escape(reader.full_name)), None)
    await query.answer()


async def stop(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await show(query, bot, T.CANCELLED, None)
    await query.answer()


async def voice_or_refusal(message: Message) -> Voice | Audio | None:
    """The voice (or audio file) sent; None, answered politely, for anything else or too big."""
    sent = message.voice or message.audio
    if sent is None:
        await message.answer(T.NOT_A_VOICE)
        return None
    if (sent.file_size or 0) > MAX_BYTES:
        await message.answer(T.TOO_BIG)
        return None
    return sent


@dataclass
class ReceivedReading:
    """A reading sent in a recording flow: the flow's data, the voice as sent, and its audio made ready."""

    data: dict[str, Any]
    sent: Voice | Audio
    audio: PreparedAudio
    as_sent: bool  # kept as sent (OGG/Opus): members can get it by the same Telegram file id


async def received_reading(message: Message, state: FSMContext, clock: Clock, bot: Bot) -> ReceivedReading | None:
    """The reading a recording flow waits for (documents, notices, conclusions); None, answered politely,
    when what came is not a voice or too big. A flow too old lets the message go to whoever wants it."""
    data = await flow_data(state, clock.now(), FLOW_TTL)
    if data is None:
        raise SkipHandler()
    sent = await voice_or_refusal(message)
    if sent is None:
        return None
    buffer = io.BytesIO()
    await bot.download(sent.file_id, destination=buffer)
    raw = buffer.getvalue()
    audio = await asyncio.to_thread(prepare_recording, raw)
    return ReceivedReading(data=data, sent=sent, audio=audio, as_sent=message.voice is not None and audio.data == raw)


async def remember_as_sent(session: AsyncSession, bot: Bot, reading: ReceivedReading, cache_key: str, now: dt.datetime) -> None:
    """A voice note kept as sent is never uploaded again: its Telegram file id serves every listener."""
    if reading.as_sent:
        await remember_file_id(session, cache_key=cache_key, bot_key=str(bot.id), file_id=reading.sent.file_id, now=now)


async def _answer_saved(message: Message, result: service.RecordingResult) -> None:
    language = escape(result.language_name)
    if result.published:
        await message.answer(T.RECORDING_SENT.format(language=language, seconds=result.recording.duration, count=result.queued))
    else:
        await message.answer(T.RECORDING_SAVED.format(language=language, seconds=result.recording.duration) + "\n"
                             + T.RECORDING_KEPT_FOR_PUBLISHING)


async def receive_recording(
    message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, settings: Any = None,
) -> None:
    reading = await received_reading(message, state, clock, bot)
    if reading is None:
        return
    now = clock.now()
    result = await service.add_recording(
        session, actor=actor, document_id=int(reading.data["document_id"]), language=str(reading.data["language"]), audio=reading.audio,
        store_dir=Path(settings.data_dir) / "recordings", now=now,
    )
    await remember_as_sent(session, bot, reading, result.recording.cache_key, now)
    await state.clear()
    await _answer_saved(message, result)
