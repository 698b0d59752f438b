"""Pushing a Zalo bot's updates to its webhook, one at a time and in order.

As on the Telegram side: a bot that is down loses nothing and cannot take the sandbox down; each failure is
remembered (the control API's stats show it), retried with growing pauses, and the update stays queued until
the bot answers 2xx. The body is the envelope the SDK docs show, {"ok": true, "result": update}, with the
secret in X-Bot-Api-Secret-Token.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.webhooks import WebhookPusher
from sandbox.zalo.state import ZaloBot, ZaloWorld

SECRET_HEADER = "X-Bot-Api-Secret-Token"


class ZaloWebhookDelivery(WebhookPusher[ZaloBot]):
    SIDE = "Zalo"

    def __init__(self, world: ZaloWorld, *, first_retry: float = 0.2, max_retry: float = 5.0) -> None:
        super().__init__(world, first_retry=first_retry, max_retry=max_retry)

    def _next_update(self, bot: ZaloBot) -> dict[str, Any] | None:
        return bot.updates.first()

    def _request(self, bot: ZaloBot, update: dict[str, Any]) -> tuple[bytes, dict[str, str], float]:
        assert bot.webhook is not None
        body = json.dumps({"ok": True, "result": update}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", SECRET_HEADER: bot.webhook.secret_token}
        return body, headers, bot.limits.webhook_timeout

    def _remember_failure(self, bot: ZaloBot, error: str) -> None:
        bot.last_webhook_error = error
