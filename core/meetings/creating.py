"""Meetings: creating one, inviting its cell, its documents, overlaps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.delivery.models import OutboxMessage, OutboxState
from core.delivery.outbox import enqueue_many, idempotency_key
from core.errors import InvalidInput
from core.meetings import dates, events, render
from core.meetings import documents as docs
from core.meetings.access import _check_uploads, clean_agenda, clean_place, documents_of, invitations_of, names_of, require_leads, validate_starts_at
from core.meetings.common import KIND_DOCUMENT, KIND_INVITATION, OVERLAP_WINDOW, CreateResult, InviteResult, MeetingOverlap, source_of
from core.meetings.models import (
    DocumentKind,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    RecurrenceRule,
)
from core.orgs.models import Member, Org, OrgRole
from core.orgs.service import Actor, get_org, receives_notices
from core.ports import Attachment, OutboundMessage


async def eligible_members(session: AsyncSession, *, cell: Org, kind: MeetingKind) -> list[tuple[int, bool]]:
    """(member id, obliged) of everyone a meeting of this kind invites.

    Active members of the cell; exempt members only when they chose to receive notices (then not
    obliged to come). A chi ủy meeting invites only the cell committee: members with a role on the cell.
    """
    query = select(Member.id, Member.exempt).where(receives_notices())
    if kind == MeetingKind.COMMITTEE:
        query = query.where(Member.id.in_(select(OrgRole.member_id).where(OrgRole.org_id == cell.id)))
    else:
        query = query.where(Member.org_id == cell.id)
    rows = await session.execute(query.order_by(Member.id))
    return [(member_id, not exempt) for member_id, exempt in rows]



def _invitation_message(meeting: Meeting, cell: Org, invitation: Invitation, document_count: int) -> OutboundMessage:
    return OutboundMessage(
        text=render.invitation_text(
            meeting, cell_name=cell.name, show_lunar=cell.show_lunar_date, document_count=document_count, obliged=invitation.obliged
        ),
        buttons=render.answer_buttons(invitation.id),
    )



def _document_message(meeting: Meeting, document: MeetingDocument) -> OutboundMessage:
    kind: Literal["photo", "document"] = "photo" if document.kind == DocumentKind.PHOTO else "document"
    return OutboundMessage(
        text=render.document_caption(meeting, document),
        # By the platform's id when the secretary sent it in the messenger; with the kept file (and its
        # cache key) whenever there is one, so a rejected id is replaced by uploading the file again.
        attachment=Attachment(
            kind=kind, file_id=document.file_id, filename=document.filename, path=document.file_path,
            cache_key=docs.cache_key_of(document.file_path) if document.file_path else None,
        ),
    )



async def invite(session: AsyncSession, *, meeting: Meeting, cell: Org, now: dt.datetime) -> InviteResult:
    """Invite everyone eligible who is not invited yet, and queue each invitation (and the documents)
    once per member. Safe to call again: nobody is invited or messaged twice."""
    existing = {row for row in (await session.execute(select(Invitation.member_id).where(Invitation.meeting_id == meeting.id))).scalars()}
    new = [(member_id, obliged) for member_id, obliged in await eligible_members(session, cell=cell, kind=meeting.kind) if member_id not in existing]
    for member_id, obliged in new:
        session.add(Invitation(meeting_id=meeting.id, member_id=member_id, obliged=obliged, invited_at=now))
    await session.flush()
    invitations = await invitations_of(session, meeting.id)
    documents = await documents_of(session, meeting.id)
    messages = {inv.member_id: _invitation_message(meeting, cell, inv, len(documents)) for inv in invitations}
    result = await enqueue_many(session, member_ids=list(messages), kind=KIND_INVITATION, source=source_of(meeting.id), message=messages, not_before=now)
    for document in documents:
        await enqueue_many(
            session, member_ids=list(messages), kind=KIND_DOCUMENT, source=source_of(meeting.id),
            message=_document_message(meeting, document), key_suffix=f"doc{document.id}", not_before=now,
        )
    return InviteResult(
        invited=len(invitations), newly_invited=len(new), queued=result.queued, unlinked_member_ids=result.unlinked_member_ids
    )



async def _refresh_pending_invitations(
    session: AsyncSession, *, meeting: Meeting, cell: Org, invitations: Sequence[Invitation], document_count: int
) -> set[int]:
    """Rewrite invitations not sent yet to the meeting as it is now; the member ids whose invitation was refreshed.

    Only rows still pending are touched (a row a worker has claimed is left alone and gets a change notice).
    """
    pending = set(
        (
            await session.execute(
                select(OutboxMessage.member_id).where(
                    OutboxMessage.source == source_of(meeting.id), OutboxMessage.kind == KIND_INVITATION,
                    OutboxMessage.state == OutboxState.PENDING,
                )
            )
        ).scalars()
    )
    refreshed: set[int] = set()
    for invitation in invitations:
        if invitation.member_id not in pending:
            continue
        payload = _invitation_message(meeting, cell, invitation, document_count).to_payload()
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.idempotency_key == idempotency_key(KIND_INVITATION, source_of(meeting.id), invitation.member_id),
                OutboxMessage.state == OutboxState.PENDING,
            )
            .values(payload=payload)
            .returning(OutboxMessage.member_id)
            .execution_options(synchronize_session=False)
        )
        refreshed.update(member_id for member_id in result.scalars() if member_id is not None)
    return refreshed



def _add_documents(session: AsyncSession, meeting: Meeting, uploads: Sequence[docs.DocumentUpload], by: int | None, now: dt.datetime) -> list[MeetingDocument]:
    added = []
    for upload in uploads:
        document = MeetingDocument(
            meeting_id=meeting.id, kind=upload.kind, file_id=upload.file_id, file_path=upload.path, filename=docs.clean_filename(upload.filename),
            mime_type=upload.mime_type, size=upload.size, added_by_id=by, added_at=now,
        )
        session.add(document)
        added.append(document)
    return added



async def overlapping_meetings(
    session: AsyncSession, *, cell_id: int, starts_at: dt.datetime, exclude_id: int | None = None
) -> list[Meeting]:
    """The cell's meetings still to be held whose start is within OVERLAP_WINDOW of `starts_at`."""
    query = select(Meeting).where(
        Meeting.cell_id == cell_id, Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at > starts_at - OVERLAP_WINDOW, Meeting.starts_at < starts_at + OVERLAP_WINDOW,
    )
    if exclude_id is not None:
        query = query.where(Meeting.id != exclude_id)
    return list((await session.execute(query.order_by(Meeting.starts_at, Meeting.id))).scalars())



