"""The Zalo Bot Platform's methods, answering as the platform does (see sandbox/README.md, "Zalo side").

Each method checks its parameters first (400), then spends the rate budget (429), then changes the
world, so a refused call leaves no trace in the chat.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.errors import ApiError, bad_request, too_many_requests
from sandbox.state import wait_for_signal
from sandbox.zalo.state import CHAT_ACTION_SECONDS, StoredImage, ZaloBot, ZaloChat, ZaloEntry, ZaloWebhook, ZaloWorld, now_ms, sniff_image

log = logging.getLogger("sandbox.zalo")
CHAT_ACTIONS = frozenset({"typing", "upload_photo"})
WEBHOOK_SECRET = re.compile(r"[\x21-\x7e]{8,256}")
LOOPBACK_HOSTS = frozenset({"localhost"})
# What each method reads; anything else a bot sends is ignored, as the platform ignores it.
KNOWN_FIELDS = {
    "getMe": frozenset(), "getUpdates": frozenset({"timeout"}), "setWebhook": frozenset({"url", "secret_token"}),
    "deleteWebhook": frozenset(), "getWebhookInfo": frozenset(), "sendMessage": frozenset({"chat_id", "text"}),
    "sendPhoto": frozenset({"chat_id", "photo", "caption"}), "sendSticker": frozenset({"chat_id", "sticker"}),
    "sendChatAction": frozenset({"chat_id", "action"}),
}
NO_RESULT = object()  # sendChatAction answers {"ok": true} without a result, as the docs show


def _text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ZaloApi:
    def __init__(self, world: ZaloWorld, *, media_url: Callable[[str], str],
                 on_webhook_change: Callable[[ZaloBot], None] | None = None) -> None:
        self.world = world
        self._media_url = media_url  # stored image name → absolute URL the bot (and the page) can fetch
        self._on_webhook_change = on_webhook_change or (lambda bot: None)
        self._session: aiohttp.ClientSession | None = None
        self.methods: dict[str, Callable[[ZaloBot, dict[str, Any]], Awaitable[Any]]] = {
            "getMe": self.get_me, "getUpdates": self.get_updates, "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook, "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message, "sendPhoto": self.send_photo, "sendSticker": self.send_sticker,
            "sendChatAction": self.send_chat_action,
        }

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------------------ dispatch

    async def execute(self, bot: ZaloBot, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One call → (HTTP status, body). The long-poll timeout is an error answered with HTTP 200."""
        try:
            result = await self._call(bot, method, params)
        except ApiError as error:
            bot.stats.responses[error.code] += 1
            if error.code != 408:  # the long poll's normal end is no refusal
                bot.stats.refusals[error.description] += 1
            return (200 if error.code == 408 else error.code), error.body()
        except Exception:
            log.exception("sandbox failed in Zalo %s", method)
            bot.stats.responses[500] += 1
            return 500, ApiError(500, "Internal Server Error").body()
        bot.stats.responses[200] += 1
        return 200, {"ok": True} if result is NO_RESULT else {"ok": True, "result": result}

    async def _call(self, bot: ZaloBot, method: str, params: dict[str, Any]) -> Any:
        handler = self.methods.get(method)
        if handler is None:
            raise ApiError(404, "Not Found")
        bot.stats.methods[method] += 1
        fault = bot.faults.next_for(method)
        if fault is not None and not fault.after_effect:
            raise ApiError(fault.code, fault.description, fault.retry_after)
        result = await handler(bot, params)
        if fault is not None:
            raise ApiError(fault.code, fault.description, fault.retry_after)
        return result

    # ------------------------------------------------------------------------ shared steps

    def _chat(self, bot: ZaloBot, params: dict[str, Any]) -> ZaloChat:
        chat_id = _text(params, "chat_id")
        if not chat_id:
            raise bad_request("chat_id is required")
        chat = self.world.existing_chat(bot, chat_id)
        if chat_id not in self.world.people or (bot.limits.require_contact and (chat is None or not chat.contacted)):
            raise bad_request("chat not found")
        return chat or self.world.chat(bot, chat_id)

    @staticmethod
    def _spend_rate(bot: ZaloBot, chat: ZaloChat) -> None:
        retry_after = bot.rate.retry_after(chat.person_id)
        if retry_after:
            raise too_many_requests(retry_after)

    def _post(self, bot: ZaloBot, chat: ZaloChat, method: str, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        """The bot's message appears in the chat; → what the platform answers, {message_id, date}."""
        entry = ZaloEntry(message_id=self.world.new_message_id(), sender="bot", date=now_ms(), version=self.world.touch(chat.key),
                          ignored_fields=sorted(set(params) - KNOWN_FIELDS[method]), **content)
        chat.entries.append(entry)
        chat.action = None
        bot.stats.events["messages_sent"] += 1
        return {"message_id": entry.message_id, "date": entry.date}

    @staticmethod
    def _bounded(value: str | None, limit: int, name: str, *, required: bool) -> str | None:
        if value is None and not required:
            return None
        if not value or not value.strip() or len(value) > limit:
            raise bad_request(f"{name} must be between 1 and {limit} characters")
        return value

    # ------------------------------------------------------------------------ methods

    async def get_me(self, bot: ZaloBot, params: dict[str, Any]) -> Any:
        return bot.me()

    async def get_updates(self, bot: ZaloBot, params: dict[str, Any]) -> Any:
        if bot.webhook is not None:
            raise ApiError(409, "Conflict: getUpdates is not available while a webhook is set; call deleteWebhook first")
        raw = params.get("timeout")
        try:
            timeout = 30.0 if raw is None or raw == "" else float(raw)
        except (TypeError, ValueError):
            raise bad_request("timeout must be a number of seconds") from None
        timeout = min(max(timeout, 0.0), float(bot.limits.max_long_poll_seconds))
        bot.poller_generation += 1
        generation = bot.poller_generation
        bot.updates.arrived.fire()  # an older long poll now ends with 409 (when polling is exclusive)
        deadline = time.monotonic() + timeout
        while True:
            arrived = bot.updates.arrived.listen()
            if bot.limits.exclusive_polling and generation != bot.poller_generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request")
            if bot.webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            update = bot.updates.pop()
            if update is not None:
                return update
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.world.closing:
                raise ApiError(408, "Request timeout")
            await wait_for_signal(arrived, remaining)

    async def set_webhook(self, bot: ZaloBot, params: dict[str, Any]) -> Any:
        url = _text(params, "url") or ""
        secret = _text(params, "secret_token")
        if not url:
            raise bad_request("url is required")
        if not (url.startswith("https://") or (url.startswith("http://") and is_loopback_url(url))):
            raise bad_request("url must be an HTTPS URL")
        if secret is None or not WEBHOOK_SECRET.fullmatch(secret):
            raise bad_request("secret_token must be 8 to 256 characters")
        bot.webhook = ZaloWebhook(url, secret)
        bot.webhook_updated_at = now_ms()
        bot.last_webhook_error = None
        bot.webhook_changed.fire()
        bot.updates.arrived.fire()  # a waiting getUpdates ends with 409
        self._on_webhook_change(bot)
        return {"url": url, "updated_at": bot.webhook_updated_at}

    async def delete_webhook(self, bot: ZaloBot, params: dict[str, Any]) -> Any:
        bot.webhook = None
        bot.webhook_updated_at = now_ms()
        bot.webhook_changed.fire()
        return {"url": "", "updated_at": bot.webhook_updated_at}

    async def get_webhook_info(self, bot: ZaloBot, params: dict[str, Any]) -> Any:
        return {"url": bot.webhook.url if bot.webhook else "", "updated_at": bot.webhook_updated_at}

    async def send_message(self, bot: ZaloBot, params: dict[str, Any]) -> Any:
        chat = self._chat(bot, params)
        text = self._bounded(_text(params, "text"), bot.limits.max_text, "text", required=True)
        self._spend_rate(bot, chat)
        return self._post(bot, chat, "sendMessage", params, kind="text", text=text)

    async def send_photo(self, bot: ZaloBot, params: dict[str, Any]) -> Any:
        chat = self._chat(bot, params)
        photo = (_text(params, "photo") or "").strip()
        if not photo:
            raise ApiError(400, "The photo must not be empty")
        if not photo.startswith(("http://", "https://")):
            raise ApiError(400, "The photo must start with http:// or https://")
        caption = self._bounded(_text(params, "caption") or None, bot.limits.max_caption, "caption", required=False)
        # A URL it cannot use costs no budget. Without fetching (tests whose URLs lead nowhere), the page
        # shows the URL itself.
        image_url = self._media_url((await self._fetch_image(bot, photo)).name) if bot.limits.fetch_photos else None
        self._spend_rate(bot, chat)
        return self._post(bot, chat, "sendPhoto", params, kind="image", photo=photo, caption=caption, image_url=image_url)

    async def send_sticker(self, bot: ZaloBot, params: dict[str, Any]) -> Any:
        chat = self._chat(bot, params)
        sticker = (_text(params, "sticker") or "").strip()
        if not sticker:
            raise bad_request("sticker is required")
        self._spend_rate(bot, chat)
        return self._post(bot, chat, "sendSticker", params, kind="sticker", sticker=sticker)

    async def send_chat_action(self, bot: ZaloBot, params: dict[str, Any]) -> Any:
        chat = self._chat(bot, params)
        if _text(params, "action") not in CHAT_ACTIONS:
            raise bad_request("action is invalid")
        chat.action = str(params["action"])
        chat.action_until = time.monotonic() + CHAT_ACTION_SECONDS
        self.world.touch(chat.key)
        return NO_RESULT

    # ------------------------------------------------------------------------ photos

    async def _fetch_image(self, bot: ZaloBot, url: str) -> StoredImage:
        """The platform downloads a photo from its URL; one it cannot fetch, or that is no image, is refused."""
        invalid = ApiError(400, "The photo URL is invalid")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        limit = bot.limits.max_photo_bytes
        try:
            timeout = aiohttp.ClientTimeout(total=bot.limits.photo_fetch_timeout)
            async with self._session.get(url, timeout=timeout) as response:
                if response.status != 200:
                    raise invalid
                data = await response.content.read(limit + 1)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise invalid from None
        mime = sniff_image(data)
        if mime is None or len(data) > limit:
            raise invalid
        bot.stats.events["photos_fetched"] += 1
        return self.world.store_image(data, mime)
