"""A leader's meeting card: edit, cancel, answers, pending requests; attendance, conclusions, stopping a monthly rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_meetings as kbm
from bot.flow import menu_or_command
from bot.keyboards_meetings import (
    AttendanceAction,
    AttendanceButton,
    AttendanceToggle,
    MeetingAction,
    MeetingButton,
    RuleStop,
)
from bot.routers.meetings.decisions import send_request
from bot.flow import clear_unless_invalid
from bot.routers.meetings.flow import (
    CARD_NAME_CHARS,
    CARD_PENDING_LINES,
    CARD_REASON_CHARS,
    MAX_PLACE_SUGGESTIONS,
    ConclusionsFlow,
    MeetingForm,
    details_text,
    typed_target,
    text_or_voice,
)
from bot.screens import show
from core import texts
from core.clock import Clock
from core.meetings import dates, render, service, stats
from core.meetings.models import Meeting
from core.orgs.models import Org
from core.orgs.service import Actor
from core.render import shorten


async def _card(session: AsyncSession, actor: Actor, meeting_id: int, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    view = await service.meeting_card(session, actor=actor, meeting_id=meeting_id)
    meeting = view.meeting
    repeat = ""
    if view.rule is not None and view.rule.active:
        repeat = texts.meetings.CARD_REPEAT.format(day=view.rule.day_of_month, time=dates.format_time(view.rule.local_time))
    # The card is a summary: long names and reasons are cut here (each request is read whole under
    # «Duyệt xin vắng»); whatever is still too long is split by bot/limits.py, never refused.
    details = details_text(
        kind=meeting.kind, cell=view.cell, starts_at=meeting.starts_at, place=meeting.place, agenda=meeting.agenda,
        document_names=[shorten(d.filename, CARD_NAME_CHARS) for d in view.documents], repeat_line=repeat,
    )
    summary = stats.meeting_stats_text(await stats.meeting_stats(session, meeting=meeting))
    if view.pending:
        summary += _pending_text(view)
    text = texts.meetings.CARD.format(details=details, status=texts.meetings.STATUSES[meeting.status.value], stats=summary)
    return text, kbm.card(view, now=now, attendance_open_from=meeting.starts_at - service.ATTENDANCE_OPENS_BEFORE)


def _pending_text(view: service.MeetingCard) -> str:
    """The absence requests waiting for a decision, the first few, names and reasons cut."""
    lines = [
        texts.meetings.CARD_PENDING_LINE.format(
            name=render.escape(shorten(line.name, CARD_NAME_CHARS)), reason=render.reason_label(line.invitation, limit=CARD_REASON_CHARS)
        )
        for line in view.pending[:CARD_PENDING_LINES]
    ]
    if len(view.pending) > CARD_PENDING_LINES:
        lines.append(texts.meetings.CARD_PENDING_MORE.format(count=len(view.pending) - CARD_PENDING_LINES))
    return texts.meetings.CARD_PENDING.format(lines="\n".join(lines))


def _attendance_text(sheet: service.AttendanceSheet, page: int) -> str:
    text = texts.meetings.ATTENDANCE_TITLE.format(when=render.when(sheet.meeting), present=sheet.present, total=len(sheet.rows))
    pages = kbm.attendance_pages(sheet)
    if pages > 1:
        text += texts.meetings.ATTENDANCE_PAGE.format(page=min(page, pages - 1) + 1, pages=pages)
    return text


async def open_card(query: CallbackQuery, callback_data: MeetingButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    await state.clear()
    await show(query, bot, *await _card(session, actor, callback_data.meeting_id, clock.now()))
    await query.answer()


async def edit_meeting(query: CallbackQuery, callback_data: MeetingButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    meeting, cell = await service.editable_meeting(session, actor=actor, meeting_id=callback_data.meeting_id, now=now)
    _, _, recent = await service.usual_schedule(session, cell_id=cell.id)
    await state.set_state(MeetingForm.edit_review)
    await state.set_data(_edit_form(meeting, cell, recent, now))
    await show(query, bot, texts.meetings.EDIT_WHAT.format(when=render.when(meeting)), kbm.edit_menu())
    await query.answer()


def _edit_form(meeting: Meeting, cell: Org, recent_places: list[str], now: dt.datetime) -> dict[str, Any]:
    """The form's data for editing a meeting: its day and time as the usual ones."""
    local = dates.local(meeting.starts_at)
    return {
        "mode": "edit", "started_at": now.isoformat(), "meeting_id": meeting.id, "cell_id": cell.id, "kind": meeting.kind.value,
        "day": local.date().isoformat(), "time": local.strftime("%H:%M"), "usual_time": local.strftime("%H:%M"),
        "usual_dom": None, "places": list(dict.fromkeys([*recent_places, *texts.meetings.DEFAULT_PLACES]))[:MAX_PLACE_SUGGESTIONS],
        "docs": [],
    }


