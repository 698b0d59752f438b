"""📝 Báo cáo tháng: a cell's report to review, annotate and send; the committee's reports received,
acknowledged or returned with a comment."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from aiogram import Bot
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.flow import expired
from bot.keyboards_reports import FiguresButton
from bot.routers.reports.common import MAX_MISSING_NAMES, NOTE_TTL, NoteFlow, ReportButton, T, b, month_code, month_of
from bot.screens import show
from core.clock import Clock, local_tz
from core.orgs.models import OrgKind, RoleKind
from core.orgs.service import Actor
from core.ports import Button
from core.render import pack
from core.reporting import figures, reports
from core.reporting.models import ReportState


def _report_markup(view: reports.ReportView, actor: Actor) -> InlineKeyboardMarkup | None:
    code = month_code(view.report.month)
    own = any(org.id == view.cell.id for _, org in actor.roles)
    if view.report.state in reports.FINAL_STATES or not own:
        return kb.inline([(b(T.BTN_FIGURES, FiguresButton(action="show", org_id=view.cell.id, month=code)),)])
    return kb.inline([
        (b(T.BTN_SEND_REPORT, ReportButton(action="send", cell_id=view.cell.id, month=code)),),
        (b(T.BTN_ADD_NOTE, ReportButton(action="note", cell_id=view.cell.id, month=code)),
         b(T.BTN_FIGURES, FiguresButton(action="show", org_id=view.cell.id, month=code))),
    ])


def _review_markup(view: reports.ReportView, actor: Actor) -> InlineKeyboardMarkup | None:
    """Under a sent report, for the committee directly above: acknowledge or return it."""
    reviews = any(org.id == view.cell.parent_id and role == RoleKind.COMMITTEE_MEMBER for role, org in actor.roles)
    if not reviews or view.report.state != ReportState.SENT:
        return None
    code = month_code(view.report.month)
    return kb.inline([(b(T.BTN_ACKNOWLEDGE, ReportButton(action="ack", cell_id=view.cell.id, month=code)),
                       b(T.BTN_RETURN, ReportButton(action="ret", cell_id=view.cell.id, month=code)))])


def _report_screen(view: reports.ReportView) -> str:
    text = reports.report_text(view.cell, view.report.month, view.figures, view.report.note, view.report.review_comment, review=view.review)
    if view.report.state == ReportState.ACKNOWLEDGED and view.report.reviewed_at is not None:
        return text + T.REPORT_ACKNOWLEDGED_FOOTER.format(at=view.report.reviewed_at.astimezone(local_tz()).strftime("%H:%M %d/%m/%Y"))
    if view.report.state == ReportState.SENT and view.report.sent_at is not None:
        at = view.report.sent_at.astimezone(local_tz()).strftime("%H:%M %d/%m/%Y")
        return text + T.REPORT_SENT_FOOTER.format(at=at)
    return text + T.REPORT_DRAFT_FOOTER


async def open_report(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    """/baocao: a cell leader's report of the month; a committee member's reports received."""
    await state.clear()
    now = clock.now()
    month = reports.default_month(now)
    cells = [org for role, org in actor.roles if org.kind == OrgKind.CELL and org in actor.managed_orgs]
    if cells:
        view = await reports.report_for(session, actor=actor, cell_id=cells[0].id, month=month, now=now)
        await message.answer(_report_screen(view), reply_markup=_report_markup(view, actor))
        return
    committees = [org for org in actor.managed_orgs if org.kind == OrgKind.COMMITTEE]
    if not committees:
        await message.answer(T.NOT_MANAGER)
        return
    text, markup = await _received_screen(session, actor, committees[0].id, month)
    await message.answer(text, reply_markup=markup)


def _missing_text(missing: list[str]) -> str:
    names = ", ".join(html.escape(n) for n in missing[:MAX_MISSING_NAMES])
    more = T.RECEIVED_MISSING_MORE.format(count=len(missing) - MAX_MISSING_NAMES) if len(missing) > MAX_MISSING_NAMES else ""
    return T.RECEIVED_MISSING.format(names=names + more)


async def _received_screen(session: AsyncSession, actor: Actor, org_id: int, month: dt.date) -> tuple[str, InlineKeyboardMarkup]:
    box = await reports.received(session, actor=actor, org_id=org_id, month=month)
    text = T.RECEIVED_TITLE.format(month=reports.month_label(month), org=html.escape(box.org.name), sent=box.sent, total=len(box.cells))
    missing = [cell.name for cell in box.missing]
    if missing:
        text += _missing_text(missing)
    code = month_code(month)
    opened = [cell for cell, report in box.cells if report is not None and report.state in reports.FINAL_STATES][:20]
    rows: list[tuple[Button, ...]] = [
        (b(T.BTN_OPEN_REPORT.format(cell=cell.name)[:60], ReportButton(action="read", cell_id=cell.id, month=code)),) for cell in opened
    ]
    if missing:
        rows.append((b(T.BTN_REMIND, ReportButton(action="remind", cell_id=org_id, month=code)),))
    rows.append((
        b(T.BTN_PREV_MONTH, ReportButton(action="list", cell_id=org_id, month=month_code(figures.add_months(month, -1)))),
        b(T.BTN_FIGURES, FiguresButton(action="show", org_id=org_id, month=code)),
    ))
    return text, kb.inline(rows)


# ---------------------------------------------------------------- one handler per button (rr:<action>:…)


async def show_report(query: CallbackQuery, callback_data: ReportButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    month = month_of(callback_data.month)
    view = await reports.report_for(session, actor=actor, cell_id=callback_data.cell_id, month=month, now=clock.now())
    await show(query, bot, _report_screen(view), _report_markup(view, actor))
    await query.answer()


async def send_report(query: CallbackQuery, callback_data: ReportButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    month = month_of(callback_data.month)
    view = await reports.send_report(session, actor=actor, cell_id=callback_data.cell_id, month=month, now=clock.now())
    await show(query, bot, _report_screen(view), _report_markup(view, actor))
    await query.answer(T.REPORT_SENT.format(month=reports.month_label(month)), show_alert=True)


async def _ask_typed(query: CallbackQuery, callback_data: ReportButton, state: FSMContext, step: Any, now: dt.datetime, bot: Bot, question: str) -> None:
    await state.set_state(step)
    await state.set_data({"cell_id": callback_data.cell_id, "month": callback_data.month, "started_at": now.isoformat()})
    await bot.send_message(query.from_user.id, question)
    await query.answer()


async def ask_note(
    query: CallbackQuery, callback_data: ReportButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    await reports.report_for(session, actor=actor, cell_id=callback_data.cell_id, month=month_of(callback_data.month), now=now)  # checks the cell
    await _ask_typed(query, callback_data, state, NoteFlow.note, now, bot, T.ASK_NOTE)


async def read_report(query: CallbackQuery, callback_data: ReportButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    view = await reports.read_report(session, actor=actor, cell_id=callback_data.cell_id, month=month_of(callback_data.month), now=clock.now())
    await bot.send_message(query.from_user.id, _report_screen(view), reply_markup=_review_markup(view, actor))
    await query.answer()


async def acknowledge(query: CallbackQuery, callback_data: ReportButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    month = month_of(callback_data.month)
    view = await reports.acknowledge_report(session, actor=actor, cell_id=callback_data.cell_id, month=month, now=clock.now())
    await show(query, bot, _report_screen(view), None)
    await query.answer(T.ACKNOWLEDGED, show_alert=True)


async def ask_return(
    query: CallbackQuery, callback_data: ReportButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    month = month_of(callback_data.month)
    await reports.read_report(session, actor=actor, cell_id=callback_data.cell_id, month=month, now=now)  # checks the report exists
    await _ask_typed(query, callback_data, state, NoteFlow.return_comment, now, bot, T.ASK_RETURN_COMMENT)


async def remind(query: CallbackQuery, callback_data: ReportButton, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    """The committee's «Nhắc các chi bộ chưa gửi» (cell_id: the committee)."""
    month = month_of(callback_data.month)
    count = await reports.remind_missing(session, actor=actor, org_id=callback_data.cell_id, month=month, now=clock.now())
    await query.answer(T.REMINDED.format(count=count) if count else T.REMINDED_NONE, show_alert=True)


