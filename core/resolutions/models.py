"""Documents (nghị quyết and other texts) flowing down the tree, members' bookmarks and study,
study campaigns with their quizzes, and the cells' monthly reports going up.

Visibility is one rule: a published document reaches every member whose cell is the document's
organisation or lies below it (`Document.org_id` is the member's cell or one of its ancestors).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow
from core.orgs.models import _enum


class DocumentKind(str, enum.Enum):
    """The code letters of a party document (the value is what appears in its code)."""

    NQ = "NQ"  # Nghị quyết
    CT = "CT"  # Chỉ thị
    QD = "QĐ"  # Quy định / Quyết định
    KL = "KL"  # Kết luận
    HD = "HD"  # Hướng dẫn
    KH = "KH"  # Kế hoạch
    TB = "TB"  # Thông báo
    DA = "ĐA"  # Đề án
    CV = "CV"  # Công văn


class DocumentState(str, enum.Enum):
    DRAFT = "draft"  # being prepared by its publisher; nobody else sees it
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"  # taken back by its publisher: gone from the library


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind, "document_kind"))
    code: Mapped[str | None] = mapped_column(String(64))  # "21-NQ/TW"
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(500))
    full_text: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # Folded (lowercase, no diacritics, đ→d; see core.resolutions.search): kind, code and title;
    # and everything (head, summary, full text). Searched with LIKE on either database.
    search_head: Mapped[str] = mapped_column(String(1200), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The original file, when one was uploaded: stored under DATA_DIR/files, and the platform's
    # file id once it has been sent (re-sent by id, never uploaded twice).
    file_path: Mapped[str | None] = mapped_column(String(512))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_mime: Mapped[str | None] = mapped_column(String(128))
    file_size: Mapped[int | None] = mapped_column(Integer)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_id: Mapped[str | None] = mapped_column(String(256))
    # Where it is published: this organisation and everything below it.
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    state: Mapped[DocumentState] = mapped_column(_enum(DocumentState, "document_state"), default=DocumentState.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # members it was sent to at publication

    __table_args__ = (Index("ix_documents_org_state_published", "org_id", "state", "published_at"),)


class Bookmark(Base):
    __tablename__ = "document_bookmarks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("member_id", "document_id"),)


class DocumentStudy(Base):
    """«✅ Tôi đã nghiên cứu»: a member confirms having studied a document (once)."""

    __tablename__ = "document_studies"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    studied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("member_id", "document_id"),)


class StudyCampaign(Base):
    """Học tập nghị quyết: an organisation asks every obliged member below it to study a document
    by a deadline, optionally with a short quiz."""

    __tablename__ = "study_campaigns"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)  # the end of the last local day
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # ended early by its organiser
    question_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("document_id", "org_id"),)


class QuizQuestion(Base):
    __tablename__ = "quiz_questions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("study_campaigns.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300))  # Telegram's poll question limit
    options: Mapped[list[str]] = mapped_column(JSON)  # 2..10, each ≤ 100 characters
    correct_option: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("campaign_id", "position"),)


class StudyAssignment(Base):
    """One member asked to study in one campaign, and how far they got.

    Written for every obliged member of the campaign's subtree when it opens (like meeting
    invitations), and kept current as the member studies and answers: the monthly figures are then
    one grouped scan of this table. `cell_id` is the member's cell at assignment time.
    """

    __tablename__ = "study_assignments"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("study_campaigns.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    studied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    quiz_answered: Mapped[int] = mapped_column(Integer, default=0)
    quiz_correct: Mapped[int] = mapped_column(Integer, default=0)
    quiz_completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("campaign_id", "member_id"),)


class QuizAnswer(Base):
    __tablename__ = "quiz_answers"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    option: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("question_id", "member_id"),)


class QuizPoll(Base):
    """A Telegram quiz poll sent to one member for one question: `poll_answer` updates carry only
    the poll id and the user, so this maps them back."""

    __tablename__ = "quiz_polls"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    poll_id: Mapped[str] = mapped_column(String(64), unique=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StudyReminder(Base):
    """A reminder sent (or queued) for (campaign, member, kind): never twice."""

    __tablename__ = "study_reminders"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("study_campaigns.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "d3": three days before, "d1": the day before
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("campaign_id", "member_id", "kind"),)


__all__ = [
    "Bookmark",
    "Document",
    "DocumentKind",
    "DocumentState",
    "DocumentStudy",
    "QuizAnswer",
    "QuizPoll",
    "QuizQuestion",
    "StudyAssignment",
    "StudyCampaign",
    "StudyReminder",
]
