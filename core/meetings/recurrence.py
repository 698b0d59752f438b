"""Meetings: monthly rules (a regular meeting repeated on a day of the month)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.errors import NotFound
from core.meetings import dates, events
from core.meetings.access import require_leads
from core.meetings.creating import _new_meeting, invite
from core.meetings.models import (
    Meeting,
    MeetingStatus,
    RecurrenceRule,
)
from core.orgs.service import Actor, get_org


async def cell_rules(session: AsyncSession, *, actor: Actor, cell_id: int) -> list[RecurrenceRule]:
    cell = await get_org(session, cell_id)
    require_leads(actor, cell)
    query = select(RecurrenceRule).where(RecurrenceRule.cell_id == cell.id, RecurrenceRule.active).order_by(RecurrenceRule.id)
    return list((await session.execute(query)).scalars())



async def stop_rule(session: AsyncSession, *, actor: Actor, rule_id: int, now: dt.datetime) -> RecurrenceRule:
    rule = await session.get(RecurrenceRule, rule_id)
    if rule is None:
        raise NotFound(texts.meetings.RULE_NOT_FOUND)
    cell = await get_org(session, rule.cell_id)
    require_leads(actor, cell)
    rule.active = False
    rule.stopped_at = now
    await session.flush()
    await audit.record(session, "meeting_rule.stopped", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=cell.id, target=f"meeting_rule:{rule.id}", at=now)
    return rule



def next_occurrence(rule: RecurrenceRule, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The rule's next local date and its start (UTC) strictly after now."""
    today = dates.local(now).date()
    day = dates.next_monthly(rule.day_of_month, today)
    starts = dates.to_utc(day, rule.local_time)
    if starts <= now:
        day = dates.next_monthly(rule.day_of_month, day + dt.timedelta(days=1))
        starts = dates.to_utc(day, rule.local_time)
    return day, starts



async def create_occurrence(session: AsyncSession, *, rule: RecurrenceRule, day: dt.date, starts_at: dt.datetime, now: dt.datetime) -> Meeting | None:
    """The rule's meeting for one date, with its invitations; None when it exists already."""
    exists = await session.scalar(select(Meeting.id).where(Meeting.rule_id == rule.id, Meeting.occurrence_on == day))
    if exists is not None:
        return None
    # The secretary already set up a meeting of this kind that day by hand: that one is this month's.
    low, high = dates.to_utc(day, dt.time(0, 0)), dates.to_utc(day + dt.timedelta(days=1), dt.time(0, 0))
    same_day = await session.scalar(
        select(Meeting.id).where(
            Meeting.cell_id == rule.cell_id, Meeting.kind == rule.kind, Meeting.status != MeetingStatus.CANCELLED,
            Meeting.starts_at >= low, Meeting.starts_at < high,
        )
    )
    if same_day is not None:
        return None
    cell = await get_org(session, rule.cell_id)
    meeting = await _new_meeting(
        session, cell=cell, kind=rule.kind, starts_at=starts_at, place=rule.place, agenda=rule.agenda,
        created_by_id=rule.created_by_id, rule=rule, occurrence_on=day, now=now,
    )
    await invite(session, meeting=meeting, cell=cell, now=now)
    await events.publish(session, meeting, events.MeetingEvent.CREATED)
    return meeting

