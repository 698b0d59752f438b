"""Meetings: answering an invitation, absence requests and the leaders' decisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core import audit, texts
from core.delivery.outbox import enqueue, enqueue_many
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.meetings import render
from core.meetings.access import (
    INVITATIONS,
    MEETINGS,
    _check_voice,
    _invitation,
    _load,
    _require_answerable,
    _require_editable,
    leaders_with_chats,
    managed_meeting,
    names_of,
    own_invitation_view,
    require_leads,
)
from core.meetings.common import (
    KIND_ABSENCE_DECISION,
    KIND_ABSENCE_REQUEST,
    MAX_REASON_CHARS,
    NOTIFY_PRIORITY,
    AbsenceRequestChanged,
    AbsenceResult,
    InvitationFacts,
    InvitationView,
    MeetingFacts,
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
    return await own_invitation_view(session, actor=actor, invitation_id=invitation_id)



async def open_invitation(session: AsyncSession, *, actor: Actor, invitation_id: int, now: dt.datetime) -> InvitationView:
    """The member's own invitation, still open for answers (before asking for an absence reason)."""
    view = await my_invitation(session, actor=actor, invitation_id=invitation_id)
    _require_answerable(view.meeting, now)
    return view


# An answer is written by one UPDATE that also re-checks what the rules were checked on: the row is
# still at the revision read, and its meeting is still open (scheduled, not started). Nothing is
# locked while the rules run; a write that finds the row or the meeting changed meanwhile (another
# process, the API) writes nothing, and the press is read and judged again.
#
# The meeting is read FOR SHARE (PostgreSQL; SQLite's one writer needs nothing): answers to one
# meeting do not wait for each other, but a transaction changing the meeting itself (cancelling it,
# recording attendance) waits for the answer's commit, and an answer waits for its commit. So an
# answer is only ever written to a meeting that is not held, and the kept monthly figures
# (core.reporting.figures) count invitations of held meetings only: an answer changes no stored
# figure, and nothing is noted to settle (tests/unit/resolutions/test_kept_figures.py holds this).
_OPEN_MEETING = (
    select(MEETINGS.c.id)
    .where(MEETINGS.c.id == bindparam("for_meeting"), MEETINGS.c.status == MeetingStatus.SCHEDULED, MEETINGS.c.starts_at > bindparam("now"))
    .with_for_update(read=True)
)
_ANSWER_FIELDS = (
    "answer", "reason_kind", "reason_text", "reason_voice_file_id", "reason_voice_duration", "decided_by_id", "decided_at", "answered_at",
)
_WRITE_ANSWER = (
    update(INVITATIONS)
    .where(
        INVITATIONS.c.id == bindparam("for_invitation"), INVITATIONS.c.member_id == bindparam("for_member"),
        INVITATIONS.c.revision == bindparam("seen_revision"), INVITATIONS.c.meeting_id.in_(_OPEN_MEETING),
    )
    .values(
        {**{name: bindparam(f"new_{name}", type_=INVITATIONS.c[name].type) for name in _ANSWER_FIELDS}, "revision": INVITATIONS.c.revision + 1}
    )
    .returning(INVITATIONS.c.revision)
)
ATTEMPTS = 3  # reads and writes of one press when other writers keep changing the same invitation


async def _write_answer(session: AsyncSession, view: InvitationView, now: dt.datetime, **answer: Any) -> InvitationFacts | None:
    """Write an answer (every one of _ANSWER_FIELDS but `answered_at`, which is `now`) if the
    invitation and its meeting are still as `view` read them; the invitation as it is now, or None."""
    invitation = view.invitation
    values = {**answer, "answered_at": now}
    revision = await session.scalar(_WRITE_ANSWER, {
        "for_invitation": invitation.id, "for_member": invitation.member_id, "seen_revision": invitation.revision,
        "for_meeting": invitation.meeting_id, "now": now, **{f"new_{name}": value for name, value in values.items()},
    })
    if revision is None:
        return None
    written = replace(invitation, **values, revision=revision)
    # An Invitation object this session loaded earlier (a caller's, a test's) shows the answer too.
    loaded = session.identity_map.get(session.identity_key(Invitation, invitation.id))
    if loaded is not None:
        for name in (*_ANSWER_FIELDS, "revision"):
            set_committed_value(loaded, name, getattr(written, name))
    return written


async def answer_attending(session: AsyncSession, *, actor: Actor, invitation_id: int, now: dt.datetime) -> AbsenceResult:
    for _ in range(ATTEMPTS):
        view = await own_invitation_view(session, actor=actor, invitation_id=invitation_id)
        _require_answerable(view.meeting, now)
        if view.invitation.answer == Answer.ATTENDING:
            return AbsenceResult(view=view, changed=False)
        written = await _write_answer(
            session, view, now, answer=Answer.ATTENDING, reason_kind=None, reason_text=None, reason_voice_file_id=None,
            reason_voice_duration=None, decided_by_id=None, decided_at=None,
        )
        if written is not None:
            await _record_answer(session, actor, written, view.meeting, Answer.ATTENDING, now)
            return AbsenceResult(view=replace(view, invitation=written), changed=True)
    raise Conflict(texts.common.TOO_FAST)


async def _record_answer(
    session: AsyncSession, actor: Actor, invitation: InvitationFacts, meeting: MeetingFacts, answer: Answer, now: dt.datetime
) -> None:
    await audit.add(
        session, "meeting.answered", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=meeting.cell_id,
        target=f"invitation:{invitation.id}", detail={"answer": answer.value}, at=now,
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
    cleaned = (text or "").strip() or None
    for _ in range(ATTEMPTS):
        view = await own_invitation_view(session, actor=actor, invitation_id=invitation_id)
        invitation, meeting = view.invitation, view.meeting
        _require_answerable(meeting, now)
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
            return AbsenceResult(view=view, changed=False)
        leaders, chats = await leaders_with_chats(session, meeting.cell_id, besides=actor.member.id)
        # The only leader asks leave of their own meeting: nobody to ask, noted as excused.
        alone = not leaders
        written = await _write_answer(
            session, view, now, answer=Answer.EXCUSED if alone else Answer.ABSENCE_REQUESTED, reason_kind=reason, reason_text=cleaned,
            reason_voice_file_id=voice_file_id, reason_voice_duration=voice_duration if voice_file_id else None,
            decided_by_id=actor.member.id if alone else None, decided_at=now if alone else None,
        )
        if written is None:
            continue
        await _record_answer(session, actor, written, meeting, Answer.ABSENCE_REQUESTED, now)
        result = AbsenceResult(view=replace(view, invitation=written), changed=True, auto_excused=alone)
        if not alone:
            message = OutboundMessage(
                text=render.absence_request_text(actor.member.full_name, meeting, written),
                buttons=render.decision_buttons(written),
                attachment=Attachment(kind="voice", file_id=voice_file_id, duration=voice_duration) if voice_file_id else None,
            )
            await enqueue_many(
                session, member_ids=leaders, kind=KIND_ABSENCE_REQUEST, source=source_of(meeting.id), message=message,
                key_suffix=f"{written.id}r{written.revision}", priority=NOTIFY_PRIORITY, not_before=now, chats=chats,
            )
        return result
    raise Conflict(texts.common.TOO_FAST)



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

