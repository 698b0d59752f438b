"""A small async client for the sandbox's user side: simulated people for tests and demos."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class ChatMessage:
    """One message in a person's chat, as they see it."""

    raw: dict[str, Any]

    @property
    def message_id(self) -> int:
        return self.raw["message_id"]

    @property
    def from_bot(self) -> bool:
        return self.raw["from"] == "bot"

    @property
    def text(self) -> str:
        return self.raw.get("text") or self.raw.get("caption") or ""

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        markup = self.raw.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data")) for row in markup.get("inline_keyboard", []) for b in row]

    def button(self, label_part: str) -> str:
        """The callback data of the first button whose label contains `label_part`."""
        for text, data in self.buttons:
            if label_part in text and data:
                return data
        raise LookupError(f"no button containing {label_part!r} in {self.buttons}")

    @property
    def attachment(self) -> dict[str, Any] | None:
        return self.raw.get("attachment")

    @property
    def poll(self) -> dict[str, Any] | None:
        return self.raw.get("poll")


@dataclass
class SandboxClient:
    base_url: str
    bot: str = "default"  # a bot token, or "default" for the first bot
    _http: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self._http = httpx.AsyncClient(base_url=self.base_url.rstrip("/"), timeout=40)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self._http.post(path, json=body or {})
        data = response.json()
        if response.status_code >= 400:
            raise RuntimeError(f"sandbox refused {path}: {response.status_code} {data}")
        return data

    def _user_path(self, user_id: int, action: str) -> str:
        return f"/sandbox/bots/{self.bot}/users/{user_id}/{action}"

    # -------------------------------------------------------------- people

    async def create_user(self, first_name: str, *, user_id: int | None = None, last_name: str | None = None,
                          username: str | None = None, phone_number: str | None = None, label: str | None = None) -> dict[str, Any]:
        return await self._post("/sandbox/users", {"id": user_id, "first_name": first_name, "last_name": last_name,
                                                   "username": username, "phone_number": phone_number, "label": label})

    async def create_users(self, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return (await self._post("/sandbox/users/batch", {"users": users}))["users"]

    async def send_text(self, user_id: int, text: str) -> dict[str, Any]:
        return await self._post(self._user_path(user_id, "text"), {"text": text})

    async def send_contact(self, user_id: int, phone: str, contact_user_id: int | None | str = "self") -> dict[str, Any]:
        body: dict[str, Any] = {"phone_number": phone}
        if contact_user_id != "self":
            body["user_id"] = contact_user_id
        return await self._post(self._user_path(user_id, "contact"), body)

    async def send_voice(self, user_id: int, data: bytes, duration: int = 3) -> dict[str, Any]:
        return await self._post(self._user_path(user_id, "voice"), {"data_base64": base64.b64encode(data).decode(), "duration": duration})

    async def send_document(self, user_id: int, data: bytes, file_name: str, mime_type: str, caption: str | None = None) -> dict[str, Any]:
        return await self._post(self._user_path(user_id, "document"), {
            "data_base64": base64.b64encode(data).decode(), "file_name": file_name, "mime_type": mime_type, "caption": caption})

    async def send_photo(self, user_id: int, data: bytes, caption: str | None = None) -> dict[str, Any]:
        return await self._post(self._user_path(user_id, "photo"), {"data_base64": base64.b64encode(data).decode(), "caption": caption})

    async def press(self, user_id: int, message_id: int, callback_data: str) -> dict[str, Any]:
        """Tap an inline button; returns the bot's callback answer (text, show_alert) once it answered."""
        return await self._post(self._user_path(user_id, "press"), {"message_id": message_id, "data": callback_data})

    async def answer_poll(self, user_id: int, poll_id: str, option_ids: list[int]) -> dict[str, Any]:
        return await self._post(self._user_path(user_id, "poll_answer"), {"poll_id": poll_id, "option_ids": option_ids})

    async def block(self, user_id: int) -> None:
        await self._post(self._user_path(user_id, "block"))

    # -------------------------------------------------------------- reading

    async def chat(self, user_id: int, *, after: int = 0, wait: float = 0) -> dict[str, Any]:
        response = await self._http.get(f"/sandbox/bots/{self.bot}/chats/{user_id}", params={"after": after, "wait": wait})
        response.raise_for_status()
        return response.json()

    async def messages(self, user_id: int) -> list[ChatMessage]:
        return [ChatMessage(m) for m in (await self.chat(user_id))["messages"]]

    async def bot_messages(self, user_id: int) -> list[ChatMessage]:
        return [m for m in await self.messages(user_id) if m.from_bot and not m.raw["deleted"]]

    async def keyboard(self, user_id: int) -> list[str]:
        """Labels of the reply keyboard the person sees now."""
        keyboard = (await self.chat(user_id))["keyboard"] or {}
        return [button["text"] for row in keyboard.get("keyboard", []) for button in row]

    async def wait_for_message(
        self, user_id: int, predicate: Callable[[ChatMessage], bool] | None = None, *, timeout: float = 15, after_count: int = 0
    ) -> ChatMessage:
        """The first bot message (beyond the first `after_count`) that satisfies the predicate."""
        deadline = time.monotonic() + timeout
        version = 0
        while True:
            found = [m for m in await self.bot_messages(user_id)][after_count:]
            for message in found:
                if predicate is None or predicate(message):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                texts = [m.text[:80] for m in await self.bot_messages(user_id)]
                raise TimeoutError(f"no matching message for user {user_id}; chat has: {texts}")
            state = await self.chat(user_id, after=version, wait=min(remaining, 2))
            version = state["version"]
            await asyncio.sleep(0)

    async def download(self, attachment: dict[str, Any]) -> bytes:
        response = await self._http.get(attachment["url"])
        response.raise_for_status()
        return response.content

    # -------------------------------------------------------------- control

    async def inject_fault(self, method: str, code: int, count: int = 1, retry_after: int | None = None) -> None:
        await self._post(f"/sandbox/bots/{self.bot}/faults", {"method": method, "code": code, "count": count, "retry_after": retry_after})

    async def set_fault_rate(self, rate: float, codes: tuple[int, ...] = (429, 500, 502), seed: int = 7) -> None:
        await self._post(f"/sandbox/bots/{self.bot}/fault-rate", {"rate": rate, "codes": list(codes), "seed": seed})

    async def set_limits(self, **limits: Any) -> None:
        await self._post(f"/sandbox/bots/{self.bot}/limits", limits)

    async def stats(self) -> dict[str, Any]:
        return (await self._http.get(f"/sandbox/bots/{self.bot}/stats")).json()

    async def received(self) -> dict[str, Any]:
        return (await self._http.get(f"/sandbox/bots/{self.bot}/received")).json()

    async def commands(self) -> list[dict[str, Any]]:
        return (await self._http.get(f"/sandbox/bots/{self.bot}/commands")).json()["commands"]
