"""A small async client for the sandbox's Zalo people: tests, demos, training.

    async with ZaloSandboxClient(server.base_url, zalo_token) as people:
        lan = await people.create_user("Trần Thị Lan")
        await people.send_text(lan["id"], "Xin chào")
        answer = await people.wait_for_message(lan["id"], lambda m: "1" in m.text)
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


from sandbox.client import ControlClient


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


class ZaloSandboxClient(ControlClient[ZaloMessage]):
    """The Zalo people of one Zalo bot (its token, its id, or "default" for the first Zalo bot)."""

    BOTS_PATH = "/sandbox/zalo/bots"
    SIDE = "Zalo"

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

    def _message(self, raw: dict[str, Any]) -> ZaloMessage:
        return ZaloMessage(raw)

    def _newer(self, message: ZaloMessage, after: int) -> bool:
        return message.version > after

    async def messages(self, user_id: str) -> list[ZaloMessage]:
        return [ZaloMessage(m) for m in (await self.chat(user_id))["messages"]]

    async def bot_messages(self, user_id: str) -> list[ZaloMessage]:
        return [m for m in await self.messages(user_id) if m.from_bot]

    async def wait_for_message(self, user_id: str, predicate: Callable[[ZaloMessage], bool] | None = None, *,
                               timeout: float = 15, after_count: int = 0, after_version: int = 0) -> ZaloMessage:
        """The first bot message satisfying `predicate`, skipping the first `after_count` bot messages and any
        older than chat version `after_version`; waits for it up to `timeout` seconds."""
        return await self._wait_for(user_id, predicate, timeout=timeout, after_count=after_count, after=after_version)

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

    async def limits(self) -> dict[str, Any]:
        return await self._get(f"{self._bot_path}/limits")

    async def pending_updates(self) -> list[dict[str, Any]]:
        updates: list[dict[str, Any]] = (await self._get(f"{self._bot_path}/updates"))["updates"]
        return updates
