"""Pushing a Zalo bot's updates to its webhook, one at a time and in order.

As on the Telegram side: a bot that is down loses nothing and cannot take the sandbox down; each failure is
remembered (the control API's stats show it), retried with growing pauses, and the update stays queued until
the bot answers 2xx. The body is the envelope the SDK docs show, {"ok": true, "result": update}, with the
secret in X-Bot-Api-Secret-Token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import aiohttp

from sandbox.state import wait_for_signal
from sandbox.zalo.state import ZaloBot, ZaloWorld

log = logging.getLogger("sandbox.zalo.webhooks")
SECRET_HEADER = "X-Bot-Api-Secret-Token"


class ZaloWebhookDelivery:
    def __init__(self, world: ZaloWorld, *, first_retry: float = 0.2, max_retry: float = 5.0) -> None:
        self.world = world
        self.first_retry = first_retry
        self.max_retry = max_retry
        self._session: aiohttp.ClientSession | None = None

    def ensure_running(self, bot: ZaloBot) -> None:
        if bot.webhook is not None and (bot.webhook_task is None or bot.webhook_task.done()):
            bot.webhook_task = asyncio.create_task(self._deliver(bot), name=f"zalo-webhook-{bot.id}")

    async def close(self) -> None:
        tasks = [bot.webhook_task for bot in self.world.bots.values() if bot.webhook_task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _deliver(self, bot: ZaloBot) -> None:
        delay = self.first_retry
        while bot.webhook is not None and not self.world.closing:
            arrived = bot.updates.arrived.listen()
            update = bot.updates.first()
            if update is None:
                await wait_for_signal(arrived, 60.0)
                continue
            error = await self._post(bot, update)
            if error is None:
                bot.updates.remove(update)
                bot.stats.events["webhook_deliveries"] += 1
                delay = self.first_retry
                continue
            bot.last_webhook_error = error
            bot.stats.events["webhook_failures"] += 1
            log.info("Zalo webhook of bot %s failed (%s); retrying in %.1fs", bot.id, error, delay)
            await wait_for_signal(bot.webhook_changed.listen(), delay)  # setWebhook/deleteWebhook end the pause
            delay = min(delay * 2, self.max_retry)

    async def _post(self, bot: ZaloBot, update: dict[str, Any]) -> str | None:
        """None when the bot took the update; else what went wrong."""
        webhook = bot.webhook
        if webhook is None:
            return "Webhook was deleted"
        if self._session is None:
            self._session = aiohttp.ClientSession()
        body = json.dumps({"ok": True, "result": update}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", SECRET_HEADER: webhook.secret_token}
        try:
            timeout = aiohttp.ClientTimeout(total=bot.limits.webhook_timeout)
            async with self._session.post(webhook.url, data=body, headers=headers, timeout=timeout) as response:
                await response.read()
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as error:
            return f"Connection failed: {type(error).__name__}"
        return None
