"""Periodic work of the resolutions domain, run by the tick runner (core.ticks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from core.resolutions import study

if TYPE_CHECKING:
    from core.tick_context import TickContext


async def enqueue_study_reminders(session: AsyncSession, context: TickContext) -> int:
    """Remind members of open study campaigns who have not finished, before the deadline: each
    (campaign, member, reminder kind) at most once, even with two instances ticking at once."""
    return await study.enqueue_study_reminders(session, now=context.now, tz=context.tz)
