"""One document: its screen (summary, buttons), ⭐, ✅ studied, the full text, 🔊, the quiz, its campaigns."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, FSInputFile, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import keyboards as kb
from bot.messenger import send_stored
from bot.progress import working
from bot.routers.resolutions.campaigns import campaign_list, start_campaign
from bot.routers.resolutions.common import (
    FULL_TEXT_MESSAGES,
    LibraryMode,
    R,
    ResDoc,
    ResLib,
    btn,
    renderer_for,
)
from bot.routers.resolutions.quizzes import send_quiz
from bot.routers.resolutions.voice_notes import speak
from bot.screens import show
from core.clock import Clock
from core.orgs.service import Actor
from core.ports import Button
from core.render import visible_length
from core.recordings import service as recordings
from core.resolutions import render, service, study
from voice.service import VoiceRenderer


def _study_lines(view: service.ReaderView, found: tuple[Any, Any] | None, now: dt.datetime) -> tuple[str, bool]:
    """The lines under the summary (studied, the campaign, its quiz) and whether the quiz is open."""
    extra = ""
    if view.studied_at is not None:
        extra += R.STUDIED_LINE.format(date=study.local_day(view.studied_at).strftime("%d/%m/%Y"))
    if found is None:
        return extra, False
    campaign, assignment = found
    if not (study.is_open(campaign, now) or assignment.quiz_completed_at is not None):
        return extra, False
    extra += R.CAMPAIGN_LINE.format(deadline=study.format_deadline(campaign))
    if not campaign.question_count:
        return extra, False
    if assignment.quiz_completed_at is not None:
        return extra + R.QUIZ_DONE_LINE.format(correct=assignment.quiz_correct, total=campaign.question_count), False
    return extra + R.QUIZ_LINE.format(questions=campaign.question_count), study.is_open(campaign, now)


def _summary_part(document: Any, room: int) -> str:
    """The summary, cut to the room a Telegram message leaves it."""
    if not document.summary.strip():
        return R.NO_SUMMARY
    summary = render.summary_html(document.summary)
    if visible_length(summary) > room:
        summary = render.escape(document.summary.strip()[: max(room, 200)]) + "…"
    return R.SUMMARY_HEADING.format(summary=summary)


def _document_rows(view: service.ReaderView, quiz_open: bool) -> list[tuple[Button, ...]]:
    d = view.document.id
    rows: list[tuple[Button, ...]] = [
        (btn(R.BTN_LISTEN, ResDoc(action="listen", document_id=d)), btn(R.BTN_FULL_TEXT, ResDoc(action="full", document_id=d))),
        (
            btn(R.BTN_UNSAVE, ResDoc(action="unsave", document_id=d)) if view.bookmarked else btn(R.BTN_SAVE, ResDoc(action="save", document_id=d)),
            btn(R.BTN_STUDIED_DONE if view.studied_at else R.BTN_STUDIED, ResDoc(action="study", document_id=d)),
        ),
    ]
    if quiz_open:
        rows.append((btn(R.BTN_QUIZ, ResDoc(action="quiz", document_id=d)),))
    if view.may_manage:
        rows.append((btn(R.BTN_OPEN_CAMPAIGN, ResDoc(action="camp", document_id=d)), btn(R.BTN_CAMPAIGN_RESULTS, ResDoc(action="res", document_id=d))))
        rows.append((recordings.record_button(d),))  # the flow lives in bot/routers/recordings/
    rows.append((btn(R.BTN_BACK_TO_LIBRARY, ResLib(mode=LibraryMode.ALL, page=1)),))
    return rows


async def _document_screen(session: AsyncSession, actor: Actor, document_id: int, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    view = await service.reader_view(session, actor=actor, document_id=document_id)
    text = render.header(view.document, view.org_name)
    found = await study.member_assignment(session, member=actor.member, document_id=view.document.id)
    extra, quiz_open = _study_lines(view, found, now)
    text += _summary_part(view.document, 4000 - visible_length(text + extra) - 40) + extra
    return text, kb.inline(_document_rows(view, quiz_open))


async def open_document(query: CallbackQuery, callback_data: ResDoc, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    text, markup = await _document_screen(session, actor, callback_data.document_id, clock.now())
    await show(query, bot, text, markup)
    await query.answer()


async def bookmark(query: CallbackQuery, callback_data: ResDoc, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now, on = clock.now(), callback_data.action == "save"
    await service.set_bookmark(session, actor=actor, document_id=callback_data.document_id, on=on, now=now)
    await query.answer(R.SAVED if on else R.UNSAVED)
    await _refresh_document(query, session, actor, callback_data.document_id, now)


async def studied(query: CallbackQuery, callback_data: ResDoc, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    changed = await service.confirm_studied(session, actor=actor, document_id=callback_data.document_id, now=now)
    await query.answer(R.STUDIED_THANKS if changed else R.STUDIED_ALREADY)  # a toast: nothing to close
    if changed:
        await _refresh_document(query, session, actor, callback_data.document_id, now)


async def full_text(query: CallbackQuery, callback_data: ResDoc, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    document = await service.readable(session, actor=actor, document_id=callback_data.document_id)  # a refusal shows as the alert
    await query.answer()
    await _send_full_text(bot, query.from_user.id, session, actor, document.id)


async def listen(
    query: CallbackQuery, callback_data: ResDoc, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    session_factory: async_sessionmaker[AsyncSession] | None = None, voice_renderer: VoiceRenderer | None = None, settings: Any = None,
) -> None:
    document = await service.readable(session, actor=actor, document_id=callback_data.document_id)
    await query.answer()
    renderer = renderer_for(voice_renderer, settings)
    speak(bot, query.from_user.id, session_factory, renderer, document, service.member_variant(actor.member), clock.now(),
          listen_language=actor.member.listen_language)


async def take_quiz(query: CallbackQuery, callback_data: ResDoc, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    quiz = await study.quiz_for(session, actor=actor, document_id=callback_data.document_id, now=now)  # a refusal shows as the alert
    await query.answer()
    await send_quiz(bot, query.from_user.id, session, actor, quiz, now)


async def open_campaign(
    query: CallbackQuery, callback_data: ResDoc, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    await start_campaign(query, state, session, actor, clock, bot, callback_data.document_id)
    await query.answer()


async def document_campaigns(query: CallbackQuery, callback_data: ResDoc, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    await campaign_list(query, session, actor, bot, document_id=callback_data.document_id)
    await query.answer()


async def _refresh_document(query: CallbackQuery, session: AsyncSession, actor: Actor, document_id: int, now: dt.datetime) -> None:
    """After ⭐ or ✅ on the document screen, redraw its buttons. A message that came through the
    outbox (the published summary, a campaign's notice) stays as it is: only the screen has the
    way back to the library."""
    message = query.message
    if not isinstance(message, Message) or message.text is None or not message.reply_markup:
        return
    back = f"{ResLib.__prefix__}:"
    if not any((b.callback_data or "").startswith(back) for row in message.reply_markup.inline_keyboard for b in row):
        return
    text, markup = await _document_screen(session, actor, document_id, now)
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest:
        pass


async def _send_stored_file(bot: Bot, chat_id: int, session: AsyncSession, document: Any, caption: str) -> None:
    """The original file: by its stored id, or uploaded from disk (and its new id remembered)."""
    kept = document.file_path is not None and Path(document.file_path).exists()
    upload = FSInputFile(str(document.file_path), filename=document.file_name) if kept else None
    async with working(bot, chat_id, "upload_document"):
        _, uploaded = await send_stored(bot, chat_id, "document", document.file_id, upload=upload, caption=caption)
    if uploaded:  # first sent, or the stored id was rejected and the file uploaded again
        await service.remember_file_id(session, document_id=document.id, file_id=uploaded, replacing=document.file_id)


async def _send_text_parts(bot: Bot, chat_id: int, document: Any, parts: list[str]) -> None:
    for index, part in enumerate(parts, start=1):
        body = render.escape(part)
        text = R.FULL_TEXT_PART.format(part=index, parts=len(parts), text=body) if len(parts) > 1 else body
        if index == 1:
            text = R.FULL_TEXT_TITLE.format(title=render.escape(document.title)) + "\n\n" + text
        await bot.send_message(chat_id, text)


async def _send_full_text(bot: Bot, chat_id: int, session: AsyncSession, actor: Actor, document_id: int) -> None:
    document = await service.readable(session, actor=actor, document_id=document_id)
    caption = R.FULL_TEXT_FILE_CAPTION.format(title=html.escape(document.title[:200]))
    if document.file_id or (document.file_path is not None and Path(document.file_path).exists()):
        await _send_stored_file(bot, chat_id, session, document, caption)
        return
    if not document.full_text.strip():
        await bot.send_message(chat_id, R.NO_FULL_TEXT)
        return
    parts = render.chunks(document.full_text)
    if len(parts) > FULL_TEXT_MESSAGES:
        data = document.full_text.encode("utf-8")
        await bot.send_document(chat_id, BufferedInputFile(data, filename=R.FULL_TEXT_TXT_NAME.format(id=document.id)), caption=caption)
        return
    await _send_text_parts(bot, chat_id, document, parts)


def build() -> Router:
    router = Router(name="resolutions.document")
    for handler, actions in (
        (open_document, {"open"}),
        (bookmark, {"save", "unsave"}),
        (studied, {"study"}),
        (full_text, {"full"}),
        (listen, {"listen"}),
        (take_quiz, {"quiz"}),
        (open_campaign, {"camp"}),
        (document_campaigns, {"res"}),
    ):
        router.callback_query.register(handler, ResDoc.filter(F.action.in_(actions)))
    return router
