"""A small async client for the sandbox's Zalo people: tests, demos, training.

    async with ZaloSandboxClient(server.base_url, zalo_token) as people:
        lan = await people.create_user("Trần Thị Lan")
        await people.send_text(lan["id"], "Xin chào")
        answer = await people.wait_for_message(lan["id"], lambda m: "1" in m.text)
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

import httpx

from sandbox.client import SandboxError, shared_tls_context


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TypeError(f"the sandbox answered {type(data).__name__}, not a JSON object")
    return data


@dataclass
class ZaloMessage:
    """One message of a Zalo chat as the person's phone shows it."""

    raw: dict[str, Any]

    @property
    def message_id(self) -> str:
        return str(self.raw["message_id"])

    @property
    def from_bot(self) -> bool:
        return bool(self.raw["from"] == "bot")

    @property
    def kind(self) -> str:
        """text, image, sticker or unsupported"""
        return str(self.raw["kind"])

    @property
    def text(self) -> str:
        """The text, or the caption of an image."""
        return self.raw.get("text") or self.raw.get("caption") or ""

    @property
    def photo(self) -> str | None:
        """The image URL as it was sent."""
        return self.raw.get("photo")

    @property
    def image_url(self) -> str | None:
        """The sandbox's copy of the image (what the chat page shows)."""
        return self.raw.get("image_url")

    @property
    def sticker(self) -> str | None:
        return self.raw.get("sticker")

    @property
    def ignored_fields(self) -> list[str]:
        """Parameters the bot sent that Zalo ignores (reply_markup, parse_mode, …)."""
        return list(self.raw.get("ignored_fields") or [])

    @property
    def version(self) -> int:
        return int(self.raw["version"])


