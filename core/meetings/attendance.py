"""Meetings: attendance lists and conclusions sent to the absent."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.delivery.outbox import enqueue_many
from core.errors import Conflict, InvalidInput, NotFound
from core.meetings import events, render
from core.meetings.access import _check_voice, invitations_of, managed_meeting
from core.meetings.common import ATTENDANCE_OPENS_BEFORE, KIND_CONCLUSIONS, MAX_CONCLUSIONS_CHARS, NOTIFY_PRIORITY, AttendanceRow, AttendanceSheet, source_of
from core.meetings.models import (
    Answer,
    Attendance,
    Invitation,
    Meeting,
    MeetingStatus,
)
from core.orgs.models import Member, Org
from core.orgs.service import Actor
from core.ports import Attachment, OutboundMessage
from core.listening.buttons import listen_button
from core.listening.models import SubjectKind
from core.listening.choice import forget_recordings
from core.listening import presynthesis


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



class Mark(str, enum.Enum):
    """What a desk's attendance sheet records per invitee: present, absent with leave, absent without."""

    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"


@dataclass(frozen=True)
class MarkLine:
    member_id: int
    name: str
    mark: Mark
    answer: Answer


def _check_attendance_open(meeting: Meeting, now: dt.datetime) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(texts.meetings.MEETING_CANCELLED)
    if meeting.status != MeetingStatus.HELD and now < meeting.starts_at - ATTENDANCE_OPENS_BEFORE:
        raise Conflict(
            texts.meetings.ATTENDANCE_NOT_YET.format(when=render.when(meeting), minutes=int(ATTENDANCE_OPENS_BEFORE.total_seconds() // 60))
        )


async def _attendance_meeting(session: AsyncSession, *, actor: Actor, meeting_id: int, now: dt.datetime) -> tuple[Meeting, Org]:
    meeting, cell = await managed_meeting(session, actor=actor, meeting_id=meeting_id, for_update=True)
    _check_attendance_open(meeting, now)
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
    await audit.record(
        session, "meeting.attendance_recorded", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=cell.id,
        target=source_of(meeting.id), detail={"member_id": member_id, "present": row.present}, at=now,
    )
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
    await audit.record(
        session, "meeting.attendance_recorded", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=cell.id,
        target=source_of(meeting.id), detail={"present": len(wanted), "total": len(rows)}, at=now,
    )
    return await _sheet(session, meeting, cell)



def _mark_of(present: bool, answer: Answer) -> Mark:
    if present:
        return Mark.PRESENT
    return Mark.EXCUSED if answer == Answer.EXCUSED else Mark.ABSENT


async def attendance_marks(session: AsyncSession, *, actor: Actor, meeting_id: int, now: dt.datetime) -> tuple[Meeting, Org, list[MarkLine]]:
    """The sheet as it stands, changing nothing (a page may be opened, printed, reloaded): recorded
    attendance where there is some, else what the answers say (attending → present, an approved
    absence → excused)."""
    meeting, cell = await managed_meeting(session, actor=actor, meeting_id=meeting_id)
    _check_attendance_open(meeting, now)
    rows = await session.execute(
        select(Invitation.member_id, Member.full_name, Invitation.answer, Attendance.present)
        .join(Member, Member.id == Invitation.member_id)
        .outerjoin(Attendance, (Attendance.meeting_id == Invitation.meeting_id) & (Attendance.member_id == Invitation.member_id))
        .where(Invitation.meeting_id == meeting.id)
        .order_by(Member.full_name, Member.id)
    )
    lines = [
        MarkLine(member_id=m, name=name, answer=answer, mark=_mark_of(answer == Answer.ATTENDING if present is None else present, answer))
        for m, name, answer, present in rows
    ]
    return meeting, cell, lines


async def mark_attendance(
    session: AsyncSession, *, actor: Actor, meeting_id: int, marks: Mapping[int, Mark], now: dt.datetime
) -> tuple[Meeting, Org, list[MarkLine]]:
    """Record the sheet after the meeting: who was present, who was absent with leave (the absence
    is then counted as approved) and who without (an approval given earlier is withdrawn). Invitees
    not in `marks` keep what they had. Marks the meeting as held, as opening the bot's list does."""
    meeting, cell = await _attendance_meeting(session, actor=actor, meeting_id=meeting_id, now=now)
    rows = {row.member_id: row for row in (await session.execute(select(Attendance).where(Attendance.meeting_id == meeting.id))).scalars()}
    if set(marks) - set(rows):
        raise InvalidInput(texts.meetings.NOT_INVITED)
    invitations = {i.member_id: i for i in await invitations_of(session, meeting.id)}
    for member_id, mark in marks.items():
        row, invitation = rows[member_id], invitations[member_id]
        if row.present != (mark == Mark.PRESENT):
            row.present = mark == Mark.PRESENT
            row.recorded_by_id, row.recorded_at = actor.member.id, now
        decided = {Mark.EXCUSED: Answer.EXCUSED, Mark.ABSENT: Answer.ABSENCE_REFUSED}.get(mark)
        if decided is not None and invitation.answer != decided and (mark == Mark.EXCUSED or invitation.answer == Answer.EXCUSED):
            invitation.answer, invitation.decided_by_id, invitation.decided_at = decided, actor.member.id, now
            invitation.revision += 1
    await session.flush()
    await audit.record(session, "meeting.attendance_marked", actor_member_id=actor.member.id, org_id=cell.id, target=source_of(meeting.id), at=now)
    return await attendance_marks(session, actor=actor, meeting_id=meeting.id, now=now)


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
    # The votes' result lines (core.votes appends one as each vote of the meeting closes) stay: typed
    # conclusions come first, the results the room voted follow. They are found by their prefix, since
    # votes build on meetings and not the other way round.
    kept = [line for line in (meeting.conclusions_text or "").splitlines() if line.startswith(texts.votes.CONCLUSIONS_PREFIX)]
    meeting.conclusions_text = "\n".join([*([cleaned] if cleaned else []), *kept]) or None
    meeting.conclusions_voice_file_id = voice_file_id
    meeting.conclusions_voice_duration = voice_duration if voice_file_id else None
    meeting.conclusions_sent_at = now
    meeting.conclusions_revision += 1
    meeting.updated_at = now
    await forget_recordings(session, kind=SubjectKind.CONCLUSIONS, subject_id=meeting.id)  # read aloud: the old text, not this one
    if voice_file_id is None:  # sent as text: its machine reading is made before anyone taps «🔊 Nghe»
        await presynthesis.queue(session, kind=SubjectKind.CONCLUSIONS, subject_id=meeting.id, now=now)
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
                ),
                # «🔊 Nghe»: a person's reading by language, else the machine voice (core.recordings.subjects).
                buttons=((listen_button(SubjectKind.CONCLUSIONS, meeting.id),),),
            )
        ]
    for index, message in enumerate(messages):
        await enqueue_many(
            session, member_ids=absent, kind=KIND_CONCLUSIONS, source=source_of(meeting.id), message=message,
            key_suffix=f"r{meeting.conclusions_revision}" + (f"p{index}" if index else ""), priority=NOTIFY_PRIORITY, not_before=now,
        )
    await audit.record(session, "meeting.conclusions_sent", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=cell.id, target=source_of(meeting.id), at=now)
    return len(absent)

