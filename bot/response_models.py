"""Keeps aiogram's answer models alive between calls.

aiogram validates every Bot API answer with `Response[method.__returning__]`, a pydantic generic model.
pydantic caches such a model only weakly, and aiogram builds it inside a function, so nothing holds it:
the next garbage collection drops it and the next call of that method builds it again, which costs
10–130 ms of CPU (getUpdates' `Response[list[Update]]` is the dearest). Under a training hall's load
this was an eighth of the demo's main thread (py-spy, docs/scaling.md). Holding each model once made
keeps it cached for the life of the process: one per Bot API method the bot uses.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod


class KeepResponseModels(BaseRequestMiddleware):
    kept: ClassVar[dict[type[Any], type[Any]]] = {}  # method class → its Response[...] model

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        kind = type(method)
        if kind not in self.kept:
            # Parametrised by a value at run time, as aiogram does: no static type for mypy to check.
            self.kept[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)
