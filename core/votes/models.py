"""Votes (biểu quyết) in cell meetings, and the annual quality review (đánh giá, xếp loại).

A secret ballot is split over two tables that share nothing but the vote id:
`vote_participations` says *who* has voted (no choice), `secret_ballots` says *what* was chosen
(no member, no time, a random id, and while the vote is open a keyed receipt only the voter's own
key can find again). See docs/votes.md.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow
from core.orgs.models import _enum


class BallotKind(str, enum.Enum):
    OPEN = "open"  # each member's choice is recorded by name
    SECRET = "secret"  # see the module docstring
    HAND = "hand"  # held in the room by raised hands; the secretary records the counts


class VoteStatus(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class Voters(str, enum.Enum):
    MEMBERS = "members"  # every official member of the cell (exempt ones only if present)
    PRESENT = "present"  # only official members marked present at the meeting


class Rating(str, enum.Enum):
    EXCELLENT = "excellent"  # Hoàn thành xuất sắc nhiệm vụ
    GOOD = "good"  # Hoàn thành tốt nhiệm vụ
    COMPLETE = "complete"  # Hoàn thành nhiệm vụ
    INCOMPLETE = "incomplete"  # Không hoàn thành nhiệm vụ


class Vote(Base):
    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)  # option 0 approves
    kind: Mapped[BallotKind] = mapped_column(_enum(BallotKind, "ballot_kind"))
    voters: Mapped[Voters] = mapped_column(_enum(Voters, "vote_voters"), default=Voters.MEMBERS)
    status: Mapped[VoteStatus] = mapped_column(_enum(VoteStatus, "vote_status"), default=VoteStatus.OPEN)
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # The cell's rule when the vote opened: valid with more than quorum_num/quorum_den of the
    # eligible voting, passed with more than majority_num/majority_den of the eligible approving.
    quorum_num: Mapped[int] = mapped_column(Integer, default=1)
    quorum_den: Mapped[int] = mapped_column(Integer, default=2)
    majority_num: Mapped[int] = mapped_column(Integer, default=1)
    majority_den: Mapped[int] = mapped_column(Integer, default=2)
    # What the vote decides, e.g. "review:<entry id>" with the proposed rating in subject_value.
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_value: Mapped[str | None] = mapped_column(String(32))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Filled when it closes.
    eligible_count: Mapped[int | None] = mapped_column(Integer)
    voted_count: Mapped[int | None] = mapped_column(Integer)
    counts: Mapped[list[int] | None] = mapped_column(JSON)
    valid: Mapped[bool | None] = mapped_column(Boolean)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    # Bumped on each change members' screens show (their ballot messages are keyed by it).
    revision: Mapped[int] = mapped_column(Integer, default=0)


class OpenBallot(Base):
    """A member's choice in an open vote; changed in place until the vote closes."""

    __tablename__ = "vote_open_ballots"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    option: Mapped[int] = mapped_column(Integer)
    cast_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("vote_id", "member_id"),)


class VoteParticipation(Base):
    """Who has voted in a secret ballot — never what. No time, no sequence: (vote, member) is the key."""

    __tablename__ = "vote_participations"

    vote_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)


class SecretBallot(Base):
    """What was chosen in a secret ballot — never by whom.

    `id` is random (not a sequence), there is no timestamp, and `receipt` is an HMAC of (vote,
    member) under a server key kept out of the database: only the voter's own request can compute
    it and find their ballot to change it. On closing, receipts are erased and the rows rewritten in
    random order, so nothing is left to link a ballot to anyone.
    """

    __tablename__ = "secret_ballots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), index=True)
    option: Mapped[int] = mapped_column(Integer)
    receipt: Mapped[str | None] = mapped_column(String(64), unique=True)


class ReviewCycle(Base):
    """A committee's annual review for its subtree."""

    __tablename__ = "review_cycles"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    self_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    cell_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decide_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    top_limit_percent: Mapped[int] = mapped_column(Integer, default=20)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (UniqueConstraint("org_id", "year"),)


class ReviewEntry(Base):
    """One member's review in one cycle: self-assessment, the cell's proposal, the committee's decision."""

    __tablename__ = "review_entries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    self_text: Mapped[str | None] = mapped_column(Text)
    self_voice_file_id: Mapped[str | None] = mapped_column(String(256))
    self_voice_duration: Mapped[int | None] = mapped_column(Integer)
    self_rating: Mapped[Rating | None] = mapped_column(_enum(Rating, "review_rating"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cell_vote_id: Mapped[int | None] = mapped_column(ForeignKey("votes.id", ondelete="SET NULL"))
    cell_rating: Mapped[Rating | None] = mapped_column(_enum(Rating, "review_rating"))
    final_rating: Mapped[Rating | None] = mapped_column(_enum(Rating, "review_rating"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reconsider_reason: Mapped[str | None] = mapped_column(Text)
    reconsider_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reconsidered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped on each decision, so each result message is its own.
    revision: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("cycle_id", "member_id"),)


__all__ = [
    "BallotKind",
    "OpenBallot",
    "Rating",
    "ReviewCycle",
    "ReviewEntry",
    "SecretBallot",
    "Vote",
    "VoteParticipation",
    "VoteStatus",
    "Voters",
]