class ZaloSandboxClient:
    """The Zalo people of one Zalo bot (its token, its id, or "default" for the first Zalo bot)."""

    def __init__(self, base_url: str, bot: str = "default", *, timeout: float = 40.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.bot = bot
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, verify=shared_tls_context())

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -------------------------------------------------------------- plumbing

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._http.request(method, path, **kwargs)
        try:
            data = response.json()
        except ValueError:
            data = response.text
        if response.status_code >= 400:
            raise SandboxError(path, response.status_code, data)
        return data

    async def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return _object(await self._request("POST", path, json=body or {}))

    async def _get(self, path: str, **params: Any) -> dict[str, Any]:
        return _object(await self._request("GET", path, params=params))

    @property
    def _bot_path(self) -> str:
        return f"/sandbox/zalo/bots/{self.bot}"

    async def _act(self, user_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self._post(f"{self._bot_path}/users/{user_id}/{action}", body)
        result.pop("ok", None)
        return result

    # -------------------------------------------------------------- people

    async def create_user(self, display_name: str, *, user_id: str | None = None, label: str | None = None,
                          telegram_id: int | None = None) -> dict[str, Any]:
        """A Zalo person → {"id", "display_name", …}; without `user_id` the sandbox picks a Zalo-like hex id."""
        body = {"id": user_id, "display_name": display_name, "label": label, "telegram_id": telegram_id}
        return await self._post("/sandbox/zalo/users", {k: v for k, v in body.items() if v is not None})

    async def users(self) -> list[dict[str, Any]]:
        people: list[dict[str, Any]] = (await self._get("/sandbox/zalo/users"))["users"]
        return people

    # -------------------------------------------------------------- what a person does

    async def send_text(self, user_id: str, text: str) -> dict[str, Any]:
        """→ message_id, event_name"""
        return await self._act(user_id, "text", {"text": text})

    async def send_image(self, user_id: str, data: bytes, caption: str | None = None) -> dict[str, Any]:
        """PNG/JPEG/GIF/WebP bytes; the bot gets a URL of the sandbox to download them from."""
        body: dict[str, Any] = {"data_base64": base64.b64encode(data).decode()}
        if caption:
            body["caption"] = caption
        return await self._act(user_id, "image", body)

    async def send_sticker(self, user_id: str, sticker: str | None = None) -> dict[str, Any]:
        return await self._act(user_id, "sticker", {"sticker": sticker} if sticker else {})

    async def send_unsupported(self, user_id: str) -> dict[str, Any]:
        """What the platform sends for a message it does not pass on (message.unsupported.received)."""
        return await self._act(user_id, "unsupported")

    # -------------------------------------------------------------- what a person sees

    async def chat(self, user_id: str, *, after: int = 0, wait: float = 0) -> dict[str, Any]:
        """version, messages changed since `after` (both directions), action; `wait` holds until something changes."""
        return await self._get(f"{self._bot_path}/chats/{user_id}", after=after, wait=wait)

    async def messages(self, user_id: str) -> list[ZaloMessage]:
        return [ZaloMessage(m) for m in (await self.chat(user_id))["messages"]]

    async def bot_messages(self, user_id: str) -> list[ZaloMessage]:
        return [m for m in await self.messages(user_id) if m.from_bot]

    async def wait_for_message(self, user_id: str, predicate: Callable[[ZaloMessage], bool] | None = None, *,
                               timeout: float = 15, after_count: int = 0, after_version: int = 0) -> ZaloMessage:
        """The first bot message satisfying `predicate`, skipping the first `after_count` bot messages and any
        older than chat version `after_version`; waits for it up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            state = await self.chat(user_id)
            candidates = [ZaloMessage(m) for m in state["messages"]]
            candidates = [m for m in candidates if m.from_bot][after_count:]
            for message in candidates:
                if message.version > after_version and (predicate is None or predicate(message)):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                texts = [m.text[:80] for m in candidates]
                raise TimeoutError(f"no matching Zalo message for {user_id} within {timeout}s; the chat has: {texts}")
            await self.chat(user_id, after=state["version"], wait=min(remaining, 5.0))
            await asyncio.sleep(0)

    async def download(self, url: str | ZaloMessage) -> bytes:
        """The bytes behind an image URL (a message's `image_url` when given a message)."""
        if isinstance(url, ZaloMessage):
            if not url.image_url:
                raise ValueError("the message has no image")
            url = url.image_url
        response = await self._http.get(url)
        response.raise_for_status()
        return response.content

    # -------------------------------------------------------------- control

    async def inject_fault(self, method: str, code: int, count: int = 1, retry_after: int | None = None, *,
                           description: str | None = None, after_effect: bool = False) -> None:
        await self._post(f"{self._bot_path}/faults", {"method": method, "code": code, "count": count,
                                                      "retry_after": retry_after, "description": description,
                                                      "after_effect": after_effect})

    async def clear_faults(self) -> None:
        await self._request("DELETE", f"{self._bot_path}/faults")

    async def set_fault_rate(self, rate: float, codes: tuple[int, ...] = (429, 500, 502), seed: int = 7) -> None:
        """A share `rate` of send* calls answers one of `codes` (reproducible with `seed`)."""
        await self._post(f"{self._bot_path}/fault-rate", {"rate": rate, "codes": list(codes), "seed": seed})

    async def set_limits(self, **limits: Any) -> dict[str, Any]:
        """Change this bot's ZaloLimits, e.g. enabled=False or per_chat_per_second=2."""
        return await self._post(f"{self._bot_path}/limits", limits)

    async def limits(self) -> dict[str, Any]:
        return await self._get(f"{self._bot_path}/limits")

    async def stats(self) -> dict[str, Any]:
        """methods, responses, refusals, events, http_429, pending_updates, webhook_url, last_webhook_error"""
        return await self._get(f"{self._bot_path}/stats")

    async def reset_stats(self) -> None:
        await self._post(f"{self._bot_path}/stats/reset")

    async def pending_updates(self) -> list[dict[str, Any]]:
        updates: list[dict[str, Any]] = (await self._get(f"{self._bot_path}/updates"))["updates"]
        return updates

    async def received(self) -> dict[str, Any]:
        return await self._get(f"{self._bot_path}/received")
