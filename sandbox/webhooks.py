"""Pushing updates to a bot's webhook, one at a time and in order, as Telegram does.

A bot that is down must not lose updates or take the sandbox down with it: failures are remembered
(getWebhookInfo shows them), retried with growing pauses, and the update stays pending until the
bot answers 2xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import aiohttp

from sandbox.botapi import BotApi, Params
from sandbox.errors import ApiError
from sandbox.state import BotAccount, World, wait_for_signal

log = logging.getLogger("sandbox.webhooks")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    def __init__(self, world: World, api: BotApi, *, first_retry: float = 0.2, max_retry: float = 5.0,
                 request_timeout: float = 30.0) -> None:
        self.world = world
        self.api = api
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.request_timeout = request_timeout
        self._session: aiohttp.ClientSession | None = None

    def ensure_running(self, bot: BotAccount) -> None:
        """Start the bot's delivery loop when it has a webhook and none is running."""
        if bot.webhook is not None and (bot.webhook_task is None or bot.webhook_task.done()):
            bot.webhook_task = asyncio.create_task(self._deliver(bot), name=f"webhook-{bot.id}")

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

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.request_timeout))
        return self._session

    async def _deliver(self, bot: BotAccount) -> None:
        delay = self.first_retry
        while bot.webhook is not None and not self.world.closing:
            arrived = bot.updates.arrived.listen()
            pending = bot.updates.peek(1)
            if not pending:
                await wait_for_signal(arrived, 60.0)
                continue
            update = pending[0]
            error = await self._post(bot, update)
            if error is None:
                bot.updates.remove(update)
                bot.stats.events["webhook_deliveries"] += 1
                delay = self.first_retry
                continue
            bot.last_error_date = int(time.time())
            bot.last_error_message = error
            bot.stats.events["webhook_failures"] += 1
            log.info("webhook of bot %s failed (%s); retrying in %.1fs", bot.id, error, delay)
            # A new setWebhook/deleteWebhook ends the pause early; new updates do not.
            await wait_for_signal(bot.webhook_changed.listen(), delay)
            delay = min(delay * 2, self.max_retry)

    async def _post(self, bot: BotAccount, update: dict[str, Any]) -> str | None:
        """None when the bot took the update; else Telegram's words for what went wrong."""
        webhook = bot.webhook
        if webhook is None:
            return "Webhook was deleted"
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers[SECRET_HEADER] = webhook.secret_token
        try:
            async with self._http().post(webhook.url, data=json.dumps(update, ensure_ascii=False).encode(),
                                         headers=headers) as response:
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                body = await response.read()
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as error:
            return f"Connection failed: {type(error).__name__}"
        await self._run_reply_method(bot, body)
        return None

    async def _run_reply_method(self, bot: BotAccount, body: bytes) -> None:
        """Telegram runs a method the bot puts in its webhook answer ({"method": "sendMessage", ...})."""
        try:
            reply = json.loads(body) if body else None
        except ValueError:
            return
        if not isinstance(reply, dict) or not isinstance(reply.get("method"), str):
            return
        method = reply.pop("method")
        try:
            params = Params.decode(reply)
        except ApiError:  # Telegram ignores a malformed reply; so do we
            return
        status, answer = await self.api.execute(bot, method, params)
        if status != 200:
            log.info("webhook reply %s of bot %s failed: %s", method, bot.id, answer.get("description"))
