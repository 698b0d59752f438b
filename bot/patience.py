"""Interactive replies wait out a short flood limit instead of failing.

Telegram may answer 429 when a handler sends a few messages to one chat in a burst. A person
waiting for an answer is better served by a short pause than by an apology. Bulk sending
does not pass through here: the delivery worker must see every 429 to pause the whole budget,
so only calls made while handling an update (marked by the update middleware) are retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod

handling_update: ContextVar[bool] = ContextVar("sotay_handling_update", default=False)
MAX_WAIT_SECONDS = 5
MAX_RETRIES = 3


@contextmanager
def answering_a_person() -> Iterator[None]:
    """Mark the calls made inside as replies to someone waiting: the update middleware does it for
    handlers; the error handler runs outside it (after the middleware rolled back) and needs it too,
    or the refusal of a typo is lost to the flood limit of the very burst that preceded it."""
    marker = handling_update.set(True)
    try:
        yield
    finally:
        handling_update.reset(marker)


class PatientReplies(BaseRequestMiddleware):
    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        retries = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if not handling_update.get() or retries >= MAX_RETRIES or exc.retry_after > MAX_WAIT_SECONDS:
                    raise
                retries += 1
                await asyncio.sleep(exc.retry_after)
