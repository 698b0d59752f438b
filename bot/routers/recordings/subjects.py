"""🎙 / 🔊 for notices and meeting conclusions: the author (or whoever leads) records a reading by
voice message in a language; a member presses «🔊 Nghe» and hears, by core's one rule, the reading in
their language, else the Vietnamese one, else the synthetic voice labelled as such.

Callback data (core.recordings.subjects; every id is re-checked there):
    rs:open:<kind>:<id>:            choose the language to record in
    rs:pick:<kind>:<id>:<language>  then send a voice message (FSM RecordingFlow.subject_voice)
    rs:listen:<kind>:<id>:          hear it
On Zalo (no voice messages from members) «pick» is answered politely by bot/zalo/limits.py; what
Zalo members hear arrives as a listen link, through the outbox or ZaloSession's send_voice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, FSInputFile, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import background
from bot import keyboards as kb
from bot.messenger import send_stored
from bot.progress import working
from bot.routers.recordings.common import RecordingFlow, T, cancel_row
from bot.routers.recordings.recording import received_reading, remember_as_sent
from bot.screens import show
from core import texts
from core.clock import Clock
from core.orgs.service import Actor
from core.ports import Button
from core.recordings import service, subjects
from core.resolutions.render import escape
from core.resolutions.service import member_variant
from core.resolutions.voice import remember_file_id, render_variants, stored_file_id
from voice.service import VoiceNote, VoiceRenderer

log = logging.getLogger(__name__)


class SubjectCb(CallbackData, prefix=subjects.SUBJECT_PREFIX):
    action: str
    kind: str
    subject_id: int
    language: str = ""


async def _language_screen(session: AsyncSession, subject: subjects.Subject) -> tuple[str, InlineKeyboardMarkup]:
    recorded = await service.recordings_of_subject(session, kind=subject.kind, subject_id=subject.id)
    rows: list[tuple[Button, ...]] = [
        (Button(T.BTN_LANGUAGE.format(mark="✅ " if language.code in recorded else "", name=language.name),
                SubjectCb(action="pick", kind=subject.kind, subject_id=subject.id, language=language.code).pack()),)
        for language in await service.languages(session)
    ]
    rows.append(cancel_row())
    return T.CHOOSE_SUBJECT_LANGUAGE.format(heading=subject.heading), kb.inline(rows)


async def open_subject(query: CallbackQuery, callback_data: SubjectCb, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    subject = await subjects.recordable(session, actor=actor, kind=callback_data.kind, subject_id=callback_data.subject_id)
    text, markup = await _language_screen(session, subject)
    await bot.send_message(query.from_user.id, text, reply_markup=markup)
    await query.answer()


async def pick_subject_language(
    query: CallbackQuery, callback_data: SubjectCb, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
) -> None:
    subject = await subjects.recordable(session, actor=actor, kind=callback_data.kind, subject_id=callback_data.subject_id)
    names = await service.language_names(session)
    if callback_data.language not in names:
        await query.answer(T.UNKNOWN_LANGUAGE, show_alert=True)
        return
    await state.set_state(RecordingFlow.subject_voice)
    await state.set_data({"kind": subject.kind, "subject_id": subject.id, "language": callback_data.language,
                          "started_at": clock.now().isoformat()})
    to_read = escape(subject.text) if subject.text.strip() else T.CONCLUSIONS_BY_VOICE
    text = T.ASK_SUBJECT_RECORDING.format(language=escape(names[callback_data.language]), text=to_read)
    await show(query, bot, text, kb.inline([cancel_row()]))
    await query.answer()


async def receive_subject_recording(
    message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, settings: Any = None,
) -> None:
    reading = await received_reading(message, state, clock, bot)
    if reading is None:
        return
    now = clock.now()
    result = await subjects.add_recording(
        session, actor=actor, kind=str(reading.data["kind"]), subject_id=int(reading.data["subject_id"]), language=str(reading.data["language"]),
        audio=reading.audio, store_dir=Path(settings.data_dir) / "recordings", now=now,
    )
    await remember_as_sent(session, bot, reading, result.recording.cache_key, now)
    await state.clear()
    await message.answer(T.RECORDING_SENT.format(language=escape(result.language_name), seconds=result.recording.duration,
                                                 count=result.queued))


# ---------------------------------------------------------------- 🔊 Nghe


async def listen(
    query: CallbackQuery, callback_data: SubjectCb, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    session_factory: async_sessionmaker[AsyncSession] | None = None, voice_renderer: VoiceRenderer | None = None, settings: Any = None,
) -> None:
    heard = await subjects.listen(session, actor=actor, kind=callback_data.kind, subject_id=callback_data.subject_id)
    await query.answer()
    recording, chat_id = heard.recording, query.from_user.id
    if recording is not None:
        file_id = await stored_file_id(session, cache_key=recording.cache_key, bot_key=str(bot.id))
        _, uploaded = await send_stored(bot, chat_id, "voice", file_id, upload=FSInputFile(recording.path, filename="ghi-am.ogg"),
                                        duration=recording.duration, caption=heard.caption)
        if uploaded:
            await remember_file_id(session, cache_key=recording.cache_key, bot_key=str(bot.id), file_id=uploaded, now=clock.now())
    elif heard.subject.voice_file_id is not None:  # conclusions the secretary sent by voice: a person, in Vietnamese
        await bot.send_voice(chat_id, heard.subject.voice_file_id, caption=subjects.caption(heard.subject, "tiếng Việt"))
    else:
        from bot.routers.resolutions.common import renderer_for

        speak_text(bot, chat_id, session_factory, renderer_for(voice_renderer, settings), heard, member_variant(actor.member), clock.now())


def speak_text(
    bot: Bot, chat_id: int, session_factory: async_sessionmaker[AsyncSession] | None, renderer: VoiceRenderer | None,
    heard: subjects.Listening, variant: tuple[str, str], now: dt.datetime,
) -> None:
    """The synthetic voice, in the background (the handler returns at once); its caption says it is a machine's."""

    async def job() -> None:
        try:
            if renderer is None or session_factory is None or not heard.text.strip():
                raise LookupError("nothing to speak with")
            async with working(bot, chat_id, "record_voice", texts.resolutions.VOICE_PREPARING):
                notes = (await render_variants(renderer, heard.text, [variant])).get(variant) or []
            if not notes:
                raise LookupError("the engine could not speak it")
            async with session_factory() as session:
                await _send_notes(bot, chat_id, session, notes, heard.caption, now)
                await session.commit()
        except Exception as failure:  # the person asked and waits: say it could not be done, never stay silent
            log.warning("synthetic reading could not be sent: %s", type(failure).__name__)
            with contextlib.suppress(Exception):
                await bot.send_message(chat_id, texts.resolutions.VOICE_UNAVAILABLE)

    background.spawn(job(), name="voice-subject")


async def _send_notes(bot: Bot, chat_id: int, session: AsyncSession, notes: list[VoiceNote], caption: str, now: dt.datetime) -> None:
    """By the platform's file id when the note was uploaded before, else from the audio cache."""
    for note in notes:
        file_id = await stored_file_id(session, cache_key=note.key, bot_key=str(bot.id))
        _, uploaded = await send_stored(bot, chat_id, "voice", file_id, upload=FSInputFile(str(note.path), filename="doc.ogg"),
                                        duration=note.duration, caption=caption)
        if uploaded:
            await remember_file_id(session, cache_key=note.key, bot_key=str(bot.id), file_id=uploaded, now=now)
