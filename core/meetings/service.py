"""Meeting rules: who may create, change and cancel; who is invited; answering and absences;
attendance; conclusions for those who were absent.

Who may do what:
- create, edit, cancel, decide absences, record attendance, send conclusions: whoever
  `Actor.leads_cell(cell)` — the cell's secretary or deputy, or a committee above it;
  nobody decides their own absence request;
- answer an invitation: only the member it was addressed to, until the meeting starts.

Every change members must know about goes through the outbox in the same transaction,
keyed by (kind, "meeting:<id>", member, suffix) so a repeat is a no-op: invitations once per
member, change notices once per `Meeting.version`, absence messages once per
`Invitation.revision`, conclusions once per `Meeting.conclusions_revision`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.delivery.models import OutboxMessage, OutboxState
from core.delivery.outbox import cancel_pending, enqueue, enqueue_many, idempotency_key
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.meetings import dates, events, render
from core.meetings import documents as docs
from core.meetings.models import (
    AbsenceReason,
    Answer,
    Attendance,
    DocumentKind,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    RecurrenceRule,
)
from core.orgs.models import AuditEvent, Member, Org, OrgKind, OrgRole, RoleKind
from core.orgs.service import Actor, get_org, in_subtree, receives_notices
from core.ports import Attachment, OutboundMessage

LOCAL_TZ = dates.LOCAL_TZ
MAX_AHEAD = dt.timedelta(days=366)
MAX_PLACE_CHARS = 200
MAX_AGENDA_CHARS = 2000
MAX_REASON_CHARS = 500
MAX_CONCLUSIONS_CHARS = 3500
MAX_VOICE_SECONDS = 5 * 60
# The secretary may open the attendance list a little before the start, at the door.
ATTENDANCE_OPENS_BEFORE = dt.timedelta(minutes=60)
# The member's 📅 Lịch họp keeps showing a meeting for a while after it started.
UPCOMING_GRACE = dt.timedelta(hours=3)
# A cell meeting takes about two hours: two meetings of one cell starting closer than this overlap.
OVERLAP_WINDOW = dt.timedelta(hours=2)
NOTIFY_PRIORITY = 5  # answers to people go before broadcasts

KIND_INVITATION = "invitation"
KIND_DOCUMENT = "invitation_document"
KIND_CHANGED = "meeting_changed"
KIND_CANCELLED = "meeting_cancelled"
KIND_ABSENCE_REQUEST = "absence_request"
KIND_ABSENCE_DECISION = "absence_decision"
KIND_CONCLUSIONS = "meeting_conclusions"


def source_of(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


# ---------------------------------------------------------------- results


class MeetingOverlap(Conflict):
    """The cell already has a meeting at (about) that time: members would be invited twice.

    Refused unless the caller says it is deliberate (`allow_overlap`); `meetings` are the clashing ones."""

    code = "meeting_overlap"

    def __init__(self, meetings: Sequence[Meeting]) -> None:
        super().__init__(texts.meetings.OVERLAP_WARNING.format(lines="\n".join(render.identity_line(m) for m in meetings)))
        self.meetings = list(meetings)


class AbsenceRequestChanged(Conflict):
    """The member changed their answer or reason after the leader's card was made: that card decides nothing."""

    code = "absence_changed"

    def __init__(self) -> None:
        super().__init__(texts.meetings.ABSENCE_CHANGED)


@dataclass(frozen=True)
class InviteResult:
    invited: int  # invitations the meeting has
    newly_invited: int
    queued: int  # invitation messages newly queued
    unlinked_member_ids: list[int]


@dataclass(frozen=True)
class CreateResult:
    meeting: Meeting
    invite: InviteResult
    unlinked_names: list[str]
    rule: RecurrenceRule | None = None


@dataclass(frozen=True)
class EditResult:
    meeting: Meeting
    changes: list[tuple[str, str, str]]
    queued: int  # members who will read the change: a change notice, or their waiting invitation updated


@dataclass(frozen=True)
class AbsenceResult:
    invitation: Invitation
    meeting: Meeting
    changed: bool
    auto_excused: bool = False


@dataclass(frozen=True)
class AttendanceRow:
    member_id: int
    name: str
    present: bool
    answer: Answer


@dataclass(frozen=True)
class AttendanceSheet:
    meeting: Meeting
    cell: Org
    rows: list[AttendanceRow]

    @property
    def present(self) -> int:
        return sum(1 for row in self.rows if row.present)


