"""📘 Báo cáo năm sent up (core.reporting.annual_sent): the organisation's leaders send it from the annual
report's screen, the committee directly above is told and acknowledges it, the sender is told.

Callback data `ra:<action>:<org_id>:<year>:<version>`: send | open | ack (the version read: acknowledging
an older one is refused by core and points to the new one). Every id is re-checked by core.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.keyboards_reports import FiguresButton
from bot.routers.reports.common import T, b
from bot.screens import show
from core.clock import Clock
from core.orgs.service import Actor
from core.ports import Button
from core.reporting import annual_sent
from core.reporting.models import AnnualState


class AnnualButton(CallbackData, prefix=annual_sent.ANNUAL_PREFIX):
    action: str
    org_id: int
    year: int
    version: int = 0


def send_button(org_id: int, year: int, *, again: bool) -> Button:
    """«📤 Gửi báo cáo năm lên cấp trên» (or «Gửi lại») under the annual report, for those who may send it."""
    return b(T.BTN_ANNUAL_RESEND if again else T.BTN_ANNUAL_SEND, AnnualButton(action="send", org_id=org_id, year=year))


def _sent_markup(view: annual_sent.SentView, actor: Actor) -> InlineKeyboardMarkup:
    org_id, year = view.org.id, view.sent.year
    rows: list[tuple[Button, ...]] = []
    if annual_sent.may_acknowledge(actor, view.org) and view.sent.state == AnnualState.SENT:
        rows.append((b(T.BTN_ANNUAL_ACK, AnnualButton(action="ack", org_id=org_id, year=year, version=view.sent.version)),))
    rows.append((b(T.BTN_ANNUAL, FiguresButton(action="year", org_id=org_id, month=year)),))
    return kb.inline(rows)


async def send_annual(query: CallbackQuery, callback_data: AnnualButton, session: AsyncSession, actor: Actor, clock: Clock,
                      bot: Bot) -> None:
    view = await annual_sent.send(session, actor=actor, org_id=callback_data.org_id, year=callback_data.year, now=clock.now())
    await show(query, bot, annual_sent.sent_text(view), _sent_markup(view, actor))
    await query.answer(T.ANNUAL_SENT.format(year=view.sent.year, version=view.sent.version))


async def open_sent(query: CallbackQuery, callback_data: AnnualButton, session: AsyncSession, actor: Actor, clock: Clock,
                    bot: Bot) -> None:
    view = await annual_sent.sent_report(session, actor=actor, org_id=callback_data.org_id, year=callback_data.year, now=clock.now())
    await show(query, bot, annual_sent.sent_text(view), _sent_markup(view, actor))
    await query.answer()


async def acknowledge(query: CallbackQuery, callback_data: AnnualButton, session: AsyncSession, actor: Actor, clock: Clock,
                      bot: Bot) -> None:
    view = await annual_sent.acknowledge(session, actor=actor, org_id=callback_data.org_id, year=callback_data.year,
                                         version=callback_data.version, now=clock.now())
    await show(query, bot, annual_sent.sent_text(view), _sent_markup(view, actor))
    await query.answer(T.ANNUAL_ACKNOWLEDGED)
