"""A small async client of the Zalo Bot API (`{base}/bot<TOKEN>/<method>`), its refusals mapped to
the Messenger port's error kinds.

Zalo answers `{"ok": true, "result": …}` or `{"ok": false, "error_code", "description"}`; the
long-poll timeout is `ok: false, error_code: 408` with HTTP 200, so `ok` is read, not the status.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from core.limits import ZALO
from core.ports import PermanentError, RateLimitedError, RecipientUnreachable, SendError, TemporaryError

log = logging.getLogger(__name__)
MAX_TEXT = ZALO.text  # the one definition: core/limits.py


class ZaloApiError(SendError):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description


def error_kind(code: int, description: str, retry_after: float | None = None) -> SendError:
    """Zalo's refusal → the port's kind (which decides retry, pause or give up)."""
    lowered = description.lower()
    if code == 429:
        return RateLimitedError(description, retry_after=float(retry_after or 1.0))
    if code in (401, 408) or code >= 500:
        return TemporaryError(f"{code} {description}")  # a rejected token is an operator's fix, not the message's fault
    if code == 403 or "chat not found" in lowered or "blocked" in lowered:
        return RecipientUnreachable(description)
    return PermanentError(f"{code} {description}")


class ZaloClient:
    def __init__(self, token: str, api_base: str, *, timeout: float = 30.0) -> None:
        self.token = token
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._http: aiohttp.ClientSession | None = None

    def _url(self, method: str) -> str:
        return f"{self.api_base}/bot{self.token}/{method}"

    async def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    async def call(self, method: str, payload: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """The `result` of a successful call; a `SendError` subclass otherwise."""
        http = await self._session()
        try:
            async with http.post(self._url(method), json=payload or {}, timeout=aiohttp.ClientTimeout(total=timeout or self.timeout)) as response:
                try:
                    body = await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    raise TemporaryError(f"HTTP {response.status}: not JSON") from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise TemporaryError(type(exc).__name__) from exc
        if not isinstance(body, dict):
            raise TemporaryError("answer is not an object")
        if body.get("ok"):
            return body.get("result")
        code = int(body.get("error_code") or response.status or 500)
        description = str(body.get("description") or "")
        retry_after = (body.get("parameters") or {}).get("retry_after") if isinstance(body.get("parameters"), dict) else None
        raise error_kind(code, description, retry_after)

    async def get_me(self) -> dict[str, Any]:
        return await self.call("getMe")

    async def get_update(self, timeout: int = 30) -> dict[str, Any] | None:
        """One update, or None when the long poll ended without one (Zalo's 408)."""
        try:
            return await self.call("getUpdates", {"timeout": timeout}, timeout=timeout + 10)
        except TemporaryError as exc:
            if str(exc).startswith("408"):
                return None
            raise

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> Any:
        return await self.call("getWebhookInfo")

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            payload["caption"] = caption
        return await self.call("sendPhoto", payload)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def download(self, url: str) -> bytes:
        http = await self._session()
        try:
            async with http.get(url, timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                response.raise_for_status()
                return await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise TemporaryError(type(exc).__name__) from exc

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
