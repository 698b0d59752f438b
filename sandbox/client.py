"""A small async client for the sandbox's user side: simulated people for tests, demos and training.

    async with SandboxClient(server.base_url, token) as people:
        await people.create_user("Mai", user_id=501, phone_number="0912345678")
        await people.send_text(501, "/start")
        menu = await people.wait_for_message(501, lambda m: "Xin chào" in m.text)
        await people.press(501, menu.message_id, menu.button("Lịch họp"))
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, Self, TypeVar

import httpx

OWN_CONTACT: Literal["self"] = "self"


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """One TLS context for every client: building one costs ~0.1 s, and the sandbox speaks plain HTTP anyway."""
    return httpx.create_ssl_context()


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TypeError(f"the sandbox answered {type(data).__name__}, not a JSON object")
    return data


class SandboxError(RuntimeError):
    """The sandbox refused a request (the description says why)."""

    def __init__(self, path: str, status: int, body: Any) -> None:
        description = body.get("description") if isinstance(body, dict) else body
        super().__init__(f"sandbox refused {path}: {status} {description}")
        self.status = status
        self.description = description


@dataclass
class ChatMessage:
    """One message in a person's chat, as they see it now."""

    raw: dict[str, Any]

    @property
    def message_id(self) -> int:
        return int(self.raw["message_id"])

    @property
    def from_bot(self) -> bool:
        return bool(self.raw["from"] == "bot")

    @property
    def text(self) -> str:
        """The text, or the caption of a file or photo."""
        return self.raw.get("text") or self.raw.get("caption") or ""

    @property
    def entities(self) -> list[dict[str, Any]]:
        return self.raw.get("entities") or []

    @property
    def deleted(self) -> bool:
        return bool(self.raw.get("deleted"))

    @property
    def edits(self) -> list[str]:
        """Earlier versions of the text, oldest first."""
        return list(self.raw.get("edits") or [])

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """(label, callback data) of every inline button, row by row."""
        markup = self.raw.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data")) for row in markup.get("inline_keyboard", []) for b in row]

    def button(self, label_part: str) -> str:
        """The callback data of the first button whose label contains `label_part`."""
        for text, data in self.buttons:
            if label_part in text and data:
                return data
        raise LookupError(f"no button containing {label_part!r} in {self.buttons}")

    @property
    def keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard (or its removal) that came with this message."""
        return self.raw.get("keyboard")

    @property
    def attachment(self) -> dict[str, Any] | None:
        """kind, file_id, url, mime_type, file_name, duration, size of a voice note, file or photo."""
        return self.raw.get("attachment")

    @property
    def poll(self) -> dict[str, Any] | None:
        return self.raw.get("poll")

    @property
    def contact(self) -> dict[str, Any] | None:
        return self.raw.get("contact")

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        return list(self.raw.get("callback_answers") or [])


class _ShownMessage(Protocol):
    @property
    def from_bot(self) -> bool: ...

    @property
    def text(self) -> str: ...


Message = TypeVar("Message", bound=_ShownMessage)


class ControlClient(Generic[Message]):
    """What the Telegram and Zalo people clients share: the HTTP plumbing of the control API, a
    chat's state, waiting for the bot's message, and the per-bot control calls (faults, limits,
    stats). Each side names where its bots live and how it reads one message of a chat."""

    BOTS_PATH = "/sandbox/bots"
    SIDE = "Telegram"

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
        return f"{self.BOTS_PATH}/{self.bot}"

    async def _act(self, user_id: int | str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self._post(f"{self._bot_path}/users/{user_id}/{action}", body)
        result.pop("ok", None)
        return result

    # -------------------------------------------------------------- what a person sees

    def _message(self, raw: dict[str, Any]) -> Message:
        raise NotImplementedError

    def _shown(self, message: Message) -> bool:
        """A bot message the person still sees."""
        return bool(message.from_bot)

    def _newer(self, message: Message, after: int) -> bool:
        raise NotImplementedError

    async def chat(self, user_id: Any, *, after: int = 0, wait: float = 0) -> dict[str, Any]:
        """The chat: version, messages (changed since version `after`, both directions), and what the
        side shows besides (keyboard, blocked, action). With `wait`, the sandbox holds the answer until
        something changes (up to `wait` seconds)."""
        return await self._get(f"{self._bot_path}/chats/{user_id}", after=after, wait=wait)

    async def _wait_for(self, user_id: Any, predicate: Callable[[Message], bool] | None, *, timeout: float,
                        after_count: int, after: int) -> Message:
        deadline = time.monotonic() + timeout
        while True:
            state = await self.chat(user_id)
            candidates = [m for m in map(self._message, state["messages"]) if self._shown(m)][after_count:]
            for message in candidates:
                if self._newer(message, after) and (predicate is None or predicate(message)):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                texts = [m.text[:80] for m in candidates]
                raise TimeoutError(f"no matching {self.SIDE} message for user {user_id} within {timeout}s; the chat has: {texts}")
            await self.chat(user_id, after=state["version"], wait=min(remaining, 5.0))
            await asyncio.sleep(0)

    # -------------------------------------------------------------- control

    async def inject_fault(self, method: str, code: int, count: int = 1, retry_after: int | None = None, *,
                           description: str | None = None, after_effect: bool = False) -> None:
        """The next `count` calls of `method` (`*` wildcards allowed) answer `code`.
        `after_effect=True`: the call still takes effect and only its answer is lost."""
        await self._post(f"{self._bot_path}/faults", {"method": method, "code": code, "count": count,
                                                      "retry_after": retry_after, "description": description,
                                                      "after_effect": after_effect})

    async def clear_faults(self) -> None:
        await self._request("DELETE", f"{self._bot_path}/faults")

    async def set_fault_rate(self, rate: float, codes: tuple[int, ...] = (429, 500, 502), seed: int = 7) -> None:
        """A share `rate` of send* calls answers one of `codes` (reproducible with `seed`)."""
        await self._post(f"{self._bot_path}/fault-rate", {"rate": rate, "codes": list(codes), "seed": seed})

    async def set_limits(self, **limits: Any) -> dict[str, Any]:
        """Change this bot's limits, e.g. enabled=False or per_chat_per_second=2."""
        return await self._post(f"{self._bot_path}/limits", limits)

    async def stats(self) -> dict[str, Any]:
        """Calls and responses of this bot (per method, per status), http_429, pending_updates, webhook_url, …"""
        return await self._get(f"{self._bot_path}/stats")

    async def reset_stats(self) -> None:
        await self._post(f"{self._bot_path}/stats/reset")

    async def received(self) -> dict[str, Any]:
        return await self._get(f"{self._bot_path}/received")


