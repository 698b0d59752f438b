"""📅 Lịch họp and 📊 Thống kê: creating meetings with big buttons, answering invitations, absence
requests and decisions, attendance, conclusions for the absent, statistics with a chart.

Handlers are thin: they read the button or the text, call one core service (which re-checks
who may do it) and show the result. Callback data is documented in bot/keyboards_meetings.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.filters import Command, StateFilter, or_f
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_meetings as kbm
from bot.filters import Linked
from bot.messenger import send_received
from bot.keyboards_meetings import (
    AttendanceAction,
    AttendanceButton,
    AttendanceToggle,
    DecisionAction,
    DecisionButton,
    Form,
    FormAction,
    FormCell,
    FormDay,
    FormKind,
    FormMonth,
    FormPlace,
    FormTime,
    Inert,
    InvitationAction,
    InvitationButton,
    MeetingAction,
    MeetingButton,
    MeetMenu,
    MenuAction,
    ReasonButton,
    RuleStop,
    StatsAction,
    StatsButton,
)
from bot import storage
from bot.screens import show
from core import texts
from core.clock import Clock
from core.render import shorten
from core.errors import DomainError, InvalidInput, PermissionDenied
from core.meetings import charts, dates, documents, export, render, service, stats
from core.meetings.models import AbsenceReason, Answer, DocumentKind, MeetingKind, MeetingStatus
from core.orgs.models import Org
from core.orgs.service import Actor, get_org

log = logging.getLogger(__name__)

# A form left half-way is forgotten after this long.
FLOW_TTL = dt.timedelta(minutes=60)
# The leader's meeting card summarises: at most this many pending requests, names and reasons cut to these lengths.
CARD_PENDING_LINES = 10
CARD_REASON_CHARS = 80
CARD_NAME_CHARS = 60
MAX_PLACE_SUGGESTIONS = 4


def home_labels() -> frozenset[str]:
    """The home keyboard's buttons (texts.account.BTN_*), including any a domain adds later."""
    return frozenset(value for name, value in vars(texts.account).items() if name.startswith("BTN_") and isinstance(value, str))


class MeetingForm(StatesGroup):
    cell = State()
    kind = State()
    day = State()
    time = State()
    place = State()
    agenda = State()
    documents = State()
    review = State()
    edit_review = State()


class AbsenceFlow(StatesGroup):
    reason = State()


class ConclusionsFlow(StatesGroup):
    content = State()


# ---------------------------------------------------------------- helpers


async def _flow_data(state: FSMContext, now: dt.datetime) -> dict[str, Any] | None:
    """The form's data, or None (and the state cleared) when there is none or it is too old."""
    data = await state.get_data()
    started = data.get("started_at")
    if not isinstance(started, str) or now - dt.datetime.fromisoformat(started) > FLOW_TTL:
        await state.clear()
        return None
    return data


def _today(now: dt.datetime) -> dt.date:
    return dates.local(now).date()


def _starts_at(data: dict[str, Any]) -> dt.datetime | None:
    if not data.get("day") or not data.get("time"):
        return None
    return dates.to_utc(dt.date.fromisoformat(data["day"]), dt.time.fromisoformat(data["time"]))


def _uploads(data: dict[str, Any]) -> list[documents.DocumentUpload]:
    return [
        documents.DocumentUpload(
            file_id=d["file_id"], filename=d["filename"], mime_type=d["mime_type"], size=int(d["size"]), kind=DocumentKind(d["kind"]),
            path=d.get("path"),
        )
        for d in data.get("docs", [])
    ]


def _details(
    *, kind: MeetingKind, cell: Org, starts_at: dt.datetime, place: str, agenda: str, document_names: list[str], repeat_line: str = ""
) -> str:
    show_lunar = cell.show_lunar_date
    return texts.meetings.DETAILS.format(
        title=texts.meetings.KINDS[kind.value],
        cell=render.escape(cell.name),
        when=dates.format_when(starts_at),
        lunar_line=texts.meetings.LUNAR_LINE.format(lunar=dates.format_lunar(dates.local(starts_at).date())) if show_lunar else "",
        place=render.escape(place),
        agenda_block=texts.meetings.AGENDA_BLOCK.format(agenda=render.escape(agenda)) if agenda else "",
        documents_block=texts.meetings.CARD_DOCUMENTS.format(names=", ".join(render.escape(n) for n in document_names)) if document_names else "",
        repeat_line=repeat_line,
    )


async def leave_flow_for_menu(message: Message, state: FSMContext) -> None:
    """A home button or a command in the middle of a flow: drop the flow, let its owner answer."""
    await state.clear()
    raise SkipHandler()


async def inert(query: CallbackQuery) -> None:
    await query.answer()


# ---------------------------------------------------------------- 📅 Lịch họp


