"""Creating or editing a meeting: the cell, the kind, the day and the time, typed or chosen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_meetings as kbm
from bot.flow import flow_data, menu_or_command
from bot.keyboards_meetings import FormCell, FormDay, FormKind, FormMonth, FormTime
from bot.routers.meetings.flow import (
    MAX_PLACE_SUGGESTIONS,
    MeetingForm,
    form_states,
    local_today,
    starts_at_of,
)
from bot.routers.meetings.steps import (
    after_when,
    ask_kind,
    day_step,
    last_day,
    show_calendar,
    time_step,
)
from bot.screens import show
from core import texts
from core.clock import Clock
from core.errors import InvalidInput, PermissionDenied
from core.meetings import dates, service
from core.orgs.service import Actor


async def choose_cell(query: CallbackQuery, callback_data: FormCell, state: FSMContext, actor: Actor, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    if await flow_data(state, now) is None:
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    cells = {cell.id: cell for cell in service.manageable_cells(actor)}
    cell = cells.get(callback_data.cell_id)
    if cell is None:
        raise PermissionDenied(texts.meetings.NOT_LEADER)
    await ask_kind(query, bot, state, cell, now)
    await query.answer()


async def choose_kind(
    query: CallbackQuery, callback_data: FormKind, state: FSMContext, session: AsyncSession, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    data = await flow_data(state, now)
    if data is None or data.get("mode") != "create":
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    usual_day, usual_time, recent = await service.usual_schedule(session, cell_id=int(data["cell_id"]))
    places = list(dict.fromkeys([*recent, *texts.meetings.DEFAULT_PLACES]))[:MAX_PLACE_SUGGESTIONS]
    await state.update_data(
        kind=callback_data.kind.value, usual_dom=usual_day, usual_time=usual_time.strftime("%H:%M") if usual_time else None, places=places
    )
    await state.set_state(MeetingForm.day)
    await show(query, bot, *day_step(await state.get_data(), now))
    await query.answer()


async def calendar_month(query: CallbackQuery, callback_data: FormMonth, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if await flow_data(state, clock.now()) is None:
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    await show_calendar(query, state, clock, bot, callback_data.month)
    await query.answer()


def _check_day(day: dt.date, now: dt.datetime) -> None:
    """A meeting's day: from today to the last day a meeting may be set."""
    if day < local_today(now):
        raise InvalidInput(texts.meetings.DATE_PAST.format(when=dates.format_day(day)))
    if day > last_day(now):
        raise InvalidInput(texts.meetings.DATE_TOO_FAR)


def _parse_button(value: str, pattern: str, now: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.strptime(value, pattern)
    except ValueError:
        raise InvalidInput(dates.when_not_understood(local_today(now))) from None


async def _save_when(
    state: FSMContext, session: AsyncSession, actor: Actor, data: dict[str, Any], now: dt.datetime, **more: Any
) -> tuple[str, InlineKeyboardMarkup]:
    """Day and time both known: checked, kept, and on to the next step."""
    starts_at = starts_at_of(data)
    assert starts_at is not None
    service.validate_starts_at(starts_at, now)
    await state.update_data(day=data["day"], time=data["time"], **more)
    return await after_when(state, session, actor, now)


async def pick_day(
    query: CallbackQuery, callback_data: FormDay, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    data = await flow_data(state, now)
    if data is None or "kind" not in data:
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    day = _parse_button(callback_data.day, "%Y%m%d", now).date()
    _check_day(day, now)
    if data.get("time_hint"):  # the time was typed with a date we asked about ("4/12 19h30", already past): keep it
        data.update(day=day.isoformat(), time=data["time_hint"])
        await show(query, bot, *await _save_when(state, session, actor, data, now, time_hint=None))
    else:
        await state.update_data(day=day.isoformat())
        await state.set_state(MeetingForm.time)
        await show(query, bot, *time_step(await state.get_data()))
    await query.answer()


async def pick_time(
    query: CallbackQuery, callback_data: FormTime, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    data = await flow_data(state, now)
    if data is None or not data.get("day"):
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    data["time"] = _parse_button(callback_data.hhmm, "%H%M", now).time().strftime("%H:%M")
    await show(query, bot, *await _save_when(state, session, actor, data, now))
    await query.answer()


async def typed_when(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    data = await flow_data(state, now)
    if data is None or "kind" not in data:
        await message.answer(texts.meetings.FLOW_EXPIRED)
        return
    if not message.text:
        await message.answer(texts.meetings.CHOOSE_OR_TYPE)
        return
    await state.update_data(time_hint=None)
    parsed = dates.parse_when(message.text, today=local_today(now))
    if parsed.next_year is not None:
        await _ask_next_year(message, state, parsed, now)
        return
    _take_parsed(data, parsed, now)
    if not await _asked_missing_part(message, state, data, parsed, now):
        text, markup = await _save_when(state, session, actor, data, now)
        await message.answer(text, reply_markup=markup)


def _take_parsed(data: dict[str, Any], parsed: dates.ParsedWhen, now: dt.datetime) -> None:
    """The day (checked) and the time the secretary typed, into the form."""
    if parsed.date is not None:
        _check_day(parsed.date, now)
        data["day"] = parsed.date.isoformat()
    if parsed.time is not None:
        data["time"] = parsed.time.strftime("%H:%M")


async def _ask_next_year(message: Message, state: FSMContext, parsed: dates.ParsedWhen, now: dt.datetime) -> None:
    """A day already past this year: ask, never assume next year (the secretary may have meant another day)."""
    assert parsed.next_year is not None
    await state.update_data(time_hint=parsed.time.strftime("%H:%M") if parsed.time else None)
    await state.set_state(MeetingForm.day)
    question = texts.meetings.PAST_THIS_YEAR.format(typed=parsed.next_year.strftime("%d/%m"), next_year=dates.format_day(parsed.next_year))
    fits = parsed.next_year <= last_day(now)
    await message.answer(question, reply_markup=kbm.next_year(parsed.next_year if fits else None))


async def _asked_missing_part(message: Message, state: FSMContext, data: dict[str, Any], parsed: dates.ParsedWhen, now: dt.datetime) -> bool:
    """A time without a day asks for the day; a day without a time asks for the time."""
    if parsed.time is not None and not data.get("day"):
        await message.answer(texts.meetings.DATE_NEEDED, reply_markup=day_step(data, now)[1])
        return True
    if parsed.time is None and parsed.date is not None:
        await state.update_data(day=data["day"], time=None)
        await state.set_state(MeetingForm.time)
        day = dt.date.fromisoformat(data["day"])
        await message.answer(texts.meetings.TIME_NEEDED.format(day=dates.format_day(day)), reply_markup=time_step(data)[1])
        return True
    return False


def build() -> Router:
    router = Router(name="meetings.form_when")
    router.callback_query.register(choose_cell, FormCell.filter(), form_states())
    router.callback_query.register(choose_kind, FormKind.filter(), form_states())
    router.callback_query.register(calendar_month, FormMonth.filter(), form_states())
    router.callback_query.register(pick_day, FormDay.filter(), form_states())
    router.callback_query.register(pick_time, FormTime.filter(), form_states())
    router.message.register(typed_when, StateFilter(MeetingForm.day, MeetingForm.time), ~menu_or_command())
    return router
