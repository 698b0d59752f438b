"""Voice notes of a summary: synthesised in the background, sent by stored file id; 🔁 / 🐢 / 🐇 under a note."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import CallbackQuery, FSInputFile
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import background
from bot import keyboards as kb
from bot.messenger import send_stored
from bot.progress import working
from bot.routers.resolutions.common import (
    R,
    ResVoice,
    renderer_for,
)
from core.clock import Clock
from core.orgs.service import Actor
from bot.routers.recordings import send_recording
from core.resolutions import render, service
from core.resolutions.models import Document
from core.resolutions.voice import remember_file_id, render_variants, stored_file_id
from voice.service import VoiceRenderer

log = logging.getLogger(__name__)


def speak(
    bot: Bot, chat_id: int, session_factory: async_sessionmaker[AsyncSession] | None, renderer: VoiceRenderer | None,
    document: Document | None, variant: tuple[str, str], now: dt.datetime, *, spoken: str | None = None,
    listen_language: str | None = None,
) -> None:
    """Synthesise and send a voice note in the background (bot/background.py): the handler returns at once,
    the person sees the recording sign and, past a second, «đang chuẩn bị…»; the job has its own session."""

    async def job() -> None:
        try:
            assert session_factory is not None
            async with session_factory() as session:
                # A person's recording in the member's language (or Vietnamese) before any synthesis.
                if document is None or spoken is not None or not await send_recording(
                    bot, chat_id, session, document, listen_language=listen_language, now=now
                ):
                    await _send_voice(bot, chat_id, session, renderer, document, variant, now, spoken=spoken)
                await session.commit()
        except Exception as failure:  # the person asked and waits: say it could not be done, never stay silent
            log.warning("voice note for chat could not be sent: %s", type(failure).__name__)
            with contextlib.suppress(Exception):
                await bot.send_message(chat_id, R.VOICE_UNAVAILABLE)

    background.spawn(job(), name="voice-note")


async def _send_voice(
    bot: Bot, chat_id: int, session: AsyncSession, renderer: VoiceRenderer | None, document: Document | None,
    variant: tuple[str, str], now: dt.datetime, *, spoken: str | None = None,
) -> bool:
    """Speak a document's summary (or `spoken`, e.g. the settings sample) with this variant; by the
    platform's file id when the note was uploaded before. Under a summary: 🔁 and 🐢 buttons."""
    text = spoken if spoken is not None else (document.summary if document is not None else "")
    if renderer is None or not text.strip():
        await bot.send_message(chat_id, R.VOICE_UNAVAILABLE)
        return False
    async with working(bot, chat_id, "record_voice", R.VOICE_PREPARING):  # synthesis may take seconds: never a silent wait
        notes = (await render_variants(renderer, text, [variant])).get(variant)
    if not notes:
        await bot.send_message(chat_id, R.VOICE_UNAVAILABLE)
        return False
    for note in notes:
        await _send_note(bot, chat_id, session, note, document if spoken is None else None, variant[1], now)
    return True


async def _send_note(bot: Bot, chat_id: int, session: AsyncSession, note: Any, document: Document | None, speed: str, now: dt.datetime) -> None:
    """One part of a voice note; under a document's summary, its caption, and 🔁 🐢 under the last part."""
    bot_key = str(bot.id)
    file_id = await stored_file_id(session, cache_key=note.key, bot_key=bot_key)
    markup = caption = None
    if document is not None:
        caption = render.voice_caption(document, part=note.part, parts=note.parts)
        if note.part == note.parts - 1:
            markup = kb.inline(render.voice_buttons(document.id, speed=speed))
    # By the stored id; from the audio cache when there is none or Telegram rejects it (another bot's id).
    _, uploaded = await send_stored(
        bot, chat_id, "voice", file_id, upload=FSInputFile(str(note.path), filename="tom-tat.ogg"), duration=note.duration,
        caption=caption, reply_markup=markup,
    )
    if uploaded:
        await remember_file_id(session, cache_key=note.key, bot_key=bot_key, file_id=uploaded, now=now)


async def voice_action(
    query: CallbackQuery, callback_data: ResVoice, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    session_factory: async_sessionmaker[AsyncSession] | None = None, voice_renderer: VoiceRenderer | None = None, settings: Any = None,
) -> None:
    """🔁 Nghe lại / 🐢 Nghe chậm hơn / 🐇 tốc độ thường under a voice note."""
    if callback_data.action not in ("again", "slow", "norm"):
        raise SkipHandler()
    document = await service.readable(session, actor=actor, document_id=callback_data.document_id)
    await query.answer()
    voice, speed = service.member_variant(actor.member)
    if callback_data.action == "slow":
        speed = "slow"
    elif callback_data.action == "norm":
        speed = "normal"
    speak(bot, query.from_user.id, session_factory, renderer_for(voice_renderer, settings), document, (voice, speed), clock.now(),
          listen_language=None if callback_data.action == "slow" else actor.member.listen_language)


def build() -> Router:
    router = Router(name="resolutions.voice_notes")
    router.callback_query.register(voice_action, ResVoice.filter())
    return router
