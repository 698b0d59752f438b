"""The meeting form's buttons: one handler per action (review, send, save, go back to a step, cancel)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import or_f
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_meetings as kbm
from bot.flow import flow_data
from bot.keyboards_meetings import (
    Form,
    FormAction,
    FormCell,
    FormDay,
    FormKind,
    FormMonth,
    FormPlace,
    FormTime,
)
from bot.routers.meetings.flow import (
    MeetingForm,
    form_states,
    form_uploads,
    starts_at_of,
)
from bot.routers.meetings.steps import (
    after_agenda,
    day_step,
    documents_prompt,
    edit_review_step,
    place_step,
    review_step,
    show_calendar,
)
from bot.screens import show
from core import texts
from core.clock import Clock
from core.meetings import render, service
from core.meetings.models import MeetingKind
from core.orgs.service import Actor


async def _open_form(query: CallbackQuery, state: FSMContext, now: dt.datetime) -> dict[str, Any] | None:
    """The form's data, or None with the press answered «expired»."""
    data = await flow_data(state, now)
    if data is None or "kind" not in data:
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return None
    return data


def _editing(data: dict[str, Any]) -> bool:
    return bool(data["mode"] == "edit")


async def cancel_form(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await show(query, bot, texts.meetings.FLOW_CANCELLED)
    await query.answer()


async def open_calendar(query: CallbackQuery, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if await _open_form(query, state, clock.now()) is not None:
        await show_calendar(query, state, clock, bot)
        await query.answer()


async def default_agenda(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    if await _open_form(query, state, now) is not None:
        await show(query, bot, *await after_agenda(state, session, actor, texts.meetings.DEFAULT_AGENDA, now))
        await query.answer()


async def documents_done(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    data = await _open_form(query, state, now)
    if data is not None:
        await show(query, bot, *(await edit_review_step(state, session, actor, now) if _editing(data) else await review_step(state, session)))
        await query.answer()


async def toggle_repeat(query: CallbackQuery, state: FSMContext, session: AsyncSession, clock: Clock, bot: Bot) -> None:
    data = await _open_form(query, state, clock.now())
    if data is None:
        return
    if _editing(data):
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    await state.update_data(repeat=not data.get("repeat") and MeetingKind(data["kind"]) == MeetingKind.REGULAR)
    await show(query, bot, *await review_step(state, session))
    await query.answer()


async def change_when(query: CallbackQuery, state: FSMContext, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    data = await _open_form(query, state, now)
    if data is not None:
        await state.set_state(MeetingForm.day)
        await show(query, bot, *day_step(data, now))
        await query.answer()


async def change_place(query: CallbackQuery, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if await _open_form(query, state, clock.now()) is not None:
        await show(query, bot, *await place_step(state))
        await query.answer()


async def change_agenda(query: CallbackQuery, state: FSMContext, clock: Clock, bot: Bot) -> None:
    data = await _open_form(query, state, clock.now())
    if data is not None:
        await state.set_state(MeetingForm.agenda)
        await show(query, bot, texts.meetings.ASK_AGENDA, kbm.agenda(MeetingKind(data["kind"])))
        await query.answer()


async def add_documents(query: CallbackQuery, state: FSMContext, clock: Clock, bot: Bot) -> None:
    data = await _open_form(query, state, clock.now())
    if data is not None:
        await state.set_state(MeetingForm.documents)
        await show(query, bot, documents_prompt(), kbm.documents(bool(data.get("docs"))))
        await query.answer()


async def send_meeting(
    query: CallbackQuery, callback_data: Form, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    data = await _open_form(query, state, now)
    if data is None:
        return
    if _editing(data):
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    try:
        await _send_new_meeting(query, bot, state, session, actor, data, now, allow_overlap=callback_data.action == FormAction.SEND_ANYWAY)
    except service.MeetingOverlap as clash:  # warn before anything is sent; going on is a second, deliberate press
        await show(query, bot, clash.message, kbm.overlap(editing=False))
    await query.answer()


async def save_changes(
    query: CallbackQuery, callback_data: Form, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    data = await _open_form(query, state, now)
    if data is None:
        return
    if not _editing(data):
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    try:
        result = await _edit_meeting(session, actor, data, now, allow_overlap=callback_data.action == FormAction.SAVE_ANYWAY)
    except service.MeetingOverlap as clash:
        await show(query, bot, clash.message, kbm.overlap(editing=True))
        await query.answer()
        return
    await state.clear()
    await show(query, bot, texts.meetings.EDITED.format(queued=result.queued), kbm.back_to(result.meeting.id))
    await query.answer()


async def _edit_meeting(session: AsyncSession, actor: Actor, data: dict[str, Any], now: dt.datetime, *, allow_overlap: bool) -> service.EditResult:
    return await service.edit_meeting(
        session, actor=actor, meeting_id=int(data["meeting_id"]),
        starts_at=dt.datetime.fromisoformat(data["new_starts_at"]) if data.get("new_starts_at") else None,
        place=data.get("new_place"), agenda=data.get("new_agenda"), documents=form_uploads(data),
        allow_overlap=allow_overlap, now=now,
    )


async def stale_form_button(query: CallbackQuery, state: FSMContext, clock: Clock) -> None:
    """A form button this step does not take (e.g. «no agenda» from an old screen)."""
    if await _open_form(query, state, clock.now()) is not None:
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)


async def _send_new_meeting(
    query: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession, actor: Actor, data: dict[str, Any], now: dt.datetime,
    *, allow_overlap: bool = False,
) -> None:
    starts_at = starts_at_of(data)
    if starts_at is None or not data.get("place"):
        await query.answer(texts.meetings.FLOW_EXPIRED, show_alert=True)
        return
    result = await service.create_meeting(
        session, actor=actor, cell_id=int(data["cell_id"]), kind=MeetingKind(data["kind"]), starts_at=starts_at,
        place=data["place"], agenda=data.get("agenda", ""), documents=form_uploads(data), repeat_monthly=bool(data.get("repeat")),
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


def build() -> Router:
    router = Router(name="meetings.form_actions")
    router.callback_query.register(cancel_form, Form.filter(F.action == FormAction.CANCEL), form_states())
    for handler, actions in (
        (open_calendar, {FormAction.CALENDAR}),
        (default_agenda, {FormAction.DEFAULT_AGENDA}),
        (documents_done, {FormAction.DOCS_DONE}),
        (toggle_repeat, {FormAction.REPEAT}),
        (change_when, {FormAction.CHANGE_WHEN}),
        (change_place, {FormAction.CHANGE_PLACE}),
        (change_agenda, {FormAction.CHANGE_AGENDA}),
        (add_documents, {FormAction.ADD_DOCS}),
        (send_meeting, {FormAction.SEND, FormAction.SEND_ANYWAY}),
        (save_changes, {FormAction.SAVE, FormAction.SAVE_ANYWAY}),
    ):
        router.callback_query.register(handler, Form.filter(F.action.in_(actions)), form_states())
    router.callback_query.register(stale_form_button, Form.filter(), form_states())
    router.callback_query.register(
        form_button_without_flow, or_f(FormCell.filter(), FormKind.filter(), FormMonth.filter(), FormDay.filter(), FormTime.filter(), FormPlace.filter(), Form.filter())
    )
    return router
