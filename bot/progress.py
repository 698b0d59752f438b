"""No silent waits: while something slow runs for a person (a voice note being synthesised, a document
being published), Telegram shows the bot "recording a voice message…" and, past about a second, a short
«đang chuẩn bị…» message says why nothing has come yet (deleted when the work is done).

The heartbeat runs beside the work; the work itself (synthesis) runs off the event loop, so other
people's updates are answered meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

log = logging.getLogger(__name__)

NOTE_AFTER = 1.0  # seconds of silence before the «đang chuẩn bị…» message
ACTION_EVERY = 4.0  # Telegram shows a chat action for about five seconds


@contextlib.asynccontextmanager
async def working(bot: Bot, chat_id: int, action: str, note: str | None = None) -> AsyncIterator[None]:
    """The chat action now and every few seconds while the body runs; `note` once it has taken over NOTE_AFTER."""
    done = asyncio.Event()
    shown: list[int] = []

    async def heartbeat() -> None:
        try:
            await bot.send_chat_action(chat_id, action)
            if await _finished(done, NOTE_AFTER):
                return
            if note:
                shown.append((await bot.send_message(chat_id, note)).message_id)
            while not await _finished(done, ACTION_EVERY):
                await bot.send_chat_action(chat_id, action)
        except (TelegramAPIError, TelegramNetworkError, OSError) as failure:  # a sign of work is never worth failing the work
            log.info("progress sign not shown: %s", type(failure).__name__)

    beat = asyncio.create_task(heartbeat())
    try:
        yield
    finally:
        done.set()
        await beat
        for message_id in shown:
            with contextlib.suppress(TelegramAPIError, TelegramNetworkError, OSError):
                await bot.delete_message(chat_id, message_id)


async def _finished(done: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(done.wait(), seconds)
    except asyncio.TimeoutError:
        return False
    return True
