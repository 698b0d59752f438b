"""📊 Thống kê: attendance figures of an organisation, as a chart, per member, or as a file."""

from __future__ import annotations

import asyncio
import datetime as dt

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_meetings as kbm
from bot.keyboards_meetings import (
    StatsAction,
    StatsButton,
)
from core import texts
from core.clock import Clock
from core.meetings import charts, export, render, stats
from core.orgs.models import Org
from core.orgs.service import Actor


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


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


async def show_org_stats(query: CallbackQuery, callback_data: StatsButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    await stats.viewable_org(session, actor=actor, org_id=callback_data.org_id)  # refused before the press is answered: one answer per press
    await query.answer()
    await _send_stats(bot, query.from_user.id, session, actor, callback_data.org_id, clock.now())


async def member_stats(query: CallbackQuery, callback_data: StatsButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    org_id = callback_data.org_id
    start, end = stats.default_period(clock.now())
    org = await stats.viewable_org(session, actor=actor, org_id=org_id)
    members = await stats.member_stats(session, actor=actor, org_id=org_id, start=start, end=end)
    title = texts.meetings.STATS_MEMBERS_TITLE.format(org=render.escape(org.name), start=_day(start), end=_day(end))
    lines = [title, ""] + (stats.member_lines(members) or [texts.meetings.STATS_NO_DATA])
    for part in render.pack(lines):
        await bot.send_message(query.from_user.id, part)
    await query.answer()


async def export_stats(query: CallbackQuery, callback_data: StatsButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    org_id = callback_data.org_id
    start, end = stats.default_period(clock.now())
    period = await stats.period_stats(session, actor=actor, org_id=org_id, start=start, end=end)
    rows = await stats.detail_rows(session, actor=actor, org_id=org_id, start=start, end=end)
    name = texts.meetings.EXPORT_FILENAME.format(start=start.strftime("%Y%m%d"), end=end.strftime("%Y%m%d"))
    if callback_data.action == StatsAction.CSV:
        payload, filename = export.detail_csv(rows), f"{name}.csv"
    else:
        members = await stats.member_stats(session, actor=actor, org_id=org_id, start=start, end=end)
        payload, filename = await asyncio.to_thread(export.workbook, period, members, rows), f"{name}.xlsx"
    caption = texts.meetings.EXPORT_CAPTION.format(org=render.escape(period.org.name), start=_day(start), end=_day(end))
    await bot.send_document(query.from_user.id, BufferedInputFile(payload, filename=filename), caption=caption)
    await query.answer()


def build() -> Router:
    router = Router(name="meetings.statistics")
    router.callback_query.register(show_org_stats, StatsButton.filter(F.action == StatsAction.SHOW))
    router.callback_query.register(member_stats, StatsButton.filter(F.action == StatsAction.MEMBERS))
    router.callback_query.register(export_stats, StatsButton.filter(F.action.in_({StatsAction.CSV, StatsAction.XLSX})))
    return router
