"""Buttons whose features are not built yet answer honestly that they are coming.

Each domain removes its entry here when its own router takes the button over.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.filters import Linked
from core import texts

COMING: list[str] = []


async def coming_soon(message: Message) -> None:
    assert message.text is not None
    await message.answer(texts.common.COMING_SOON.format(feature=message.text))


def build() -> Router:
    router = Router(name="placeholders")
    router.message.filter(Linked())
    router.message.register(coming_soon, F.text.in_(COMING))
    return router
