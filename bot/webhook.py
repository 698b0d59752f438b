"""`POST /telegram/webhook`: Telegram's updates, authenticated by the secret token Telegram echoes
in a header. A router factory beside the Telegram adapter that the composition root mounts on the
API (api/ does not import bot), as bot/zalo/webhook.py does for Zalo."""

from __future__ import annotations

import hmac
import logging

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import ValidationError

log = logging.getLogger(__name__)
PATH = "/telegram/webhook"
MAX_UPDATE_BYTES = 1_000_000


def webhook_router(bot: Bot | None, dispatcher: Dispatcher | None, secret: str | None) -> APIRouter:
    """Mounted always: without a secret, a bot and a dispatcher it answers 404 (webhook not enabled)."""
    router = APIRouter(tags=["telegram"])

    @router.post(PATH, summary="Receives updates from Telegram", include_in_schema=False)
    async def telegram_webhook(
        request: Request, token: str | None = Header(default=None, alias="X-Telegram-Bot-Api-Secret-Token")
    ) -> dict[str, bool]:
        if secret is None or bot is None or dispatcher is None:
            raise HTTPException(404, "webhook is not enabled")
        if token is None or not hmac.compare_digest(token, secret):
            raise HTTPException(401, "missing or wrong secret token")
        body = await request.body()
        if len(body) > MAX_UPDATE_BYTES:
            raise HTTPException(413, "update too large")
        try:
            update = Update.model_validate_json(body, context={"bot": bot})
        except ValidationError:
            raise HTTPException(400, "malformed update") from None
        await dispatcher.feed_update(bot, update)
        return {"ok": True}

    return router
