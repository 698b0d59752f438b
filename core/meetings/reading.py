"""Meetings: reading for the API (a viewer's meetings, documents, attendance)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.errors import NotFound, PermissionDenied
from core.meetings.access import _load
from core.meetings.models import (
    Attendance,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingStatus,
)
from core.orgs.models import Org
from core.orgs.service import Actor, get_org, in_subtree


@dataclass(frozen=True)
class MeetingAccess:
    meeting: Meeting
    cell: Org
    manages: bool  # sees every invitation; otherwise only the caller's own
    own_invitation: Invitation | None



async def meeting_for_viewer(session: AsyncSession, *, actor: Actor, meeting_id: int) -> MeetingAccess:
    """Leaders of the cell (and committees above) see everything; an invitee sees the meeting and their answer."""
    meeting, cell = await _load(session, meeting_id)
    own = (
        await session.execute(select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == actor.member.id))
    ).scalar_one_or_none()
    manages = actor.leads_cell(cell) or actor.manages(cell)
    if not manages and own is None:
        raise actor.refusal(cell, texts.meetings.MEETING_NOT_VISIBLE)
    return MeetingAccess(meeting=meeting, cell=cell, manages=manages, own_invitation=own)



async def document_for_viewer(session: AsyncSession, *, actor: Actor, meeting_id: int, document_id: int) -> MeetingDocument:
    """One of a meeting's documents, for whoever may see the meeting (invitees, leaders of the cell,
    committees above). Anyone else, and a document of another meeting, are told it does not exist."""
    try:
        await meeting_for_viewer(session, actor=actor, meeting_id=meeting_id)
    except PermissionDenied:
        raise NotFound(texts.common.NOT_FOUND) from None
    document = await session.get(MeetingDocument, document_id)
    if document is None or document.meeting_id != meeting_id:
        raise NotFound(texts.common.NOT_FOUND)
    return document



async def list_meetings(
    session: AsyncSession,
    *,
    actor: Actor,
    org_id: int | None = None,
    starts_from: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
    status: MeetingStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Meeting], int]:
    """Meetings the caller may see, soonest first: all of the subtrees they manage, and any they are invited to."""
    invited = select(Invitation.meeting_id).where(Invitation.member_id == actor.member.id)
    managed = actor.managed_orgs
    query = select(Meeting).join(Org, Org.id == Meeting.cell_id)
    if org_id is not None:
        org = await get_org(session, org_id)
        if actor.manages(org):
            query = query.where(in_subtree(org.path))
        elif actor.can_view(org):
            query = query.where(in_subtree(org.path), Meeting.id.in_(invited))
        else:
            raise NotFound(texts.common.NOT_FOUND)
    else:
        conditions = [in_subtree(org.path) for org in managed]
        conditions.append(Meeting.id.in_(invited))
        query = query.where(or_(*conditions))
    if starts_from is not None:
        query = query.where(Meeting.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(Meeting.starts_at < starts_before)
    if status is not None:
        query = query.where(Meeting.status == status)
    total = int((await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one())
    rows = (await session.execute(query.order_by(Meeting.starts_at, Meeting.id).limit(limit).offset(offset))).scalars().all()
    return list(rows), total



async def attendance_of(session: AsyncSession, meeting_id: int) -> dict[int, bool]:
    rows = await session.execute(select(Attendance.member_id, Attendance.present).where(Attendance.meeting_id == meeting_id))
    return {member_id: present for member_id, present in rows}



async def own_invitation_id(session: AsyncSession, *, actor: Actor, meeting_id: int) -> int:
    """The caller's invitation to a meeting (answering through the API)."""
    _, cell = await _load(session, meeting_id)
    found = await session.scalar(select(Invitation.id).where(Invitation.meeting_id == meeting_id, Invitation.member_id == actor.member.id))
    if found is None:
        raise actor.refusal(cell, texts.meetings.NOT_INVITED_YOU)
    return int(found)

