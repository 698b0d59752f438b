"""Sending one screen to a Zalo chat (text parts, numbered list last) and remembering it."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares import commit_before_sending, handler_session
from bot.zalo import memory
from bot.zalo.choices import Choice
from bot.zalo.client import ZaloClient
from bot.zalo.render import render
from core.clock import Clock, SystemClock
from core.ports import RateLimitedError

log = logging.getLogger(__name__)
# Answering a person, a short flood limit is waited out (as bot/patience.py does for Telegram); the
# delivery worker is not patient: its budget and retries handle a 429.
PATIENCE_SECONDS = 5.0
PATIENT_ATTEMPTS = 4



class MediaPublisher(Protocol):
    """Publishes a voice note or a file as a short signed, expiring link to a listen/download page."""

    async def publish(self, *, kind: str, path: str | None = None, data: bytes | None = None, filename: str | None = None,
                      title: str | None = None, text: str | None = None) -> str: ...


@dataclass(frozen=True)
class Sent:
    screen_id: int
    platform_message_id: str | None
    sent_at: dt.datetime


def wall_clock() -> dt.datetime:
    """Screens are compared with the platform's clock, not the domain's (which tests and demos move)."""
    return dt.datetime.now(dt.timezone.utc)


def from_ms(value: object, fallback: dt.datetime) -> dt.datetime:
    if not isinstance(value, int | float | str):  # JSON's other values (None, lists, objects) are no time
        return fallback
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.timezone.utc)
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
        """A chat id as aiogram knows it (an int peer id) → the Zalo chat id. A string that is no
        peer id is taken as a Zalo id already (Zalo's ids are hex and may, rarely, be all digits)."""
        is_number = isinstance(chat_id, int) or str(chat_id).lstrip("-").isdigit()
        if not is_number:
            return str(chat_id)
        peer = int(chat_id)
        if peer not in self._zalo_ids:
            async with self.db() as session:
                found = await memory.zalo_id(session, peer)
            if found is None:
                return str(chat_id) if isinstance(chat_id, str) and len(chat_id) >= 8 else None
            self._zalo_ids[peer] = found
        return self._zalo_ids[peer]

    def remember_peer(self, peer: int, zalo_user_id: str) -> None:
        self._zalo_ids[peer] = zalo_user_id

    async def send_screen(self, chat_id: str, text: str, *, choices: Sequence[Choice] = (), links: Sequence[tuple[str, str]] = (),
                          is_html: bool = True, poll_id: str | None = None, remember: bool = True,
                          memo_text: str | None = None, patient: bool = False) -> Sent:
        """Every part in order, the numbered list in the last one. The screen is remembered and
        committed (inside a handler, with what the handler changed so far) before it is sent, so a
        reply that comes back at once finds it; its time is then set to the platform's time of sending."""
        parts = render(text, choices, links, is_html=is_html) or ["…"]
        screen_id = 0
        if remember:
            async with self.db() as session:
                row = await memory.record_screen(session, chat_id=chat_id, sent_at=wall_clock(), platform_message_id=None,
                                                 text=text if memo_text is None else memo_text, choices=choices, poll_id=poll_id)
                screen_id = row.id
                await memory.prune(session, chat_id=chat_id)
            await commit_before_sending()  # in a handler: remembered (with the handler's work) before the network call
        result: dict[str, object] = {}
        try:
            for part in parts:
                result = await self._patiently(patient, self.client.send_message, chat_id, part) or {}
        except BaseException:
            if screen_id:
                async with self.db() as session:
                    await memory.forget(session, screen_id)
            raise
        sent_at = from_ms(result.get("date"), wall_clock())
        message_id = str(result["message_id"]) if result.get("message_id") else None
        if screen_id:
            async with self.db() as session:
                await memory.mark_sent(session, screen_id, sent_at=sent_at, platform_message_id=message_id)
        return Sent(screen_id=screen_id, platform_message_id=message_id, sent_at=sent_at)

    async def queue_screen(self, chat_id: str, text: str, *, choices: Sequence[Choice], poll_id: str) -> Sent:
        """Remember a quiz question to send once the one before it is answered (Zalo shows no polls:
        one numbered question at a time, so "2" can only mean one thing)."""
        async with self.db() as session:
            row = await memory.record_screen(session, chat_id=chat_id, sent_at=memory.QUEUED, platform_message_id=None, text=text,
                                             choices=choices, poll_id=poll_id)
            return Sent(screen_id=row.id, platform_message_id=None, sent_at=wall_clock())

    async def send_next_queued(self, chat_id: str) -> None:
        async with self.db() as session:
            row = await memory.next_queued(session, chat_id=chat_id)
            if row is None:
                return
            screen_id, text, choices = row.id, row.text, memory.choices_of(row)
        parts = render(text, choices, is_html=False)
        result: dict[str, object] = {}
        for part in parts:
            result = await self._patiently(True, self.client.send_message, chat_id, part) or {}
        async with self.db() as session:
            await memory.mark_sent(session, screen_id, sent_at=from_ms(result.get("date"), wall_clock()),
                                   platform_message_id=str(result.get("message_id") or "") or None)

    async def _patiently(self, patient: bool, call, *args):  # type: ignore[no-untyped-def]
        for attempt in range(PATIENT_ATTEMPTS):
            try:
                return await call(*args)
            except RateLimitedError as limited:
                if not patient or attempt == PATIENT_ATTEMPTS - 1 or limited.retry_after > PATIENCE_SECONDS:
                    raise
                await asyncio.sleep(limited.retry_after)
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_photo(self, chat_id: str, url: str, caption: str | None, *, patient: bool = False) -> Sent:
        result = await self._patiently(patient, self.client.send_photo, chat_id, url, caption[:2000] if caption else None) or {}
        now = wall_clock()
        async with self.db() as session:
            row = await memory.record_screen(session, chat_id=chat_id, sent_at=from_ms(result.get("date"), now),
                                             platform_message_id=str(result.get("message_id") or "") or None, text=caption or "")
            return Sent(screen_id=row.id, platform_message_id=row.platform_message_id, sent_at=row.sent_at)
