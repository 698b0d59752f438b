"""Sign-in links and browser sessions of the web console. Both are random secrets kept only as hashes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow


class ConsoleLoginLink(Base):
    """A one-time sign-in link the bot gave a secretary or committee member: valid a few minutes, once."""

    __tablename__ = "console_login_links"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Where it was asked for: "telegram" or "zalo".
    platform: Mapped[str] = mapped_column(String(16), default="telegram")


class ConsoleSession(Base):
    """A browser's session: ends when idle too long, at its absolute expiry, or when signed out."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # How it began: "link" (a one-time link from the bot) or "webapp" (the Telegram Mini App).
    via: Mapped[str] = mapped_column(String(16), default="link")


__all__ = ["ConsoleLoginLink", "ConsoleSession"]
