"""Periodic work of monthly figures and reports, run by the tick runner (core.ticks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from core.reporting import figures, reports

if TYPE_CHECKING:
    from core.tick_context import TickContext


# The first days of a month: last month's reports are drafted for every cell that has none.
DRAFT_DAYS = range(1, 6)


async def draft_monthly_reports(session: AsyncSession, context: TickContext) -> int:
    """Draft last month's report for every cell without one (and tell its secretary), early in the
    month. Idempotent: (cell, month) is unique, so a second tick or instance drafts nothing."""
    today = context.now.astimezone(context.tz).date()
    if today.day not in DRAFT_DAYS:
        return 0
    month = figures.add_months(today.replace(day=1), -1)
    if await reports.count_missing(session, month=month) == 0:
        return 0
    return await reports.draft_reports(session, month=month, now=context.now)


async def keep_figures(session: AsyncSession, context: TickContext) -> int:
    """Keep the stored monthly figures' months (core.reporting.figures, `keep_months`): the
    window moves with the calendar, one month built per tick. The figures themselves are kept
    exact by the transactions that change them, not by this job. Returns the rows built."""
    return await figures.keep_months(session, now=context.now)
