"""Periodic work, asked for on every tick. APScheduler only ticks; what is due lives in tables.

The registry of every domain's jobs, so it stands above all the domains (core.scheduling included:
it is one of them, with the reminder rules other domains build on). Nothing in core imports it.

Each job runs in its own transaction (committed by the tick runner, the edge), returns how
many things it did, and must be safe to run twice at once on two instances: unique keys
in the tables decide, never timing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import rows_affected
from core.meetings import scheduled as meetings_scheduled
from core.orgs.models import ProcessedUpdate
from core.recordings import audio_cache
from core.recordings import scheduled as recordings_scheduled
from core.reporting import scheduled as reporting_scheduled
from core.resolutions import scheduled as resolutions_scheduled
from core.scheduling import reminders
from core.tick_context import TickContext  # here too for the jobs' callers (sotay.scheduler, tests)
from core.votes import review as votes_review
from core.votes import service as votes_service

TickJob = Callable[[AsyncSession, TickContext], Awaitable[int]]

PROCESSED_UPDATE_RETENTION = dt.timedelta(days=2)


async def prune_processed_updates(session: AsyncSession, context: TickContext) -> int:
    """Telegram redelivers for at most a day; older update ids need not be remembered."""
    result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < context.now - PROCESSED_UPDATE_RETENTION))
    return rows_affected(result)


# Jobs that work in bounded batches (one transaction each, so two schedulers split the work): the
# tick runner runs them again while they still find work, within one tick's time, so 100,000
# reminders due at once are queued in one tick, not five ticks 15 s apart.
DRAINED = frozenset({"send_due_reminders", "prune_reminders"})


def tick_jobs() -> list[tuple[str, TickJob]]:
    """Every periodic job, in order. Domains add theirs here (one line each)."""
    return [
        ("prune_processed_updates", prune_processed_updates),
        # Plan before sending, so a meeting moved a moment ago reminds at its new time.
        ("plan_reminders", reminders.plan_reminders),
        # A committee's new reminder defaults, a batch of its cells per tick.
        ("replan_committee_changes", reminders.replan_committee_changes),
        ("send_due_reminders", reminders.send_due_reminders),
        ("prune_reminders", reminders.prune_reminders),
        # Study-deadline reminders: the study domain's job goes here, built on core.scheduling.study.
        ("enqueue_study_reminders", resolutions_scheduled.enqueue_study_reminders),
        ("draft_monthly_reports", reporting_scheduled.draft_monthly_reports),
        ("keep_figures", reporting_scheduled.keep_figures),
        ("create_recurring_meetings", meetings_scheduled.create_recurring_meetings),
        ("remind_to_record", recordings_scheduled.remind_to_record),
        # The synthetic voice's audio cache within SOTAY_VOICE_CACHE_MAX_MB (every 10 minutes, a shared watermark).
        ("prune_audio_cache", audio_cache.prune_audio_cache),
        ("close_due_votes", votes_service.close_due_votes),
        ("remind_self_assessment", votes_review.remind_self_assessment),
    ]
