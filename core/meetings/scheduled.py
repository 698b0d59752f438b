"""Periodic work: each monthly rule creates its next meeting (with invitations) ahead of time.

Safe to run twice at once: (rule, occurrence date) is unique, and each occurrence is created
inside a savepoint, so a second instance racing for the same one simply finds it done.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.meetings import service
from core.meetings.models import RecurrenceRule

if TYPE_CHECKING:
    from core.tick_context import TickContext

log = logging.getLogger(__name__)

# An occurrence is created, and its invitations sent, this long before it: members have time to
# arrange their days, and the secretary still has time to edit the agenda or add documents.
LEAD_TIME = dt.timedelta(days=10)


async def create_recurring_meetings(session: AsyncSession, context: TickContext) -> int:
    rules = (await session.execute(select(RecurrenceRule).where(RecurrenceRule.active).order_by(RecurrenceRule.id))).scalars().all()
    created = 0
    for rule in rules:
        day, starts_at = service.next_occurrence(rule, context.now)
        if starts_at - context.now > LEAD_TIME:
            continue
        try:
            async with session.begin_nested():
                meeting = await service.create_occurrence(session, rule=rule, day=day, starts_at=starts_at, now=context.now)
        except IntegrityError:
            log.info("meeting rule %s: occurrence %s created concurrently", rule.id, day)
            continue
        if meeting is not None:
            created += 1
    return created
