"""Meetings: who leads which cell, what a value must be, and loading a meeting or an invitation for whoever asks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.db import flush_pending
from core.delivery.outbox import Recipient, chats_of
from core.errors import Conflict, InvalidInput, NotFound
from core.meetings import dates
from core.meetings import documents as docs
from core.meetings.common import (
    MAX_AGENDA_CHARS,
    MAX_AHEAD,
    MAX_PLACE_CHARS,
    MAX_VOICE_SECONDS,
    InvitationFacts,
    InvitationView,
    MeetingFacts,
)
from core.meetings.models import (
    DocumentKind,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingStatus,
)
from core.orgs.models import ChannelLink, Member, Org, OrgKind, OrgRole, RoleKind
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



def _require_answerable(meeting: Meeting | MeetingFacts, now: dt.datetime) -> None:
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



# ---------------------------------------------------------------- a member's own invitation, as rows
#
# The member's hottest presses (📅 Lịch họp, ✅ Tôi sẽ dự họp, a reason for leave) read and write
# through these Core statements on the tables' columns: no ORM objects, identity map or unit of work.

INVITATIONS = cast(Table, Invitation.__table__)
MEETINGS = cast(Table, Meeting.__table__)
_ORGS = cast(Table, Org.__table__)
_DOCUMENTS = cast(Table, MeetingDocument.__table__)

# In the order of InvitationFacts' and MeetingFacts' fields.
INVITATION_COLUMNS = tuple(INVITATIONS.c[name] for name in InvitationFacts.__dataclass_fields__)
MEETING_COLUMNS = tuple(MEETINGS.c[name] for name in MeetingFacts.__dataclass_fields__)
_SPLIT = len(INVITATION_COLUMNS)
_END = _SPLIT + len(MEETING_COLUMNS)


def facts_of(row: Row[Any] | Sequence[Any]) -> tuple[InvitationFacts, MeetingFacts]:
    """An invitation's and its meeting's facts from a row that starts with INVITATION_COLUMNS, MEETING_COLUMNS."""
    return InvitationFacts(*row[:_SPLIT]), MeetingFacts(*row[_SPLIT:_END])


_OWN_INVITATION_VIEW = (
    select(
        *INVITATION_COLUMNS, *MEETING_COLUMNS, _ORGS.c.name, _ORGS.c.show_lunar_date,
        select(func.count()).select_from(_DOCUMENTS).where(_DOCUMENTS.c.meeting_id == MEETINGS.c.id).scalar_subquery(),
    )
    .select_from(INVITATIONS.join(MEETINGS, MEETINGS.c.id == INVITATIONS.c.meeting_id).join(_ORGS, _ORGS.c.id == MEETINGS.c.cell_id))
    .where(INVITATIONS.c.id == bindparam("invitation_id"))
)


async def own_invitation_view(session: AsyncSession, *, actor: Actor, invitation_id: int) -> InvitationView:
    """The member's own invitation with its meeting, the cell's name and lunar setting and the
    meeting's document count, in one query. Anyone else's: refused as `actor.refusal` says."""
    await flush_pending(session)
    row = (await session.execute(_OWN_INVITATION_VIEW, {"invitation_id": invitation_id})).first()
    if row is None:
        raise NotFound(texts.common.NOT_FOUND)
    invitation, meeting = facts_of(row)
    if invitation.member_id != actor.member.id:
        raise actor.refusal(await get_org(session, meeting.cell_id), texts.meetings.NOT_YOUR_INVITATION)
    cell_name, show_lunar, document_count = row[_END:]
    return InvitationView(invitation=invitation, meeting=meeting, cell_name=cell_name, show_lunar=bool(show_lunar), document_count=document_count)


_ROLES = cast(Table, OrgRole.__table__)
_MEMBERS = cast(Table, Member.__table__)
_LINKS = cast(Table, ChannelLink.__table__)
_LEADERS_WITH_CHATS = (
    select(_ROLES.c.member_id, _LINKS.c.platform, _LINKS.c.chat_id, _LINKS.c.linked_at, _LINKS.c.unreachable_since, _MEMBERS.c.preferred_channel)
    .select_from(
        _ROLES.join(_MEMBERS, _MEMBERS.c.id == _ROLES.c.member_id).outerjoin(_LINKS, _LINKS.c.member_id == _ROLES.c.member_id)
    )
    .where(_ROLES.c.org_id == bindparam("cell_id"), _ROLES.c.role.in_((RoleKind.SECRETARY, RoleKind.DEPUTY)), _MEMBERS.c.active)
)


async def leaders_with_chats(session: AsyncSession, cell_id: int, *, besides: int) -> tuple[list[int], dict[int, Recipient]]:
    """`leaders_of` the cell but `besides` (the member asking), with the chat each is reached on
    (`core.delivery.outbox.chats_of`: a leader with no account has none), in one query."""
    rows = [row for row in (await session.execute(_LEADERS_WITH_CHATS, {"cell_id": cell_id})).all() if row[0] != besides]
    return sorted({row[0] for row in rows}), chats_of(rows)


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

