"""📈 Số liệu tổng hợp and 📝 báo cáo tháng, for secretaries and committee members.

Reached from the 📊 Thống kê screen (its «📈 Số liệu tổng hợp» button), or /solieu and /baocao.
A short text with the month's figures and each direct sub-organisation, a chart of six months,
CSV and Excel files; a cell's monthly report to review, annotate and send; a committee's list of
the reports received. Every id is re-checked by core.resolutions (figures / reports).

Callback data:
    rf:<action>:<org_id>:<yyyymm>    figures: show | chart | csv | xlsx | kids
    rr:<action>:<cell_id>:<yyyymm>   reports: open | note | send | read | ack | ret;  list | remind (org_id: a committee)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
from typing import Any

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.filters import Linked
from bot.flow import expired, menu_or_command
from bot.keyboards_reports import FiguresButton
from bot.screens import show
from core import texts
from core.clock import Clock, local_tz
from core.orgs.models import Org, OrgKind, RoleKind
from core.orgs.service import Actor, in_subtree
from core.ports import Button
from core.render import pack
from core.reporting import charts, export, figures, reports
from core.reporting.models import ReportState

T = texts.reports
MAX_CHILD_LINES = 15
MAX_MISSING_NAMES = 12
NOTE_TTL = dt.timedelta(minutes=30)


class ReportButton(CallbackData, prefix=reports.REPORT_PREFIX):
    action: str
    cell_id: int
    month: int


class NoteFlow(StatesGroup):
    note = State()
    return_comment = State()  # a committee member types why a report goes back


def _code(month: dt.date) -> int:
    return month.year * 100 + month.month


def _month(code: int) -> dt.date:
    try:
        return dt.date(code // 100, code % 100, 1)
    except ValueError:
        raise SkipHandler() from None


def _b(text: str, data: CallbackData) -> Button:
    return Button(text, data.pack())


# ---------------------------------------------------------------- figures


def _figures_text(rollup: figures.Rollup) -> str:
    month = rollup.months[-1]
    lines = [T.FIGURES_TITLE.format(org=html.escape(rollup.org.name), month=reports.month_label(month)), "",
             *reports.figures_lines(rollup.totals[-1])]
    if rollup.children:
        lines.append(T.CHILDREN_TITLE)
        for ref, rows in rollup.children[:MAX_CHILD_LINES]:
            f = rows[-1]
            lines.append(T.CHILD_LINE.format(name=html.escape(ref.name), members=f.members, attendance=reports.percent(f.attendance_rate),
                                             study=reports.percent(f.study_rate)))
        if len(rollup.children) > MAX_CHILD_LINES:
            lines.append(T.CHILDREN_MORE.format(count=len(rollup.children) - MAX_CHILD_LINES))
    if rollup.as_of is not None:
        lines.append(T.AS_OF.format(at=rollup.as_of.astimezone(local_tz()).strftime("%H:%M %d/%m/%Y")))
    return "\n".join(lines)


def _figures_markup(org: Org, month: dt.date, now: dt.datetime) -> InlineKeyboardMarkup:
    code = _code(month)
    nav = [_b(T.BTN_PREV_MONTH, FiguresButton(action="show", org_id=org.id, month=_code(figures.add_months(month, -1))))]
    if month < figures.local_month(now):
        nav.append(_b(T.BTN_NEXT_MONTH, FiguresButton(action="show", org_id=org.id, month=_code(figures.add_months(month, 1)))))
    rows: list[tuple[Button, ...]] = [tuple(nav)]
    second = [_b(T.BTN_CHART, FiguresButton(action="chart", org_id=org.id, month=code))]
    if org.kind == OrgKind.COMMITTEE:
        second.append(_b(T.BTN_DRILL, FiguresButton(action="kids", org_id=org.id, month=code)))
    rows.append(tuple(second))
    rows.append((_b(T.BTN_CSV, FiguresButton(action="csv", org_id=org.id, month=code)), _b(T.BTN_XLSX, FiguresButton(action="xlsx", org_id=org.id, month=code))))
    if org.kind == OrgKind.CELL:
        rows.append((_b(T.BTN_CELL_REPORT, ReportButton(action="open", cell_id=org.id, month=code)),))
    else:
        rows.append((_b(T.BTN_RECEIVED, ReportButton(action="list", cell_id=org.id, month=code)),))
    return kb.inline(rows)


def _orgs_markup(orgs: list[Org], month: dt.date) -> InlineKeyboardMarkup:
    return kb.inline([(_b(org.name, FiguresButton(action="show", org_id=org.id, month=_code(month))),) for org in orgs[:20]])


async def open_figures(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    await state.clear()
    orgs = sorted(actor.managed_orgs, key=lambda o: (o.depth, o.name))
    if not orgs:
        await message.answer(T.NOT_MANAGER)
        return
    month = figures.local_month(clock.now())
    if len(orgs) > 1:
        await message.answer(T.CHOOSE_ORG, reply_markup=_orgs_markup(orgs, month))
        return
    rollup = await figures.org_figures(session, actor=actor, org_id=orgs[0].id, month=month, now=clock.now())
    await message.answer(_figures_text(rollup), reply_markup=_figures_markup(rollup.org, month, clock.now()))


async def figures_action(query: CallbackQuery, callback_data: FiguresButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    now, org_id, chat_id, action = clock.now(), callback_data.org_id, query.from_user.id, callback_data.action
    month = _month(callback_data.month) if callback_data.month else figures.local_month(now)  # 0: this month
    if month > figures.local_month(now):
        month = figures.local_month(now)
    if action == "show":
        rollup = await figures.org_figures(session, actor=actor, org_id=org_id, month=month, now=now)
        await show(query, bot, _figures_text(rollup), _figures_markup(rollup.org, month, now))
    elif action == "chart":
        # "6 tháng gần nhất": always up to the current month, whichever month the screen shows.
        rollup = await figures.org_figures(session, actor=actor, org_id=org_id, month=figures.local_month(now), history=6, now=now)
        png = await asyncio.to_thread(charts.figures_chart, rollup)
        await query.answer()
        caption = T.CHART_CAPTION.format(org=html.escape(rollup.org.name), first=f"{rollup.months[0]:%m/%Y}", last=f"{rollup.months[-1]:%m/%Y}")
        await bot.send_photo(chat_id, BufferedInputFile(png, filename="so-lieu.png"), caption=caption)
        return
    elif action in ("csv", "xlsx"):
        rollup = await figures.org_figures(session, actor=actor, org_id=org_id, month=month, now=now)
        name = T.EXPORT_FILENAME.format(month=f"{month:%Y-%m}")
        if action == "csv":
            payload, filename = export.figures_csv(rollup), f"{name}.csv"
        else:
            names = await _cell_names(session, rollup)
            payload = await asyncio.to_thread(export.figures_xlsx, rollup, names)
            filename = f"{name}.xlsx"
        await query.answer()
        await bot.send_document(chat_id, BufferedInputFile(payload, filename=filename),
                                caption=T.EXPORT_CAPTION.format(org=html.escape(rollup.org.name), month=reports.month_label(month)))
        return
    elif action == "kids":
        org = await figures.viewable(session, actor=actor, org_id=org_id)
        children = list((await session.execute(select(Org).where(Org.parent_id == org.id).order_by(Org.name).limit(20))).scalars())
        await show(query, bot, T.CHOOSE_ORG, _orgs_markup(children, month))
    else:
        raise SkipHandler()
    await query.answer()


async def _cell_names(session: AsyncSession, rollup: figures.Rollup) -> dict[int, str]:
    if rollup.org.kind == OrgKind.CELL:
        return {rollup.org.id: rollup.org.name}
    rows = await session.execute(select(Org.id, Org.name).where(in_subtree(rollup.org.path)))
    return dict(rows.all())


# ---------------------------------------------------------------- reports


def _report_markup(view: reports.ReportView, actor: Actor) -> InlineKeyboardMarkup | None:
    code = _code(view.report.month)
    own = any(org.id == view.cell.id for _, org in actor.roles)
    if view.report.state in reports.FINAL_STATES or not own:
        return kb.inline([(_b(T.BTN_FIGURES, FiguresButton(action="show", org_id=view.cell.id, month=code)),)])
    return kb.inline([
        (_b(T.BTN_SEND_REPORT, ReportButton(action="send", cell_id=view.cell.id, month=code)),),
        (_b(T.BTN_ADD_NOTE, ReportButton(action="note", cell_id=view.cell.id, month=code)),
         _b(T.BTN_FIGURES, FiguresButton(action="show", org_id=view.cell.id, month=code))),
    ])


def _review_markup(view: reports.ReportView, actor: Actor) -> InlineKeyboardMarkup | None:
    """Under a sent report, for the committee directly above: acknowledge or return it."""
    reviews = any(org.id == view.cell.parent_id and role == RoleKind.COMMITTEE_MEMBER for role, org in actor.roles)
    if not reviews or view.report.state != ReportState.SENT:
        return None
    code = _code(view.report.month)
    return kb.inline([(_b(T.BTN_ACKNOWLEDGE, ReportButton(action="ack", cell_id=view.cell.id, month=code)),
                       _b(T.BTN_RETURN, ReportButton(action="ret", cell_id=view.cell.id, month=code)))])


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


async def _received_screen(session: AsyncSession, actor: Actor, org_id: int, month: dt.date) -> tuple[str, InlineKeyboardMarkup]:
    box = await reports.received(session, actor=actor, org_id=org_id, month=month)
    text = T.RECEIVED_TITLE.format(month=reports.month_label(month), org=html.escape(box.org.name), sent=box.sent, total=len(box.cells))
    missing = [cell.name for cell in box.missing]
    if missing:
        names = ", ".join(html.escape(n) for n in missing[:MAX_MISSING_NAMES])
        more = T.RECEIVED_MISSING_MORE.format(count=len(missing) - MAX_MISSING_NAMES) if len(missing) > MAX_MISSING_NAMES else ""
        text += T.RECEIVED_MISSING.format(names=names + more)
    code = _code(month)
    rows: list[tuple[Button, ...]] = [
        (_b(T.BTN_OPEN_REPORT.format(cell=cell.name)[:60], ReportButton(action="read", cell_id=cell.id, month=code)),)
        for cell, report in box.cells if report is not None and report.state in reports.FINAL_STATES
    ][:20]
    if missing:
        rows.append((_b(T.BTN_REMIND, ReportButton(action="remind", cell_id=org_id, month=code)),))
    rows.append((
        _b(T.BTN_PREV_MONTH, ReportButton(action="list", cell_id=org_id, month=_code(figures.add_months(month, -1)))),
        _b(T.BTN_FIGURES, FiguresButton(action="show", org_id=org_id, month=code)),
    ))
    return text, kb.inline(rows)


async def report_action(
    query: CallbackQuery, callback_data: ReportButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    month, cell_id, now, action = _month(callback_data.month), callback_data.cell_id, clock.now(), callback_data.action
    if action == "open":
        view = await reports.report_for(session, actor=actor, cell_id=cell_id, month=month, now=now)
        await show(query, bot, _report_screen(view), _report_markup(view, actor))
    elif action == "send":
        view = await reports.send_report(session, actor=actor, cell_id=cell_id, month=month, now=now)
        await show(query, bot, _report_screen(view), _report_markup(view, actor))
        await query.answer(T.REPORT_SENT.format(month=reports.month_label(month)), show_alert=True)
        return
    elif action == "note":
        await reports.report_for(session, actor=actor, cell_id=cell_id, month=month, now=now)  # checks the cell
        await state.set_state(NoteFlow.note)
        await state.set_data({"cell_id": cell_id, "month": callback_data.month, "started_at": now.isoformat()})
        await bot.send_message(query.from_user.id, T.ASK_NOTE)
    elif action == "read":
        view = await reports.read_report(session, actor=actor, cell_id=cell_id, month=month, now=now)
        await bot.send_message(query.from_user.id, _report_screen(view), reply_markup=_review_markup(view, actor))
    elif action == "ack":
        view = await reports.acknowledge_report(session, actor=actor, cell_id=cell_id, month=month, now=now)
        await show(query, bot, _report_screen(view), None)
        await query.answer(T.ACKNOWLEDGED, show_alert=True)
        return
    elif action == "ret":
        await reports.read_report(session, actor=actor, cell_id=cell_id, month=month, now=now)  # checks the report exists
        await state.set_state(NoteFlow.return_comment)
        await state.set_data({"cell_id": cell_id, "month": callback_data.month, "started_at": now.isoformat()})
        await bot.send_message(query.from_user.id, T.ASK_RETURN_COMMENT)
    elif action == "remind":
        count = await reports.remind_missing(session, actor=actor, org_id=cell_id, month=month, now=now)
        await query.answer(T.REMINDED.format(count=count) if count else T.REMINDED_NONE, show_alert=True)
        return
    elif action == "list":
        text, markup = await _received_screen(session, actor, cell_id, month)
        await show(query, bot, text, markup)
    else:
        raise SkipHandler()
    await query.answer()


async def typed_note(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    data: dict[str, Any] = await state.get_data()
    if expired(data, clock.now(), NOTE_TTL) or not message.text:
        await state.clear()
        raise SkipHandler()
    view = await reports.save_note(session, actor=actor, cell_id=int(data["cell_id"]), month=_month(int(data["month"])), note=message.text, now=clock.now())
    await state.clear()
    await message.answer(T.NOTE_SAVED)
    for part in pack([_report_screen(view)]):
        await message.answer(part, reply_markup=_report_markup(view, actor))


async def typed_return_comment(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    data: dict[str, Any] = await state.get_data()
    if expired(data, clock.now(), NOTE_TTL) or not message.text:
        await state.clear()
        raise SkipHandler()
    view = await reports.return_report(session, actor=actor, cell_id=int(data["cell_id"]), month=_month(int(data["month"])),
                                       comment=message.text, now=clock.now())
    await state.clear()
    await message.answer(T.RETURNED)
    for part in pack([_report_screen(view)]):
        await message.answer(part)


def build() -> Router:
    router = Router(name="reports")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.message.register(open_figures, Command("solieu"))
    router.message.register(open_report, Command("baocao"))
    router.message.register(typed_note, StateFilter(NoteFlow.note), ~menu_or_command())
    router.message.register(typed_return_comment, StateFilter(NoteFlow.return_comment), ~menu_or_command())
    router.callback_query.register(figures_action, FiguresButton.filter())
    router.callback_query.register(report_action, ReportButton.filter())
    return router
