"""`POST /zalo/webhook`: Zalo's updates, authenticated by the secret it echoes in
`X-Bot-Api-Secret-Token`. A router factory the composition root mounts (api/ does not import bot)."""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, Header, HTTPException, Request

from bot.zalo.inbound import ZaloInbound

log = logging.getLogger(__name__)
PATH = "/zalo/webhook"
MAX_UPDATE_BYTES = 256_000


def webhook_router(inbound: ZaloInbound, secret: str) -> APIRouter:
    router = APIRouter(tags=["zalo"])

    @router.post(PATH, include_in_schema=False)
    async def zalo_webhook(request: Request, token: str | None = Header(default=None, alias="X-Bot-Api-Secret-Token")) -> dict[str, bool]:
        if token is None:
            raise HTTPException(401, "missing secret token")
        if not hmac.compare_digest(token.encode(), secret.encode()):
            raise HTTPException(403, "wrong secret token")
        body = await request.body()
        if len(body) > MAX_UPDATE_BYTES:
            raise HTTPException(413, "update too large")
        try:
            update = json.loads(body)
        except ValueError:
            raise HTTPException(400, "malformed update") from None
        if not isinstance(update, dict):
            raise HTTPException(400, "malformed update")
        await inbound.handle(update)
        return {"ok": True}

    return router
