"""📜 Nghị quyết: the library (newest first, search without diacritics, ⭐ saved), reading a
document (summary, 🔊 voice, 📄 the original), «✅ Tôi đã nghiên cứu», quizzes as Telegram quiz
polls, voice preferences (from 👤 Hồ sơ), publishing a document, and study campaigns.

Handlers are thin; every id in a button is re-checked by core.resolutions (a forged or foreign
one is NotFound / PermissionDenied and changes nothing).

Callback data:
    rl:<mode>:<page>            library page: a (all) | s (saved) | f (search results; query in FSM data)
    rm:<action>                 menu: search | saved | publish | camps
    rd:<action>:<document_id>   open | full | save | unsave | study | listen | quiz | camp | res   (core.resolutions.render)
    rv:<action>:<document_id>   under a voice note: again | slow | norm                           (core.resolutions.render)
    vp:<action>:<value>         voice settings: open | on | off | speed:<normal|slow> | voice:<name> | sample
    rpk:<kind>                  publishing: the document kind (enum name: NQ, QD, …)
    rps:<action>                publishing steps: skipcode | today | skipdate | textdone | keep | send | hear | edit | cancel
    rpt:<org_id>                publishing: the target organisation
    sco:<document_id>:<org_id>  campaign: the organisation
    scs:<action>                campaign steps: w1 | w2 | m1 | noquiz | done | open | cancel
    scc:<option>                campaign: the right option of the question being written
    scv:<action>:<campaign_id>  campaign results: res | members | close

Voice: rendering (espeak, ~1 s for a summary) happens in the handler before `publish()` writes,
through the shared `VoiceRenderer` (`voice_renderer` service, or one built from `settings`); its
disk cache means the preview the publisher heard is not synthesised again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import html
import logging
import re
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter, or_f
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, FSInputFile, InlineKeyboardMarkup, Message, PollAnswer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import background
from bot import keyboards as kb
from bot.filters import Linked
from bot import storage
from bot.screens import plain, show
from core import texts
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.orgs.models import Member, Org
from core.orgs.service import Actor
from core.ports import Button
from bot.messenger import send_stored
from bot.progress import working
from core.render import pack, visible_length
from core.resolutions import extract, render, service, study
from core.resolutions.models import Document, DocumentKind
from core.resolutions.voice import default_renderer, remember_file_id, render_variants, stored_file_id
from bot.routers.recordings import listen_language_button, send_recording
from core.recordings import service as recordings
from voice.engines import VOICES
from voice.service import VoiceRenderer

log = logging.getLogger(__name__)
FLOW_TTL = dt.timedelta(minutes=60)
MAX_PASTED_PARTS = 60
FULL_TEXT_MESSAGES = 4  # longer full texts go as a .txt file
R = texts.resolutions


def home_labels() -> frozenset[str]:
    return frozenset(value for name, value in vars(texts.account).items() if name.startswith("BTN_") and isinstance(value, str))


# ---------------------------------------------------------------- callback data


class LibraryMode(str, enum.Enum):
    ALL = "a"
    SAVED = "s"
    FOUND = "f"


class ResLib(CallbackData, prefix="rl"):
    mode: LibraryMode
    page: int


class ResMenu(CallbackData, prefix="rm"):
    action: str


class ResDoc(CallbackData, prefix=render.DOC_PREFIX):
    action: str
    document_id: int


class ResVoice(CallbackData, prefix=render.VOICE_PREFIX):
    action: str
    document_id: int


class VoicePref(CallbackData, prefix="vp"):
    action: str
    value: str = "-"


class PubKind(CallbackData, prefix="rpk"):
    kind: str


class PubStep(CallbackData, prefix="rps"):
    action: str


class PubTarget(CallbackData, prefix="rpt"):
    org_id: int


class CampOrg(CallbackData, prefix="sco"):
    document_id: int
    org_id: int


class CampStep(CallbackData, prefix="scs"):
    action: str


class CampCorrect(CallbackData, prefix="scc"):
    option: int


class CampView(CallbackData, prefix="scv"):
    action: str
    campaign_id: int


class PublishFlow(StatesGroup):
    kind = State()
    code = State()
    date = State()
    title = State()
    text = State()
    summary = State()
    target = State()
    preview = State()


class SearchFlow(StatesGroup):
    query = State()


class CampaignFlow(StatesGroup):
    org = State()
    deadline = State()
    question = State()
    correct = State()
    review = State()


# ---------------------------------------------------------------- helpers


def _b(text: str, data: CallbackData) -> Button:
    return Button(text, data.pack())


def voice_settings_markup() -> InlineKeyboardMarkup:
    """The «🔊 Giọng đọc» button under the profile (👤 Hồ sơ)."""
    return kb.inline([(_b(R.BTN_VOICE_SETTINGS, VoicePref(action="open")),)])


def _renderer(voice_renderer: VoiceRenderer | None, settings: Any) -> VoiceRenderer | None:
    if voice_renderer is not None:
        return voice_renderer
    if settings is not None and getattr(settings, "data_dir", None) is not None:
        return default_renderer(str(Path(settings.data_dir) / "audio"), getattr(settings, "tts", "espeak"))
    return None


async def _flow(state: FSMContext, now: dt.datetime) -> dict[str, Any] | None:
    data = await state.get_data()
    started = data.get("started_at")
    if not isinstance(started, str) or now - dt.datetime.fromisoformat(started) > FLOW_TTL:
        await state.clear()
        return None
    return data


async def leave_flow_for_menu(message: Message, state: FSMContext) -> None:
    """A home button or a command in the middle of a flow: drop the flow, let its owner answer."""
    await state.clear()
    raise SkipHandler()


# ---------------------------------------------------------------- the library


def _library_markup(page: service.LibraryPage, mode: LibraryMode, actor: Actor) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = [
        (_b(render.item_label(d, marker="⭐ " if mode == LibraryMode.SAVED else "📜 "), ResDoc(action="open", document_id=d.id)),)
        for d in page.items
    ]
    nav: list[Button] = []
    if page.page > 1:
        nav.append(_b(R.BTN_PREV, ResLib(mode=mode, page=page.page - 1)))
    if page.page < page.pages:
        nav.append(_b(R.BTN_NEXT, ResLib(mode=mode, page=page.page + 1)))
    if nav:
        rows.append(tuple(nav))
    second = _b(R.BTN_ALL, ResLib(mode=LibraryMode.ALL, page=1)) if mode != LibraryMode.ALL else _b(R.BTN_SAVED, ResMenu(action="saved"))
    rows.append((_b(R.BTN_SEARCH, ResMenu(action="search")), second))
    if actor.is_manager:
        rows.append((_b(R.BTN_PUBLISH, ResMenu(action="publish")), _b(R.BTN_CAMPAIGNS, ResMenu(action="camps"))))
    return kb.inline(rows)


async def _library_screen(session: AsyncSession, actor: Actor, mode: LibraryMode, page: int, query: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    result = await service.library(
        session, actor=actor, page=page, query=query if mode == LibraryMode.FOUND else None, saved=mode == LibraryMode.SAVED
    )
    if mode == LibraryMode.SAVED:
        title, empty = R.SAVED_TITLE, R.SAVED_EMPTY
    elif mode == LibraryMode.FOUND:
        title = R.SEARCH_TITLE.format(query=html.escape(query or ""))
        empty = R.SEARCH_EMPTY.format(query=html.escape(query or ""))
    else:
        title, empty = R.LIBRARY_TITLE, R.LIBRARY_EMPTY
    body = R.LIBRARY_PAGE.format(page=result.page, pages=result.pages, total=result.total) if result.total else empty
    return f"{title}\n{body}", _library_markup(result, mode, actor)


async def open_library(message: Message, state: FSMContext, session: AsyncSession, actor: Actor) -> None:
    await state.clear()
    text, markup = await _library_screen(session, actor, LibraryMode.ALL, 1)
    await message.answer(text, reply_markup=markup)


async def library_page(query: CallbackQuery, callback_data: ResLib, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    search = (await state.get_data()).get("query") if callback_data.mode == LibraryMode.FOUND else None
    mode = callback_data.mode if callback_data.mode != LibraryMode.FOUND or search else LibraryMode.ALL
    text, markup = await _library_screen(session, actor, mode, callback_data.page, search)
    await show(query, bot, text, markup)
    await query.answer()


async def menu_action(
    query: CallbackQuery, callback_data: ResMenu, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    action = callback_data.action
    if action == "search":
        await state.set_state(SearchFlow.query)
        await state.update_data(started_at=clock.now().isoformat())
        await bot.send_message(query.from_user.id, R.SEARCH_PROMPT)
    elif action == "saved":
        text, markup = await _library_screen(session, actor, LibraryMode.SAVED, 1)
        await show(query, bot, text, markup)
    elif action == "publish":
        await _start_publishing(query, state, actor, clock, bot)
    elif action == "camps":
        await _campaign_list(query, session, actor, bot)
    else:
        raise SkipHandler()
    await query.answer()


async def typed_search(message: Message, state: FSMContext, session: AsyncSession, actor: Actor) -> None:
    if not message.text:
        await message.answer(R.SEARCH_TOO_SHORT)
        return
    search = message.text.strip()[:120]
    text, markup = await _library_screen(session, actor, LibraryMode.FOUND, 1, search)
    await state.set_state(None)
    await state.update_data(query=search)
    await message.answer(text, reply_markup=markup)


# ---------------------------------------------------------------- one document


async def _document_screen(session: AsyncSession, actor: Actor, document_id: int, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    view = await service.reader_view(session, actor=actor, document_id=document_id)
    document = view.document
    text = render.header(document, view.org_name)
    found = await study.member_assignment(session, member=actor.member, document_id=document.id)
    extra = ""
    if view.studied_at is not None:
        extra += R.STUDIED_LINE.format(date=study.local_day(view.studied_at).strftime("%d/%m/%Y"))
    quiz_open = False
    if found is not None:
        campaign, assignment = found
        if study.is_open(campaign, now) or assignment.quiz_completed_at is not None:
            extra += R.CAMPAIGN_LINE.format(deadline=study.format_deadline(campaign))
            if campaign.question_count:
                if assignment.quiz_completed_at is not None:
                    extra += R.QUIZ_DONE_LINE.format(correct=assignment.quiz_correct, total=campaign.question_count)
                else:
                    extra += R.QUIZ_LINE.format(questions=campaign.question_count)
                    quiz_open = study.is_open(campaign, now)
    summary = render.summary_html(document.summary)
    room = 4000 - visible_length(text + extra) - 40
    if visible_length(summary) > room:
        summary = render.escape(document.summary.strip()[: max(room, 200)]) + "…"
    text += R.SUMMARY_HEADING.format(summary=summary) if document.summary.strip() else R.NO_SUMMARY
    text += extra
    d = document.id
    rows: list[tuple[Button, ...]] = [
        (_b(R.BTN_LISTEN, ResDoc(action="listen", document_id=d)), _b(R.BTN_FULL_TEXT, ResDoc(action="full", document_id=d))),
        (
            _b(R.BTN_UNSAVE, ResDoc(action="unsave", document_id=d)) if view.bookmarked else _b(R.BTN_SAVE, ResDoc(action="save", document_id=d)),
            _b(R.BTN_STUDIED_DONE if view.studied_at else R.BTN_STUDIED, ResDoc(action="study", document_id=d)),
        ),
    ]
    if quiz_open:
        rows.append((_b(R.BTN_QUIZ, ResDoc(action="quiz", document_id=d)),))
    if view.may_manage:
        rows.append((_b(R.BTN_OPEN_CAMPAIGN, ResDoc(action="camp", document_id=d)), _b(R.BTN_CAMPAIGN_RESULTS, ResDoc(action="res", document_id=d))))
        rows.append((recordings.record_button(d),))  # the flow lives in bot/routers/recordings.py
    rows.append((_b(R.BTN_BACK_TO_LIBRARY, ResLib(mode=LibraryMode.ALL, page=1)),))
    return text, kb.inline(rows)


async def document_action(
    query: CallbackQuery,
    callback_data: ResDoc,
    state: FSMContext,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    bot: Bot,
    session_factory: async_sessionmaker[AsyncSession] | None = None, voice_renderer: VoiceRenderer | None = None,
    settings: Any = None,
) -> None:
    action, document_id, now = callback_data.action, callback_data.document_id, clock.now()
    chat_id = query.from_user.id
    if action == "open":
        text, markup = await _document_screen(session, actor, document_id, now)
        await show(query, bot, text, markup)
    elif action in ("save", "unsave"):
        await service.set_bookmark(session, actor=actor, document_id=document_id, on=action == "save", now=now)
        await query.answer(R.SAVED if action == "save" else R.UNSAVED)
        await _refresh_document(query, session, actor, document_id, now)
        return
    elif action == "study":
        changed = await service.confirm_studied(session, actor=actor, document_id=document_id, now=now)
        await query.answer(R.STUDIED_THANKS if changed else R.STUDIED_ALREADY)  # a toast: nothing to close
        if changed:
            await _refresh_document(query, session, actor, document_id, now)
        return
    elif action == "full":
        document = await service.readable(session, actor=actor, document_id=document_id)  # a refusal shows as the alert
        await query.answer()
        await _send_full_text(bot, chat_id, session, actor, document.id)
        return
    elif action == "listen":
        document = await service.readable(session, actor=actor, document_id=document_id)
        await query.answer()
        _speak(bot, chat_id, session_factory, _renderer(voice_renderer, settings), document, service.member_variant(actor.member), now,
               listen_language=actor.member.listen_language)
        return
    elif action == "quiz":
        quiz = await study.quiz_for(session, actor=actor, document_id=document_id, now=now)  # a refusal shows as the alert
        await query.answer()
        await _send_quiz(bot, chat_id, session, actor, quiz, now)
        return
    elif action == "camp":
        await _start_campaign(query, state, session, actor, clock, bot, document_id)
    elif action == "res":
        await _campaign_list(query, session, actor, bot, document_id=document_id)
    else:
        raise SkipHandler()
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


async def _send_full_text(bot: Bot, chat_id: int, session: AsyncSession, actor: Actor, document_id: int) -> None:
    document = await service.readable(session, actor=actor, document_id=document_id)
    caption = R.FULL_TEXT_FILE_CAPTION.format(title=html.escape(document.title[:200]))
    kept = document.file_path is not None and Path(document.file_path).exists()
    if document.file_id or kept:
        upload = FSInputFile(str(document.file_path), filename=document.file_name) if kept else None
        async with working(bot, chat_id, "upload_document"):
            _, uploaded = await send_stored(bot, chat_id, "document", document.file_id, upload=upload, caption=caption)
        if uploaded:  # first sent, or the stored id was rejected and the file uploaded again
            await service.remember_file_id(session, document_id=document.id, file_id=uploaded, replacing=document.file_id)
        return
    if not document.full_text.strip():
        await bot.send_message(chat_id, R.NO_FULL_TEXT)
        return
    parts = render.chunks(document.full_text)
    if len(parts) > FULL_TEXT_MESSAGES:
        data = document.full_text.encode("utf-8")
        await bot.send_document(chat_id, BufferedInputFile(data, filename=R.FULL_TEXT_TXT_NAME.format(id=document.id)), caption=caption)
        return
    for index, part in enumerate(parts, start=1):
        body = render.escape(part)
        text = R.FULL_TEXT_PART.format(part=index, parts=len(parts), text=body) if len(parts) > 1 else body
        if index == 1:
            text = R.FULL_TEXT_TITLE.format(title=render.escape(document.title)) + "\n\n" + text
        await bot.send_message(chat_id, text)


def _speak(
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
    bot_key = str(bot.id)
    speed = variant[1]
    for note in notes:
        file_id = await stored_file_id(session, cache_key=note.key, bot_key=bot_key)
        markup = caption = None
        if document is not None and spoken is None:
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
    return True


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
    _speak(bot, query.from_user.id, session_factory, _renderer(voice_renderer, settings), document, (voice, speed), clock.now(),
           listen_language=None if callback_data.action == "slow" else actor.member.listen_language)


# ---------------------------------------------------------------- voice preferences (👤 Hồ sơ → 🔊 Giọng đọc)


def _voice_settings(member: Member) -> tuple[str, InlineKeyboardMarkup]:
    voice, speed = service.member_variant(member)
    text = R.VOICE_SETTINGS.format(
        enabled=R.VOICE_ON if member.voice_enabled else R.VOICE_OFF, speed=R.SPEEDS[speed], voice=R.VOICES[voice]
    )
    toggle = _b(R.BTN_VOICE_TURN_OFF, VoicePref(action="off")) if member.voice_enabled else _b(R.BTN_VOICE_TURN_ON, VoicePref(action="on"))
    mark = lambda chosen: "✅ " if chosen else ""  # noqa: E731
    rows: list[tuple[Button, ...]] = [
        (toggle,),
        tuple(_b(R.BTN_SPEED.format(mark=mark(speed == s), label=R.SPEEDS[s]), VoicePref(action="speed", value=s)) for s in ("normal", "slow")),
    ]
    voices = [_b(R.BTN_VOICE.format(mark=mark(voice == v), label=R.VOICES[v]), VoicePref(action="voice", value=v)) for v in VOICES]
    rows += [tuple(voices[i : i + 2]) for i in range(0, len(voices), 2)]
    rows.append((_b(R.BTN_VOICE_SAMPLE, VoicePref(action="sample")),))
    rows.append((listen_language_button(),))  # bot/routers/recordings.py
    return text, kb.inline(rows)


async def voice_preferences(
    query: CallbackQuery, callback_data: VoicePref, session: AsyncSession, member: Member, clock: Clock, bot: Bot,
    session_factory: async_sessionmaker[AsyncSession] | None = None, voice_renderer: VoiceRenderer | None = None, settings: Any = None,
) -> None:
    action, value, now = callback_data.action, callback_data.value, clock.now()
    if action == "on":
        await service.set_voice_preferences(session, member=member, enabled=True, now=now)
    elif action == "off":
        await service.set_voice_preferences(session, member=member, enabled=False, now=now)
    elif action == "speed":
        await service.set_voice_preferences(session, member=member, speed=value, now=now)
    elif action == "voice":
        await service.set_voice_preferences(session, member=member, voice=value, now=now)
    elif action == "sample":
        await query.answer()
        renderer = _renderer(voice_renderer, settings)
        _speak(bot, query.from_user.id, session_factory, renderer, None, service.member_variant(member), now, spoken=R.VOICE_SAMPLE_TEXT)
        return
    elif action != "open":
        raise SkipHandler()
    text, markup = _voice_settings(member)
    if action == "open":
        await bot.send_message(query.from_user.id, text, reply_markup=markup)
        await query.answer()
    else:
        await show(query, bot, text, markup)
        await query.answer(R.VOICE_SAVED)


# ---------------------------------------------------------------- quizzes (Telegram quiz polls)


async def _send_quiz(bot: Bot, chat_id: int, session: AsyncSession, actor: Actor, quiz: study.QuizState, now: dt.datetime) -> None:
    await bot.send_message(chat_id, R.QUIZ_INTRO.format(title=html.escape(quiz.document.title), count=len(quiz.pending)))
    for question in quiz.pending:
        sent = await bot.send_poll(
            chat_id, question=question.text, options=list(question.options), type="quiz",
            correct_option_id=question.correct_option, is_anonymous=False,
            # Shown to whoever picks a wrong option.
            explanation=R.QUIZ_EXPLANATION.format(answer=html.escape(question.options[question.correct_option])),
        )
        if sent.poll is None:
            log.warning("quiz poll for question %s came back without a poll", question.id)
            continue
        await study.record_poll(
            session, poll_id=sent.poll.id, question_id=question.id, member_id=actor.member.id, chat_id=str(chat_id),
            message_id=sent.message_id, now=now,
        )


async def poll_answer(poll: PollAnswer, session: AsyncSession, member: Member | None, clock: Clock, bot: Bot) -> None:
    """A member chose an option in a quiz poll: count it once; on the last question, say the score."""
    outcome = await study.answer_poll(session, poll_id=poll.poll_id, member=member, option_ids=poll.option_ids, now=clock.now())
    if outcome is None or poll.user is None:
        return
    if outcome.finished:
        score = f"{10 * outcome.correct / outcome.total:.1f}".replace(".", ",") if outcome.total else "—"
        await bot.send_message(poll.user.id, R.QUIZ_FINISHED.format(correct=outcome.correct, total=outcome.total, score=score))
    elif not outcome.counted and outcome.answered < outcome.total:
        await bot.send_message(poll.user.id, R.QUIZ_ANSWER_LATE)


# ---------------------------------------------------------------- publishing


def _kind_markup() -> InlineKeyboardMarkup:
    buttons = [_b(R.KINDS[kind.value], PubKind(kind=kind.name)) for kind in DocumentKind]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((_b(R.BTN_CANCEL, PubStep(action="cancel")),))
    return kb.inline(rows)


def _step_markup(*buttons: Button) -> InlineKeyboardMarkup:
    return kb.inline([tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)] + [(_b(R.BTN_CANCEL, PubStep(action="cancel")),)])


async def _start_publishing(query: CallbackQuery, state: FSMContext, actor: Actor, clock: Clock, bot: Bot) -> None:
    if not actor.is_manager:
        raise PermissionDenied(R.NOT_PUBLISHER)
    await state.clear()
    await state.set_state(PublishFlow.kind)
    await state.set_data({"started_at": clock.now().isoformat()})
    await bot.send_message(query.from_user.id, R.PUBLISH_KIND, reply_markup=_kind_markup())


async def choose_kind(query: CallbackQuery, callback_data: PubKind, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if await _flow(state, clock.now()) is None:
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        return
    try:
        kind = DocumentKind[callback_data.kind]
    except KeyError:
        raise SkipHandler() from None
    await state.update_data(kind=kind.name)
    await state.set_state(PublishFlow.code)
    await show(query, bot, R.PUBLISH_CODE, _step_markup(_b(R.BTN_SKIP, PubStep(action="skipcode"))))
    await query.answer()


async def _ask_date(target: Message | CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.set_state(PublishFlow.date)
    markup = _step_markup(_b(R.BTN_TODAY, PubStep(action="today")), _b(R.BTN_SKIP, PubStep(action="skipdate")))
    if isinstance(target, CallbackQuery):
        await show(target, bot, R.PUBLISH_DATE, markup)
    else:
        await target.answer(R.PUBLISH_DATE, reply_markup=markup)


async def _ask_title(target: Message | CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.set_state(PublishFlow.title)
    markup = _step_markup()
    if isinstance(target, CallbackQuery):
        await show(target, bot, R.PUBLISH_TITLE, markup)
    else:
        await target.answer(R.PUBLISH_TITLE, reply_markup=markup)


async def typed_step(
    message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    files_dir: Path | None = None, settings: Any = None,
) -> None:
    """Text (or a file) typed during publishing, read according to the step."""
    data = await _flow(state, clock.now())
    if data is None:
        await message.answer(R.FLOW_EXPIRED)
        return
    step = await state.get_state()
    if step == PublishFlow.text.state:
        await _receive_text(message, state, data, session, actor, clock, bot, storage.files_dir(files_dir, settings))
        return
    if not message.text:
        await message.answer(R.TYPE_OR_PRESS)
        return
    typed = message.text.strip()
    if step == PublishFlow.code.state:
        code = service.clean_code(typed)
        await state.update_data(code=code)
        await _ask_date(message, state, bot)
    elif step == PublishFlow.date.state:
        day = service.parse_day(typed, today=study.local_day(clock.now()))
        await state.update_data(issued_on=day.isoformat())
        await _ask_title(message, state, bot)
    elif step == PublishFlow.title.state:
        title = service.clean_title(typed)
        await state.update_data(title=title)
        await _ask_text(message, state)
    elif step == PublishFlow.summary.state:
        await service.update_draft(session, actor=actor, document_id=int(data["document_id"]), summary=typed, now=clock.now())
        await _after_summary(message, state, session, actor, bot, clock.now())
    else:
        await message.answer(R.TYPE_OR_PRESS)


async def _ask_text(message: Message, state: FSMContext) -> None:
    await state.set_state(PublishFlow.text)
    await state.update_data(parts=[])
    await message.answer(
        R.PUBLISH_TEXT.format(pages=extract.MAX_PAGES, megabytes=extract.MAX_FILE_BYTES // (1024 * 1024)), reply_markup=_step_markup()
    )


async def _receive_text(
    message: Message, state: FSMContext, data: dict[str, Any], session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, files_dir: Path
) -> None:
    if message.document is not None:
        document = message.document
        if document.file_size and document.file_size > extract.MAX_FILE_BYTES:
            raise InvalidInput(R.FILE_TOO_LARGE.format(megabytes=extract.MAX_FILE_BYTES // (1024 * 1024)))
        await message.answer(R.PUBLISH_READING_FILE.format(name=html.escape(document.file_name or "")))
        try:
            buffer = await bot.download(document.file_id)
        except Exception as exc:  # network, or Telegram refused (file too big for bots)
            log.warning("could not download a document: %s", type(exc).__name__)
            raise InvalidInput(R.FILE_DOWNLOAD_FAILED) from exc
        raw = buffer.read() if buffer is not None else b""
        extracted = await asyncio.to_thread(extract.extract_text, raw, filename=document.file_name or "")
        stored = await asyncio.to_thread(service.store_original, files_dir, raw, filename=document.file_name or "", extracted=extracted)
        await _create_draft(message, state, data, session, actor, clock, extracted.text, stored)
        return
    if message.text:
        parts = list(data.get("parts") or [])
        if len(parts) >= MAX_PASTED_PARTS:
            raise InvalidInput(R.TEXT_TOO_LONG.format(limit=f"{extract.MAX_TEXT_CHARS:,}".replace(",", ".")))
        parts.append(message.text)
        chars = sum(len(p) for p in parts)
        if chars > extract.MAX_TEXT_CHARS:
            raise InvalidInput(R.TEXT_TOO_LONG.format(limit=f"{extract.MAX_TEXT_CHARS:,}".replace(",", ".")))
        await state.update_data(parts=parts)
        await message.answer(R.PUBLISH_TEXT_MORE.format(chars=f"{chars:,}".replace(",", ".")),
                             reply_markup=_step_markup(_b(R.BTN_DONE_TEXT, PubStep(action="textdone"))))
        return
    await message.answer(R.SEND_FILE_OR_TEXT)


async def _create_draft(
    target: Message, state: FSMContext, data: dict[str, Any], session: AsyncSession, actor: Actor, clock: Clock,
    full_text: str, stored: service.StoredFile | None,
) -> None:
    if data.get("document_id"):  # a new text replaces the draft made from the previous one
        try:
            await service.discard_draft(session, actor=actor, document_id=int(data["document_id"]))
        except (NotFound, Conflict):  # already gone, or published meanwhile
            pass
    issued = data.get("issued_on")
    document = await service.create_draft(
        session, actor=actor, now=clock.now(), original=stored,
        draft=service.DraftInput(
            kind=DocumentKind[data["kind"]], title=data["title"], full_text=full_text, code=data.get("code"),
            issued_on=dt.date.fromisoformat(issued) if issued else None,
        ),
    )
    await state.update_data(document_id=document.id, parts=[])
    await state.set_state(PublishFlow.summary)
    if document.summary.strip():
        text = R.PUBLISH_SUMMARY.format(sentences=len(document.summary.split("\n")), summary=render.summary_html(document.summary))
        await target.answer(text, reply_markup=_step_markup(_b(R.BTN_KEEP_SUMMARY, PubStep(action="keep"))))
    else:
        await target.answer(R.PUBLISH_SUMMARY_EMPTY, reply_markup=_step_markup())


async def _after_summary(
    target: Message | CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot, now: dt.datetime
) -> None:
    targets = await service.publish_targets(session, actor=actor)
    chat_id = target.from_user.id if target.from_user else 0
    if len(targets) == 1:
        await _preview(chat_id, state, session, actor, bot, targets[0].id, now)
        return
    await state.set_state(PublishFlow.target)
    rows = []
    for org in targets:
        label = R.TARGET_BUTTON_CELL if org.is_cell else R.TARGET_BUTTON_SUBTREE
        rows.append((_b(label.format(name=org.name), PubTarget(org_id=org.id)),))
    rows.append((_b(R.BTN_CANCEL, PubStep(action="cancel")),))
    await bot.send_message(chat_id, R.PUBLISH_TARGET, reply_markup=kb.inline(rows))


async def _preview(chat_id: int, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot, org_id: int, now: dt.datetime) -> None:
    data = await state.get_data()
    document_id = int(data["document_id"])
    audience = await service.audience(session, actor=actor, org_id=org_id)
    document = await service.update_draft(session, actor=actor, document_id=document_id, org_id=org_id, now=now)
    full_text = (
        R.FULL_TEXT_FROM_FILE.format(name=html.escape(document.file_name or ""))
        if document.file_name
        else R.FULL_TEXT_PASTED.format(chars=f"{len(document.full_text):,}".replace(",", "."))
    )
    text = R.PUBLISH_PREVIEW.format(
        kind=render.kind_word(document), code=render.code_part(document), issued=render.issued_part(document),
        title=render.escape(document.title), summary=render.summary_html(document.summary), org=render.escape(audience.org.name),
        recipients=audience.recipients, unlinked=audience.unlinked, full_text=full_text,
    )
    if audience.unlinked_names:  # named, so the publisher can tell them in person
        text += R.UNLINKED_NAMES.format(names=_names(audience.unlinked_names))
    await state.set_state(PublishFlow.preview)
    markup = kb.inline(
        [
            (_b(R.BTN_SEND, PubStep(action="send")),),
            (_b(R.BTN_PREVIEW_VOICE, PubStep(action="hear")), _b(R.BTN_EDIT_SUMMARY, PubStep(action="edit"))),
            (_b(R.BTN_CANCEL, PubStep(action="cancel")),),
        ]
    )
    parts = pack(text.split("\n"))
    for index, part in enumerate(parts):
        await bot.send_message(chat_id, part, reply_markup=markup if index == len(parts) - 1 else None)


async def choose_target(query: CallbackQuery, callback_data: PubTarget, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    data = await _flow(state, clock.now())
    if data is None or not data.get("document_id"):
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        return
    await query.answer()
    await _preview(query.from_user.id, state, session, actor, bot, callback_data.org_id, clock.now())


async def publish_step(
    query: CallbackQuery,
    callback_data: PubStep,
    state: FSMContext,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    bot: Bot,
    session_factory: async_sessionmaker[AsyncSession] | None = None, voice_renderer: VoiceRenderer | None = None,
    settings: Any = None,
) -> None:
    action = callback_data.action
    data = await _flow(state, clock.now())
    if action == "cancel":
        if data and data.get("document_id"):
            try:
                await service.discard_draft(session, actor=actor, document_id=int(data["document_id"]))
            except (NotFound, Conflict):  # published meanwhile, or gone: nothing to discard
                pass
        await state.clear()
        await show(query, bot, R.PUBLISH_CANCELLED)
        await query.answer()
        return
    if data is None:
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        return
    step = await state.get_state()
    if action == "skipcode" and step == PublishFlow.code.state:
        await state.update_data(code=None)
        await _ask_date(query, state, bot)
    elif action in ("today", "skipdate") and step == PublishFlow.date.state:
        await state.update_data(issued_on=study.local_day(clock.now()).isoformat() if action == "today" else None)
        await _ask_title(query, state, bot)
    elif action == "textdone" and step == PublishFlow.text.state:
        parts = data.get("parts") or []
        if not parts:
            raise InvalidInput(R.TEXT_EMPTY)
        assert isinstance(query.message, Message)
        await query.answer()
        await _create_draft(query.message, state, data, session, actor, clock, "\n\n".join(parts), None)
        return
    elif action == "keep" and step == PublishFlow.summary.state:
        await query.answer()
        await _after_summary(query, state, session, actor, bot, clock.now())
        return
    elif action == "edit" and step == PublishFlow.preview.state:
        await state.set_state(PublishFlow.summary)
        await bot.send_message(query.from_user.id, R.PUBLISH_SUMMARY_EMPTY)
    elif action == "hear" and step == PublishFlow.preview.state:
        await query.answer(plain(R.VOICE_PREPARING))
        document = await service.draft_for_author(session, actor=actor, document_id=int(data["document_id"]))
        _speak(bot, query.from_user.id, session_factory, _renderer(voice_renderer, settings), document,
               service.member_variant(actor.member), clock.now())
        return
    elif action == "send" and step == PublishFlow.preview.state:
        await query.answer(plain(R.PUBLISH_SENDING))
        await _publish(query, state, session, actor, clock, bot, int(data["document_id"]), _renderer(voice_renderer, settings))
        return
    else:
        raise SkipHandler()
    await query.answer()


def _names(names: tuple[str, ...], shown: int = 10) -> str:
    listed = ", ".join(render.escape(name) for name in names[:shown])
    return listed + (f" {R.AND_MORE.format(count=len(names) - shown)}" if len(names) > shown else "")


async def _publish(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, document_id: int,
    renderer: VoiceRenderer | None,
) -> None:
    # Synthesis first (cached on disk; no rows written yet), then one short writing transaction.
    document = await service.draft_for_author(session, actor=actor, document_id=document_id)
    variants = await service.voice_variants(session, actor=actor, document_id=document_id)
    async with working(bot, query.from_user.id, "record_voice", R.PUBLISH_PREPARING):
        notes = await render_variants(renderer, document.summary, variants) if renderer is not None else {}
        result = await service.publish(session, actor=actor, document_id=document_id, now=clock.now(), voices=notes)
    await state.clear()
    unlinked = R.PUBLISHED_UNLINKED.format(count=result.unlinked, names=_names(result.unlinked_names)) if result.unlinked else ""
    text = R.PUBLISHED_DONE.format(title=render.escape(result.document.title), queued=result.queued, org=render.escape(result.org.name),
                                   unlinked_line=unlinked)
    markup = kb.inline([(_b(R.BTN_OPEN_CAMPAIGN, ResDoc(action="camp", document_id=document_id)),), (recordings.record_button(document_id),)])
    await show(query, bot, text, markup)


# ---------------------------------------------------------------- study campaigns (organisers)


async def _campaign_list(query: CallbackQuery, session: AsyncSession, actor: Actor, bot: Bot, *, document_id: int | None = None) -> None:
    found = await study.campaigns_for(session, actor=actor, limit=20)
    if document_id is not None:
        found = [item for item in found if item[1].id == document_id]
    if not found:
        await bot.send_message(query.from_user.id, R.CAMPAIGNS_EMPTY)
        return
    if document_id is not None and len(found) == 1:
        await _results(query.from_user.id, session, actor, bot, found[0][0].id)
        return
    rows = []
    for campaign, document, org in found[:10]:
        status = "🟢" if campaign.closed_at is None else "🏁"
        label = R.CAMPAIGN_ITEM.format(status=status, title=render.short_name(document), org=org.name)
        rows.append((_b(label[:60], CampView(action="res", campaign_id=campaign.id)),))
    await bot.send_message(query.from_user.id, R.CAMPAIGNS_TITLE, reply_markup=kb.inline(rows))


def _score(value: float | None) -> str:
    return R.NO_SCORE if value is None else R.SCORE_FORMAT.format(score=f"{value:.1f}".replace(".", ","))


def _rate(part: int, whole: int) -> str:
    return "—" if not whole else f"{round(100 * part / whole)}%"


async def _results(chat_id: int, session: AsyncSession, actor: Actor, bot: Bot, campaign_id: int) -> None:
    results = await study.campaign_results(session, actor=actor, campaign_id=campaign_id)
    campaign, totals = results.campaign, results.totals
    lines = [
        R.RESULTS_TITLE.format(
            title=render.escape(render.short_name(results.document)), org=render.escape(results.org.name),
            deadline=study.format_deadline(campaign), closed=R.RESULTS_CLOSED if campaign.closed_at else "",
        )
        + R.RESULTS_BODY.format(
            studied=totals.studied, total=totals.total, rate=_rate(totals.studied, totals.total), quiz_done=totals.quiz_done,
            score=_score(totals.score(campaign.question_count)),
        ),
    ]
    if len(results.cells) > 1:
        lines.append("")
        lines += [
            R.RESULTS_CELL_LINE.format(name=render.escape(org.name), studied=line.studied, total=line.total, score=_score(line.score(campaign.question_count)))
            for org, line in results.cells
        ]
    rows = [(_b(R.BTN_RESULTS_MEMBERS, CampView(action="members", campaign_id=campaign.id)),)]
    campaign_org = await session.get(Org, campaign.org_id)
    if campaign.closed_at is None and campaign_org is not None and actor.manages(campaign_org):
        rows.append((_b(R.BTN_CLOSE_CAMPAIGN, CampView(action="close", campaign_id=campaign.id)),))
    parts = pack(lines)
    for index, part in enumerate(parts):
        await bot.send_message(chat_id, part, reply_markup=kb.inline(rows) if index == len(parts) - 1 else None)


async def campaign_view(query: CallbackQuery, callback_data: CampView, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    chat_id = query.from_user.id
    if callback_data.action == "res":
        await _results(chat_id, session, actor, bot, callback_data.campaign_id)
        await query.answer()  # after the checks: a refusal must be the query's one answer
    elif callback_data.action == "members":
        members = await study.member_results(session, actor=actor, campaign_id=callback_data.campaign_id)
        await query.answer()
        campaign = await session.get(study.StudyCampaign, callback_data.campaign_id)
        questions = campaign.question_count if campaign else 0
        lines = []
        for m in members:
            done = study.is_done(m.studied_at, m.quiz_completed_at, questions)
            score = R.RESULTS_MEMBER_SCORE.format(correct=m.quiz_correct, total=questions) if m.quiz_completed_at else ""
            lines.append(R.RESULTS_MEMBER_LINE.format(mark="✅" if done else ("📖" if m.studied_at else "⬜"), name=render.escape(m.name), score=score))
        for part in pack(lines or [R.CAMPAIGNS_EMPTY]):
            await bot.send_message(chat_id, part)
    elif callback_data.action == "close":
        await study.close_campaign(session, actor=actor, campaign_id=callback_data.campaign_id, now=clock.now())
        await query.answer(R.CAMPAIGN_CLOSED_DONE, show_alert=True)
    else:
        raise SkipHandler()


async def _start_campaign(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, document_id: int) -> None:
    orgs = await study.campaign_orgs(session, actor=actor, document_id=document_id)
    if not orgs:
        raise PermissionDenied(texts.common.FORBIDDEN)
    await state.clear()
    await state.set_data({"started_at": clock.now().isoformat(), "document_id": document_id, "questions": []})
    if len(orgs) == 1:
        await _ask_deadline(query.from_user.id, state, bot, orgs[0])
        return
    document = await service.readable(session, actor=actor, document_id=document_id)
    await state.set_state(CampaignFlow.org)
    rows = [(_b(org.name, CampOrg(document_id=document_id, org_id=org.id)),) for org in orgs]
    rows.append((_b(R.BTN_CANCEL, CampStep(action="cancel")),))
    await bot.send_message(query.from_user.id, R.CAMPAIGN_OPEN_ORG.format(title=render.escape(render.short_name(document))), reply_markup=kb.inline(rows))


async def _ask_deadline(chat_id: int, state: FSMContext, bot: Bot, org: Org) -> None:
    await state.update_data(org_id=org.id, org_name=org.name)
    await state.set_state(CampaignFlow.deadline)
    markup = kb.inline(
        [
            (_b(R.BTN_DEADLINE_WEEK, CampStep(action="w1")), _b(R.BTN_DEADLINE_2WEEKS, CampStep(action="w2"))),
            (_b(R.BTN_DEADLINE_MONTH, CampStep(action="m1")), _b(R.BTN_CANCEL, CampStep(action="cancel"))),
        ]
    )
    await bot.send_message(chat_id, R.CAMPAIGN_DEADLINE, reply_markup=markup)


async def choose_campaign_org(query: CallbackQuery, callback_data: CampOrg, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    data = await _flow(state, clock.now())
    if data is None or data.get("document_id") != callback_data.document_id:
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        return
    orgs = {o.id: o for o in await study.campaign_orgs(session, actor=actor, document_id=callback_data.document_id)}
    org = orgs.get(callback_data.org_id)
    if org is None:
        raise PermissionDenied(texts.common.FORBIDDEN)
    await query.answer()
    await _ask_deadline(query.from_user.id, state, bot, org)


async def _ask_question(chat_id: int, state: FSMContext, bot: Bot) -> None:
    data = await state.get_data()
    await state.set_state(CampaignFlow.question)
    count = len(data.get("questions") or [])
    buttons = [_b(R.BTN_QUESTIONS_DONE if count else R.BTN_NO_QUIZ, CampStep(action="done" if count else "noquiz")), _b(R.BTN_CANCEL, CampStep(action="cancel"))]
    await bot.send_message(chat_id, R.CAMPAIGN_QUESTION.format(count=count, limit=study.MAX_QUESTIONS), reply_markup=kb.inline([tuple(buttons)]))


async def _review_campaign(chat_id: int, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    data = await state.get_data()
    document = await service.readable(session, actor=actor, document_id=int(data["document_id"]))
    org = await session.get(Org, int(data["org_id"]))
    assert org is not None
    count = len(data.get("questions") or [])
    text = R.CAMPAIGN_REVIEW.format(
        title=render.escape(render.short_name(document)), org=render.escape(org.name), members=await study.obliged_count(session, org),
        deadline=dt.date.fromisoformat(data["deadline"]).strftime("%d/%m/%Y"),
        questions=R.QUESTION_COUNT.format(count=count) if count else R.NO_QUESTIONS,
    )
    await state.set_state(CampaignFlow.review)
    markup = kb.inline([(_b(R.BTN_OPEN_NOW, CampStep(action="open")), _b(R.BTN_CANCEL, CampStep(action="cancel")))])
    await bot.send_message(chat_id, text, reply_markup=markup)


async def campaign_step(query: CallbackQuery, callback_data: CampStep, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    action, now, chat_id = callback_data.action, clock.now(), query.from_user.id
    data = await _flow(state, now)
    if action == "cancel":
        await state.clear()
        await show(query, bot, texts.common.CANCELLED)
        await query.answer()
        return
    if data is None:
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        return
    step = await state.get_state()
    if action in ("w1", "w2", "m1") and step == CampaignFlow.deadline.state:
        days = {"w1": 7, "w2": 14, "m1": 30}[action]
        await state.update_data(deadline=(study.local_day(now) + dt.timedelta(days=days)).isoformat())
        await query.answer()
        await _ask_question(chat_id, state, bot)
        return
    if action in ("noquiz", "done") and step == CampaignFlow.question.state:
        await query.answer()
        await _review_campaign(chat_id, state, session, actor, bot)
        return
    if action == "open" and step == CampaignFlow.review.state:
        questions = [study.QuestionInput(text=q["text"], options=q["options"], correct=q["correct"]) for q in data.get("questions") or []]
        opened = await study.open_campaign(
            session, actor=actor, document_id=int(data["document_id"]), org_id=int(data["org_id"]),
            deadline_day=dt.date.fromisoformat(data["deadline"]), questions=questions, now=now,
        )
        await state.clear()
        await show(query, bot, R.CAMPAIGN_OPENED.format(members=opened.members, org=render.escape(opened.org.name),
                                                         deadline=study.format_deadline(opened.campaign)),
                    kb.inline([(_b(R.BTN_CAMPAIGN_RESULTS, CampView(action="res", campaign_id=opened.campaign.id)),)]))
        await query.answer()
        return
    raise SkipHandler()


async def choose_correct(
    query: CallbackQuery, callback_data: CampCorrect, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    data = await _flow(state, clock.now())
    pending = (data or {}).get("pending")
    if data is None or not pending:
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        return
    if not 0 <= callback_data.option < len(pending["options"]):
        raise SkipHandler()
    questions = list(data.get("questions") or [])
    questions.append({"text": pending["text"], "options": pending["options"], "correct": callback_data.option})
    await state.update_data(questions=questions, pending=None)
    await query.answer()
    if len(questions) >= study.MAX_QUESTIONS:  # the limit reached: straight to the review
        await _review_campaign(query.from_user.id, state, session, actor, bot)
        return
    await _ask_question(query.from_user.id, state, bot)


async def typed_campaign(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    data = await _flow(state, clock.now())
    if data is None:
        await message.answer(R.FLOW_EXPIRED)
        return
    if not message.text:
        await message.answer(R.TYPE_OR_PRESS)
        return
    step = await state.get_state()
    if step == CampaignFlow.deadline.state:
        day = parse_future_day(message.text, today=study.local_day(clock.now()))
        await state.update_data(deadline=day.isoformat())
        await _ask_question(message.chat.id, state, bot)
    elif step == CampaignFlow.question.state:
        if len(data.get("questions") or []) >= study.MAX_QUESTIONS:
            raise InvalidInput(R.TOO_MANY_QUESTIONS.format(limit=study.MAX_QUESTIONS))
        question, options = study.parse_question(message.text)
        await state.update_data(pending={"text": question, "options": options})
        await state.set_state(CampaignFlow.correct)
        letters = "ABCDEFGHIJ"
        buttons = [_b(f"{letters[i]}. {option}"[:60], CampCorrect(option=i)) for i, option in enumerate(options)]
        listing = "\n".join(f"{letters[i]}. {render.escape(o)}" for i, o in enumerate(options))
        await message.answer(R.CAMPAIGN_CORRECT.format(question=f"<b>{render.escape(question)}</b>\n{listing}"),
                             reply_markup=kb.inline([(b,) for b in buttons]))
    else:
        await message.answer(R.TYPE_OR_PRESS)


def parse_future_day(text: str, *, today: dt.date) -> dt.date:
    """A deadline typed as "15/12/2026" or "15/12" (this year, or next year if already past)."""
    value = text.strip()
    short = re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})", value)
    if short:
        try:
            day = dt.date(today.year, int(short.group(2)), int(short.group(1)))
            return day if day > today else dt.date(today.year + 1, day.month, day.day)
        except ValueError as exc:
            raise InvalidInput(R.DATE_INVALID) from exc
    return service.parse_day(value, today=today, allow_future=True)


# ---------------------------------------------------------------- wiring


def build() -> Router:
    router = Router(name="resolutions")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())

    menu_or_command = or_f(F.text.in_(home_labels()), F.text.startswith("/"))
    in_a_flow = StateFilter(*PublishFlow.__all_states__, *SearchFlow.__all_states__, *CampaignFlow.__all_states__)
    router.message.register(open_library, or_f(F.text == texts.account.BTN_RESOLUTIONS, Command("nghiquyet")))
    router.message.register(leave_flow_for_menu, in_a_flow, menu_or_command)
    router.message.register(typed_search, StateFilter(SearchFlow.query))
    router.message.register(typed_step, StateFilter(*PublishFlow.__all_states__))
    router.message.register(typed_campaign, StateFilter(*CampaignFlow.__all_states__))

    router.callback_query.register(library_page, ResLib.filter())
    router.callback_query.register(menu_action, ResMenu.filter())
    router.callback_query.register(document_action, ResDoc.filter())
    router.callback_query.register(voice_action, ResVoice.filter())
    router.callback_query.register(voice_preferences, VoicePref.filter())
    router.callback_query.register(choose_kind, PubKind.filter(), StateFilter(PublishFlow.kind))
    router.callback_query.register(choose_target, PubTarget.filter(), StateFilter(PublishFlow.target, PublishFlow.preview))
    router.callback_query.register(publish_step, PubStep.filter())
    router.callback_query.register(choose_campaign_org, CampOrg.filter(), StateFilter(CampaignFlow.org))
    router.callback_query.register(campaign_step, CampStep.filter())
    router.callback_query.register(choose_correct, CampCorrect.filter(), StateFilter(CampaignFlow.correct))
    router.callback_query.register(campaign_view, CampView.filter())
    router.poll_answer.register(poll_answer)
    return router
