"""📘 Báo cáo năm: the year's figures and the year's ratings (core.reporting.annual), with CSV and Excel.

Reached from 📈 Số liệu tổng hợp (its «📘 Báo cáo năm» button). Where the report stands with the committee
above is shown under it, with «📤 Gửi báo cáo năm lên cấp trên» for the organisation's own leaders
(annual_sent_screens.py). The buttons are figures buttons
(`rf:<action>:<org_id>:<yyyy>`) whose last number is the year: year | ycsv | yxlsx.
"""

from __future__ import annotations

import html

from aiogram import Bot
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.keyboards_reports import FiguresButton
from bot.routers.reports import annual_sent_screens as sent_screens
from bot.routers.reports.common import T, b
from bot.screens import show
from core.clock import Clock
from core.orgs.service import Actor
from core.orgs.models import OrgKind
from core.ports import Button
from core.reporting import annual, annual_sent, export, figures
from core.reporting.models import AnnualReportSent, AnnualState


MAX_WAITING_BUTTONS = 8


def _waiting_rows(box: annual_sent.Received | None) -> list[tuple[Button, ...]]:
    """A committee's sub-organisations whose report waits for its acknowledgement: one button each (the first few)."""
    waiting = [(child, row) for child, row in (box.children if box else []) if row is not None and row.state == AnnualState.SENT]
    return [(b(T.BTN_OPEN_REPORT.format(cell=child.name), sent_screens.AnnualButton(action="open", org_id=child.id, year=row.year)),)
            for child, row in waiting[:MAX_WAITING_BUTTONS]]


def annual_markup(report: annual.AnnualReport, last_year: int, actor: Actor, sent: AnnualReportSent | None,
                  box: annual_sent.Received | None = None) -> InlineKeyboardMarkup:
    org_id, year = report.org.id, report.year
    nav = [b(T.BTN_PREV_YEAR, FiguresButton(action="year", org_id=org_id, month=year - 1))] if year > annual.FIRST_YEAR else []
    if year < last_year:
        nav.append(b(T.BTN_NEXT_YEAR, FiguresButton(action="year", org_id=org_id, month=year + 1)))
    rows: list[tuple[Button, ...]] = [tuple(nav)] if nav else []
    rows.append((b(T.BTN_CSV, FiguresButton(action="ycsv", org_id=org_id, month=year)),
                 b(T.BTN_XLSX, FiguresButton(action="yxlsx", org_id=org_id, month=year))))
    if annual_sent.may_send(actor, report.org):
        rows.append((sent_screens.send_button(org_id, year, again=sent is not None),))
    if sent is not None:
        rows.append((b(T.BTN_ANNUAL_OPEN_SENT, sent_screens.AnnualButton(action="open", org_id=org_id, year=year)),))
    rows += _waiting_rows(box)
    rows.append((b(T.BTN_BACK_FIGURES, FiguresButton(action="show", org_id=org_id, month=0)),))
    return kb.inline(rows)


async def _report(callback_data: FiguresButton, session: AsyncSession, actor: Actor, clock: Clock) -> annual.AnnualReport:
    """The button's year (0: the default one); a year out of range is refused politely by core."""
    year = callback_data.month or annual.default_year(clock.now())
    return await annual.annual_report(session, actor=actor, org_id=callback_data.org_id, year=year, now=clock.now())


async def _received(session: AsyncSession, actor: Actor, report: annual.AnnualReport) -> annual_sent.Received | None:
    if report.org.kind != OrgKind.COMMITTEE:
        return None
    return await annual_sent.received(session, actor=actor, org_id=report.org.id, year=report.year)


async def show_annual(query: CallbackQuery, callback_data: FiguresButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    """The year's report, where it stands with the committee above, and (a committee) what arrived from below."""
    report = await _report(callback_data, session, actor, clock)
    sent = await annual_sent.status(session, org=report.org, year=report.year)
    box = await _received(session, actor, report)
    text = annual.annual_text(report) + "\n\n" + annual_sent.status_line(sent, report.year)
    if box is not None and box.children:
        text += "\n" + T.ANNUAL_RECEIVED_LINE.format(sent=box.sent, total=len(box.children))
    await show(query, bot, text, annual_markup(report, figures.local_month(clock.now()).year, actor, sent, box))
    await query.answer()


async def send_annual_file(query: CallbackQuery, callback_data: FiguresButton, session: AsyncSession, actor: Actor, clock: Clock,
                           bot: Bot) -> None:
    """«CSV» or «Excel» of the annual report."""
    report = await _report(callback_data, session, actor, clock)
    name = T.ANNUAL_FILENAME.format(org=report.org.id, year=report.year)
    if callback_data.action == "ycsv":
        payload, filename = export.annual_csv(report), f"{name}.csv"
    else:
        payload, filename = await export.annual_workbook(session, report), f"{name}.xlsx"
    await query.answer()
    await bot.send_document(query.from_user.id, BufferedInputFile(payload, filename=filename),
                            caption=T.ANNUAL_CAPTION.format(org=html.escape(report.org.name), year=report.year))