class SandboxClient(ControlClient[ChatMessage]):
    """The people of one bot (its token, or "default" for the sandbox's first bot)."""

    # -------------------------------------------------------------- people

    async def create_user(self, first_name: str, *, user_id: int | None = None, last_name: str | None = None,
                          username: str | None = None, phone_number: str | None = None, label: str | None = None) -> dict[str, Any]:
        body = {"id": user_id, "first_name": first_name, "last_name": last_name, "username": username,
                "phone_number": phone_number, "label": label}
        return await self._post("/sandbox/users", {k: v for k, v in body.items() if v is not None})

    async def create_users(self, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Many at once: [{"id": 1001, "first_name": "Mai", "phone_number": …}, …]."""
        created: list[dict[str, Any]] = (await self._post("/sandbox/users/batch", {"users": users}))["users"]
        return created

    async def users(self) -> list[dict[str, Any]]:
        """Everyone the sandbox knows, with display_name, phone_number and label."""
        people: list[dict[str, Any]] = (await self._get("/sandbox/users"))["users"]
        return people

    # -------------------------------------------------------------- what a person does

    async def send_text(self, user_id: int, text: str, *, reply_to_message_id: int | None = None) -> dict[str, Any]:
        """Type and send; `/start payload` arrives with a bot_command entity. → message_id, update_id"""
        body: dict[str, Any] = {"text": text}
        if reply_to_message_id is not None:
            body["reply_to_message_id"] = reply_to_message_id
        return await self._act(user_id, "text", body)

    async def send_contact(self, user_id: int, phone: str | None = None,
                           contact_user_id: int | Literal["self"] | None = OWN_CONTACT, *,
                           first_name: str | None = None) -> dict[str, Any]:
        """Share a contact: one's own by default (user_id = the sender; phone from the profile if not given),
        someone else's with their `contact_user_id`, or a card of someone not on Telegram with None."""
        body: dict[str, Any] = {"phone_number": phone, "first_name": first_name}
        if contact_user_id != OWN_CONTACT:
            body["user_id"] = contact_user_id
        return await self._act(user_id, "contact", {k: v for k, v in body.items() if v is not None or k == "user_id"})

    async def tap(self, user_id: int, label: str) -> dict[str, Any]:
        """Tap a reply-keyboard button: a "share phone" button sends the person's own contact."""
        return await self._act(user_id, "tap", {"text": label})

    async def _send_file(self, user_id: int, kind: str, data: bytes, **fields: Any) -> dict[str, Any]:
        body = {"data_base64": base64.b64encode(data).decode()} | {k: v for k, v in fields.items() if v is not None}
        return await self._act(user_id, kind, body)

    async def send_voice(self, user_id: int, data: bytes, duration: int | None = None) -> dict[str, Any]:
        """A voice note (OGG/Opus). Without `duration`, it is read from the OGG stream."""
        return await self._send_file(user_id, "voice", data, duration=duration, mime_type="audio/ogg")

    async def send_document(self, user_id: int, data: bytes, file_name: str, mime_type: str = "application/octet-stream",
                            caption: str | None = None) -> dict[str, Any]:
        return await self._send_file(user_id, "document", data, file_name=file_name, mime_type=mime_type, caption=caption)

    async def send_photo(self, user_id: int, data: bytes, caption: str | None = None, mime_type: str = "image/jpeg") -> dict[str, Any]:
        return await self._send_file(user_id, "photo", data, caption=caption, mime_type=mime_type)

    async def press(self, user_id: int, message_id: int, callback_data: str, *, wait: float = 10.0,
                    any_data: bool = False) -> dict[str, Any]:
        """Tap an inline button; returns the bot's callback answer once it came (answered, text, show_alert).

        The button must be on the message; `any_data=True` sends data no button carries, as a tampered
        client would.
        """
        return await self._act(user_id, "press", {"message_id": message_id, "data": callback_data, "wait": wait,
                                                  "any_data": any_data})

    async def answer_poll(self, user_id: int, poll_id: str, option_ids: list[int]) -> dict[str, Any]:
        """Vote (an empty list retracts, where the poll allows it). → poll, and `correct` for quizzes"""
        return await self._act(user_id, "poll_answer", {"poll_id": poll_id, "option_ids": option_ids})

    async def block(self, user_id: int) -> None:
        """The person blocks the bot: its sends answer 403 until they unblock."""
        await self._act(user_id, "block")

    async def unblock(self, user_id: int) -> None:
        await self._act(user_id, "unblock")

    # -------------------------------------------------------------- what a person sees

    def _message(self, raw: dict[str, Any]) -> ChatMessage:
        return ChatMessage(raw)

    def _shown(self, message: ChatMessage) -> bool:
        return message.from_bot and not message.deleted

    def _newer(self, message: ChatMessage, after: int) -> bool:
        return message.message_id > after

    async def messages(self, user_id: int) -> list[ChatMessage]:
        """Every message of the chat in order, both sides, deleted ones included (see `.deleted`)."""
        return [ChatMessage(m) for m in (await self.chat(user_id))["messages"]]

    async def bot_messages(self, user_id: int) -> list[ChatMessage]:
        """What the bot sent that is still there."""
        return [m for m in await self.messages(user_id) if m.from_bot and not m.deleted]

    async def keyboard(self, user_id: int) -> list[str]:
        """Labels of the reply keyboard the person sees now."""
        keyboard = (await self.chat(user_id))["keyboard"] or {}
        return [button["text"] for row in keyboard.get("keyboard", []) for button in row]

    async def wait_for_message(self, user_id: int, predicate: Callable[[ChatMessage], bool] | None = None, *,
                               timeout: float = 15, after_count: int = 0, after_message_id: int = 0) -> ChatMessage:
        """The first bot message satisfying `predicate` (edits count), skipping the first `after_count`
        bot messages and any with an id up to `after_message_id`; waits for it up to `timeout` seconds."""
        return await self._wait_for(user_id, predicate, timeout=timeout, after_count=after_count, after=after_message_id)

    async def download(self, attachment: dict[str, Any] | ChatMessage) -> bytes:
        """The bytes of a message's voice note, file or photo."""
        if isinstance(attachment, ChatMessage):
            if attachment.attachment is None:
                raise ValueError("the message has no attachment")
            attachment = attachment.attachment
        response = await self._http.get(attachment["url"])
        response.raise_for_status()
        return response.content

    # -------------------------------------------------------------- control

    async def commands(self) -> list[dict[str, Any]]:
        commands: list[dict[str, Any]] = (await self._get(f"{self._bot_path}/commands"))["commands"]
        return commands
