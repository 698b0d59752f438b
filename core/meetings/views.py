"""Meetings: what people see (a member's upcoming meetings, a leader's cards and lists, the usual schedule)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import flush_pending
from core.meetings import dates
from core.meetings.access import (
    INVITATION_COLUMNS,
    INVITATIONS,
    MEETING_COLUMNS,
    MEETINGS,
    documents_of,
    facts_of,
    managed_meeting,
    require_leads,
)
from core.meetings.common import UPCOMING_GRACE, AnswerLine, InvitationFacts, MeetingCard, MeetingFacts
from core.meetings.creating import eligible_members
from core.meetings.models import (
    Invitation,
    Meeting,
    MeetingKind,
    MeetingStatus,
    RecurrenceRule,
)
from core import audit
from core.audit import AuditEvent
from core.orgs.models import Member, Org
from core.orgs.service import Actor, get_org


# Built once, on the tables' columns (rows, no ORM objects): 📅 Lịch họp runs it on every press.
_PARTS = (
    select(literal_column("0").label("part"), *INVITATION_COLUMNS, *MEETING_COLUMNS)
    .select_from(INVITATIONS.join(MEETINGS, MEETINGS.c.id == INVITATIONS.c.meeting_id))
    .where(INVITATIONS.c.member_id == bindparam("member_id"))
)
# The member's coming meetings, soonest first (`limit` of them)…
_UPCOMING = (
    _PARTS.where(MEETINGS.c.status == MeetingStatus.SCHEDULED, MEETINGS.c.starts_at > bindparam("since"))
    .order_by(MEETINGS.c.starts_at, MEETINGS.c.id).limit(bindparam("limit"))
)
# … and the latest meeting they were invited to that has conclusions: both in one round trip.
_LAST_CONCLUSIONS = (
    _PARTS.with_only_columns(literal_column("1").label("part"), *INVITATION_COLUMNS, *MEETING_COLUMNS)
    .where(MEETINGS.c.conclusions_sent_at.is_not(None)).order_by(MEETINGS.c.starts_at.desc()).limit(1)
)
_MEMBER_MENU = union_all(select(_UPCOMING.subquery()), select(_LAST_CONCLUSIONS.subquery()))


@dataclass(frozen=True)
class MemberMeetings:
    upcoming: list[tuple[MeetingFacts, InvitationFacts]]  # soonest first
    last_conclusions: tuple[MeetingFacts, InvitationFacts] | None


async def member_meetings(session: AsyncSession, *, actor: Actor, now: dt.datetime, limit: int = 5) -> MemberMeetings:
    """What 📅 Lịch họp shows a member, in one query: their coming meetings (still shown for
    UPCOMING_GRACE after the start) with their invitation, and the latest meeting they were invited
    to that has conclusions."""
    await flush_pending(session)
    rows = await session.execute(_MEMBER_MENU, {"member_id": actor.member.id, "since": now - UPCOMING_GRACE, "limit": limit})
    upcoming: list[tuple[MeetingFacts, InvitationFacts]] = []
    last = None
    for row in rows:
        invitation, meeting = facts_of(row[1:])
        if row[0] == 0:
            upcoming.append((meeting, invitation))
        else:
            last = (meeting, invitation)
    upcoming.sort(key=lambda pair: (pair[0].starts_at, pair[0].id))  # a UNION keeps no order
    return MemberMeetings(upcoming=upcoming, last_conclusions=last)


async def upcoming_for_member(
    session: AsyncSession, *, actor: Actor, now: dt.datetime, limit: int = 5
) -> list[tuple[MeetingFacts, InvitationFacts]]:
    return (await member_meetings(session, actor=actor, now=now, limit=limit)).upcoming



async def cell_meetings(session: AsyncSession, *, actor: Actor, cell_id: int, now: dt.datetime, past: int = 5) -> list[Meeting]:
    """For the secretary: every coming meeting (soonest first), then the latest past ones."""
    cell = await get_org(session, cell_id)
    require_leads(actor, cell)
    coming = (
        await session.execute(
            select(Meeting).where(Meeting.cell_id == cell.id, Meeting.starts_at >= now, Meeting.status != MeetingStatus.CANCELLED)
            .order_by(Meeting.starts_at).limit(20)
        )
    ).scalars().all()
    earlier = (
        await session.execute(
            select(Meeting).where(Meeting.cell_id == cell.id, (Meeting.starts_at < now) | (Meeting.status == MeetingStatus.CANCELLED))
            .order_by(Meeting.starts_at.desc()).limit(past)
        )
    ).scalars().all()
    return [*coming, *earlier]



async def meeting_card(session: AsyncSession, *, actor: Actor, meeting_id: int) -> MeetingCard:
    meeting, cell = await managed_meeting(session, actor=actor, meeting_id=meeting_id)
    rule = await session.get(RecurrenceRule, meeting.rule_id) if meeting.rule_id else None
    return MeetingCard(
        meeting=meeting, cell=cell, documents=await documents_of(session, meeting.id), rule=rule,
        answers=await answer_lines(session, meeting_id=meeting.id),
    )



async def answer_lines(session: AsyncSession, *, meeting_id: int) -> list[AnswerLine]:
    rows = await session.execute(
        select(Invitation, Member.full_name).join(Member, Member.id == Invitation.member_id)
        .where(Invitation.meeting_id == meeting_id).order_by(Member.full_name, Member.id)
    )
    return [AnswerLine(invitation=invitation, name=name) for invitation, name in rows.all()]



async def usual_schedule(session: AsyncSession, *, cell_id: int) -> tuple[int | None, dt.time | None, list[str]]:
    """What the cell usually does: the last regular meeting's day of month and time, recent places."""
    last = (
        await session.execute(
            select(Meeting).where(Meeting.cell_id == cell_id, Meeting.status != MeetingStatus.CANCELLED, Meeting.kind == MeetingKind.REGULAR)
            .order_by(Meeting.starts_at.desc()).limit(1)
        )
    ).scalar_one_or_none()
    recent = (
        await session.execute(
            select(Meeting.place, func.max(Meeting.starts_at).label("last")).where(Meeting.cell_id == cell_id)
            .group_by(Meeting.place).order_by(func.max(Meeting.starts_at).desc()).limit(3)
        )
    ).all()
    places = [place for place, _ in recent]
    if last is None:
        latest = (
            await session.execute(select(Meeting).where(Meeting.cell_id == cell_id).order_by(Meeting.starts_at.desc()).limit(1))
        ).scalar_one_or_none()
        return None, dates.local(latest.starts_at).time().replace(tzinfo=None) if latest else None, places
    at = dates.local(last.starts_at)
    return at.day, at.time().replace(tzinfo=None), places



async def invited_count(session: AsyncSession, *, cell: Org, kind: MeetingKind) -> int:
    return len(await eligible_members(session, cell=cell, kind=kind))



async def meeting_invitee_count(session: AsyncSession, meeting_id: int) -> int:
    return int((await session.execute(select(func.count(Invitation.id)).where(Invitation.meeting_id == meeting_id))).scalar_one())



CONCLUSIONS_SEEN = "meeting.conclusions_seen"


async def note_conclusions_seen(session: AsyncSession, *, actor: Actor, meeting_id: int, now: dt.datetime) -> None:
    """A member was shown a meeting's conclusions (📅 Lịch họp shows the latest): recorded once, so a
    trainer (or a secretary's figures one day) can tell they were read, not only sent."""
    seen = await session.scalar(select(AuditEvent.id).where(AuditEvent.action == CONCLUSIONS_SEEN,
                                                            AuditEvent.actor_member_id == actor.member.id,
                                                            AuditEvent.target == str(meeting_id)).limit(1))
    if seen is None:
        await audit.record(session, CONCLUSIONS_SEEN, actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=actor.cell.id,
                           target=str(meeting_id), at=now)
