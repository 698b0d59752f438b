"""A person reads a notice or a meeting's conclusions aloud, in the languages the committee lists.

The same rule as for documents (`core.recordings.service.choose`): a listener hears the recording
in their language, else the Vietnamese one, else the synthetic voice, labelled as such. The same
storage (`keep_recording`), the same table (`recordings`, by `subject_kind`), the same delivery: a
recording goes at once, through the outbox, to the listeners it now serves — members who received
the subject and have voice on (a notice's recipients; the absent members a meeting's conclusions
went to). On Zalo, which cannot carry voice, the outbox turns it into a short signed listen link.

Who may record: a notice's author or whoever manages its organisation; for conclusions, whoever
leads the meeting's cell. Who may listen: those who received it, and those who may record it.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.delivery.outbox import enqueue_many
from core.errors import Conflict, InvalidInput, NotFound
from core.meetings.access import managed_meeting
from core.meetings.common import KIND_CONCLUSIONS, NOTIFY_PRIORITY
from core.meetings.common import source_of as meeting_source
from core.meetings.models import Attendance, Invitation, Meeting
from core.meetings.render import when as meeting_when
from core.notices.models import Notice, NoticeRecipient, NoticeStatus
from core.orgs.models import Member, Org
from core.orgs.service import Actor
from core.ports import Attachment, OutboundMessage
from core.recordings.audio import PreparedAudio
from core.listening.buttons import SUBJECT_PREFIX as SUBJECT_PREFIX  # re-exported: callers need one module
from core.listening.buttons import listen_button as listen_button
from core.listening.buttons import record_button as record_button
from core.recordings.models import Recording, SubjectKind
from core.listening.choice import choose, language_names, recordings_of_subject, served_by
from core.recordings.service import RecordingResult, keep_recording

KINDS = (SubjectKind.NOTICE, SubjectKind.CONCLUSIONS)
NOTICE_OUTBOX_KIND = "notice"  # core.notices.service.KIND


@dataclass(frozen=True)
class Subject:
    """What is read out, whom it reaches and how its messages are keyed."""

    kind: str
    id: int
    org: Org
    heading: str  # HTML, e.g. «Thông báo của Chi bộ 1»
    text: str  # what the reader reads (plain text; may be empty for conclusions sent by voice)
    source: str  # the outbox source of the subject's messages
    outbox_kind: str
    revision: int  # conclusions sent again are a new text: their recordings start over
    listeners: Select  # type: ignore[type-arg]  # (member id, listen language)
    voice_file_id: str | None = None  # conclusions the secretary sent as a Telegram voice message (Vietnamese)
    voice_duration: int | None = None


@dataclass(frozen=True)
class Listening:
    """What one member hears for a subject: a person's recording, the secretary's own voice message
    (conclusions sent by voice), or else `text` for the synthetic voice under `caption`."""

    subject: Subject
    recording: Recording | None
    caption: str
    text: str


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(texts.common.NOT_FOUND)
    return kind


async def _notice(session: AsyncSession, notice_id: int) -> tuple[Subject, Notice]:
    notice = await session.get(Notice, notice_id)
    org = await session.get(Org, notice.org_id) if notice is not None else None
    if notice is None or org is None:
        raise NotFound(texts.common.NOT_FOUND)
    listeners = (
        select(Member.id, Member.listen_language).join(NoticeRecipient, NoticeRecipient.member_id == Member.id)
        .where(NoticeRecipient.notice_id == notice.id, NoticeRecipient.linked, Member.voice_enabled)
        .order_by(Member.id)
    )
    subject = Subject(
        kind=SubjectKind.NOTICE, id=notice.id, org=org, heading=texts.recordings.NOTICE_HEADING.format(org=html.escape(org.name)),
        text=notice.text or "", source=notice.source, outbox_kind=NOTICE_OUTBOX_KIND, revision=0, listeners=listeners,
    )
    return subject, notice


async def _conclusions(session: AsyncSession, meeting: Meeting, cell: Org) -> Subject:
    if meeting.conclusions_sent_at is None:
        raise Conflict(texts.recordings.CONCLUSIONS_NOT_SENT)
    listeners = (
        select(Member.id, Member.listen_language).join(Attendance, Attendance.member_id == Member.id)
        .where(Attendance.meeting_id == meeting.id, Attendance.present.is_(False), Member.voice_enabled)
        .order_by(Member.id)
    )
    return Subject(
        kind=SubjectKind.CONCLUSIONS, id=meeting.id, org=cell,
        heading=texts.recordings.CONCLUSIONS_HEADING.format(when=meeting_when(meeting)),
        text=meeting.conclusions_text or "", source=meeting_source(meeting.id), outbox_kind=KIND_CONCLUSIONS,
        revision=meeting.conclusions_revision, listeners=listeners,
        voice_file_id=meeting.conclusions_voice_file_id, voice_duration=meeting.conclusions_voice_duration,
    )


async def spoken_subject(session: AsyncSession, *, kind: str, subject_id: int) -> Subject | None:
    """A notice or a meeting's conclusions as the synthetic voice reads it (its text and its
    listeners), or None when there is nothing for it to read: the subject is gone, the notice was
    stopped, the conclusions are not sent yet or were sent by voice (a person's Vietnamese reading,
    which every listener hears). Read ahead by core.recordings.presynthesis."""
    if check_kind(kind) == SubjectKind.NOTICE:
        try:
            subject, notice = await _notice(session, subject_id)
        except NotFound:
            return None
        return None if notice.status == NoticeStatus.CANCELLED else subject
    meeting = await session.get(Meeting, subject_id)
    cell = await session.get(Org, meeting.cell_id) if meeting is not None else None
    if meeting is None or cell is None or meeting.conclusions_sent_at is None or meeting.conclusions_voice_file_id:
        return None
    return await _conclusions(session, meeting, cell)


async def recordable(session: AsyncSession, *, actor: Actor, kind: str, subject_id: int) -> Subject:
    """A notice or conclusions this person may record; NotFound or PermissionDenied otherwise."""
    if check_kind(kind) == SubjectKind.NOTICE:
        subject, notice = await _notice(session, subject_id)
        if notice.author_member_id != actor.member.id and not actor.manages(subject.org):
            raise actor.refusal(subject.org, texts.recordings.NOT_ALLOWED)
        if notice.status == NoticeStatus.CANCELLED:
            raise Conflict(texts.recordings.NOTICE_STOPPED)
        if not subject.text.strip():
            raise InvalidInput(texts.recordings.NOTHING_TO_READ)
        return subject
    meeting, cell = await managed_meeting(session, actor=actor, meeting_id=subject_id)
    return await _conclusions(session, meeting, cell)


async def _received(session: AsyncSession, *, actor: Actor, kind: str, subject_id: int) -> Subject | None:
    """The subject when this member received it (a notice's recipient, an invitee of the meeting)."""
    if check_kind(kind) == SubjectKind.NOTICE:
        subject, _ = await _notice(session, subject_id)
        mine = select(NoticeRecipient.id).where(NoticeRecipient.notice_id == subject_id, NoticeRecipient.member_id == actor.member.id)
    else:
        meeting = await session.get(Meeting, subject_id)
        cell = await session.get(Org, meeting.cell_id) if meeting is not None else None
        if meeting is None or cell is None:
            raise NotFound(texts.common.NOT_FOUND)
        subject = await _conclusions(session, meeting, cell)
        mine = select(Invitation.id).where(Invitation.meeting_id == subject_id, Invitation.member_id == actor.member.id)
    return subject if await session.scalar(mine) is not None else None


def caption(subject: Subject, language_name: str) -> str:
    return texts.recordings.SUBJECT_RECORDING_CAPTION.format(heading=subject.heading, language=language_name.lower())


def machine_caption(subject: Subject) -> str:
    return texts.recordings.MACHINE_VOICE_CAPTION.format(heading=subject.heading)


def recording_message(subject: Subject, recording: Recording, language_name: str) -> OutboundMessage:
    return OutboundMessage(
        text=caption(subject, language_name),
        attachment=Attachment(kind="voice", path=recording.path, duration=recording.duration, cache_key=recording.cache_key,
                              filename="ghi-am.ogg"),
    )


async def recordings(session: AsyncSession, *, actor: Actor, kind: str, subject_id: int) -> dict[str, Recording]:
    """The subject's recordings by language, for whoever may record it."""
    subject = await recordable(session, actor=actor, kind=kind, subject_id=subject_id)
    return await recordings_of_subject(session, kind=subject.kind, subject_id=subject.id)


async def add_recording(
    session: AsyncSession, *, actor: Actor, kind: str, subject_id: int, language: str, audio: PreparedAudio,
    store_dir: str | Path, now: dt.datetime,
) -> RecordingResult:
    """Keep the recording (replacing the one in that language) and send it now to every listener it
    serves: those of that language, and for Vietnamese also those whose language has no recording."""
    subject = await recordable(session, actor=actor, kind=kind, subject_id=subject_id)
    names = await language_names(session)
    if language not in names:
        raise InvalidInput(texts.recordings.UNKNOWN_LANGUAGE)
    recording = await keep_recording(session, kind=subject.kind, subject_id=subject.id, language=language, audio=audio,
                                     store_dir=store_dir, recorded_by_id=actor.member.id, now=now)
    recorded = await recordings_of_subject(session, kind=subject.kind, subject_id=subject.id)
    listeners = [(m, spoken) for m, spoken in (await session.execute(subject.listeners)).all() if m != actor.member.id]
    served = served_by(listeners, recorded, language)
    queued = 0
    if served:
        result = await enqueue_many(
            session, member_ids=served, kind=subject.outbox_kind, source=subject.source,
            message=recording_message(subject, recording, names[language]),
            # A new recording (new content) goes out again; the same one never twice.
            key_suffix=f"rec{subject.revision}-{language}-{recording.sha256[:16]}", priority=NOTIFY_PRIORITY, not_before=now,
        )
        queued = result.queued
    return RecordingResult(recording=recording, language_name=names[language], queued=queued, published=True)


async def listen(session: AsyncSession, *, actor: Actor, kind: str, subject_id: int) -> Listening:
    """«🔊 Nghe»: what this member hears — by the one rule, or the synthetic voice (labelled)."""
    subject = await _received(session, actor=actor, kind=kind, subject_id=subject_id)
    if subject is None:
        subject = await recordable(session, actor=actor, kind=kind, subject_id=subject_id)
    recorded = await recordings_of_subject(session, kind=subject.kind, subject_id=subject.id)
    chosen = choose(actor.member.listen_language, recorded)
    if chosen is not None:
        names = await language_names(session)
        return Listening(subject=subject, recording=recorded[chosen], caption=caption(subject, names.get(chosen, chosen)),
                         text=subject.text)
    return Listening(subject=subject, recording=None, caption=machine_caption(subject), text=subject.text)
