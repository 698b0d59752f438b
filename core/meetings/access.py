"""Meetings: who leads which cell, what a value must be, and loading a meeting or an invitation for whoever asks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.errors import Conflict, InvalidInput, NotFound
from core.meetings import dates
from core.meetings import documents as docs
from core.meetings.common import MAX_AGENDA_CHARS, MAX_AHEAD, MAX_PLACE_CHARS, MAX_VOICE_SECONDS
from core.meetings.models import (
    DocumentKind,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingStatus,
)
from core.orgs.models import Member, Org, OrgKind, OrgRole, RoleKind
from core.orgs.service import Actor, get_org


def require_leads(actor: Actor, cell: Org) -> None:
    if not actor.leads_cell(cell):
        raise actor.refusal(cell, texts.meetings.NOT_LEADER)



def manageable_cells(actor: Actor) -> list[Org]:
    """Cells this person runs meetings for in the bot: the cells they are secretary or deputy of,
    and their own cell when a committee above it lets them lead it."""
    cells: dict[int, Org] = {}
    if actor.leads_cell(actor.cell):
        cells[actor.cell.id] = actor.cell
    for role, org in actor.roles:
        if org.kind == OrgKind.CELL and role in (RoleKind.SECRETARY, RoleKind.DEPUTY):
            cells.setdefault(org.id, org)
    return list(cells.values())



def validate_starts_at(starts_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    starts_at = starts_at.astimezone(dt.timezone.utc).replace(second=0, microsecond=0)
    if starts_at <= now:
        raise InvalidInput(texts.meetings.DATE_PAST.format(when=dates.format_when(starts_at)))
    if starts_at > now + MAX_AHEAD:
        raise InvalidInput(texts.meetings.DATE_TOO_FAR)
    return starts_at



def clean_place(place: str | None) -> str:
    cleaned = " ".join((place or "").split())
    if not cleaned:
        raise InvalidInput(texts.meetings.PLACE_EMPTY)
    if len(cleaned) > MAX_PLACE_CHARS:
        raise InvalidInput(texts.meetings.PLACE_TOO_LONG.format(limit=MAX_PLACE_CHARS))
    return cleaned



def clean_agenda(agenda: str | None, *, required: bool = False) -> str:
    cleaned = (agenda or "").strip()
    if not cleaned and required:
        raise InvalidInput(texts.meetings.AGENDA_EMPTY)
    if len(cleaned) > MAX_AGENDA_CHARS:
        raise InvalidInput(texts.meetings.AGENDA_TOO_LONG.format(length=len(cleaned), limit=MAX_AGENDA_CHARS))
    return cleaned



def _check_uploads(uploads: Sequence[docs.DocumentUpload], already: int = 0) -> None:
    if already + len(uploads) > docs.MAX_DOCUMENTS:
        raise InvalidInput(texts.meetings.TOO_MANY_DOCUMENTS.format(limit=docs.MAX_DOCUMENTS))
    for upload in uploads:
        if upload.kind == DocumentKind.DOCUMENT:
            docs.check_metadata(upload.filename, upload.size)
        elif upload.size > docs.MAX_DOCUMENT_BYTES:
            docs.check_metadata(upload.filename or "anh.jpg", upload.size)



def _check_voice(duration: int | None) -> None:
    if duration is not None and duration > MAX_VOICE_SECONDS:
        raise InvalidInput(texts.meetings.VOICE_TOO_LONG.format(limit=MAX_VOICE_SECONDS // 60))



def _require_editable(meeting: Meeting, now: dt.datetime) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(texts.meetings.MEETING_CANCELLED)
    if meeting.status == MeetingStatus.HELD or now >= meeting.starts_at:
        raise Conflict(texts.meetings.MEETING_STARTED)



def _require_answerable(meeting: Meeting, now: dt.datetime) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(texts.meetings.MEETING_CANCELLED)
    if meeting.status == MeetingStatus.HELD or now >= meeting.starts_at:
        raise Conflict(texts.meetings.ANSWERS_CLOSED)



async def _load(session: AsyncSession, meeting_id: int, *, for_update: bool = False) -> tuple[Meeting, Org]:
    # Without a lock, a meeting this transaction already loaded comes from the session (no query).
    meeting = await session.get(Meeting, meeting_id, with_for_update=True if for_update else None)
    if meeting is None:
        raise NotFound(texts.common.NOT_FOUND)
    cell = await get_org(session, meeting.cell_id)
    return meeting, cell



async def managed_meeting(session: AsyncSession, *, actor: Actor, meeting_id: int, for_update: bool = False) -> tuple[Meeting, Org]:
    meeting, cell = await _load(session, meeting_id, for_update=for_update)
    require_leads(actor, cell)
    return meeting, cell



async def _invitation(session: AsyncSession, invitation_id: int, *, for_update: bool = False) -> Invitation:
    invitation = await session.get(Invitation, invitation_id, with_for_update=True if for_update else None)
    if invitation is None:
        raise NotFound(texts.common.NOT_FOUND)
    return invitation



_INVITATION_WITH_MEETING = (
    select(Invitation, Meeting).join(Meeting, Meeting.id == Invitation.meeting_id).where(Invitation.id == bindparam("invitation_id"))
)
_INVITATION_WITH_MEETING_LOCKED = _INVITATION_WITH_MEETING.with_for_update(of=Invitation)


async def _own_invitation(
    session: AsyncSession, *, actor: Actor, invitation_id: int, for_update: bool = False
) -> tuple[Invitation, Meeting, Org]:
    """One query for the invitation and its meeting (every RSVP and absence press runs it); without
    a lock, an invitation this transaction already loaded comes from the session (no query). Only the
    invitation's row is locked: answers to one meeting never wait for each other."""
    known = None if for_update else session.identity_map.get(session.identity_key(Invitation, invitation_id))
    if isinstance(known, Invitation):
        invitation = known
        meeting, cell = await _load(session, invitation.meeting_id)
    else:
        query = _INVITATION_WITH_MEETING_LOCKED if for_update else _INVITATION_WITH_MEETING
        row = (await session.execute(query, {"invitation_id": invitation_id})).one_or_none()
        if row is None:
            raise NotFound(texts.common.NOT_FOUND)
        invitation, meeting = row
        cell = await get_org(session, meeting.cell_id)
    if invitation.member_id != actor.member.id:
        raise actor.refusal(cell, texts.meetings.NOT_YOUR_INVITATION)
    return invitation, meeting, cell


