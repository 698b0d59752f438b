"""Long polling of Zalo's getUpdates: one update per call, no offset (the platform forgets an
update once it has returned it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.zalo.client import ZaloClient
from bot.zalo.inbound import ZaloInbound
from core.ports import RecipientUnreachable, SendError

log = logging.getLogger(__name__)


async def poll(client: ZaloClient, inbound: ZaloInbound, stop: asyncio.Event, *, timeout: int = 10) -> None:
    tasks: set[asyncio.Task[None]] = set()
    delay = 1.0
    with contextlib.suppress(SendError):
        await client.delete_webhook()  # getUpdates is refused while a webhook is set
    while not stop.is_set():
        waiting = asyncio.create_task(client.get_update(timeout))
        stopping = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping in done:
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await waiting
            break
        stopping.cancel()
        try:
            update = waiting.result()
        except (SendError, RecipientUnreachable) as exc:
            log.warning("zalo getUpdates failed (%s); retrying in %.0fs", exc.reason, delay)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 30)
            continue
        delay = 1.0
        if update:
            task = asyncio.create_task(_handle(inbound, update))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


async def _handle(inbound: ZaloInbound, update: dict) -> None:  # type: ignore[type-arg]
    try:
        await inbound.handle(update)
    except Exception:  # one bad update must not stop the loop; the dispatcher already apologised
        log.exception("zalo update failed")
