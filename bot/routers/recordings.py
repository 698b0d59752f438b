"""🎙 A person's voice: the secretary (or a member they named as reader) records a document's
summary as a Telegram voice message, in a language from the committee's list; members choose the
language they listen in (👤 Hồ sơ → 🔊 Giọng đọc → 🌐 Ngôn ngữ nghe).

Callback data (every id is re-checked by core.recordings.service):
    rec:open:<document_id>:            choose the language to record in
    rec:pick:<document_id>:<language>  then send a voice message (FSM RecordingFlow.voice)
    rec:stop:0:                        cancel
    rec:readers:<document_id>:         whom to ask to read it
    rec:reader:<document_id>:<member>  ask that member (core.recordings.service.name_reader)
    rec:lang:0:                        the listener's language list
    rec:setlang:0:<language>           choose it

The rules live in core.recordings.service; this file downloads the voice, prepares it off the
event loop (core.recordings.audio), and calls `add_recording` once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter, or_f
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, FSInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.filters import Linked
from bot.messenger import send_stored
from bot.screens import show
from core import texts
from core.clock import Clock
from core.orgs.models import Member
from core.orgs.service import Actor
from core.ports import Button
from core.recordings import service
from core.recordings.audio import MAX_BYTES, prepare_recording
from core.recordings.models import VIETNAMESE
from core.resolutions.models import Document
from core.resolutions.render import escape, kind_word, summary_html
from core.resolutions.voice import remember_file_id, stored_file_id

log = logging.getLogger(__name__)
T = texts.recordings
FLOW_TTL = dt.timedelta(minutes=30)


class RecCb(CallbackData, prefix=service.RECORD_PREFIX):
    action: str
    document_id: int
    language: str = ""


class RecordingFlow(StatesGroup):
    voice = State()


def listen_language_button() -> Button:
    """«🌐 Ngôn ngữ nghe» under the voice settings of 👤 Hồ sơ."""
    return Button(T.BTN_LISTEN_LANGUAGE.format(name="…").replace(": …", ""), RecCb(action="lang", document_id=0).pack())


def _code(document: Document) -> str:
    return f" {escape(document.code)}" if document.code else ""


# ---------------------------------------------------------------- listening (🔊 Nghe)


async def send_recording(bot: Bot, chat_id: int, session: AsyncSession, document: Document, *, listen_language: str | None,
                         now: dt.datetime) -> bool:
    """A person's recording of the summary in the member's language (or Vietnamese); False when there is none."""
    recording = await service.recording_for(session, document_id=document.id, listen_language=listen_language or VIETNAMESE)
    if recording is None:
        return False
    names = await service.language_names(session)
    bot_key = str(bot.id)
    file_id = await stored_file_id(session, cache_key=recording.cache_key, bot_key=bot_key)
    _, uploaded = await send_stored(
        bot, chat_id, "voice", file_id, upload=FSInputFile(recording.path, filename="ghi-am.ogg"), duration=recording.duration,
        caption=service.caption(document, names.get(recording.language, recording.language)),
    )
    if uploaded:
        await remember_file_id(session, cache_key=recording.cache_key, bot_key=bot_key, file_id=uploaded, now=now)
    return True


# ---------------------------------------------------------------- recording


async def _language_screen(session: AsyncSession, document: Document) -> tuple[str, Any]:
    recorded = await service.recordings_of(session, document_id=document.id)
    rows = [
        (Button(T.BTN_LANGUAGE.format(mark="✅ " if language.code in recorded else "", name=language.name),
                RecCb(action="pick", document_id=document.id, language=language.code).pack()),)
        for language in await service.languages(session)
    ]
    rows.append((Button(T.BTN_NAME_READER, RecCb(action="readers", document_id=document.id).pack()),))
    rows.append((Button(T.BTN_CANCEL, RecCb(action="stop", document_id=0).pack()),))
    text = T.CHOOSE_LANGUAGE.format(kind=kind_word(document), code=_code(document), title=escape(document.title))
    return text, kb.inline(rows)


async def recording_action(
    query: CallbackQuery, callback_data: RecCb, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
) -> None:
    action = callback_data.action
    if action == "open":
        document = await service.recordable(session, actor=actor, document_id=callback_data.document_id)
        text, markup = await _language_screen(session, document)
        await bot.send_message(query.from_user.id, text, reply_markup=markup)
        await query.answer()
    elif action == "pick":
        document = await service.recordable(session, actor=actor, document_id=callback_data.document_id)
        names = await service.language_names(session)
        if callback_data.language not in names:
            await query.answer(T.UNKNOWN_LANGUAGE, show_alert=True)
            return
        await state.set_state(RecordingFlow.voice)
        await state.set_data({"document_id": document.id, "language": callback_data.language, "started_at": clock.now().isoformat()})
        text = T.ASK_RECORDING.format(language=escape(names[callback_data.language]), summary=summary_html(document.summary))
        await show(query, bot, text, kb.inline([(Button(T.BTN_CANCEL, RecCb(action="stop", document_id=0).pack()),)]))
        await query.answer()
    elif action == "readers":
        document = await service.recordable(session, actor=actor, document_id=callback_data.document_id)
        members = await service.reader_choices(session, actor=actor, document_id=document.id)
        rows = [(Button(member.full_name, RecCb(action="reader", document_id=document.id, language=str(member.id)).pack()),)
                for member in members]
        rows.append((Button(T.BTN_CANCEL, RecCb(action="stop", document_id=0).pack()),))
        await show(query, bot, T.CHOOSE_READER.format(kind=kind_word(document), code=_code(document)), kb.inline(rows))
        await query.answer()
    elif action == "reader":
        if not callback_data.language.isdigit():
            raise SkipHandler()
        reader = await service.name_reader(session, actor=actor, document_id=callback_data.document_id,
                                           member_id=int(callback_data.language), now=clock.now())
        await show(query, bot, T.READER_NAMED.format(name=escape(reader.full_name)), None)
        await query.answer()
    elif action == "stop":
        await state.clear()
        await show(query, bot, T.CANCELLED, None)
        await query.answer()
    else:
        raise SkipHandler()


async def leave_flow_for_menu(message: Message, state: FSMContext) -> None:
    """A home button or a command in the middle of recording: drop the flow, let its owner answer."""
    await state.clear()
    raise SkipHandler()


async def receive_recording(
    message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, settings: Any = None,
) -> None:
    data = await state.get_data()
    started = data.get("started_at")
    if not isinstance(started, str) or clock.now() - dt.datetime.fromisoformat(started) > FLOW_TTL:
        await state.clear()
        raise SkipHandler()
    sent = message.voice or message.audio
    if sent is None:
        await message.answer(T.NOT_A_VOICE)
        return
    if (sent.file_size or 0) > MAX_BYTES:
        await message.answer(T.TOO_BIG)
        return
    buffer = io.BytesIO()
    await bot.download(sent.file_id, destination=buffer)
    raw = buffer.getvalue()
    audio = await asyncio.to_thread(prepare_recording, raw)
    store_dir = Path(settings.data_dir) / "recordings"
    now = clock.now()
    result = await service.add_recording(
        session, actor=actor, document_id=int(data["document_id"]), language=str(data["language"]), audio=audio,
        store_dir=store_dir, now=now,
    )
    if message.voice is not None and audio.data == raw:
        # Kept as sent (OGG/Opus): members get it by the same Telegram file id, never uploaded again.
        await remember_file_id(session, cache_key=result.recording.cache_key, bot_key=str(bot.id), file_id=sent.file_id, now=now)
    await state.clear()
    language = escape(result.language_name)
    if result.published:
        await message.answer(T.RECORDING_SENT.format(language=language, seconds=result.recording.duration, count=result.queued))
    else:
        await message.answer(T.RECORDING_SAVED.format(language=language, seconds=result.recording.duration) + "\n"
                             + T.RECORDING_KEPT_FOR_PUBLISHING)


# ---------------------------------------------------------------- the listener's language


async def language_action(query: CallbackQuery, callback_data: RecCb, session: AsyncSession, member: Member, clock: Clock, bot: Bot) -> None:
    if callback_data.action == "setlang":
        await service.set_listen_language(session, member=member, code=callback_data.language, now=clock.now())
    elif callback_data.action != "lang":
        raise SkipHandler()
    languages = await service.languages(session)
    current = next((language for language in languages if language.code == member.listen_language), languages[0])
    rows = [
        (Button(T.BTN_LANGUAGE.format(mark="✅ " if language.code == current.code else "", name=language.name),
                RecCb(action="setlang", document_id=0, language=language.code).pack()),)
        for language in languages
    ]
    text = T.LISTEN_LANGUAGE.format(name=escape(current.name))
    if callback_data.action == "lang":
        await bot.send_message(query.from_user.id, text, reply_markup=kb.inline(rows))
        await query.answer()
    else:
        await show(query, bot, text, kb.inline(rows))
        await query.answer(T.LISTEN_LANGUAGE_SAVED.format(name=current.name))


# ---------------------------------------------------------------- wiring


def build() -> Router:
    from bot.routers.notices import HOME_LABELS

    router = Router(name="recordings")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.callback_query.register(language_action, RecCb.filter(F.action.in_({"lang", "setlang"})))
    router.callback_query.register(recording_action, RecCb.filter(F.action.in_({"open", "pick", "stop", "readers", "reader"})))
    in_flow = StateFilter(RecordingFlow.voice)
    router.message.register(leave_flow_for_menu, in_flow, or_f(F.text.in_(HOME_LABELS), F.text.startswith("/")))
    router.message.register(receive_recording, in_flow)
    return router