async def list_received(query: CallbackQuery, callback_data: ReportButton, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    """The reports a committee received (cell_id: the committee)."""
    text, markup = await _received_screen(session, actor, callback_data.cell_id, month_of(callback_data.month))
    await show(query, bot, text, markup)
    await query.answer()


# ---------------------------------------------------------------- typed steps


async def _typed(message: Message, state: FSMContext, clock: Clock) -> dict[str, Any]:
    """The flow's data; a flow too old, or a message without text, goes on to whoever else wants it."""
    data: dict[str, Any] = await state.get_data()
    if expired(data, clock.now(), NOTE_TTL) or not message.text:
        await state.clear()
        raise SkipHandler()
    return data


async def typed_note(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    data = await _typed(message, state, clock)
    view = await reports.save_note(session, actor=actor, cell_id=int(data["cell_id"]), month=month_of(int(data["month"])), note=message.text or "",
                                   now=clock.now())
    await state.clear()
    await message.answer(T.NOTE_SAVED)
    for part in pack([_report_screen(view)]):
        await message.answer(part, reply_markup=_report_markup(view, actor))


async def typed_return_comment(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    data = await _typed(message, state, clock)
    view = await reports.return_report(session, actor=actor, cell_id=int(data["cell_id"]), month=month_of(int(data["month"])),
                                       comment=message.text or "", now=clock.now())
    await state.clear()
    await message.answer(T.RETURNED)
    for part in pack([_report_screen(view)]):
        await message.answer(part)
