"""Members' comments, reports and proposals, the answers they get, and their way up the tree."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow
from core.orgs.models import _enum


class FeedbackKind(str, enum.Enum):
    COMMENT = "comment"  # góp ý
    REPORT = "report"  # phản ánh
    PROPOSAL = "proposal"  # đề xuất, kiến nghị


class FeedbackState(str, enum.Enum):
    OPEN = "open"  # waiting for an answer at its current level
    ANSWERED = "answered"  # at least one reply reached the member
    CLOSED = "closed"  # settled: no more replies or forwarding


# The letters that open a reference number, as a Vietnamese reader expects them.
REFERENCE_PREFIXES: dict[FeedbackKind, str] = {
    FeedbackKind.COMMENT: "GY",
    FeedbackKind.REPORT: "PA",
    FeedbackKind.PROPOSAL: "ĐX",
}


class FeedbackItem(Base):
    """One comment, report or proposal from a member.

    `addressed_org_id` is where the member sent it (their cell, or the committee directly above);
    `current_org_id` is where it is handled now, the same or an ancestor after forwarding upward.
    Readers: the author, and whoever manages the addressed organisation (so its ancestors too).
    """

    __tablename__ = "feedback_items"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # "GY-2026-000123": kind, local year of creation, id. Set right after the first flush.
    reference: Mapped[str] = mapped_column(String(24), unique=True, nullable=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[FeedbackKind] = mapped_column(_enum(FeedbackKind, "feedback_kind"))
    addressed_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    current_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    voice_file_id: Mapped[str | None] = mapped_column(String(256))
    voice_duration: Mapped[int | None] = mapped_column(Integer)
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    mime_type: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[FeedbackState] = mapped_column(_enum(FeedbackState, "feedback_state"), default=FeedbackState.OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The first answer; kept when the item is forwarded or closed, so monthly figures stay true.
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))

    __table_args__ = (
        # The rate limit counts one member's recent items.
        Index("ix_feedback_items_author_created", "author_id", "created_at"),
        Index("ix_feedback_items_current_state", "current_org_id", "state"),
    )

    @property
    def has_voice(self) -> bool:
        return self.voice_file_id is not None

    @property
    def has_photo(self) -> bool:
        return self.photo_file_id is not None


class FeedbackReply(Base):
    __tablename__ = "feedback_replies"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    # The organisation the reply speaks for (the item's current level when it was written).
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    text: Mapped[str | None] = mapped_column(Text)
    voice_file_id: Mapped[str | None] = mapped_column(String(256))
    voice_duration: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackForward(Base):
    __tablename__ = "feedback_forwards"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    from_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    to_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    by_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


__all__ = [
    "REFERENCE_PREFIXES",
    "FeedbackForward",
    "FeedbackItem",
    "FeedbackKind",
    "FeedbackReply",
    "FeedbackState",
]
