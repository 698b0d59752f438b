"""Peers and screen memory for channels whose ids are not aiogram's (Zalo: string ids) and which
have no buttons (a typed "1" must be resolved against the screen the person saw)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow


class ChannelPeer(Base):
    """A person on a channel whose ids are strings, with the stable int id the bot layer uses."""

    __tablename__ = "channel_peers"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelScreen(Base):
    """A screen sent to a chat: its id is the message id the bot layer sees; `choices` maps the
    number a person types to what it selects:
    [{"number": 1, "kind": "callback" | "reply" | "poll", "value": str, "label": str, "words": [str]}]."""

    __tablename__ = "channel_screens"
    __table_args__ = (Index("ix_channel_screens_chat", "platform", "chat_id", "sent_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # by the platform's clock when it said
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    poll_id: Mapped[str | None] = mapped_column(String(64))
