"""🔊 Nghe: a person's recording sent to a member, and the language a member listens in."""

from __future__ import annotations

import datetime as dt

from aiogram import Bot
from aiogram.types import CallbackQuery, FSInputFile, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.messenger import send_stored
from bot.routers.recordings.common import RecCb, T
from bot.screens import show
from core.clock import Clock
from core.orgs.models import Member
from core.ports import Button
from core.recordings import service
from core.recordings.models import VIETNAMESE
from core.resolutions.models import Document
from core.resolutions.render import escape
from core.resolutions.voice import remember_file_id, stored_file_id


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


async def _language_screen(session: AsyncSession, member: Member) -> tuple[str, InlineKeyboardMarkup, str]:
    """The listener's language list, the current one ticked; and the current language's name."""
    languages = await service.languages(session)
    current = next((language for language in languages if language.code == member.listen_language), languages[0])
    rows = [
        (Button(T.BTN_LANGUAGE.format(mark="✅ " if language.code == current.code else "", name=language.name),
                RecCb(action="setlang", document_id=0, language=language.code).pack()),)
        for language in languages
    ]
    return T.LISTEN_LANGUAGE.format(name=escape(current.name)), kb.inline(rows), current.name


async def open_languages(query: CallbackQuery, session: AsyncSession, member: Member, bot: Bot) -> None:
    text, markup, _ = await _language_screen(session, member)
    await bot.send_message(query.from_user.id, text, reply_markup=markup)
    await query.answer()


async def set_language(query: CallbackQuery, callback_data: RecCb, session: AsyncSession, member: Member, clock: Clock, bot: Bot) -> None:
    await service.set_listen_language(session, member=member, code=callback_data.language, now=clock.now())
    text, markup, name = await _language_screen(session, member)
    await show(query, bot, text, markup)
    await query.answer(T.LISTEN_LANGUAGE_SAVED.format(name=name))
