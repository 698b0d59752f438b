"""A file a Zalo member sent (a photo on Zalo's CDN) or one the bot published, shown on Telegram:
the Zalo adapter's file ids ("zurl:…", "zfile:…") become files Telegram's bot uploads, so a Zalo
member's photo reaches a secretary who reads on Telegram."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.types import FSInputFile, URLInputFile

from bot.zalo.session import PATH_FILE, URL_FILE

MEDIA_FIELDS = ("photo", "voice", "audio", "document")


def portable(value: Any) -> Any:
    if isinstance(value, str):
        if value.startswith(URL_FILE):
            return URLInputFile(value[len(URL_FILE):])
        if value.startswith(PATH_FILE):
            return FSInputFile(value[len(PATH_FILE):])
    return value


class PortableFiles(BaseRequestMiddleware):
    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        for name in MEDIA_FIELDS:
            value = getattr(method, name, None)
            if isinstance(value, str) and value.startswith((URL_FILE, PATH_FILE)):
                method = method.model_copy(update={name: portable(value)})
        return await make_request(bot, method)
