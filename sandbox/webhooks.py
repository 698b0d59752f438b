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
from typing import Any, Generic, Protocol, TypeVar

import aiohttp

from sandbox.botapi import BotApi, Params
from sandbox.errors import ApiError
from sandbox.state import BotAccount, World, wait_for_signal

log = logging.getLogger("sandbox.webhooks")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class _Webhook(Protocol):
    url: str


class HookedBot(Protocol):
    """What pushing needs of a bot, on either side."""

    id: Any
    webhook: Any  # the webhook (url, secret_token) or None
    webhook_task: asyncio.Task[None] | None
    webhook_changed: Any  # a Signal: setWebhook/deleteWebhook
    updates: Any
    stats: Any


BotT = TypeVar("BotT", bound=HookedBot)


class WebhookPusher(Generic[BotT]):
    """One delivery loop per bot with a webhook, shared by the Telegram and Zalo sides: the oldest
    pending update is POSTed until the bot answers 2xx, then removed; a failure is remembered (each
    side in its own words) and retried after a pause that doubles up to `max_retry`; a new
    setWebhook/deleteWebhook ends the pause early."""

    SIDE = "Telegram"

    def __init__(self, world: Any, *, first_retry: float = 0.2, max_retry: float = 5.0) -> None:
        self.world = world  # .bots (by id) and .closing
        self.first_retry = first_retry
        self.max_retry = max_retry
        self._session: aiohttp.ClientSession | None = None

    def ensure_running(self, bot: BotT) -> None:
        """Start the bot's delivery loop when it has a webhook and none is running."""
        if bot.webhook is not None and (bot.webhook_task is None or bot.webhook_task.done()):
            bot.webhook_task = asyncio.create_task(self._deliver(bot), name=f"{self.SIDE.lower()}-webhook-{bot.id}")

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

    # What each side does differently.
    def _next_update(self, bot: BotT) -> dict[str, Any] | None:
        raise NotImplementedError

    def _request(self, bot: BotT, update: dict[str, Any]) -> tuple[bytes, dict[str, str], float]:
        """The body, headers and timeout of the POST carrying `update`."""
        raise NotImplementedError

    def _remember_failure(self, bot: BotT, error: str) -> None:
        raise NotImplementedError

    async def _taken(self, bot: BotT, answer: bytes) -> None:
        """The bot answered 2xx with `answer`."""

    async def _deliver(self, bot: BotT) -> None:
        delay = self.first_retry
        while bot.webhook is not None and not self.world.closing:
            arrived = bot.updates.arrived.listen()
            update = self._next_update(bot)
            if update is None:
                await wait_for_signal(arrived, 60.0)
                continue
            error = await self._post(bot, update)
            if error is None:
                bot.updates.remove(update)
                bot.stats.events["webhook_deliveries"] += 1
                delay = self.first_retry
                continue
            self._remember_failure(bot, error)
            bot.stats.events["webhook_failures"] += 1
            log.info("%s webhook of bot %s failed (%s); retrying in %.1fs", self.SIDE, bot.id, error, delay)
            # A new setWebhook/deleteWebhook ends the pause early; new updates do not.
            await wait_for_signal(bot.webhook_changed.listen(), delay)
            delay = min(delay * 2, self.max_retry)

    async def _post(self, bot: BotT, update: dict[str, Any]) -> str | None:
        """None when the bot took the update; else the platform's words for what went wrong."""
        webhook: _Webhook | None = bot.webhook
        if webhook is None:
            return "Webhook was deleted"
        if self._session is None:
            self._session = aiohttp.ClientSession()
        body, headers, timeout = self._request(bot, update)
        try:
            async with self._session.post(webhook.url, data=body, headers=headers,
                                          timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                answer = await response.read()
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as error:
            return f"Connection failed: {type(error).__name__}"
        await self._taken(bot, answer)
        return None


class WebhookDelivery(WebhookPusher[BotAccount]):
    """Telegram's: the update as the body, the secret in X-Telegram-Bot-Api-Secret-Token, and a
    method the bot puts in its answer is run."""

    def __init__(self, world: World, api: BotApi, *, first_retry: float = 0.2, max_retry: float = 5.0,
                 request_timeout: float = 30.0) -> None:
        super().__init__(world, first_retry=first_retry, max_retry=max_retry)
        self.api = api
        self.request_timeout = request_timeout

    def _next_update(self, bot: BotAccount) -> dict[str, Any] | None:
        pending = bot.updates.peek(1)
        return pending[0] if pending else None

    def _request(self, bot: BotAccount, update: dict[str, Any]) -> tuple[bytes, dict[str, str], float]:
        headers = {"Content-Type": "application/json"}
        assert bot.webhook is not None
        if bot.webhook.secret_token:
            headers[SECRET_HEADER] = bot.webhook.secret_token
        return json.dumps(update, ensure_ascii=False).encode(), headers, self.request_timeout

    def _remember_failure(self, bot: BotAccount, error: str) -> None:
        bot.last_error_date = int(time.time())
        bot.last_error_message = error

    async def _taken(self, bot: BotAccount, answer: bytes) -> None:
        await self._run_reply_method(bot, answer)

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
