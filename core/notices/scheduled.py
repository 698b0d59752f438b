"""Periodic work of notices: the author's status message follows the sending, then the report."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.notices import service
from core.tick_context import TickContext


async def refresh_notice_progress(session: AsyncSession, context: TickContext) -> int:
    return await service.refresh_progress(session, now=context.now)