_DOCUMENTS_OF = select(MeetingDocument).where(MeetingDocument.meeting_id == bindparam("meeting_id")).order_by(MeetingDocument.id)


async def documents_of(session: AsyncSession, meeting_id: int) -> list[MeetingDocument]:
    return list((await session.execute(_DOCUMENTS_OF, {"meeting_id": meeting_id})).scalars())



async def invitations_of(session: AsyncSession, meeting_id: int) -> list[Invitation]:
    query = select(Invitation).where(Invitation.meeting_id == meeting_id).order_by(Invitation.id)
    return list((await session.execute(query)).scalars())



async def names_of(session: AsyncSession, member_ids: Collection[int]) -> dict[int, str]:
    if not member_ids:
        return {}
    rows = await session.execute(select(Member.id, Member.full_name).where(Member.id.in_(list(member_ids))))
    return {member_id: name for member_id, name in rows}



async def leaders_of(session: AsyncSession, cell: Org) -> list[int]:
    """Who receives absence requests: the cell's active secretary and deputies."""
    query = (
        select(OrgRole.member_id)
        .join(Member, Member.id == OrgRole.member_id)
        .where(OrgRole.org_id == cell.id, OrgRole.role.in_((RoleKind.SECRETARY, RoleKind.DEPUTY)), Member.active)
        .order_by(OrgRole.member_id)
        .distinct()
    )
    return list((await session.execute(query)).scalars())

