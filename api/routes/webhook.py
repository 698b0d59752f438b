"""Telegram's webhook: authenticated by the secret token Telegram echoes in a header."""

from __future__ import annotations

import hmac
import logging

from aiogram.types import Update
from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import ValidationError

from api.deps import RuntimeDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["telegram"])
MAX_UPDATE_BYTES = 1_000_000


@router.post("/telegram/webhook", summary="Receives updates from Telegram", include_in_schema=False)
async def telegram_webhook(
    request: Request,
    runtime: RuntimeDep,
    secret: str | None = Header(default=None, alias="X-Telegram-Bot-Api-Secret-Token"),
) -> dict[str, bool]:
    expected = runtime.settings.webhook_secret
    if expected is None or runtime.bot is None or runtime.dispatcher is None:
        raise HTTPException(404, "webhook is not enabled")
    if secret is None or not hmac.compare_digest(secret, expected.get_secret_value()):
        raise HTTPException(401, "missing or wrong secret token")
    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        raise HTTPException(413, "update too large")
    try:
        update = Update.model_validate_json(body, context={"bot": runtime.bot})
    except ValidationError:
        raise HTTPException(400, "malformed update") from None
    await runtime.dispatcher.feed_update(runtime.bot, update)
    return {"ok": True}
