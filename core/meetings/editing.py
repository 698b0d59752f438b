"""Meetings: editing and cancelling (members told through the outbox)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.delivery.models import OutboxMessage, OutboxState
from core.delivery.outbox import cancel_pending, enqueue_many
from core.errors import Conflict, InvalidInput
from core.meetings import dates, events, render
from core.meetings import documents as docs
from core.meetings.access import _check_uploads, _require_editable, clean_agenda, clean_place, documents_of, invitations_of, managed_meeting, validate_starts_at
from core.meetings.common import KIND_CANCELLED, KIND_CHANGED, KIND_INVITATION, NOTIFY_PRIORITY, EditResult, source_of
from core.meetings.creating import _add_documents, _refresh_pending_invitations, _refuse_overlap, invite, overlapping_meetings
from core.meetings.models import (
    Meeting,
    MeetingStatus,
)
from core.orgs.service import Actor
from core.ports import OutboundMessage


def describe_changes(
    meeting: Meeting, *, starts_at: dt.datetime | None = None, place: str | None = None, agenda: str | None = None,
    document_count: int = 0,
) -> list[tuple[str, str, str]]:
    """(field, old, new) for what would change, values escaped for HTML."""
    changes: list[tuple[str, str, str]] = []
    if starts_at is not None and starts_at != meeting.starts_at:
        changes.append(("when", dates.format_when(meeting.starts_at), dates.format_when(starts_at)))
    if place is not None and place != meeting.place:
        changes.append(("place", render.escape(meeting.place), render.escape(place)))
    if agenda is not None and agenda != meeting.agenda:
        changes.append(("agenda", "", render.escape(agenda)))
    if document_count:
        changes.append(("documents", "", str(document_count)))
    return changes



async def edit_meeting(
    session: AsyncSession,
    *,
    actor: Actor,
    meeting_id: int,
    starts_at: dt.datetime | None = None,
    place: str | None = None,
    agenda: str | None = None,
    documents: Sequence[docs.DocumentUpload] = (),
    allow_overlap: bool = False,
    now: dt.datetime,
) -> EditResult:
    """Change time, place, agenda or add documents before the meeting; every invitee is told what changed.

    Moving it onto another meeting of the cell is refused like creating one (`MeetingOverlap`)."""
    meeting, cell = await managed_meeting(session, actor=actor, meeting_id=meeting_id, for_update=True)
    _require_editable(meeting, now)
    if starts_at is not None:
        starts_at = validate_starts_at(starts_at, now)
    if place is not None:
        place = clean_place(place)
    if agenda is not None:
        agenda = clean_agenda(agenda)
    existing_documents = await documents_of(session, meeting.id)
    _check_uploads(documents, already=len(existing_documents))
    changes = describe_changes(meeting, starts_at=starts_at, place=place, agenda=agenda, document_count=len(documents))
    if not changes:
        raise InvalidInput(texts.meetings.NOTHING_CHANGED)
    if starts_at is not None and starts_at != meeting.starts_at and not allow_overlap:
        await _refuse_overlap(session, cell_id=cell.id, starts_at=starts_at, exclude_id=meeting.id)
    previous_starts_at = meeting.starts_at
    if starts_at is not None:
        meeting.starts_at = starts_at
    if place is not None:
        meeting.place = place
    if agenda is not None:
        meeting.agenda = agenda
    _add_documents(session, meeting, documents, actor.member.id, now)
    meeting.version += 1
    meeting.updated_at = now
    await session.flush()

    invitations = await invitations_of(session, meeting.id)
    document_count = len(await documents_of(session, meeting.id))
    # Invitations still waiting in the outbox are brought up to date instead: those members need no change notice.
    refreshed = await _refresh_pending_invitations(session, meeting=meeting, cell=cell, invitations=invitations, document_count=document_count)
    change_text = render.change_lines(changes)
    standing = ""
    if starts_at is not None and starts_at != previous_starts_at:
        standing = render.still_standing(await overlapping_meetings(session, cell_id=cell.id, starts_at=previous_starts_at, exclude_id=meeting.id))
    messages = {
        inv.member_id: OutboundMessage(
            text=texts.meetings.CHANGED.format(
                title=render.title(meeting), cell=render.escape(cell.name), changes=change_text, when=render.when(meeting),
                lunar_line=render.lunar_line(meeting, cell.show_lunar_date), place=render.escape(meeting.place),
                answer=render.answer_label(inv.answer),
            ) + standing,
            buttons=render.answer_buttons(inv.id),
        )
        for inv in invitations
        if inv.member_id not in refreshed
    }
    result = await enqueue_many(
        session, member_ids=list(messages), kind=KIND_CHANGED, source=source_of(meeting.id), message=messages,
        key_suffix=f"v{meeting.version}", priority=NOTIFY_PRIORITY, not_before=now,
    )
    await invite(session, meeting=meeting, cell=cell, now=now)  # new documents to all; members who joined since
    await audit.record(
        session, "meeting.edited", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=cell.id, target=source_of(meeting.id),
        detail={"fields": [c[0] for c in changes], "version": meeting.version}, at=now,
    )
    moved = starts_at is not None and starts_at != previous_starts_at
    await events.publish(
        session, meeting, events.MeetingEvent.MOVED if moved else events.MeetingEvent.CHANGED,
        previous_starts_at=previous_starts_at if moved else None,
    )
    return EditResult(meeting=meeting, changes=changes, queued=result.queued + len(refreshed))



async def cancel_meeting(session: AsyncSession, *, actor: Actor, meeting_id: int, now: dt.datetime) -> Meeting:
    """Cancel a meeting that has not been held; what was not sent yet is dropped, invitees are told."""
    meeting, cell = await managed_meeting(session, actor=actor, meeting_id=meeting_id, for_update=True)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(texts.meetings.MEETING_CANCELLED)
    if meeting.status == MeetingStatus.HELD:
        raise Conflict(texts.meetings.MEETING_HELD)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = now
    meeting.cancelled_by_id = actor.member.id
    meeting.version += 1
    meeting.updated_at = now
    await session.flush()
    # Members whose invitation never left need no cancellation either.
    never_told = set(
        (
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.source == source_of(meeting.id), OutboxMessage.kind == KIND_INVITATION,
                    OutboxMessage.state == OutboxState.PENDING,
                )
                .values(state=OutboxState.CANCELLED)
                .returning(OutboxMessage.member_id)
                .execution_options(synchronize_session=False)
            )
        ).scalars()
    )
    await cancel_pending(session, source=source_of(meeting.id))
    invitations = [inv for inv in await invitations_of(session, meeting.id) if inv.member_id not in never_told]
    # Another meeting of the cell at that time still stands: say so, or members think theirs is off.
    standing = await overlapping_meetings(session, cell_id=cell.id, starts_at=meeting.starts_at, exclude_id=meeting.id)
    message = OutboundMessage(
        text=texts.meetings.CANCELLED_NOTICE.format(
            title=render.title(meeting), cell=render.escape(cell.name), when=render.when(meeting), place=render.escape(meeting.place),
        ) + render.still_standing(standing)
    )
    await enqueue_many(
        session, member_ids=[inv.member_id for inv in invitations], kind=KIND_CANCELLED, source=source_of(meeting.id),
        message=message, priority=NOTIFY_PRIORITY, not_before=now,
    )
    await audit.record(session, "meeting.cancelled", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=cell.id, target=source_of(meeting.id), at=now)
    await events.publish(session, meeting, events.MeetingEvent.CANCELLED)
    return meeting

