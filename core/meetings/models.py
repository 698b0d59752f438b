"""Cell meetings: the meeting itself, its documents, who is invited and what they answered,
who came, and the monthly rules that create regular meetings by themselves.

`Meeting.starts_at` and `Meeting.status` are the source of truth for everything timed around a
meeting (answers close at the start, reminders count back from it): change them only through
`core.meetings.service`, which bumps `version` and tells the members.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow
from core.orgs.models import _enum


class MeetingKind(str, enum.Enum):
    REGULAR = "regular"  # sinh hoạt thường kỳ
    THEMATIC = "thematic"  # sinh hoạt chuyên đề
    COMMITTEE = "committee"  # sinh hoạt chi ủy: only the cell committee is invited


class MeetingStatus(str, enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"  # attendance has been recorded


class Answer(str, enum.Enum):
    NONE = "none"
    ATTENDING = "attending"
    ABSENCE_REQUESTED = "absence_requested"  # waiting for the secretary
    EXCUSED = "excused"  # absence approved
    ABSENCE_REFUSED = "absence_refused"


class AbsenceReason(str, enum.Enum):
    SICK = "sick"
    BUSINESS_TRIP = "business_trip"
    FAMILY = "family"
    OTHER = "other"


class DocumentKind(str, enum.Enum):
    DOCUMENT = "document"  # sent as a file
    PHOTO = "photo"  # sent as a picture


class RecurrenceRule(Base):
    """"Ngày 4 hàng tháng, 19:30": each next occurrence is created by the scheduler."""

    __tablename__ = "meeting_rules"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(_enum(MeetingKind, "meeting_kind"), default=MeetingKind.REGULAR)
    day_of_month: Mapped[int] = mapped_column(Integer)  # 1..31; clamped to a shorter month's last day
    local_time: Mapped[dt.time] = mapped_column(Time)  # in the deployment's time zone
    place: Mapped[str] = mapped_column(String(255))
    agenda: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(_enum(MeetingKind, "meeting_kind"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(255))
    agenda: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MeetingStatus] = mapped_column(_enum(MeetingStatus, "meeting_status"), default=MeetingStatus.SCHEDULED)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_rules.id", ondelete="SET NULL"))
    # The local date a rule created this meeting for (unique per rule: the scheduler never doubles).
    occurrence_on: Mapped[dt.date | None] = mapped_column()
    # Bumped by every change members are told about; change notices are keyed by it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    conclusions_text: Mapped[str | None] = mapped_column(Text)
    conclusions_voice_file_id: Mapped[str | None] = mapped_column(String(256))
    conclusions_voice_duration: Mapped[int | None] = mapped_column(Integer)
    conclusions_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    conclusions_revision: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("rule_id", "occurrence_on"),
        Index("ix_meetings_cell_starts", "cell_id", "starts_at"),
        Index("ix_meetings_updated_at", "updated_at"),  # reminders re-plan meetings changed since their last look
    )


class MeetingDocument(Base):
    """A file attached to a meeting: from the messenger, kept as the platform's file id and sent by
    id; uploaded over HTTP, kept on disk (`file_path`, named by its content hash) and sent from there
    (the delivery worker remembers the platform's id after the first upload)."""

    __tablename__ = "meeting_documents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind, "meeting_document_kind"), default=DocumentKind.DOCUMENT)
    file_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    file_path: Mapped[str | None] = mapped_column(String(512), nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(Base):
    """One member invited to one meeting, and their answer."""

    __tablename__ = "meeting_invitations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    # False for an exempt member who asked to be invited: an absence is never held against them.
    obliged: Mapped[bool] = mapped_column(Boolean, default=True)
    answer: Mapped[Answer] = mapped_column(_enum(Answer, "meeting_answer"), default=Answer.NONE)
    reason_kind: Mapped[AbsenceReason | None] = mapped_column(_enum(AbsenceReason, "absence_reason"))
    reason_text: Mapped[str | None] = mapped_column(Text)
    reason_voice_file_id: Mapped[str | None] = mapped_column(String(256))
    reason_voice_duration: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped on every change of answer, so each absence request and decision is its own message.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)


class Attendance(Base):
    __tablename__ = "meeting_attendance"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)


__all__ = [
    "AbsenceReason",
    "Answer",
    "Attendance",
    "DocumentKind",
    "Invitation",
    "Meeting",
    "MeetingDocument",
    "MeetingKind",
    "MeetingStatus",
    "RecurrenceRule",
]
