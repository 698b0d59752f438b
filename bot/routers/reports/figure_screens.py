"""📈 Số liệu tổng hợp: the month's figures as text, a chart of six months, CSV and Excel, sub-organisations."""

from __future__ import annotations

import asyncio
import datetime as dt
import html

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.keyboards_reports import FiguresButton
from bot.routers.reports.common import MAX_CHILD_LINES, ReportButton, T, b, month_code, month_of
from bot.screens import show
from core.clock import Clock
from core.orgs.models import Org, OrgKind
from core.orgs.service import Actor
from core.ports import Button
from core.reporting import charts, export, figures, reports


def _child_lines(rollup: figures.Rollup) -> list[str]:
    lines = [T.CHILDREN_TITLE]
    for ref, rows in rollup.children[:MAX_CHILD_LINES]:
        f = rows[-1]
        lines.append(T.CHILD_LINE.format(name=html.escape(ref.name), members=f.members, attendance=reports.percent(f.attendance_rate),
                                         study=reports.percent(f.study_rate)))
    if len(rollup.children) > MAX_CHILD_LINES:
        lines.append(T.CHILDREN_MORE.format(count=len(rollup.children) - MAX_CHILD_LINES))
    return lines


def figures_text(rollup: figures.Rollup) -> str:
    month = rollup.months[-1]
    lines = [T.FIGURES_TITLE.format(org=html.escape(rollup.org.name), month=reports.month_label(month)), "",
             *reports.figures_lines(rollup.totals[-1])]
    if rollup.children:
        lines += _child_lines(rollup)
    return "\n".join(lines)


def figures_markup(org: Org, month: dt.date, now: dt.datetime) -> InlineKeyboardMarkup:
    code = month_code(month)
    nav = [b(T.BTN_PREV_MONTH, FiguresButton(action="show", org_id=org.id, month=month_code(figures.add_months(month, -1))))]
    if month < figures.local_month(now):
        nav.append(b(T.BTN_NEXT_MONTH, FiguresButton(action="show", org_id=org.id, month=month_code(figures.add_months(month, 1)))))
    rows: list[tuple[Button, ...]] = [tuple(nav)]
    second = [b(T.BTN_CHART, FiguresButton(action="chart", org_id=org.id, month=code))]
    if org.kind == OrgKind.COMMITTEE:
        second.append(b(T.BTN_DRILL, FiguresButton(action="kids", org_id=org.id, month=code)))
    rows.append(tuple(second))
    rows.append((b(T.BTN_CSV, FiguresButton(action="csv", org_id=org.id, month=code)), b(T.BTN_XLSX, FiguresButton(action="xlsx", org_id=org.id, month=code))))
    rows.append((b(T.BTN_ANNUAL, FiguresButton(action="year", org_id=org.id, month=month.year)),))
    if org.kind == OrgKind.CELL:
        rows.append((b(T.BTN_CELL_REPORT, ReportButton(action="open", cell_id=org.id, month=code)),))
    else:
        rows.append((b(T.BTN_RECEIVED, ReportButton(action="list", cell_id=org.id, month=code)),))
    return kb.inline(rows)


def _orgs_markup(orgs: list[Org], month: dt.date) -> InlineKeyboardMarkup:
    return kb.inline([(b(org.name, FiguresButton(action="show", org_id=org.id, month=month_code(month))),) for org in orgs[:20]])


def _shown_month(callback_data: FiguresButton, now: dt.datetime) -> dt.date:
    """The button's month (0: this month), never after this month."""
    month = month_of(callback_data.month) if callback_data.month else figures.local_month(now)
    return min(month, figures.local_month(now))


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
    await message.answer(figures_text(rollup), reply_markup=figures_markup(rollup.org, month, clock.now()))


async def show_figures(query: CallbackQuery, callback_data: FiguresButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    month = _shown_month(callback_data, now)
    rollup = await figures.org_figures(session, actor=actor, org_id=callback_data.org_id, month=month, now=now)
    await show(query, bot, figures_text(rollup), figures_markup(rollup.org, month, now))
    await query.answer()


async def send_chart(query: CallbackQuery, callback_data: FiguresButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    _shown_month(callback_data, now)  # a forged month is refused like on every figures button
    # "6 tháng gần nhất": always up to the current month, whichever month the screen shows.
    rollup = await figures.org_figures(session, actor=actor, org_id=callback_data.org_id, month=figures.local_month(now), history=6, now=now)
    png = await asyncio.to_thread(charts.figures_chart, rollup)
    await query.answer()
    caption = T.CHART_CAPTION.format(org=html.escape(rollup.org.name), first=f"{rollup.months[0]:%m/%Y}", last=f"{rollup.months[-1]:%m/%Y}")
    await bot.send_photo(query.from_user.id, BufferedInputFile(png, filename="so-lieu.png"), caption=caption)


async def _export(session: AsyncSession, rollup: figures.Rollup, month: dt.date, kind: str) -> tuple[bytes, str]:
    name = T.EXPORT_FILENAME.format(month=f"{month:%Y-%m}")
    if kind == "csv":
        return export.figures_csv(rollup), f"{name}.csv"
    return await export.monthly_workbook(session, rollup), f"{name}.xlsx"


async def send_export(query: CallbackQuery, callback_data: FiguresButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    """«CSV» or «Excel»: the month's figures as a file."""
    now = clock.now()
    month = _shown_month(callback_data, now)
    rollup = await figures.org_figures(session, actor=actor, org_id=callback_data.org_id, month=month, now=now)
    payload, filename = await _export(session, rollup, month, callback_data.action)
    await query.answer()
    await bot.send_document(query.from_user.id, BufferedInputFile(payload, filename=filename),
                            caption=T.EXPORT_CAPTION.format(org=html.escape(rollup.org.name), month=reports.month_label(month)))


async def list_children(query: CallbackQuery, callback_data: FiguresButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    month = _shown_month(callback_data, clock.now())
    org = await figures.viewable(session, actor=actor, org_id=callback_data.org_id)
    children = list((await session.execute(select(Org).where(Org.parent_id == org.id).order_by(Org.name).limit(20))).scalars())
    await show(query, bot, T.CHOOSE_ORG, _orgs_markup(children, month))
    await query.answer()