async def _refuse_overlap(session: AsyncSession, *, cell_id: int, starts_at: dt.datetime, exclude_id: int | None = None) -> None:
    clashing = await overlapping_meetings(session, cell_id=cell_id, starts_at=starts_at, exclude_id=exclude_id)
    if clashing:
        raise MeetingOverlap(clashing)



async def create_meeting(
    session: AsyncSession,
    *,
    actor: Actor,
    cell_id: int,
    kind: MeetingKind,
    starts_at: dt.datetime,
    place: str,
    agenda: str = "",
    documents: Sequence[docs.DocumentUpload] = (),
    repeat_monthly: bool = False,
    allow_overlap: bool = False,
    now: dt.datetime,
) -> CreateResult:
    """Create a meeting and invite its members; with `repeat_monthly`, also the monthly rule.

    A second meeting of the cell at an overlapping time is refused (`MeetingOverlap`) unless
    `allow_overlap` says the secretary saw the clash and goes on deliberately."""
    cell = await get_org(session, cell_id)
    if not cell.is_cell:
        raise InvalidInput(texts.meetings.NOT_A_CELL)
    require_leads(actor, cell)
    starts_at = validate_starts_at(starts_at, now)
    place = clean_place(place)
    agenda = clean_agenda(agenda)
    _check_uploads(documents)
    if repeat_monthly and kind != MeetingKind.REGULAR:
        raise InvalidInput(texts.meetings.REPEAT_ONLY_REGULAR)
    if not allow_overlap:
        await _refuse_overlap(session, cell_id=cell.id, starts_at=starts_at)
    rule = None
    local_start = dates.local(starts_at)
    if repeat_monthly:
        # A cell keeps one monthly rhythm per kind: the new rule replaces an older one.
        previous = await session.execute(
            select(RecurrenceRule).where(RecurrenceRule.cell_id == cell.id, RecurrenceRule.kind == kind, RecurrenceRule.active)
        )
        for old in previous.scalars():
            old.active = False
            old.stopped_at = now
        rule = RecurrenceRule(
            cell_id=cell.id, kind=kind, day_of_month=local_start.day, local_time=local_start.time().replace(tzinfo=None),
            place=place, agenda=agenda, active=True, created_by_id=actor.member.id, created_at=now,
        )
        session.add(rule)
        await session.flush()
    meeting = await _new_meeting(
        session, cell=cell, kind=kind, starts_at=starts_at, place=place, agenda=agenda, created_by_id=actor.member.id,
        rule=rule, occurrence_on=local_start.date() if rule else None, now=now,
    )
    _add_documents(session, meeting, documents, actor.member.id, now)
    await session.flush()
    result = await invite(session, meeting=meeting, cell=cell, now=now)
    names = await names_of(session, result.unlinked_member_ids)
    await audit.record(session, "meeting.created", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=cell.id, target=source_of(meeting.id), at=now)
    await events.publish(session, meeting, events.MeetingEvent.CREATED)
    return CreateResult(
        meeting=meeting, invite=result, unlinked_names=[names[m] for m in result.unlinked_member_ids if m in names], rule=rule
    )



async def _new_meeting(
    session: AsyncSession, *, cell: Org, kind: MeetingKind, starts_at: dt.datetime, place: str, agenda: str,
    created_by_id: int | None, rule: RecurrenceRule | None, occurrence_on: dt.date | None, now: dt.datetime,
) -> Meeting:
    meeting = Meeting(
        cell_id=cell.id, kind=kind, starts_at=starts_at, place=place, agenda=agenda, status=MeetingStatus.SCHEDULED,
        created_by_id=created_by_id, rule_id=rule.id if rule else None, occurrence_on=occurrence_on, version=1,
        conclusions_revision=0, created_at=now, updated_at=now,
    )
    session.add(meeting)
    await session.flush()
    return meeting



async def invite_member(session: AsyncSession, *, meeting: Meeting, cell: Org, member_id: int, now: dt.datetime,
                        notify: bool = True) -> Invitation:
    """Invite one member who joined the cell after the meeting was planned (a practice member in the
    demo's training ground, say): their invitation row and, unless `notify` is False (a meeting already
    held, kept for its conclusions), their invitation message. Safe to call again."""
    invitation = (await session.execute(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                                 Invitation.member_id == member_id))).scalar_one_or_none()
    if invitation is None:
        invitation = Invitation(meeting_id=meeting.id, member_id=member_id, obliged=True, invited_at=now)
        session.add(invitation)
        await session.flush()
    if notify:
        documents = await documents_of(session, meeting.id)
        await enqueue_many(session, member_ids=[member_id], kind=KIND_INVITATION, source=source_of(meeting.id),
                           message=_invitation_message(meeting, cell, invitation, len(documents)), not_before=now)
    return invitation
