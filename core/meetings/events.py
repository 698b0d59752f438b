"""What other domains may follow about meetings (reminders recompute when a meeting moves).

`Meeting.starts_at` and `Meeting.status` stay the source of truth; listeners are a convenience
for work that must happen in the same transaction as the change (e.g. cancelling queued
reminders). A listener must not commit.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from core.meetings.models import Meeting


class MeetingEvent(str, enum.Enum):
    CREATED = "created"
    MOVED = "moved"  # starts_at changed; `previous_starts_at` holds the old value
    CHANGED = "changed"  # place, agenda or documents changed
    CANCELLED = "cancelled"
    HELD = "held"  # attendance recorded for the first time


Listener = Callable[[AsyncSession, Meeting, MeetingEvent, "dt.datetime | None"], Awaitable[None]]

_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Register once, at import time of the listening domain."""
    if listener not in _listeners:
        _listeners.append(listener)


async def publish(session: AsyncSession, meeting: Meeting, event: MeetingEvent, *, previous_starts_at: dt.datetime | None = None) -> None:
    for listener in list(_listeners):
        await listener(session, meeting, event, previous_starts_at)