@dataclass(frozen=True)
class InvitationView:
    invitation: Invitation
    meeting: Meeting
    cell: Org
    documents: list[MeetingDocument]


@dataclass(frozen=True)
class AnswerLine:
    invitation: Invitation
    name: str


@dataclass(frozen=True)
class MeetingCard:
    meeting: Meeting
    cell: Org
    documents: list[MeetingDocument]
    rule: RecurrenceRule | None
    answers: list[AnswerLine] = field(default_factory=list)

    @property
    def pending(self) -> list[AnswerLine]:
        return [line for line in self.answers if line.invitation.answer == Answer.ABSENCE_REQUESTED]


# ---------------------------------------------------------------- checks


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


# ---------------------------------------------------------------- loading


async def _load(session: AsyncSession, meeting_id: int, *, for_update: bool = False) -> tuple[Meeting, Org]:
    query = select(Meeting).where(Meeting.id == meeting_id)
    if for_update:
        query = query.with_for_update()
    meeting = (await session.execute(query)).scalar_one_or_none()
    if meeting is None:
        raise NotFound(texts.common.NOT_FOUND)
    cell = await get_org(session, meeting.cell_id)
    return meeting, cell


async def managed_meeting(session: AsyncSession, *, actor: Actor, meeting_id: int, for_update: bool = False) -> tuple[Meeting, Org]:
    meeting, cell = await _load(session, meeting_id, for_update=for_update)
    require_leads(actor, cell)
    return meeting, cell


async def _invitation(session: AsyncSession, invitation_id: int, *, for_update: bool = False) -> Invitation:
    query = select(Invitation).where(Invitation.id == invitation_id)
    if for_update:
        query = query.with_for_update()
    invitation = (await session.execute(query)).scalar_one_or_none()
    if invitation is None:
        raise NotFound(texts.common.NOT_FOUND)
    return invitation


async def _own_invitation(
    session: AsyncSession, *, actor: Actor, invitation_id: int, for_update: bool = False
) -> tuple[Invitation, Meeting, Org]:
    invitation = await _invitation(session, invitation_id, for_update=for_update)
    meeting, cell = await _load(session, invitation.meeting_id)
    if invitation.member_id != actor.member.id:
        raise actor.refusal(cell, texts.meetings.NOT_YOUR_INVITATION)
    return invitation, meeting, cell


async def documents_of(session: AsyncSession, meeting_id: int) -> list[MeetingDocument]:
    query = select(MeetingDocument).where(MeetingDocument.meeting_id == meeting_id).order_by(MeetingDocument.id)
    return list((await session.execute(query)).scalars())


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


# ---------------------------------------------------------------- invitations


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
    result = await enqueue_many(session, member_ids=list(messages), kind=KIND_INVITATION, source=source_of(meeting.id), message=messages)
    for document in documents:
        await enqueue_many(
            session, member_ids=list(messages), kind=KIND_DOCUMENT, source=source_of(meeting.id),
            message=_document_message(meeting, document), key_suffix=f"doc{document.id}",
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
    await audit.record(session, "meeting.created", actor_member_id=actor.member.id, org_id=cell.id, target=source_of(meeting.id), at=now)
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


# ---------------------------------------------------------------- editing and cancelling


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
        key_suffix=f"v{meeting.version}", priority=NOTIFY_PRIORITY,
    )
    await invite(session, meeting=meeting, cell=cell, now=now)  # new documents to all; members who joined since
    await audit.record(
        session, "meeting.edited", actor_member_id=actor.member.id, org_id=cell.id, target=source_of(meeting.id),
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
        message=message, priority=NOTIFY_PRIORITY,
    )
    await audit.record(session, "meeting.cancelled", actor_member_id=actor.member.id, org_id=cell.id, target=source_of(meeting.id), at=now)
    await events.publish(session, meeting, events.MeetingEvent.CANCELLED)
    return meeting


# ---------------------------------------------------------------- answering


async def editable_meeting(session: AsyncSession, *, actor: Actor, meeting_id: int, now: dt.datetime) -> tuple[Meeting, Org]:
    """A meeting this person may still edit (before it starts)."""
    meeting, cell = await managed_meeting(session, actor=actor, meeting_id=meeting_id)
    _require_editable(meeting, now)
    return meeting, cell


