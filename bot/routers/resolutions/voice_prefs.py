"""Voice preferences (👤 Hồ sơ → 🔊 Giọng đọc): on/off, speed, voice, a sample."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import keyboards as kb
from bot.routers.resolutions.common import (
    R,
    VoicePref,
    btn,
    renderer_for,
)
from bot.routers.recordings import listen_language_button
from bot.routers.resolutions.voice_notes import speak
from bot.screens import show
from core.clock import Clock
from core.orgs.models import Member
from core.ports import Button
from core.recordings import presynthesis
from core.resolutions import service
from voice.engines import VOICES
from voice.service import VoiceRenderer


def _voice_settings(member: Member) -> tuple[str, InlineKeyboardMarkup]:
    voice, speed = service.member_variant(member)
    text = R.VOICE_SETTINGS.format(
        enabled=R.VOICE_ON if member.voice_enabled else R.VOICE_OFF, speed=R.SPEEDS[speed], voice=R.VOICES[voice]
    )
    toggle = btn(R.BTN_VOICE_TURN_OFF, VoicePref(action="off")) if member.voice_enabled else btn(R.BTN_VOICE_TURN_ON, VoicePref(action="on"))
    mark = lambda chosen: "✅ " if chosen else ""  # noqa: E731
    rows: list[tuple[Button, ...]] = [
        (toggle,),
        tuple(btn(R.BTN_SPEED.format(mark=mark(speed == s), label=R.SPEEDS[s]), VoicePref(action="speed", value=s)) for s in ("normal", "slow")),
    ]
    voices = [btn(R.BTN_VOICE.format(mark=mark(voice == v), label=R.VOICES[v]), VoicePref(action="voice", value=v)) for v in VOICES]
    rows += [tuple(voices[i : i + 2]) for i in range(0, len(voices), 2)]
    rows.append((btn(R.BTN_VOICE_SAMPLE, VoicePref(action="sample")),))
    rows.append((listen_language_button(),))  # bot/routers/recordings/
    return text, kb.inline(rows)


def voice_settings_markup() -> InlineKeyboardMarkup:
    """The «🔊 Giọng đọc» button under the profile (👤 Hồ sơ)."""
    return kb.inline([(btn(R.BTN_VOICE_SETTINGS, VoicePref(action="open")),)])


async def open_preferences(query: CallbackQuery, member: Member, bot: Bot) -> None:
    text, markup = _voice_settings(member)
    await bot.send_message(query.from_user.id, text, reply_markup=markup)
    await query.answer()


async def change_preference(query: CallbackQuery, callback_data: VoicePref, session: AsyncSession, member: Member, clock: Clock, bot: Bot) -> None:
    """on | off | speed:<normal|slow> | voice:<name>: saved, and the settings shown again."""
    action, value = callback_data.action, callback_data.value
    changes: dict[str, dict[str, Any]] = {"on": {"enabled": True}, "off": {"enabled": False}, "speed": {"speed": value}, "voice": {"voice": value}}
    change = changes[action]
    await service.set_voice_preferences(session, member=member, now=clock.now(), **change)
    await presynthesis.queue_recent(session, member=member, now=clock.now())  # the new variant, made before the next «🔊»
    text, markup = _voice_settings(member)
    await show(query, bot, text, markup)
    await query.answer(R.VOICE_SAVED)


async def hear_sample(
    query: CallbackQuery, member: Member, clock: Clock, bot: Bot, session_factory: async_sessionmaker[AsyncSession] | None = None,
    voice_renderer: VoiceRenderer | None = None, settings: Any = None,
) -> None:
    await query.answer()
    renderer = renderer_for(voice_renderer, settings)
    speak(bot, query.from_user.id, session_factory, renderer, None, service.member_variant(member), clock.now(), spoken=R.VOICE_SAMPLE_TEXT)


def build() -> Router:
    router = Router(name="resolutions.voice_prefs")
    router.callback_query.register(open_preferences, VoicePref.filter(F.action == "open"))
    router.callback_query.register(change_preference, VoicePref.filter(F.action.in_({"on", "off", "speed", "voice"})))
    router.callback_query.register(hear_sample, VoicePref.filter(F.action == "sample"))
    return router