async def ask_cancel(query: CallbackQuery, callback_data: MeetingButton, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    meeting, _ = await service.cancellable_meeting(session, actor=actor, meeting_id=callback_data.meeting_id)
    count = await service.meeting_invitee_count(session, meeting.id)
    await show(query, bot, texts.meetings.CONFIRM_CANCEL.format(meeting=render.identity_line(meeting), count=count), kbm.confirm_cancel(meeting.id))
    await query.answer()


async def confirm_cancel(query: CallbackQuery, callback_data: MeetingButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    meeting = await service.cancel_meeting(session, actor=actor, meeting_id=callback_data.meeting_id, now=clock.now())
    await show(query, bot, texts.meetings.CANCELLED_DONE.format(meeting=render.identity_line(meeting)), kbm.back_to(meeting.id))
    await query.answer()


async def open_attendance(query: CallbackQuery, callback_data: MeetingButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    sheet = await service.attendance_sheet(session, actor=actor, meeting_id=callback_data.meeting_id, now=clock.now())
    await show(query, bot, _attendance_text(sheet, 0), kbm.attendance(sheet, 0))
    await query.answer()


async def ask_conclusions(
    query: CallbackQuery, callback_data: MeetingButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    meeting, count = await service.conclusions_target(session, actor=actor, meeting_id=callback_data.meeting_id)
    await state.set_state(ConclusionsFlow.content)
    await state.set_data({"meeting_id": meeting.id, "started_at": clock.now().isoformat()})
    await show(query, bot, texts.meetings.ASK_CONCLUSIONS.format(when=render.when(meeting), count=count), kbm.back_to(meeting.id))
    await query.answer()


def _answer_lines(view: service.MeetingCard) -> list[str]:
    lines = [texts.meetings.ANSWERS_TITLE.format(when=render.when(view.meeting)), ""]
    for number, line in enumerate(view.answers, start=1):
        reason = render.reason_label(line.invitation)
        lines.append(
            texts.meetings.ANSWERS_LINE.format(
                number=number, name=render.escape(line.name), answer=render.answer_label(line.invitation.answer),
                reason=texts.meetings.ANSWERS_REASON.format(reason=reason) if reason else "",
            )
        )
    return lines


async def list_answers(query: CallbackQuery, callback_data: MeetingButton, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    meeting_id = callback_data.meeting_id
    view = await service.meeting_card(session, actor=actor, meeting_id=meeting_id)
    parts = render.pack(_answer_lines(view))
    for index, part in enumerate(parts):
        await bot.send_message(query.from_user.id, part, reply_markup=kbm.back_to(meeting_id) if index == len(parts) - 1 else None)
    await query.answer()


async def list_pending(query: CallbackQuery, callback_data: MeetingButton, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    view = await service.meeting_card(session, actor=actor, meeting_id=callback_data.meeting_id)
    for line in view.pending:
        await send_request(bot, query.from_user.id, line.name, view.meeting, line.invitation)
    await query.answer()


async def attendance_toggle(
    query: CallbackQuery, callback_data: AttendanceToggle, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    sheet = await service.toggle_attendance(
        session, actor=actor, meeting_id=callback_data.meeting_id, member_id=callback_data.member_id, now=clock.now()
    )
    await show(query, bot, _attendance_text(sheet, callback_data.page), kbm.attendance(sheet, callback_data.page))
    await query.answer()


async def attendance_page(
    query: CallbackQuery, callback_data: AttendanceButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    sheet = await service.attendance_sheet(session, actor=actor, meeting_id=callback_data.meeting_id, now=clock.now())
    await show(query, bot, _attendance_text(sheet, callback_data.page), kbm.attendance(sheet, callback_data.page))
    await query.answer()


async def all_present(
    query: CallbackQuery, callback_data: AttendanceButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    meeting_id = callback_data.meeting_id
    sheet = await service.attendance_sheet(session, actor=actor, meeting_id=meeting_id, now=now)
    sheet = await service.set_attendance(
        session, actor=actor, meeting_id=meeting_id, present_member_ids=[row.member_id for row in sheet.rows], now=now
    )
    await show(query, bot, _attendance_text(sheet, callback_data.page), kbm.attendance(sheet, callback_data.page))
    await query.answer()


async def attendance_done(
    query: CallbackQuery, callback_data: AttendanceButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    meeting_id = callback_data.meeting_id
    sheet = await service.attendance_sheet(session, actor=actor, meeting_id=meeting_id, now=clock.now())
    summary = stats.meeting_stats_text(await stats.meeting_stats(session, meeting=sheet.meeting))
    absent = any(not row.present for row in sheet.rows)
    await show(query, bot, texts.meetings.ATTENDANCE_SAVED.format(stats=summary), kbm.after_attendance(meeting_id, absentees=absent))
    await query.answer(texts.meetings.TOAST_SAVED)


async def typed_conclusions(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    meeting_id = await typed_target(message, state, now, "meeting_id", texts.meetings.CONCLUSIONS_EMPTY)
    if meeting_id is None:
        return
    async with clear_unless_invalid(state, typed=message.voice is None):
        count = await service.send_conclusions(session, actor=actor, meeting_id=meeting_id, now=now, **text_or_voice(message))
    await state.clear()
    await message.answer(texts.meetings.CONCLUSIONS_SENT.format(count=count), reply_markup=kbm.after_conclusions(meeting_id))


async def stop_rule(query: CallbackQuery, callback_data: RuleStop, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    await service.stop_rule(session, actor=actor, rule_id=callback_data.rule_id, now=clock.now())
    await show(query, bot, texts.meetings.RULE_STOPPED, kbm.rules([]))
    await query.answer()


def build() -> Router:
    router = Router(name="meetings.card")
    for handler, action in (
        (open_card, MeetingAction.OPEN),
        (edit_meeting, MeetingAction.EDIT),
        (ask_cancel, MeetingAction.CANCEL),
        (confirm_cancel, MeetingAction.CANCEL_OK),
        (open_attendance, MeetingAction.ATTENDANCE),
        (ask_conclusions, MeetingAction.CONCLUSIONS),
        (list_answers, MeetingAction.ANSWERS),
        (list_pending, MeetingAction.PENDING),
    ):
        router.callback_query.register(handler, MeetingButton.filter(F.action == action))
    router.callback_query.register(attendance_toggle, AttendanceToggle.filter())
    router.callback_query.register(attendance_page, AttendanceButton.filter(F.action == AttendanceAction.PAGE))
    router.callback_query.register(all_present, AttendanceButton.filter(F.action == AttendanceAction.ALL))
    router.callback_query.register(attendance_done, AttendanceButton.filter(F.action == AttendanceAction.DONE))
    router.callback_query.register(stop_rule, RuleStop.filter())
    router.message.register(typed_conclusions, StateFilter(ConclusionsFlow.content), ~menu_or_command())
    return router
