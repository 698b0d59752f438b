"""Each step's screen of the meeting form, shared by the handlers of every step: what comes after the date, the place, the agenda; the review."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_meetings as kbm
from bot.routers.meetings.flow import (
    MeetingForm,
    details_text,
    local_today,
    starts_at_of,
)
from bot.screens import show
from core import texts
from core.clock import Clock
from core.errors import InvalidInput
from core.meetings import dates, documents, render, service
from core.meetings.models import MeetingKind
from core.orgs.models import Org
from core.orgs.service import Actor, get_org

log = logging.getLogger(__name__)

async def ask_kind(query: CallbackQuery, bot: Bot, state: FSMContext, cell: Org, now: dt.datetime) -> None:
    await state.set_state(MeetingForm.kind)
    await state.set_data({"mode": "create", "started_at": now.isoformat(), "cell_id": cell.id, "docs": [], "repeat": False})
    await show(query, bot, texts.meetings.ASK_KIND, kbm.kinds())


def day_step(data: dict[str, Any], now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    today = local_today(now)
    usual_dom = data.get("usual_dom")
    kind = MeetingKind(data["kind"])
    usual_day = int(usual_dom) if usual_dom and kind == MeetingKind.REGULAR else None
    usual = dates.next_monthly(usual_day, today + dt.timedelta(days=1)) if usual_day is not None else None
    suggestions = dates.suggest_dates(today, usual_day_of_month=usual_day if usual else None)
    text = texts.meetings.ASK_DATE.format(kind=texts.meetings.KINDS[kind.value], example=dates.example_day(today))
    return text, kbm.days(suggestions, usual=usual, usual_day_of_month=usual_day if usual else None)


def time_step(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    day = dt.date.fromisoformat(data["day"])
    usual_time = dt.time.fromisoformat(data["usual_time"]) if data.get("usual_time") else None
    return texts.meetings.ASK_TIME.format(day=dates.format_day(day)), kbm.times(usual_time)


def last_day(now: dt.datetime) -> dt.date:
    return dates.local(now + service.MAX_AHEAD).date()


async def show_calendar(query: CallbackQuery, state: FSMContext, clock: Clock, bot: Bot, month: str | None = None) -> None:
    now = clock.now()
    today = local_today(now)
    year, number = (int(month[:4]), int(month[4:])) if month else (today.year, today.month)
    last = last_day(now)
    if not (1 <= number <= 12) or (year, number) < (today.year, today.month) or (year, number) > (last.year, last.month):
        year, number = today.year, today.month
    await state.set_state(MeetingForm.day)
    await show(query, bot, texts.meetings.CALENDAR_TITLE, kbm.calendar(year, number, today=today, last_day=last))


async def after_when(state: FSMContext, session: AsyncSession, actor: Actor, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    if data["mode"] == "edit":
        await state.update_data(new_starts_at=starts_at_of(data).isoformat())  # type: ignore[union-attr]
        return await edit_review_step(state, session, actor, now)
    if data.get("reviewed"):
        return await review_step(state, session)
    return await place_step(state)


async def place_step(state: FSMContext) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    await state.set_state(MeetingForm.place)
    starts_at = starts_at_of(data)
    when = dates.format_when(starts_at) if starts_at else ""
    places = data.get("places") or []
    text = (texts.meetings.ASK_PLACE if places else texts.meetings.ASK_PLACE_NO_SUGGESTION).format(when=when)
    return text, kbm.places(places)


async def after_place(state: FSMContext, session: AsyncSession, actor: Actor, place: str, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    if data["mode"] == "edit":
        await state.update_data(new_place=place)
        return await edit_review_step(state, session, actor, now)
    await state.update_data(place=place)
    if data.get("reviewed"):
        return await review_step(state, session)
    await state.set_state(MeetingForm.agenda)
    return texts.meetings.ASK_AGENDA, kbm.agenda(MeetingKind(data["kind"]))


async def after_agenda(state: FSMContext, session: AsyncSession, actor: Actor, agenda: str, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    if data["mode"] == "edit":
        await state.update_data(new_agenda=agenda)
        return await edit_review_step(state, session, actor, now)
    await state.update_data(agenda=agenda)
    if data.get("reviewed"):
        return await review_step(state, session)
    await state.set_state(MeetingForm.documents)
    return documents_prompt(), kbm.documents(bool(data.get("docs")))


def documents_prompt() -> str:
    return texts.meetings.ASK_DOCUMENTS.format(
        max_mb=documents.MAX_DOCUMENT_BYTES // 1024 // 1024, max_count=documents.MAX_DOCUMENTS
    )


async def download_document(bot: Bot, file_id: str, name: str) -> bytes:
    try:
        buffer = await bot.download(file_id, destination=io.BytesIO())
    except (TelegramBadRequest, TelegramNetworkError, aiohttp.ClientError, asyncio.TimeoutError) as failure:
        log.warning("could not download a meeting document: %s", type(failure).__name__)
        raise InvalidInput(texts.meetings.FILE_DOWNLOAD_FAILED.format(name=render.escape(name))) from None
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue()


async def review_step(state: FSMContext, session: AsyncSession) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    await state.set_state(MeetingForm.review)
    await state.update_data(reviewed=True)
    cell = await get_org(session, int(data["cell_id"]))
    kind = MeetingKind(data["kind"])
    starts_at = starts_at_of(data)
    assert starts_at is not None
    repeat = bool(data.get("repeat")) and kind == MeetingKind.REGULAR
    local = dates.local(starts_at)
    repeat_line = texts.meetings.REVIEW_REPEAT_ON.format(day=local.day, time=dates.format_time(local.time())) if repeat else ""
    details = details_text(
        kind=kind, cell=cell, starts_at=starts_at, place=data.get("place", ""), agenda=data.get("agenda", ""),
        document_names=[d["filename"] for d in data.get("docs", [])], repeat_line=repeat_line,
    )
    count = await service.invited_count(session, cell=cell, kind=kind)
    return texts.meetings.REVIEW.format(details=details, count=count), kbm.review(kind, repeat=repeat)


async def edit_review_step(state: FSMContext, session: AsyncSession, actor: Actor, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
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