async def cancellable_meeting(session: AsyncSession, *, actor: Actor, meeting_id: int) -> tuple[Meeting, Org]:
    meeting, cell = await managed_meeting(session, actor=actor, meeting_id=meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(texts.meetings.MEETING_CANCELLED)
    if meeting.status == MeetingStatus.HELD:
        raise Conflict(texts.meetings.MEETING_HELD)
    return meeting, cell


async def my_invitation(session: AsyncSession, *, actor: Actor, invitation_id: int) -> InvitationView:
    invitation, meeting, cell = await _own_invitation(session, actor=actor, invitation_id=invitation_id)
    return InvitationView(invitation=invitation, meeting=meeting, cell=cell, documents=await documents_of(session, meeting.id))


async def open_invitation(session: AsyncSession, *, actor: Actor, invitation_id: int, now: dt.datetime) -> InvitationView:
    """The member's own invitation, still open for answers (before asking for an absence reason)."""
    view = await my_invitation(session, actor=actor, invitation_id=invitation_id)
    _require_answerable(view.meeting, now)
    return view


async def answer_attending(session: AsyncSession, *, actor: Actor, invitation_id: int, now: dt.datetime) -> AbsenceResult:
    invitation, meeting, _ = await _own_invitation(session, actor=actor, invitation_id=invitation_id, for_update=True)
    _require_answerable(meeting, now)
    if invitation.answer == Answer.ATTENDING:
        return AbsenceResult(invitation=invitation, meeting=meeting, changed=False)
    invitation.answer = Answer.ATTENDING
    invitation.reason_kind = None
    invitation.reason_text = None
    invitation.reason_voice_file_id = None
    invitation.reason_voice_duration = None
    invitation.decided_by_id = None
    invitation.decided_at = None
    invitation.answered_at = now
    invitation.revision += 1
    await session.flush()
    return AbsenceResult(invitation=invitation, meeting=meeting, changed=True)


async def request_absence(
    session: AsyncSession,
    *,
    actor: Actor,
    invitation_id: int,
    reason: AbsenceReason,
    text: str | None = None,
    voice_file_id: str | None = None,
    voice_duration: int | None = None,
    now: dt.datetime,
) -> AbsenceResult:
    """The member asks leave; the cell's leaders get the request with Đồng ý / Không đồng ý."""
    invitation, meeting, cell = await _own_invitation(session, actor=actor, invitation_id=invitation_id, for_update=True)
    _require_answerable(meeting, now)
    cleaned = (text or "").strip() or None
    if reason == AbsenceReason.OTHER and cleaned is None and voice_file_id is None:
        raise InvalidInput(texts.meetings.REASON_EMPTY)
    if cleaned is not None and len(cleaned) > MAX_REASON_CHARS:
        raise InvalidInput(texts.meetings.REASON_TOO_LONG.format(length=len(cleaned), limit=MAX_REASON_CHARS))
    _check_voice(voice_duration)
    same = (
        invitation.answer in (Answer.ABSENCE_REQUESTED, Answer.EXCUSED)
        and invitation.reason_kind == reason
        and invitation.reason_text == cleaned
        and invitation.reason_voice_file_id == voice_file_id
    )
    if same:  # a second press of the same reason: nothing new for the secretary
        return AbsenceResult(invitation=invitation, meeting=meeting, changed=False)
    invitation.answer = Answer.ABSENCE_REQUESTED
    invitation.reason_kind = reason
    invitation.reason_text = cleaned
    invitation.reason_voice_file_id = voice_file_id
    invitation.reason_voice_duration = voice_duration if voice_file_id else None
    invitation.decided_by_id = None
    invitation.decided_at = None
    invitation.answered_at = now
    invitation.revision += 1
    await session.flush()

    leaders = [member_id for member_id in await leaders_of(session, cell) if member_id != actor.member.id]
    if not leaders:  # the only leader asks leave of their own meeting: nobody to ask, noted as excused
        invitation.answer = Answer.EXCUSED
        invitation.decided_by_id = actor.member.id
        invitation.decided_at = now
        await session.flush()
        return AbsenceResult(invitation=invitation, meeting=meeting, changed=True, auto_excused=True)
    message = OutboundMessage(
        text=render.absence_request_text(actor.member.full_name, meeting, invitation),
        buttons=render.decision_buttons(invitation),
        attachment=Attachment(kind="voice", file_id=voice_file_id, duration=voice_duration) if voice_file_id else None,
    )
    await enqueue_many(
        session, member_ids=leaders, kind=KIND_ABSENCE_REQUEST, source=source_of(meeting.id), message=message,
        key_suffix=f"{invitation.id}r{invitation.revision}", priority=NOTIFY_PRIORITY,
    )
    return AbsenceResult(invitation=invitation, meeting=meeting, changed=True)


async def absence_request_of(session: AsyncSession, *, actor: Actor, invitation_id: int) -> tuple[Invitation, Meeting, str]:
    """For a leader of the cell: an invitation as it is now, with its meeting and the member's name
    (to show the current request after an old card was pressed)."""
    invitation = await _invitation(session, invitation_id)
    meeting, cell = await _load(session, invitation.meeting_id)
    require_leads(actor, cell)
    name = (await names_of(session, [invitation.member_id])).get(invitation.member_id, "")
    return invitation, meeting, name


async def decide_absence(
    session: AsyncSession, *, actor: Actor, invitation_id: int, approve: bool, revision: int | None = None, now: dt.datetime
) -> tuple[Invitation, Meeting, str]:
    """A leader of the meeting's cell approves or refuses a pending request; the member is told.

    With `revision` (every card and the API pass the one they showed), a request the member has changed
    since is not decided: `AbsenceRequestChanged`, and the leader is shown the current one."""
    invitation = await _invitation(session, invitation_id, for_update=True)
    meeting, cell = await _load(session, invitation.meeting_id)
    require_leads(actor, cell)
    if revision is not None and revision != invitation.revision:
        raise AbsenceRequestChanged()
    if invitation.member_id == actor.member.id:
        raise PermissionDenied(texts.meetings.OWN_REQUEST)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(texts.meetings.MEETING_CANCELLED)
    name = (await names_of(session, [invitation.member_id])).get(invitation.member_id, "")
    if invitation.answer in (Answer.EXCUSED, Answer.ABSENCE_REFUSED):
        raise Conflict(texts.meetings.ALREADY_DECIDED.format(state=texts.meetings.ANSWERS_SHORT[invitation.answer.value]))
    if invitation.answer != Answer.ABSENCE_REQUESTED:
        raise Conflict(
            texts.meetings.NO_PENDING_REQUEST.format(name=render.escape(name), state=texts.meetings.ANSWERS_SHORT[invitation.answer.value])
        )
    invitation.answer = Answer.EXCUSED if approve else Answer.ABSENCE_REFUSED
    invitation.decided_by_id = actor.member.id
    invitation.decided_at = now
    await session.flush()
    if approve:
        message = OutboundMessage(text=texts.meetings.DECISION_APPROVED.format(when=render.when(meeting)))
    else:
        answerable = meeting.status == MeetingStatus.SCHEDULED and now < meeting.starts_at
        message = OutboundMessage(
            text=texts.meetings.DECISION_REFUSED.format(when=render.when(meeting)),
            buttons=render.answer_buttons(invitation.id) if answerable else (),
        )
    await enqueue(
        session, member_id=invitation.member_id, kind=KIND_ABSENCE_DECISION, source=source_of(meeting.id), message=message,
        key_suffix=f"r{invitation.revision}", priority=NOTIFY_PRIORITY,
    )
    await audit.record(
        session, "meeting.absence_decided", actor_member_id=actor.member.id, org_id=cell.id, target=f"invitation:{invitation.id}",
        detail={"approved": approve}, at=now,
    )
    return invitation, meeting, name


# ---------------------------------------------------------------- attendance and conclusions


async def _ensure_attendance(session: AsyncSession, *, meeting: Meeting, actor: Actor, now: dt.datetime) -> None:
    """The first time the list is opened, fill it from the answers: who said they would come is present."""
    invitations = await invitations_of(session, meeting.id)
    recorded = {row for row in (await session.execute(select(Attendance.member_id).where(Attendance.meeting_id == meeting.id))).scalars()}
    for invitation in invitations:
        if invitation.member_id not in recorded:
            session.add(
                Attendance(
                    meeting_id=meeting.id, member_id=invitation.member_id, present=invitation.answer == Answer.ATTENDING,
                    recorded_by_id=actor.member.id, recorded_at=now,
                )
            )
    first = meeting.status != MeetingStatus.HELD
    meeting.status = MeetingStatus.HELD
    await session.flush()
    if first:
        await events.publish(session, meeting, events.MeetingEvent.HELD)


async def _attendance_meeting(session: AsyncSession, *, actor: Actor, meeting_id: int, now: dt.datetime) -> tuple[Meeting, Org]:
    meeting, cell = await managed_meeting(session, actor=actor, meeting_id=meeting_id, for_update=True)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(texts.meetings.MEETING_CANCELLED)
    if meeting.status != MeetingStatus.HELD and now < meeting.starts_at - ATTENDANCE_OPENS_BEFORE:
        raise Conflict(
            texts.meetings.ATTENDANCE_NOT_YET.format(when=render.when(meeting), minutes=int(ATTENDANCE_OPENS_BEFORE.total_seconds() // 60))
        )
    await _ensure_attendance(session, meeting=meeting, actor=actor, now=now)
    return meeting, cell


async def _sheet(session: AsyncSession, meeting: Meeting, cell: Org) -> AttendanceSheet:
    rows = await session.execute(
        select(Attendance.member_id, Member.full_name, Attendance.present, Invitation.answer)
        .join(Member, Member.id == Attendance.member_id)
        .join(Invitation, (Invitation.meeting_id == Attendance.meeting_id) & (Invitation.member_id == Attendance.member_id))
        .where(Attendance.meeting_id == meeting.id)
        .order_by(Member.full_name, Member.id)
    )
    return AttendanceSheet(
        meeting=meeting, cell=cell,
        rows=[AttendanceRow(member_id=m, name=name, present=present, answer=answer) for m, name, present, answer in rows],
    )


async def attendance_sheet(session: AsyncSession, *, actor: Actor, meeting_id: int, now: dt.datetime) -> AttendanceSheet:
    """Open (and on first use pre-fill) the attendance list; marks the meeting as held."""
    meeting, cell = await _attendance_meeting(session, actor=actor, meeting_id=meeting_id, now=now)
    return await _sheet(session, meeting, cell)


async def toggle_attendance(session: AsyncSession, *, actor: Actor, meeting_id: int, member_id: int, now: dt.datetime) -> AttendanceSheet:
    meeting, cell = await _attendance_meeting(session, actor=actor, meeting_id=meeting_id, now=now)
    row = (
        await session.execute(select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(texts.meetings.NOT_INVITED)
    row.present = not row.present
    row.recorded_by_id = actor.member.id
    row.recorded_at = now
    await session.flush()
    return await _sheet(session, meeting, cell)


async def set_attendance(
    session: AsyncSession, *, actor: Actor, meeting_id: int, present_member_ids: Collection[int], now: dt.datetime
) -> AttendanceSheet:
    """Record the whole list at once: these invitees were present, every other invitee absent."""
    meeting, cell = await _attendance_meeting(session, actor=actor, meeting_id=meeting_id, now=now)
    rows = list((await session.execute(select(Attendance).where(Attendance.meeting_id == meeting.id))).scalars())
    wanted = set(present_member_ids)
    if wanted - {row.member_id for row in rows}:
        raise InvalidInput(texts.meetings.NOT_INVITED)
    for row in rows:
        present = row.member_id in wanted
        if row.present != present:
            row.present = present
            row.recorded_by_id = actor.member.id
            row.recorded_at = now
    await session.flush()
    return await _sheet(session, meeting, cell)


async def absentee_ids(session: AsyncSession, meeting_id: int) -> list[int]:
    query = select(Attendance.member_id).where(Attendance.meeting_id == meeting_id, Attendance.present.is_(False)).order_by(Attendance.member_id)
    return list((await session.execute(query)).scalars())


async def conclusions_target(session: AsyncSession, *, actor: Actor, meeting_id: int) -> tuple[Meeting, int]:
    """Before asking for the conclusions: the meeting, and how many absent members will receive them."""
    meeting, _ = await managed_meeting(session, actor=actor, meeting_id=meeting_id)
    if meeting.status != MeetingStatus.HELD:
        raise Conflict(texts.meetings.ATTENDANCE_NOT_RECORDED)
    count = len(await absentee_ids(session, meeting.id))
    if count == 0:
        raise Conflict(texts.meetings.NO_ABSENTEES)
    return meeting, count


async def send_conclusions(
    session: AsyncSession,
    *,
    actor: Actor,
    meeting_id: int,
    text: str | None = None,
    voice_file_id: str | None = None,
    voice_duration: int | None = None,
    now: dt.datetime,
) -> int:
    """Store the conclusions and send them (text or voice) to every invitee who was absent."""
    meeting, cell = await managed_meeting(session, actor=actor, meeting_id=meeting_id, for_update=True)
    if meeting.status != MeetingStatus.HELD:
        raise Conflict(texts.meetings.ATTENDANCE_NOT_RECORDED)
    cleaned = (text or "").strip() or None
    if cleaned is None and voice_file_id is None:
        raise InvalidInput(texts.meetings.CONCLUSIONS_EMPTY)
    if cleaned is not None and len(cleaned) > MAX_CONCLUSIONS_CHARS:
        raise InvalidInput(texts.meetings.CONCLUSIONS_TOO_LONG.format(length=len(cleaned), limit=MAX_CONCLUSIONS_CHARS))
    _check_voice(voice_duration)
    absent = await absentee_ids(session, meeting.id)
    if not absent:
        raise Conflict(texts.meetings.NO_ABSENTEES)
    meeting.conclusions_text = cleaned
    meeting.conclusions_voice_file_id = voice_file_id
    meeting.conclusions_voice_duration = voice_duration if voice_file_id else None
    meeting.conclusions_sent_at = now
    meeting.conclusions_revision += 1
    meeting.updated_at = now
    await session.flush()
    if voice_file_id is not None:
        caption = texts.meetings.CONCLUSIONS_NOTICE_VOICE.format(when=render.when(meeting), cell=render.escape(cell.name))
        message = OutboundMessage(text=caption, attachment=Attachment(kind="voice", file_id=voice_file_id, duration=voice_duration))
        messages = [message]
        if cleaned is not None:
            messages.append(OutboundMessage(text=render.escape(cleaned)))
    else:
        messages = [
            OutboundMessage(
                text=texts.meetings.CONCLUSIONS_NOTICE.format(
                    title=render.title(meeting), cell=render.escape(cell.name), when=render.when(meeting), body=render.escape(cleaned or "")
                )
            )
        ]
    for index, message in enumerate(messages):
        await enqueue_many(
            session, member_ids=absent, kind=KIND_CONCLUSIONS, source=source_of(meeting.id), message=message,
            key_suffix=f"r{meeting.conclusions_revision}" + (f"p{index}" if index else ""), priority=NOTIFY_PRIORITY,
        )
    await audit.record(session, "meeting.conclusions_sent", actor_member_id=actor.member.id, org_id=cell.id, target=source_of(meeting.id), at=now)
    return len(absent)


# ---------------------------------------------------------------- what people see


async def upcoming_for_member(session: AsyncSession, *, actor: Actor, now: dt.datetime, limit: int = 5) -> list[tuple[Meeting, Invitation]]:
    query = (
        select(Meeting, Invitation)
        .join(Invitation, Invitation.meeting_id == Meeting.id)
        .where(Invitation.member_id == actor.member.id, Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now - UPCOMING_GRACE)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    return [(meeting, invitation) for meeting, invitation in (await session.execute(query)).all()]


async def last_conclusions(session: AsyncSession, *, actor: Actor) -> tuple[Meeting, Invitation] | None:
    """The latest meeting this member was invited to that has conclusions, with their invitation."""
    query = (
        select(Meeting, Invitation)
        .join(Invitation, Invitation.meeting_id == Meeting.id)
        .where(Invitation.member_id == actor.member.id, Meeting.conclusions_sent_at.is_not(None))
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


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


# ---------------------------------------------------------------- monthly rules


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
    await audit.record(session, "meeting_rule.stopped", actor_member_id=actor.member.id, org_id=cell.id, target=f"meeting_rule:{rule.id}", at=now)
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


# ---------------------------------------------------------------- reading (API)


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
                           message=_invitation_message(meeting, cell, invitation, len(documents)))
    return invitation


CONCLUSIONS_SEEN = "meeting.conclusions_seen"


async def note_conclusions_seen(session: AsyncSession, *, actor: Actor, meeting_id: int, now: dt.datetime) -> None:
    """A member was shown a meeting's conclusions (📅 Lịch họp shows the latest): recorded once, so a
    trainer (or a secretary's figures one day) can tell they were read, not only sent."""
    seen = await session.scalar(select(AuditEvent.id).where(AuditEvent.action == CONCLUSIONS_SEEN,
                                                            AuditEvent.actor_member_id == actor.member.id,
                                                            AuditEvent.target == str(meeting_id)).limit(1))
    if seen is None:
        await audit.record(session, CONCLUSIONS_SEEN, actor_member_id=actor.member.id, org_id=actor.cell.id,
                           target=str(meeting_id), at=now)
