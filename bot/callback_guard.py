"""Button data is read before any router sees it: a number no database id can be (over 64 bits, from a
forged or corrupted button) is refused politely here, once for every router, instead of reaching a
query and failing there ("Python int too large", "value out of int64 range")."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject

from core import texts

ID_MAX = 2**63 - 1  # BIGINT, the widest id column
_NUMBER = re.compile(r"^-?\d+$")


def impossible_number(data: str | None) -> bool:
    """True when a field of the button's data is a number outside a 64-bit signed integer."""
    return any(_NUMBER.match(field) and abs(int(field)) > ID_MAX for field in (data or "").split(":"))


class ImpossibleIds(BaseMiddleware):
    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        if isinstance(event, CallbackQuery) and impossible_number(event.data):
            await event.answer(texts.common.BUTTON_INVALID, show_alert=True)
            return None
        return await handler(event, data)