async def _menu(session: AsyncSession, actor: Actor, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    upcoming = await service.upcoming_for_member(session, actor=actor, now=now)
    lines = [texts.meetings.MENU_TITLE, ""]
    if upcoming:
        lines.append(texts.meetings.UPCOMING_TITLE)
        for number, (meeting, invitation) in enumerate(upcoming, start=1):
            lines.append(
                texts.meetings.UPCOMING_LINE.format(
                    number=number, title=render.title(meeting), when=render.when(meeting), place=render.escape(meeting.place),
                    answer=render.answer_label(invitation.answer),
                )
            )
    else:
        lines.append(texts.meetings.NO_UPCOMING)
    hear: int | None = None
    last = await service.last_conclusions(session, actor=actor)
    if last is not None:
        meeting, invitation = last
        await service.note_conclusions_seen(session, actor=actor, meeting_id=meeting.id, now=now)
        lines += ["", texts.meetings.LAST_CONCLUSIONS_TITLE.format(when=render.when(meeting))]
        if meeting.conclusions_text:
            lines.append(render.escape(meeting.conclusions_text[:1500]) + ("…" if len(meeting.conclusions_text) > 1500 else ""))
        if meeting.conclusions_voice_file_id:
            lines.append(texts.meetings.LAST_CONCLUSIONS_VOICE)
            hear = invitation.id
    open_ones = [(m, inv.id, inv.answer != Answer.NONE) for m, inv in upcoming if m.status == MeetingStatus.SCHEDULED and now < m.starts_at]
    markup = kbm.menu(open_ones, leads=bool(service.manageable_cells(actor)), hear_invitation_id=hear)
    return "\n".join(lines), markup


async def open_menu(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    await state.clear()
    text, markup = await _menu(session, actor, clock.now())
    await message.answer(text, reply_markup=markup)


def _led_cell(actor: Actor, cell_id: int) -> Org:
    cells = service.manageable_cells(actor)
    if not cells:
        raise PermissionDenied(texts.meetings.NOT_LEADER)
    for cell in cells:
        if cell.id == cell_id:
            return cell
    return cells[0]


async def menu_action(
    query: CallbackQuery, callback_data: MeetMenu, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    action = callback_data.action
    if action == MenuAction.HOME:
        await state.clear()
        text, markup = await _menu(session, actor, now)
        await show(query, bot, text, markup)
    elif action == MenuAction.NEW:
        cells = service.manageable_cells(actor)
        if not cells:
            raise PermissionDenied(texts.meetings.NOT_LEADER)
        await state.clear()
        if len(cells) > 1:
            await state.set_state(MeetingForm.cell)
            await state.set_data({"mode": "create", "started_at": now.isoformat()})
            await show(query, bot, texts.meetings.ASK_CELL, kbm.cells(cells))
        else:
            await _ask_kind(query, bot, state, cells[0], now)
    elif action == MenuAction.MANAGE:
        cell = _led_cell(actor, callback_data.cell_id)
        meetings = await service.cell_meetings(session, actor=actor, cell_id=cell.id, now=now)
        if not meetings:
            await show(query, bot, texts.meetings.MANAGE_EMPTY, kbm.meeting_list([]))
        else:
            lines = [texts.meetings.MANAGE_TITLE.format(cell=render.escape(cell.name)), ""]
            for number, meeting in enumerate(meetings, start=1):
                lines.append(
                    texts.meetings.MANAGE_LINE.format(
                        number=number, status=texts.meetings.STATUSES[meeting.status.value], title=render.title(meeting), when=render.when(meeting),
                        place=render.escape(meeting.place),
                    )
                )
            await show(query, bot, "\n".join(lines), kbm.meeting_list(meetings))
    elif action == MenuAction.RULES:
        cell = _led_cell(actor, callback_data.cell_id)
        rules = await service.cell_rules(session, actor=actor, cell_id=cell.id)
        if not rules:
            await show(query, bot, texts.meetings.RULES_EMPTY, kbm.rules([]))
        else:
            lines = [texts.meetings.RULES_TITLE, ""]
            for rule in rules:
                _, next_start = service.next_occurrence(rule, now)
                lines.append(
                    texts.meetings.RULE_LINE.format(
                        day=rule.day_of_month, time=dates.format_time(rule.local_time), place=render.escape(rule.place),
                        next=texts.meetings.RULE_NEXT.format(when=dates.format_when(next_start)),
                    )
                )
            await show(query, bot, "\n".join(lines), kbm.rules(rules))
    await query.answer()


# ---------------------------------------------------------------- creating: cell, kind, day, time


async def _ask_kind(query: CallbackQuery, bot: Bot, state: FSMContext, cell: Org, now: dt.datetime) -> None:
    await state.set_state(MeetingForm.kind)
    await state.set_data({"mode": "create", "started_at": now.isoformat(), "cell_id": cell.id, "docs": [], "repeat": False})
    await show(query, bot, texts.meetings.ASK_KIND, kbm.kinds())


async def choose_cell(query: CallbackQuery, callback_data: FormCell, state: FSMContext, actor: Actor, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    if await _flow_data(state, now) is None:
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    cells = {cell.id: cell for cell in service.manageable_cells(actor)}
    cell = cells.get(callback_data.cell_id)
    if cell is None:
        raise PermissionDenied(texts.meetings.NOT_LEADER)
    await _ask_kind(query, bot, state, cell, now)
    await query.answer()


async def choose_kind(
    query: CallbackQuery, callback_data: FormKind, state: FSMContext, session: AsyncSession, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    data = await _flow_data(state, now)
    if data is None or data.get("mode") != "create":
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    usual_day, usual_time, recent = await service.usual_schedule(session, cell_id=int(data["cell_id"]))
    places = list(dict.fromkeys([*recent, *texts.meetings.DEFAULT_PLACES]))[:MAX_PLACE_SUGGESTIONS]
    await state.update_data(
        kind=callback_data.kind.value, usual_dom=usual_day, usual_time=usual_time.strftime("%H:%M") if usual_time else None, places=places
    )
    await state.set_state(MeetingForm.day)
    await show(query, bot, *_day_step(await state.get_data(), now))
    await query.answer()


def _day_step(data: dict[str, Any], now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    today = _today(now)
    usual_dom = data.get("usual_dom")
    kind = MeetingKind(data["kind"])
    usual = dates.next_monthly(int(usual_dom), today + dt.timedelta(days=1)) if usual_dom and kind == MeetingKind.REGULAR else None
    suggestions = dates.suggest_dates(today, usual_day_of_month=int(usual_dom) if usual else None)
    text = texts.meetings.ASK_DATE.format(kind=texts.meetings.KINDS[kind.value], example=dates.example_day(today))
    return text, kbm.days(suggestions, usual=usual, usual_day_of_month=int(usual_dom) if usual else None)


def _time_step(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    day = dt.date.fromisoformat(data["day"])
    usual_time = dt.time.fromisoformat(data["usual_time"]) if data.get("usual_time") else None
    return texts.meetings.ASK_TIME.format(day=dates.format_day(day)), kbm.times(usual_time)


def _last_day(now: dt.datetime) -> dt.date:
    return dates.local(now + service.MAX_AHEAD).date()


async def show_calendar(query: CallbackQuery, state: FSMContext, clock: Clock, bot: Bot, month: str | None = None) -> None:
    now = clock.now()
    today = _today(now)
    year, number = (int(month[:4]), int(month[4:])) if month else (today.year, today.month)
    last = _last_day(now)
    if not (1 <= number <= 12) or (year, number) < (today.year, today.month) or (year, number) > (last.year, last.month):
        year, number = today.year, today.month
    await state.set_state(MeetingForm.day)
    await show(query, bot, texts.meetings.CALENDAR_TITLE, kbm.calendar(year, number, today=today, last_day=last))


async def calendar_month(query: CallbackQuery, callback_data: FormMonth, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if await _flow_data(state, clock.now()) is None:
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    await show_calendar(query, state, clock, bot, callback_data.month)
    await query.answer()


async def pick_day(
    query: CallbackQuery, callback_data: FormDay, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    data = await _flow_data(state, now)
    if data is None or "kind" not in data:
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    try:
        day = dt.datetime.strptime(callback_data.day, "%Y%m%d").date()
    except ValueError:
        raise InvalidInput(dates.when_not_understood(_today(now))) from None
    if day < _today(now) or day > _last_day(now):
        raise InvalidInput(texts.meetings.DATE_PAST.format(when=dates.format_day(day)) if day < _today(now) else texts.meetings.DATE_TOO_FAR)
    if data.get("time_hint"):  # the time was typed with a date we asked about ("4/12 19h30", already past): keep it
        data.update(day=day.isoformat(), time=data["time_hint"])
        service.validate_starts_at(_starts_at(data), now)  # type: ignore[arg-type]
        await state.update_data(day=data["day"], time=data["time"], time_hint=None)
        await show(query, bot, *await _after_when(state, session, actor, now))
        await query.answer()
        return
    await state.update_data(day=day.isoformat())
    await state.set_state(MeetingForm.time)
    await show(query, bot, *_time_step(await state.get_data()))
    await query.answer()


async def pick_time(
    query: CallbackQuery, callback_data: FormTime, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    data = await _flow_data(state, now)
    if data is None or not data.get("day"):
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    try:
        value = dt.datetime.strptime(callback_data.hhmm, "%H%M").time()
    except ValueError:
        raise InvalidInput(dates.when_not_understood(_today(now))) from None
    data["time"] = value.strftime("%H:%M")
    starts_at = _starts_at(data)
    assert starts_at is not None
    service.validate_starts_at(starts_at, now)
    await state.update_data(time=data["time"])
    text, markup = await _after_when(state, session, actor, now)
    await show(query, bot, text, markup)
    await query.answer()


async def typed_when(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    data = await _flow_data(state, now)
    if data is None or "kind" not in data:
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return
    if not message.text:
        await message.answer(texts.meetings.CHOOSE_OR_TYPE)
        return
    await state.update_data(time_hint=None)
    parsed = dates.parse_when(message.text, today=_today(now))
    if parsed.next_year is not None:
        # A day already past this year: ask, never assume next year (the secretary may have meant another day).
        await state.update_data(time_hint=parsed.time.strftime("%H:%M") if parsed.time else None)
        await state.set_state(MeetingForm.day)
        question = texts.meetings.PAST_THIS_YEAR.format(
            typed=parsed.next_year.strftime("%d/%m"), next_year=dates.format_day(parsed.next_year)
        )
        fits = parsed.next_year <= _last_day(now)
        await message.answer(question, reply_markup=kbm.next_year(parsed.next_year if fits else None))
        return
    if parsed.date is not None:
        if parsed.date > _last_day(now):
            raise InvalidInput(texts.meetings.DATE_TOO_FAR)
        if parsed.date < _today(now):
            raise InvalidInput(texts.meetings.DATE_PAST.format(when=dates.format_day(parsed.date)))
        data["day"] = parsed.date.isoformat()
    if parsed.time is not None:
        data["time"] = parsed.time.strftime("%H:%M")
        if not data.get("day"):
            await message.answer(texts.meetings.DATE_NEEDED, reply_markup=_day_step(data, now)[1])
            return
    elif parsed.date is not None:
        await state.update_data(day=data["day"], time=None)
        await state.set_state(MeetingForm.time)
        day = dt.date.fromisoformat(data["day"])
        await message.answer(texts.meetings.TIME_NEEDED.format(day=dates.format_day(day)), reply_markup=_time_step(data)[1])
        return
    starts_at = _starts_at(data)
    assert starts_at is not None
    service.validate_starts_at(starts_at, now)
    await state.update_data(day=data["day"], time=data["time"])
    text, markup = await _after_when(state, session, actor, now)
    await message.answer(text, reply_markup=markup)


# ---------------------------------------------------------------- creating: place, agenda, documents, review


async def _after_when(state: FSMContext, session: AsyncSession, actor: Actor, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    if data["mode"] == "edit":
        await state.update_data(new_starts_at=_starts_at(data).isoformat())  # type: ignore[union-attr]
        return await _edit_review(state, session, actor, now)
    if data.get("reviewed"):
        return await _review(state, session)
    return await _place_step(state)


async def _place_step(state: FSMContext) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    await state.set_state(MeetingForm.place)
    starts_at = _starts_at(data)
    when = dates.format_when(starts_at) if starts_at else ""
    places = data.get("places") or []
    text = (texts.meetings.ASK_PLACE if places else texts.meetings.ASK_PLACE_NO_SUGGESTION).format(when=when)
    return text, kbm.places(places)


async def _after_place(state: FSMContext, session: AsyncSession, actor: Actor, place: str, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    if data["mode"] == "edit":
        await state.update_data(new_place=place)
        return await _edit_review(state, session, actor, now)
    await state.update_data(place=place)
    if data.get("reviewed"):
        return await _review(state, session)
    await state.set_state(MeetingForm.agenda)
    return texts.meetings.ASK_AGENDA, kbm.agenda(MeetingKind(data["kind"]))


async def pick_place(
    query: CallbackQuery, callback_data: FormPlace, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    data = await _flow_data(state, now)
    places = (data or {}).get("places") or []
    if data is None or not 0 <= callback_data.index < len(places):
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    place = service.clean_place(places[callback_data.index])
    await show(query, bot, *await _after_place(state, session, actor, place, now))
    await query.answer()


async def typed_place(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    if await _flow_data(state, now) is None:
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return
    if not message.text:
        await message.answer(texts.meetings.PLACE_EMPTY)
        return
    place = service.clean_place(message.text)
    text, markup = await _after_place(state, session, actor, place, now)
    await message.answer(text, reply_markup=markup)


async def _after_agenda(state: FSMContext, session: AsyncSession, actor: Actor, agenda: str, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    if data["mode"] == "edit":
        await state.update_data(new_agenda=agenda)
        return await _edit_review(state, session, actor, now)
    await state.update_data(agenda=agenda)
    if data.get("reviewed"):
        return await _review(state, session)
    await state.set_state(MeetingForm.documents)
    return _documents_prompt(), kbm.documents(bool(data.get("docs")))


def _documents_prompt() -> str:
    return texts.meetings.ASK_DOCUMENTS.format(
        max_mb=documents.MAX_DOCUMENT_BYTES // 1024 // 1024, max_count=documents.MAX_DOCUMENTS
    )


async def typed_agenda(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    if await _flow_data(state, now) is None:
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return
    agenda = service.clean_agenda(message.text, required=True)
    text, markup = await _after_agenda(state, session, actor, agenda, now)
    await message.answer(text, reply_markup=markup)


async def _download(bot: Bot, file_id: str, name: str) -> bytes:
    try:
        buffer = await bot.download(file_id, destination=io.BytesIO())
    except (TelegramBadRequest, TelegramNetworkError, aiohttp.ClientError, asyncio.TimeoutError) as failure:
        log.warning("could not download a meeting document: %s", type(failure).__name__)
        raise InvalidInput(texts.meetings.FILE_DOWNLOAD_FAILED.format(name=render.escape(name))) from None
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue()


async def receive_document(
    message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    files_dir: Path | None = None, settings: Any = None,
) -> None:
    """A file for the meeting: checked by name and size first, then downloaded, checked by content
    and kept (by its content hash), so the API can hand it out too."""
    now = clock.now()
    data = await _flow_data(state, now)
    if data is None:
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return
    already = len(data.get("docs", []))
    if data["mode"] == "edit":
        already += len(await service.documents_of(session, int(data["meeting_id"])))
    if already >= documents.MAX_DOCUMENTS:
        raise InvalidInput(texts.meetings.TOO_MANY_DOCUMENTS.format(limit=documents.MAX_DOCUMENTS))
    if message.document is not None:
        document = message.document
        name = documents.clean_filename(document.file_name or "")
        documents.check_metadata(name, document.file_size)  # before downloading anything
        content = await _download(bot, document.file_id, name)
        stored = await asyncio.to_thread(documents.store_upload, storage.files_dir(files_dir, settings), content, filename=name)
        upload = {"file_id": document.file_id, "filename": stored.filename, "mime_type": stored.mime_type, "size": stored.size,
                  "kind": stored.kind.value, "path": stored.path}
    elif message.photo:
        photo = message.photo[-1]
        name = f"anh-{already + 1}.jpg"
        documents.check_metadata(name, photo.file_size)
        upload = {"file_id": photo.file_id, "filename": name, "mime_type": "image/jpeg", "size": photo.file_size or 0,
                  "kind": DocumentKind.PHOTO.value}
    else:
        await message.answer(texts.meetings.NOT_A_DOCUMENT, reply_markup=kbm.documents(bool(data.get("docs"))))
        return
    docs = [*data.get("docs", []), upload]
    await state.update_data(docs=docs)
    await message.answer(
        texts.meetings.DOCUMENT_ADDED.format(name=render.escape(upload["filename"]), size=render.size_label(int(upload["size"]))),
        reply_markup=kbm.documents(True),
    )


async def _review(state: FSMContext, session: AsyncSession) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    await state.set_state(MeetingForm.review)
    await state.update_data(reviewed=True)
    cell = await get_org(session, int(data["cell_id"]))
    kind = MeetingKind(data["kind"])
    starts_at = _starts_at(data)
    assert starts_at is not None
    repeat = bool(data.get("repeat")) and kind == MeetingKind.REGULAR
    local = dates.local(starts_at)
    repeat_line = texts.meetings.REVIEW_REPEAT_ON.format(day=local.day, time=dates.format_time(local.time())) if repeat else ""
    details = _details(
        kind=kind, cell=cell, starts_at=starts_at, place=data.get("place", ""), agenda=data.get("agenda", ""),
        document_names=[d["filename"] for d in data.get("docs", [])], repeat_line=repeat_line,
    )
    count = await service.invited_count(session, cell=cell, kind=kind)
    return texts.meetings.REVIEW.format(details=details, count=count), kbm.review(kind, repeat=repeat)


async def _edit_review(state: FSMContext, session: AsyncSession, actor: Actor, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    await state.set_state(MeetingForm.edit_review)
    meeting, _ = await service.editable_meeting(session, actor=actor, meeting_id=int(data["meeting_id"]), now=now)
    changes = service.describe_changes(
        meeting,
        starts_at=dt.datetime.fromisoformat(data["new_starts_at"]) if data.get("new_starts_at") else None,
        place=data.get("new_place"),
        agenda=data.get("new_agenda"),
        document_count=len(data.get("docs", [])),
    )
    if not changes:
        return texts.meetings.EDIT_WHAT.format(when=render.when(meeting)), kbm.edit_menu()
    count = await service.meeting_invitee_count(session, meeting.id)
    return texts.meetings.EDIT_REVIEW.format(changes=render.change_lines(changes), count=count), kbm.edit_review()


async def form_action(
    query: CallbackQuery, callback_data: Form, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    action = callback_data.action
    if action == FormAction.CANCEL:
        await state.clear()
        await show(query, bot, texts.meetings.FLOW_CANCELLED)
        await query.answer()
        return
    data = await _flow_data(state, now)
    if data is None or "kind" not in data:
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    editing = data["mode"] == "edit"
    kind = MeetingKind(data["kind"])
    if action == FormAction.CALENDAR:
        await show_calendar(query, state, clock, bot)
    elif action == FormAction.DEFAULT_AGENDA:
        await show(query, bot, *await _after_agenda(state, session, actor, texts.meetings.DEFAULT_AGENDA, now))
    elif action == FormAction.DOCS_DONE:
        await show(query, bot, *(await _edit_review(state, session, actor, now) if editing else await _review(state, session)))
    elif action == FormAction.REPEAT and not editing:
        await state.update_data(repeat=not data.get("repeat") and kind == MeetingKind.REGULAR)
        await show(query, bot, *await _review(state, session))
    elif action == FormAction.CHANGE_WHEN:
        await state.set_state(MeetingForm.day)
        await show(query, bot, *_day_step(data, now))
    elif action == FormAction.CHANGE_PLACE:
        await show(query, bot, *await _place_step(state))
    elif action == FormAction.CHANGE_AGENDA:
        await state.set_state(MeetingForm.agenda)
        await show(query, bot, texts.meetings.ASK_AGENDA, kbm.agenda(kind))
    elif action == FormAction.ADD_DOCS:
        await state.set_state(MeetingForm.documents)
        await show(query, bot, _documents_prompt(), kbm.documents(bool(data.get("docs"))))
    elif action in (FormAction.SEND, FormAction.SEND_ANYWAY) and not editing:
        try:
            await _send_new_meeting(query, bot, state, session, actor, data, now, allow_overlap=action == FormAction.SEND_ANYWAY)
        except service.MeetingOverlap as clash:  # warn before anything is sent; going on is a second, deliberate press
            await show(query, bot, clash.message, kbm.overlap(editing=False))
    elif action in (FormAction.SAVE, FormAction.SAVE_ANYWAY) and editing:
        try:
            result = await service.edit_meeting(
                session, actor=actor, meeting_id=int(data["meeting_id"]),
                starts_at=dt.datetime.fromisoformat(data["new_starts_at"]) if data.get("new_starts_at") else None,
                place=data.get("new_place"), agenda=data.get("new_agenda"), documents=_uploads(data),
                allow_overlap=action == FormAction.SAVE_ANYWAY, now=now,
            )
        except service.MeetingOverlap as clash:
            await show(query, bot, clash.message, kbm.overlap(editing=True))
            await query.answer()
            return
        await state.clear()
        await show(query, bot, texts.meetings.EDITED.format(queued=result.queued), kbm.back_to(result.meeting.id))
    else:
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    await query.answer()


async def _send_new_meeting(
    query: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession, actor: Actor, data: dict[str, Any], now: dt.datetime,
    *, allow_overlap: bool = False,
) -> None:
    starts_at = _starts_at(data)
    if starts_at is None or not data.get("place"):
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    result = await service.create_meeting(
        session, actor=actor, cell_id=int(data["cell_id"]), kind=MeetingKind(data["kind"]), starts_at=starts_at,
        place=data["place"], agenda=data.get("agenda", ""), documents=_uploads(data), repeat_monthly=bool(data.get("repeat")),
        allow_overlap=allow_overlap, now=now,
    )
    await state.clear()
    text = texts.meetings.CREATED.format(title=render.title(result.meeting), when=render.when(result.meeting), queued=result.invite.queued)
    if result.unlinked_names:
        names = ", ".join(render.escape(n) for n in result.unlinked_names[:10]) + ("…" if len(result.unlinked_names) > 10 else "")
        text += texts.meetings.CREATED_UNLINKED.format(count=len(result.unlinked_names), names=names)
    await show(query, bot, text, kbm.back_to(result.meeting.id))


async def form_button_without_flow(query: CallbackQuery, state: FSMContext) -> None:
    """A form button pressed after the form was finished or forgotten."""
    await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)


# ---------------------------------------------------------------- answering an invitation


def _my_invitation_text(view: service.InvitationView) -> str:
    invitation_text = render.invitation_text(
        view.meeting, cell_name=view.cell.name, show_lunar=view.cell.show_lunar_date, document_count=len(view.documents),
        obliged=view.invitation.obliged,
    )
    return texts.meetings.MY_INVITATION.format(invitation=invitation_text, answer=render.answer_label(view.invitation.answer))


async def invitation_action(
    query: CallbackQuery, callback_data: InvitationButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    invitation_id = callback_data.invitation_id
    action = callback_data.action
    if action == InvitationAction.YES:
        await state.clear()
        await service.answer_attending(session, actor=actor, invitation_id=invitation_id, now=now)
        view = await service.my_invitation(session, actor=actor, invitation_id=invitation_id)
        await show(query, bot, _my_invitation_text(view), kbm.answers(invitation_id))
        await query.answer(texts.meetings.TOAST_ATTENDING)
        return
    if action == InvitationAction.NO:
        view = await service.open_invitation(session, actor=actor, invitation_id=invitation_id, now=now)
        await show(query, bot, texts.meetings.ASK_REASON.format(when=render.when(view.meeting)), kbm.reasons(invitation_id))
    elif action == InvitationAction.SHOW:
        await state.clear()
        view = await service.my_invitation(session, actor=actor, invitation_id=invitation_id)
        answerable = view.meeting.status == MeetingStatus.SCHEDULED and now < view.meeting.starts_at
        await show(query, bot, _my_invitation_text(view), kbm.answers(invitation_id) if answerable else None)
    elif action == InvitationAction.HEAR:
        view = await service.my_invitation(session, actor=actor, invitation_id=invitation_id)
        if view.meeting.conclusions_voice_file_id is None:
            raise InvalidInput(texts.common.NOT_FOUND)
        caption = texts.meetings.CONCLUSIONS_NOTICE_VOICE.format(when=render.when(view.meeting), cell=render.escape(view.cell.name))
        await send_received(bot, query.from_user.id, "voice", view.meeting.conclusions_voice_file_id, caption=caption)
    await query.answer()


async def choose_reason(
    query: CallbackQuery, callback_data: ReasonButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    invitation_id = callback_data.invitation_id
    if callback_data.reason == AbsenceReason.OTHER:
        await service.open_invitation(session, actor=actor, invitation_id=invitation_id, now=now)
        await state.set_state(AbsenceFlow.reason)
        await state.set_data({"invitation_id": invitation_id, "started_at": now.isoformat()})
        await show(query, bot, texts.meetings.ASK_REASON_TEXT, kbm.back_to_invitation(invitation_id))
        await query.answer()
        return
    await state.clear()
    result = await service.request_absence(session, actor=actor, invitation_id=invitation_id, reason=callback_data.reason, now=now)
    await show(query, bot, await _absence_answer(session, actor, result), kbm.answers(invitation_id))
    await query.answer(texts.meetings.TOAST_ABSENCE_SENT if not result.auto_excused else None)


async def _absence_answer(session: AsyncSession, actor: Actor, result: service.AbsenceResult) -> str:
    """The invitation itself (date, place, agenda) stays on screen, with what was just done under it."""
    reason = render.reason_label(result.invitation)
    view = await service.my_invitation(session, actor=actor, invitation_id=result.invitation.id)
    if result.auto_excused:
        done = texts.meetings.ABSENCE_AUTO_EXCUSED.format(when=render.when(result.meeting), reason=reason)
    else:
        done = texts.meetings.ABSENCE_SENT.format(reason=reason)
    return _my_invitation_text(view) + "\n\n" + done


async def typed_reason(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    """"Lý do khác": the reason as text or as a voice message."""
    now = clock.now()
    data = await state.get_data()
    started = data.get("started_at")
    if not isinstance(started, str) or now - dt.datetime.fromisoformat(started) > FLOW_TTL or "invitation_id" not in data:
        await state.clear()
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return
    invitation_id = int(data["invitation_id"])
    if message.voice is not None:
        result = await service.request_absence(
            session, actor=actor, invitation_id=invitation_id, reason=AbsenceReason.OTHER, text=message.caption,
            voice_file_id=message.voice.file_id, voice_duration=message.voice.duration, now=now,
        )
    elif message.text:
        try:
            result = await service.request_absence(
                session, actor=actor, invitation_id=invitation_id, reason=AbsenceReason.OTHER, text=message.text, now=now
            )
        except DomainError as refusal:
            if not isinstance(refusal, InvalidInput):
                await state.clear()
            raise
    else:
        await message.answer(texts.meetings.REASON_EMPTY)
        return
    await state.clear()
    await message.answer(await _absence_answer(session, actor, result), reply_markup=kbm.answers(invitation_id))


# ---------------------------------------------------------------- the secretary decides


async def _send_request(bot: Bot, chat_id: int, name: str, meeting: Any, invitation: Any) -> None:
    """One absence request as the secretary reads it, with buttons for this revision of it."""
    text = render.absence_request_text(name, meeting, invitation)
    if invitation.reason_voice_file_id:  # kept on Telegram only: if the id is refused, the request stands without it
        await send_received(bot, chat_id, "voice", invitation.reason_voice_file_id, caption=text, reply_markup=kbm.decision(invitation))
    else:
        await bot.send_message(chat_id, text, reply_markup=kbm.decision(invitation))


async def _show_current_request(query: CallbackQuery, session: AsyncSession, actor: Actor, bot: Bot, invitation_id: int) -> None:
    """An old card was pressed: decide nothing, say the request changed, and show it as it is now."""
    invitation, meeting, name = await service.absence_request_of(session, actor=actor, invitation_id=invitation_id)
    await query.answer(texts.meetings.ABSENCE_CHANGED_TOAST)
    if isinstance(query.message, Message) and query.message.text is not None:
        try:  # the old card no longer offers buttons for a request that is gone
            await query.message.edit_text(texts.meetings.ABSENCE_CHANGED, reply_markup=None)
        except TelegramBadRequest:
            pass
    else:
        await bot.send_message(query.from_user.id, texts.meetings.ABSENCE_CHANGED)
    if invitation.answer == Answer.ABSENCE_REQUESTED:
        await _send_request(bot, query.from_user.id, name, meeting, invitation)
    else:
        await bot.send_message(
            query.from_user.id,
            texts.meetings.NO_PENDING_REQUEST.format(name=render.escape(name), state=texts.meetings.ANSWERS_SHORT[invitation.answer.value]),
            reply_markup=kbm.back_to(meeting.id),
        )


async def decide_without_revision(query: CallbackQuery, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    """A card made before decisions carried the request's revision: which version it showed is unknown."""
    _, _, invitation_id = (query.data or "").split(":")
    await _show_current_request(query, session, actor, bot, int(invitation_id))


async def decide(query: CallbackQuery, callback_data: DecisionButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    approve = callback_data.action == DecisionAction.APPROVE
    try:
        invitation, meeting, name = await service.decide_absence(
            session, actor=actor, invitation_id=callback_data.invitation_id, approve=approve, revision=callback_data.revision,
            now=clock.now(),
        )
    except service.AbsenceRequestChanged:
        await _show_current_request(query, session, actor, bot, callback_data.invitation_id)
        return
    template = texts.meetings.DECIDED_APPROVED if approve else texts.meetings.DECIDED_REFUSED
    await show(query, bot, template.format(name=render.escape(name), when=render.when(meeting)), kbm.back_to(meeting.id))
    await query.answer()


# ---------------------------------------------------------------- a leader's meeting card


async def _card(session: AsyncSession, actor: Actor, meeting_id: int, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    view = await service.meeting_card(session, actor=actor, meeting_id=meeting_id)
    meeting = view.meeting
    repeat = ""
    if view.rule is not None and view.rule.active:
        repeat = texts.meetings.CARD_REPEAT.format(day=view.rule.day_of_month, time=dates.format_time(view.rule.local_time))
    # The card is a summary: long names and reasons are cut here (each request is read whole under
    # «Duyệt xin vắng»); whatever is still too long is split by bot/limits.py, never refused.
    details = _details(
        kind=meeting.kind, cell=view.cell, starts_at=meeting.starts_at, place=meeting.place, agenda=meeting.agenda,
        document_names=[shorten(d.filename, CARD_NAME_CHARS) for d in view.documents], repeat_line=repeat,
    )
    summary = stats.meeting_stats_text(await stats.meeting_stats(session, meeting=meeting))
    if view.pending:
        lines = [
            texts.meetings.CARD_PENDING_LINE.format(
                name=render.escape(shorten(line.name, CARD_NAME_CHARS)), reason=render.reason_label(line.invitation, limit=CARD_REASON_CHARS)
            )
            for line in view.pending[:CARD_PENDING_LINES]
        ]
        if len(view.pending) > CARD_PENDING_LINES:
            lines.append(texts.meetings.CARD_PENDING_MORE.format(count=len(view.pending) - CARD_PENDING_LINES))
        summary += texts.meetings.CARD_PENDING.format(lines="\n".join(lines))
    text = texts.meetings.CARD.format(details=details, status=texts.meetings.STATUSES[meeting.status.value], stats=summary)
    return text, kbm.card(view, now=now, attendance_open_from=meeting.starts_at - service.ATTENDANCE_OPENS_BEFORE)


def _attendance_text(sheet: service.AttendanceSheet, page: int) -> str:
    text = texts.meetings.ATTENDANCE_TITLE.format(when=render.when(sheet.meeting), present=sheet.present, total=len(sheet.rows))
    pages = kbm.attendance_pages(sheet)
    if pages > 1:
        text += texts.meetings.ATTENDANCE_PAGE.format(page=min(page, pages - 1) + 1, pages=pages)
    return text


async def meeting_action(
    query: CallbackQuery, callback_data: MeetingButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    meeting_id = callback_data.meeting_id
    action = callback_data.action
    if action == MeetingAction.OPEN:
        await state.clear()
        await show(query, bot, *await _card(session, actor, meeting_id, now))
    elif action == MeetingAction.EDIT:
        meeting, cell = await service.editable_meeting(session, actor=actor, meeting_id=meeting_id, now=now)
        _, usual_time, recent = await service.usual_schedule(session, cell_id=cell.id)
        local = dates.local(meeting.starts_at)
        await state.set_state(MeetingForm.edit_review)
        await state.set_data(
            {
                "mode": "edit", "started_at": now.isoformat(), "meeting_id": meeting.id, "cell_id": cell.id, "kind": meeting.kind.value,
                "day": local.date().isoformat(), "time": local.strftime("%H:%M"), "usual_time": local.strftime("%H:%M"),
                "usual_dom": None, "places": list(dict.fromkeys([*recent, *texts.meetings.DEFAULT_PLACES]))[:MAX_PLACE_SUGGESTIONS],
                "docs": [],
            }
        )
        await show(query, bot, texts.meetings.EDIT_WHAT.format(when=render.when(meeting)), kbm.edit_menu())
    elif action == MeetingAction.CANCEL:
        meeting, _ = await service.cancellable_meeting(session, actor=actor, meeting_id=meeting_id)
        count = await service.meeting_invitee_count(session, meeting.id)
        await show(query, bot, texts.meetings.CONFIRM_CANCEL.format(meeting=render.identity_line(meeting), count=count), kbm.confirm_cancel(meeting.id))
    elif action == MeetingAction.CANCEL_OK:
        meeting = await service.cancel_meeting(session, actor=actor, meeting_id=meeting_id, now=now)
        await show(query, bot, texts.meetings.CANCELLED_DONE.format(meeting=render.identity_line(meeting)), kbm.back_to(meeting.id))
    elif action == MeetingAction.ATTENDANCE:
        sheet = await service.attendance_sheet(session, actor=actor, meeting_id=meeting_id, now=now)
        await show(query, bot, _attendance_text(sheet, 0), kbm.attendance(sheet, 0))
    elif action == MeetingAction.CONCLUSIONS:
        meeting, count = await service.conclusions_target(session, actor=actor, meeting_id=meeting_id)
        await state.set_state(ConclusionsFlow.content)
        await state.set_data({"meeting_id": meeting.id, "started_at": now.isoformat()})
        await show(query, bot, texts.meetings.ASK_CONCLUSIONS.format(when=render.when(meeting), count=count), kbm.back_to(meeting.id))
    elif action == MeetingAction.ANSWERS:
        view = await service.meeting_card(session, actor=actor, meeting_id=meeting_id)
        lines = [texts.meetings.ANSWERS_TITLE.format(when=render.when(view.meeting)), ""]
        for number, line in enumerate(view.answers, start=1):
            reason = render.reason_label(line.invitation)
            lines.append(
                texts.meetings.ANSWERS_LINE.format(
                    number=number, name=render.escape(line.name), answer=render.answer_label(line.invitation.answer),
                    reason=texts.meetings.ANSWERS_REASON.format(reason=reason) if reason else "",
                )
            )
        parts = render.pack(lines)
        for index, part in enumerate(parts):
            await bot.send_message(query.from_user.id, part, reply_markup=kbm.back_to(meeting_id) if index == len(parts) - 1 else None)
    elif action == MeetingAction.PENDING:
        view = await service.meeting_card(session, actor=actor, meeting_id=meeting_id)
        for line in view.pending:
            await _send_request(bot, query.from_user.id, line.name, view.meeting, line.invitation)
    await query.answer()


async def attendance_toggle(
    query: CallbackQuery, callback_data: AttendanceToggle, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    sheet = await service.toggle_attendance(
        session, actor=actor, meeting_id=callback_data.meeting_id, member_id=callback_data.member_id, now=clock.now()
    )
    await show(query, bot, _attendance_text(sheet, callback_data.page), kbm.attendance(sheet, callback_data.page))
    await query.answer()


async def attendance_action(
    query: CallbackQuery, callback_data: AttendanceButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    meeting_id = callback_data.meeting_id
    page = callback_data.page
    if callback_data.action == AttendanceAction.ALL:
        sheet = await service.attendance_sheet(session, actor=actor, meeting_id=meeting_id, now=now)
        sheet = await service.set_attendance(
            session, actor=actor, meeting_id=meeting_id, present_member_ids=[row.member_id for row in sheet.rows], now=now
        )
    else:
        sheet = await service.attendance_sheet(session, actor=actor, meeting_id=meeting_id, now=now)
    if callback_data.action == AttendanceAction.DONE:
        summary = stats.meeting_stats_text(await stats.meeting_stats(session, meeting=sheet.meeting))
        absent = any(not row.present for row in sheet.rows)
        await show(query, bot, texts.meetings.ATTENDANCE_SAVED.format(stats=summary), kbm.after_attendance(meeting_id, absentees=absent))
        await query.answer(texts.meetings.TOAST_SAVED)
        return
    await show(query, bot, _attendance_text(sheet, page), kbm.attendance(sheet, page))
    await query.answer()


async def typed_conclusions(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    data = await state.get_data()
    started = data.get("started_at")
    if not isinstance(started, str) or now - dt.datetime.fromisoformat(started) > FLOW_TTL or "meeting_id" not in data:
        await state.clear()
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return
    meeting_id = int(data["meeting_id"])
    if message.voice is not None:
        count = await service.send_conclusions(
            session, actor=actor, meeting_id=meeting_id, text=message.caption, voice_file_id=message.voice.file_id,
            voice_duration=message.voice.duration, now=now,
        )
    elif message.text:
        try:
            count = await service.send_conclusions(session, actor=actor, meeting_id=meeting_id, text=message.text, now=now)
        except DomainError as refusal:
            if not isinstance(refusal, InvalidInput):
                await state.clear()
            raise
    else:
        await message.answer(texts.meetings.CONCLUSIONS_EMPTY)
        return
    await state.clear()
    await message.answer(texts.meetings.CONCLUSIONS_SENT.format(count=count), reply_markup=kbm.back_to(meeting_id))


async def stop_rule(query: CallbackQuery, callback_data: RuleStop, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    await service.stop_rule(session, actor=actor, rule_id=callback_data.rule_id, now=clock.now())
    await show(query, bot, texts.meetings.RULE_STOPPED, kbm.rules([]))
    await query.answer()


# ---------------------------------------------------------------- 📊 Thống kê


def _stats_orgs(actor: Actor) -> list[Org]:
    return list({org.id: org for org in actor.managed_orgs}.values())


async def open_stats(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    await state.clear()
    orgs = _stats_orgs(actor)
    if not orgs:
        await message.answer(texts.meetings.NOT_MANAGER)
        return
    if len(orgs) > 1:
        await message.answer(texts.meetings.STATS_CHOOSE_ORG, reply_markup=kbm.stats_orgs(orgs))
        return
    await _send_stats(bot, message.chat.id, session, actor, orgs[0].id, clock.now())


async def _send_stats(bot: Bot, chat_id: int, session: AsyncSession, actor: Actor, org_id: int, now: dt.datetime) -> None:
    start, end = stats.default_period(now)
    period = await stats.period_stats(session, actor=actor, org_id=org_id, start=start, end=end)
    png = await asyncio.to_thread(charts.attendance_chart, period)
    await bot.send_photo(
        chat_id, BufferedInputFile(png, filename="thong-ke-du-hop.png"),
        caption=texts.meetings.STATS_CHART_CAPTION.format(org=render.escape(period.org.name)),
    )
    await bot.send_message(chat_id, stats.period_text(period), reply_markup=kbm.stats(org_id))


async def stats_action(query: CallbackQuery, callback_data: StatsButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    org_id = callback_data.org_id
    chat_id = query.from_user.id
    start, end = stats.default_period(now)
    if callback_data.action == StatsAction.SHOW:
        await stats.viewable_org(session, actor=actor, org_id=org_id)  # refused before the press is answered: one answer per press
        await query.answer()
        await _send_stats(bot, chat_id, session, actor, org_id, now)
        return
    if callback_data.action == StatsAction.MEMBERS:
        org = await stats.viewable_org(session, actor=actor, org_id=org_id)
        members = await stats.member_stats(session, actor=actor, org_id=org_id, start=start, end=end)
        title = texts.meetings.STATS_MEMBERS_TITLE.format(org=render.escape(org.name), start=start.strftime("%d/%m/%Y"), end=end.strftime("%d/%m/%Y"))
        lines = [title, ""] + (stats.member_lines(members) or [texts.meetings.STATS_NO_DATA])
        for part in render.pack(lines):
            await bot.send_message(chat_id, part)
    else:
        period = await stats.period_stats(session, actor=actor, org_id=org_id, start=start, end=end)
        rows = await stats.detail_rows(session, actor=actor, org_id=org_id, start=start, end=end)
        name = texts.meetings.EXPORT_FILENAME.format(start=start.strftime("%Y%m%d"), end=end.strftime("%Y%m%d"))
        if callback_data.action == StatsAction.CSV:
            payload, filename = export.detail_csv(rows), f"{name}.csv"
        else:
            members = await stats.member_stats(session, actor=actor, org_id=org_id, start=start, end=end)
            payload = await asyncio.to_thread(export.workbook, period, members, rows)
            filename = f"{name}.xlsx"
        caption = texts.meetings.EXPORT_CAPTION.format(
            org=render.escape(period.org.name), start=start.strftime("%d/%m/%Y"), end=end.strftime("%d/%m/%Y")
        )
        await bot.send_document(chat_id, BufferedInputFile(payload, filename=filename), caption=caption)
    await query.answer()


# ---------------------------------------------------------------- wiring


def build() -> Router:
    router = Router(name="meetings")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())

    router.message.register(open_menu, or_f(F.text == texts.account.BTN_MEETINGS, Command("lichhop")))
    router.message.register(open_stats, or_f(F.text == texts.account.BTN_STATS, Command("thongke")))
    # A home button or a command is never taken as input: it ends the flow and goes to its owner.
    menu_or_command = or_f(F.text.in_(home_labels()), F.text.startswith("/"))
    in_a_flow = StateFilter(*MeetingForm.__all_states__, AbsenceFlow.reason, ConclusionsFlow.content)
    router.message.register(leave_flow_for_menu, in_a_flow, menu_or_command)
    router.message.register(typed_when, StateFilter(MeetingForm.day, MeetingForm.time), ~menu_or_command)
    router.message.register(typed_place, StateFilter(MeetingForm.place), ~menu_or_command)
    router.message.register(typed_agenda, StateFilter(MeetingForm.agenda), ~menu_or_command)
    router.message.register(receive_document, StateFilter(MeetingForm.documents), ~menu_or_command)
    router.message.register(typed_reason, StateFilter(AbsenceFlow.reason), ~menu_or_command)
    router.message.register(typed_conclusions, StateFilter(ConclusionsFlow.content), ~menu_or_command)

    form_states = StateFilter(*MeetingForm.__all_states__)
    router.callback_query.register(inert, Inert.filter())
    router.callback_query.register(menu_action, MeetMenu.filter())
    router.callback_query.register(choose_cell, FormCell.filter(), form_states)
    router.callback_query.register(choose_kind, FormKind.filter(), form_states)
    router.callback_query.register(calendar_month, FormMonth.filter(), form_states)
    router.callback_query.register(pick_day, FormDay.filter(), form_states)
    router.callback_query.register(pick_time, FormTime.filter(), form_states)
    router.callback_query.register(pick_place, FormPlace.filter(), form_states)
    router.callback_query.register(form_action, Form.filter(), form_states)
    router.callback_query.register(
        form_button_without_flow, or_f(FormCell.filter(), FormKind.filter(), FormMonth.filter(), FormDay.filter(), FormTime.filter(), FormPlace.filter(), Form.filter())
    )
    router.callback_query.register(invitation_action, InvitationButton.filter())
    router.callback_query.register(choose_reason, ReasonButton.filter())
    router.callback_query.register(decide, DecisionButton.filter())
    router.callback_query.register(decide_without_revision, F.data.regexp(rf"^{render.DECISION_PREFIX}:(ok|no):\d{{1,18}}$"))
    router.callback_query.register(meeting_action, MeetingButton.filter())
    router.callback_query.register(attendance_toggle, AttendanceToggle.filter())
    router.callback_query.register(attendance_action, AttendanceButton.filter())
    router.callback_query.register(stop_rule, RuleStop.filter())
    router.callback_query.register(stats_action, StatsButton.filter())
    return router
