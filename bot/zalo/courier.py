"""Sending one screen to a Zalo chat (text parts, numbered list last) and remembering it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares import handler_session
from bot.zalo import memory
from bot.zalo.choices import Choice
from bot.zalo.client import ZaloClient
from bot.zalo.render import render
from core.clock import Clock, SystemClock

log = logging.getLogger(__name__)



class MediaPublisher(Protocol):
    """Publishes a voice note or a file as a short signed, expiring link to a listen/download page."""

    async def publish(self, *, kind: str, path: str | None = None, data: bytes | None = None, filename: str | None = None,
                      title: str | None = None, text: str | None = None) -> str: ...


@dataclass(frozen=True)
class Sent:
    screen_id: int
    platform_message_id: str | None
    sent_at: dt.datetime


def from_ms(value: object, fallback: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.timezone.utc)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return fallback


class ZaloCourier:
    def __init__(self, client: ZaloClient, session_factory: async_sessionmaker[AsyncSession], *, clock: Clock | None = None,
                 media: MediaPublisher | None = None) -> None:
        self.client = client
        self.session_factory = session_factory
        self.clock = clock or SystemClock()
        self.media = media
        self._zalo_ids: dict[int, str] = {}

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        current = handler_session.get()
        if current is not None:
            yield current
            return
        async with self.session_factory() as session:
            yield session
            await session.commit()

    async def zalo_chat(self, chat_id: int | str) -> str | None:
        """A chat id as aiogram knows it (a peer id) → the Zalo chat id."""
        if isinstance(chat_id, str) and not chat_id.lstrip("-").isdigit():
            return chat_id
        peer = int(chat_id)
        if peer not in self._zalo_ids:
            async with self.db() as session:
                found = await memory.zalo_id(session, peer)
            if found is None:
                return None
            self._zalo_ids[peer] = found
        return self._zalo_ids[peer]

    def remember_peer(self, peer: int, zalo_user_id: str) -> None:
        self._zalo_ids[peer] = zalo_user_id

    async def send_screen(self, chat_id: str, text: str, *, choices: Sequence[Choice] = (), links: Sequence[tuple[str, str]] = (),
                          is_html: bool = True, poll_id: str | None = None, remember: bool = True,
                          memo_text: str | None = None) -> Sent:
        """Every part in order; the screen is remembered once the last part (with the list) is sent."""
        parts = render(text, choices, links, is_html=is_html) or ["…"]
        result: dict[str, object] = {}
        for part in parts:
            result = await self.client.send_message(chat_id, part) or {}
        now = self.clock.now()
        sent_at = from_ms(result.get("date"), now)
        message_id = str(result["message_id"]) if result.get("message_id") else None
        if not remember:
            return Sent(screen_id=0, platform_message_id=message_id, sent_at=sent_at)
        async with self.db() as session:
            row = await memory.record_screen(session, chat_id=chat_id, sent_at=sent_at, platform_message_id=message_id, text=text if memo_text is None else memo_text,
                                             choices=choices, poll_id=poll_id)
            await memory.prune(session, chat_id=chat_id)
            return Sent(screen_id=row.id, platform_message_id=message_id, sent_at=sent_at)

    async def send_photo(self, chat_id: str, url: str, caption: str | None) -> Sent:
        result = await self.client.send_photo(chat_id, url, caption[:2000] if caption else None) or {}
        now = self.clock.now()
        async with self.db() as session:
            row = await memory.record_screen(session, chat_id=chat_id, sent_at=from_ms(result.get("date"), now),
                                             platform_message_id=str(result.get("message_id") or "") or None, text=caption or "")
            return Sent(screen_id=row.id, platform_message_id=row.platform_message_id, sent_at=row.sent_at)
