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


async def refresh_figures(session: AsyncSession, context: TickContext) -> int:
    """Recompute the stored monthly figures (core.reporting.figures): the current month every
    ten minutes, and the previous month until it has settled (ten days after its end). One
    instance at a time per month; returns the rows stored."""
    current = figures.local_month(context.now)
    stored = 0
    for month in (figures.add_months(current, -1), current):
        if month != current and await figures.is_settled(session, month):
            continue
        stored += await figures.refresh_month(session, month=month, now=context.now) or 0
    return stored
