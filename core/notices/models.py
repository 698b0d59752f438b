"""Broadcast notices (thông báo): a secretary's message to every member of an organisation."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow
from core.orgs.models import _enum


class NoticeStatus(str, enum.Enum):
    SENDING = "sending"  # queued in the outbox; the worker is sending
    DONE = "done"  # everything was tried; the author got the final report
    CANCELLED = "cancelled"  # the author stopped it; what was not sent stays unsent


class AttachmentKind(str, enum.Enum):
    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    author_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    # The organisation addressed: a cell, or a committee meaning its whole subtree.
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    # A file the author sent to the bot: its platform file id is reused for every recipient.
    attachment_kind: Mapped[AttachmentKind | None] = mapped_column(_enum(AttachmentKind, "notice_attachment_kind"))
    attachment_file_id: Mapped[str | None] = mapped_column(String(256))
    # A file uploaded over the API: kept on disk (named by its content hash) and sent from there once
    # per bot, then by the platform's id (the delivery worker remembers it); its name as uploaded.
    attachment_path: Mapped[str | None] = mapped_column(String(512))
    attachment_filename: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[NoticeStatus] = mapped_column(_enum(NoticeStatus, "notice_status"), default=NoticeStatus.SENDING)
    # An urgent notice of a committee; with paid broadcasts on, sent at up to 1,000 messages a second.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What the author confirmed it costs in Telegram Stars (recipients on Telegram × the price): None = free.
    paid_stars: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    # The same request twice (a double tap, an API retry) creates one notice.
    request_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    recipients_total: Mapped[int] = mapped_column(Integer, default=0)
    recipients_linked: Mapped[int] = mapped_column(Integer, default=0)
    # The author's status message, edited as sending goes on ("Đã gửi 120/938").
    status_chat_id: Mapped[str | None] = mapped_column(String(64))
    status_message_id: Mapped[str | None] = mapped_column(String(64))
    progress_shown: Mapped[int] = mapped_column(Integer, default=0)
    progress_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # The progress job looks only at notices not finished yet.
    __table_args__ = (Index("ix_notices_finished_at", "finished_at"),)

    @property
    def source(self) -> str:
        """The outbox source of the broadcast rows."""
        return f"notice:{self.id}"

    @property
    def author_source(self) -> str:
        """The outbox source of what goes back to the author (status edits, the final report)."""
        return f"notice:{self.id}:author"


class NoticeRecipient(Base):
    """Who a notice was meant for, frozen when it was sent, and when each confirmed «Đã xem».

    One row per member in the audience, linked or not: the final report names those who have
    no account yet, and «Đã xem» is accepted only from a recipient.
    """

    __tablename__ = "notice_recipients"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    linked: Mapped[bool] = mapped_column(Boolean, default=True)
    seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("notice_id", "member_id"),)
