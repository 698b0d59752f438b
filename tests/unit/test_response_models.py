"""aiogram's answer models stay built: a garbage collection does not make the next call rebuild them."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from aiogram import Bot
from aiogram.methods import GetMyName, GetUpdates, Response, TelegramMethod

from bot.dispatcher import create_bot
from bot.response_models import KeepResponseModels


def made_in_a_function(method: type[TelegramMethod[Any]]) -> weakref.ref[type[Any]]:
    """As aiogram's check_response does: build it, use it, drop it."""
    return weakref.ref(Response[method.__returning__])


async def test_a_method_answer_model_survives_garbage_collection_once_kept() -> None:
    KeepResponseModels.kept.clear()

    async def sent(bot: Bot, method: TelegramMethod[Any]) -> Any:
        return "answer"

    bot = Bot("123456:" + "A" * 35)
    try:
        assert await KeepResponseModels()(sent, bot, GetUpdates()) == "answer"  # passes the call on unchanged
    finally:
        await bot.session.close()
    kept = weakref.ref(KeepResponseModels.kept[GetUpdates])
    gc.collect()
    assert kept() is not None and Response[GetUpdates.__returning__] is kept()  # pydantic's weak cache still has it
    assert set(KeepResponseModels.kept) == {GetUpdates}


def test_without_keeping_a_collection_drops_the_model() -> None:
    """What the middleware is for: a model built in a function and held by nothing is gone after a collection."""
    made = made_in_a_function(GetMyName)
    gc.collect()
    assert made() is None


def test_the_bot_keeps_its_answer_models() -> None:
    bot = create_bot("123456:" + "A" * 35, "http://127.0.0.1:9")
    assert any(isinstance(m, KeepResponseModels) for m in bot.session.middleware._middlewares)
