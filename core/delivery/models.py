"""The outbox: every outbound message is a row first, written in the transaction of the change
that causes it, and only then sent by a delivery worker."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow
from core.orgs.models import _enum


class OutboxState(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker; `claimed_until` is its lease
    SENT = "sent"
    FAILED = "failed"  # the platform refused the message itself (400): retrying cannot help
    UNREACHABLE = "unreachable"  # the member blocked the bot or the account is gone (403)
    CANCELLED = "cancelled"


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # The member it is for. No foreign key: members are never deleted (they are retired), and the
    # check locked the member's row for every message queued, a third of the outbox INSERT (100,000
    # reminders at once: docs/scaling.md).
    member_id: Mapped[int | None] = mapped_column(BigIntPK, index=True)
    platform: Mapped[str] = mapped_column(String(16), default="telegram")
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    # What caused it ("notice:12", "meeting:7"), so a whole source can be followed or cancelled.
    source: Mapped[str] = mapped_column(String(64), index=True)
    # One message per (source, member, purpose): a second enqueue of the same key is a no-op.
    idempotency_key: Mapped[str] = mapped_column(String(160))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher first: a reply beats a broadcast
    # A paid broadcast (Telegram's allow_paid_broadcast, for urgent notices only): sent in the budget's
    # paid lane when the operator's SOTAY_PAID_BROADCAST is set, as an ordinary message when it is not.
    paid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    state: Mapped[OutboxState] = mapped_column(_enum(OutboxState, "outbox_state"), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Which claim holds the row: a worker records a result or renews a lease only with its own token,
    # so a row taken over after an expired lease is never written by the worker that lost it.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    sent_by: Mapped[str | None] = mapped_column(String(128))  # the worker that sent it: "host:pid"
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )


class MediaFile(Base):
    """A platform's file id for content we uploaded once (voice notes, documents), by content key."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    bot_id: Mapped[str] = mapped_column(String(32), default="")
    cache_key: Mapped[str] = mapped_column(String(128))
    file_id: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("platform", "bot_id", "cache_key"),)
