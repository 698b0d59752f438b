"""What is due lives here: one row per (invitation, reminder kind), so nothing is sent twice."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow
from core.orgs.models import _enum


class ReminderKind(str, enum.Enum):
    EVE = "eve"  # the evening before
    BEFORE = "before"  # a couple of hours before
    NUDGE = "nudge"  # to those who have not answered yet


class ReminderState(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"  # queued in the outbox (the outbox delivers it)
    DROPPED = "dropped"  # no longer useful; `reason` says why (excused, meeting_cancelled, stale, superseded, ...)


class MeetingReminder(Base):
    __tablename__ = "meeting_reminders"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("meeting_invitations.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReminderKind] = mapped_column(_enum(ReminderKind, "reminder_kind"))
    # Already moved out of quiet hours when planned.
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The meeting time this row was planned for: a moved meeting is re-planned, and may remind again.
    planned_for: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[ReminderState] = mapped_column(_enum(ReminderState, "reminder_state"), default=ReminderState.PENDING)
    reason: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("invitation_id", "kind"),
        Index("ix_meeting_reminders_due", "state", "due_at"),
    )


class ReminderPlan(Base):
    """The meeting time and version each meeting's reminders were planned for.

    Planning is a diff against `meetings` changed since the last look (`meetings.updated_at`,
    set by every change in core.meetings.service): a new meeting has no plan, a moved one a
    different time, one with new invitations (an edit invites members who joined since) a
    different version. The meetings service needs no call into this domain.
    """

    __tablename__ = "meeting_reminder_plans"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    planned_for: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    meeting_version: Mapped[int] = mapped_column(default=0)
    invitations: Mapped[int] = mapped_column(default=0)
    planned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Watermark(Base):
    """How far a tick job has looked (e.g. "meetings changed since"), shared by every instance."""

    __tablename__ = "scheduling_watermarks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ReminderReplan(Base):
    """A committee's reminder defaults changed: its subtree's upcoming reminders still to re-plan.

    One row per committee, worked through by the planner tick a batch of cells at a time (cells in
    id order after `after_cell_id`), so a province-wide change is never one unbounded request.
    A new change to the same committee restarts it, for the union of the changed keys.
    """

    __tablename__ = "reminder_replans"

    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True)
    keys: Mapped[list[str]] = mapped_column(JSON, default=list)  # changed keys: cells that set them all are left alone
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # when members count as told of the change
    after_cell_id: Mapped[int] = mapped_column(BigInteger, default=0)
