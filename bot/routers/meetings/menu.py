"""📅 Lịch họp: the member's menu, and a leader's entries to new meetings, the cell's meetings and its monthly rules."""

from __future__ import annotations

import datetime as dt

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_meetings as kbm
from bot.keyboards_meetings import (
    Inert,
    MeetMenu,
    MenuAction,
)
from bot.routers.meetings.flow import (
    MeetingForm,
    inert,
)
from bot.routers.meetings.steps import (
    ask_kind,
)
from bot.screens import show
from core import texts
from core.clock import Clock
from core.errors import PermissionDenied
from core.meetings import dates, render, service
from core.meetings.models import Answer, Meeting, MeetingStatus, RecurrenceRule
from core.orgs.models import Org
from core.orgs.service import Actor


def _upcoming_lines(upcoming: list[tuple[service.MeetingFacts, service.InvitationFacts]]) -> list[str]:
    if not upcoming:
        return [texts.meetings.NO_UPCOMING]
    return [texts.meetings.UPCOMING_TITLE] + [
        texts.meetings.UPCOMING_LINE.format(
            number=number, title=render.title(meeting), when=render.when(meeting), place=render.escape(meeting.place),
            answer=render.answer_label(invitation.answer),
        )
        for number, (meeting, invitation) in enumerate(upcoming, start=1)
    ]


async def _conclusions_lines(
    session: AsyncSession, actor: Actor, now: dt.datetime, last: tuple[service.MeetingFacts, service.InvitationFacts] | None
) -> tuple[list[str], int | None]:
    """The last meeting's conclusions (noted as seen), and the invitation whose voice conclusions can be heard."""
    if last is None:
        return [], None
    meeting, invitation = last
    await service.note_conclusions_seen(session, actor=actor, meeting_id=meeting.id, now=now)
    lines = ["", texts.meetings.LAST_CONCLUSIONS_TITLE.format(when=render.when(meeting))]
    if meeting.conclusions_text:
        lines.append(render.escape(meeting.conclusions_text[:1500]) + ("…" if len(meeting.conclusions_text) > 1500 else ""))
    if not meeting.conclusions_voice_file_id:
        return lines, None
    return [*lines, texts.meetings.LAST_CONCLUSIONS_VOICE], invitation.id


async def _menu(session: AsyncSession, actor: Actor, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    mine = await service.member_meetings(session, actor=actor, now=now)
    upcoming = mine.upcoming
    conclusions, hear = await _conclusions_lines(session, actor, now, mine.last_conclusions)
    lines = [texts.meetings.MENU_TITLE, "", *_upcoming_lines(upcoming), *conclusions]
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


def _manage_text(cell: Org, meetings: list[Meeting]) -> str:
    lines = [texts.meetings.MANAGE_TITLE.format(cell=render.escape(cell.name)), ""]
    for number, meeting in enumerate(meetings, start=1):
        lines.append(
            texts.meetings.MANAGE_LINE.format(
                number=number, status=texts.meetings.STATUSES[meeting.status.value], title=render.title(meeting), when=render.when(meeting),
                place=render.escape(meeting.place),
            )
        )
    return "\n".join(lines)


def _rules_text(rules: list[RecurrenceRule], now: dt.datetime) -> str:
    lines = [texts.meetings.RULES_TITLE, ""]
    for rule in rules:
        _, next_start = service.next_occurrence(rule, now)
        lines.append(
            texts.meetings.RULE_LINE.format(
                day=rule.day_of_month, time=dates.format_time(rule.local_time), place=render.escape(rule.place),
                next=texts.meetings.RULE_NEXT.format(when=dates.format_when(next_start)),
            )
        )
    return "\n".join(lines)


async def show_home(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    await state.clear()
    text, markup = await _menu(session, actor, clock.now())
    await show(query, bot, text, markup)
    await query.answer()


async def start_new(query: CallbackQuery, state: FSMContext, actor: Actor, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    cells = service.manageable_cells(actor)
    if not cells:
        raise PermissionDenied(texts.meetings.NOT_LEADER)
    await state.clear()
    if len(cells) > 1:
        await state.set_state(MeetingForm.cell)
        await state.set_data({"mode": "create", "started_at": now.isoformat()})
        await show(query, bot, texts.meetings.ASK_CELL, kbm.cells(cells))
    else:
        await ask_kind(query, bot, state, cells[0], now)
    await query.answer()


async def manage_meetings(query: CallbackQuery, callback_data: MeetMenu, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    cell = _led_cell(actor, callback_data.cell_id)
    meetings = await service.cell_meetings(session, actor=actor, cell_id=cell.id, now=clock.now())
    if not meetings:
        await show(query, bot, texts.meetings.MANAGE_EMPTY, kbm.meeting_list([]))
    else:
        await show(query, bot, _manage_text(cell, meetings), kbm.meeting_list(meetings))
    await query.answer()


async def monthly_rules(query: CallbackQuery, callback_data: MeetMenu, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    cell = _led_cell(actor, callback_data.cell_id)
    rules = await service.cell_rules(session, actor=actor, cell_id=cell.id)
    if not rules:
        await show(query, bot, texts.meetings.RULES_EMPTY, kbm.rules([]))
    else:
        await show(query, bot, _rules_text(rules, clock.now()), kbm.rules(rules))
    await query.answer()


def build() -> Router:
    router = Router(name="meetings.menu")
    router.callback_query.register(inert, Inert.filter())
    router.callback_query.register(show_home, MeetMenu.filter(F.action == MenuAction.HOME))
    router.callback_query.register(start_new, MeetMenu.filter(F.action == MenuAction.NEW))
    router.callback_query.register(manage_meetings, MeetMenu.filter(F.action == MenuAction.MANAGE))
    router.callback_query.register(monthly_rules, MeetMenu.filter(F.action == MenuAction.RULES))
    return router
