"""Zalo people's int peer ids and the screens each chat was shown, in the database (shared by
processes, kept across restarts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.zalo.choices import Choice
from core.conversation.models import ChannelPeer, ChannelScreen

PLATFORM = "zalo"
KEEP_SCREENS = 30  # per chat: enough to answer the screens still on the person's phone


async def peer_id(session: AsyncSession, zalo_user_id: str, display_name: str = "") -> int:
    """The stable int id of a Zalo person, allocated on first contact."""
    found = await session.scalar(select(ChannelPeer.id).where(ChannelPeer.platform == PLATFORM, ChannelPeer.platform_user_id == zalo_user_id))
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            peer = ChannelPeer(platform=PLATFORM, platform_user_id=zalo_user_id, display_name=display_name[:255])
            session.add(peer)
        return peer.id
    except IntegrityError:  # allocated concurrently by another process
        found = await session.scalar(select(ChannelPeer.id).where(ChannelPeer.platform == PLATFORM, ChannelPeer.platform_user_id == zalo_user_id))
        assert found is not None
        return found


async def zalo_id(session: AsyncSession, peer: int) -> str | None:
    return await session.scalar(select(ChannelPeer.platform_user_id).where(ChannelPeer.id == peer, ChannelPeer.platform == PLATFORM))


async def record_screen(
    session: AsyncSession, *, chat_id: str, sent_at: dt.datetime, platform_message_id: str | None, text: str,
    choices: Sequence[Choice] = (), poll_id: str | None = None,
) -> ChannelScreen:
    screen = ChannelScreen(
        platform=PLATFORM, chat_id=chat_id, sent_at=sent_at, platform_message_id=platform_message_id, text=text,
        choices=[c.to_json() for c in choices], poll_id=poll_id,
    )
    session.add(screen)
    await session.flush()
    return screen


async def mark_sent(session: AsyncSession, screen_id: int, *, sent_at: dt.datetime, platform_message_id: str | None) -> None:
    row = await session.get(ChannelScreen, screen_id)
    if row is not None:
        row.sent_at = sent_at
        row.platform_message_id = platform_message_id


async def forget(session: AsyncSession, screen_id: int) -> None:
    await session.execute(delete(ChannelScreen).where(ChannelScreen.id == screen_id))


async def screen(session: AsyncSession, screen_id: int) -> ChannelScreen | None:
    return await session.get(ChannelScreen, screen_id)


async def seen_at(session: AsyncSession, *, chat_id: str, at: dt.datetime) -> ChannelScreen | None:
    """The newest screen that had arrived when the person wrote (sent at or before `at`)."""
    return await session.scalar(
        select(ChannelScreen).where(ChannelScreen.platform == PLATFORM, ChannelScreen.chat_id == chat_id, ChannelScreen.sent_at <= at)
        .order_by(ChannelScreen.sent_at.desc(), ChannelScreen.id.desc()).limit(1)
    )


async def newest_with_reply_keyboard(session: AsyncSession, *, chat_id: str, at: dt.datetime) -> ChannelScreen | None:
    """The persistent menu (a reply keyboard stays on Telegram until replaced): its words still work."""
    rows = (await session.execute(
        select(ChannelScreen).where(ChannelScreen.platform == PLATFORM, ChannelScreen.chat_id == chat_id, ChannelScreen.sent_at <= at)
        .order_by(ChannelScreen.sent_at.desc(), ChannelScreen.id.desc()).limit(KEEP_SCREENS)
    )).scalars()
    for row in rows:
        if any(c.get("kind") == "reply" for c in row.choices):
            return row
    return None


# A quiz question waiting for the one before it to be answered: never "seen" (see seen_at).
QUEUED = dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc)


async def open_poll(session: AsyncSession, *, chat_id: str) -> ChannelScreen | None:
    """A quiz question sent or queued and not answered yet (its choices are cleared once answered)."""
    rows = (await session.execute(
        select(ChannelScreen).where(ChannelScreen.platform == PLATFORM, ChannelScreen.chat_id == chat_id, ChannelScreen.poll_id.is_not(None))
        .order_by(ChannelScreen.id.desc()).limit(KEEP_SCREENS)
    )).scalars()
    return next((row for row in rows if row.choices), None)


async def next_queued(session: AsyncSession, *, chat_id: str) -> ChannelScreen | None:
    return await session.scalar(
        select(ChannelScreen).where(ChannelScreen.platform == PLATFORM, ChannelScreen.chat_id == chat_id, ChannelScreen.sent_at == QUEUED)
        .order_by(ChannelScreen.id).limit(1)
    )


async def answered(session: AsyncSession, screen_id: int) -> None:
    row = await session.get(ChannelScreen, screen_id)
    if row is not None:
        row.choices = []


def choices_of(row: ChannelScreen) -> list[Choice]:
    return [Choice.from_json(c) for c in row.choices or []]


async def prune(session: AsyncSession, *, chat_id: str) -> None:
    keep = select(ChannelScreen.id).where(ChannelScreen.platform == PLATFORM, ChannelScreen.chat_id == chat_id).order_by(ChannelScreen.id.desc()).limit(KEEP_SCREENS)
    keep_ids = list((await session.execute(keep)).scalars())
    if len(keep_ids) >= KEEP_SCREENS:
        await session.execute(delete(ChannelScreen).where(ChannelScreen.platform == PLATFORM, ChannelScreen.chat_id == chat_id, ChannelScreen.id < min(keep_ids)))
