"""Meetings: answering an invitation, absence requests and the leaders' decisions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.delivery.outbox import enqueue, enqueue_many
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.meetings import render
from core.meetings.access import (
    _check_voice,
    _invitation,
    _load,
    _own_invitation,
    _require_answerable,
    _require_editable,
    documents_of,
    leaders_of,
    managed_meeting,
    names_of,
    require_leads,
)
from core.meetings.common import (
    KIND_ABSENCE_DECISION,
    KIND_ABSENCE_REQUEST,
    MAX_REASON_CHARS,
    NOTIFY_PRIORITY,
    AbsenceRequestChanged,
    AbsenceResult,
    InvitationView,
    source_of,
)
from core.meetings.models import (
    AbsenceReason,
    Answer,
    Invitation,
    Meeting,
    MeetingStatus,
)
from core.orgs.models import Org
from core.orgs.service import Actor
from core.ports import Attachment, OutboundMessage


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
    await _record_answer(session, actor, invitation, meeting, now)
    return AbsenceResult(invitation=invitation, meeting=meeting, changed=True)


async def _record_answer(session: AsyncSession, actor: Actor, invitation: Invitation, meeting: Meeting, now: dt.datetime) -> None:
    await audit.record(
        session, "meeting.answered", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=meeting.cell_id,
        target=f"invitation:{invitation.id}", detail={"answer": Answer(invitation.answer).value}, at=now,
    )



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
    await _record_answer(session, actor, invitation, meeting, now)  # flushes

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
        key_suffix=f"{invitation.id}r{invitation.revision}", priority=NOTIFY_PRIORITY, not_before=now,
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
        key_suffix=f"r{invitation.revision}", priority=NOTIFY_PRIORITY, not_before=now,
    )
    await audit.record(
        session, "meeting.absence_decided", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=cell.id, target=f"invitation:{invitation.id}",
        detail={"approved": approve}, at=now,
    )
    return invitation, meeting, name

