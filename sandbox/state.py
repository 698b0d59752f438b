"""The sandbox's world: bots, simulated people, chats, files and polls, all in memory.

Kept apart from HTTP so the same state serves the Bot API side (what a bot sees) and the
user side (what a person does and reads).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import random
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


class ApiError(Exception):
    """An answer in Telegram's error shape."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class Limits:
    """Telegram's limits. Switch `enabled` off for tests that do not care about pacing."""

    enabled: bool = True
    per_bot_per_second: float = 30.0
    per_bot_burst: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: float = 3.0
    per_group_per_minute: float = 20.0
    max_text: int = 4096
    max_caption: int = 1024
    max_callback_data: int = 64
    max_upload_bytes: int = 50 * 1024 * 1024
    max_download_bytes: int = 20 * 1024 * 1024


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.capacity = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one will be there."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    data: bytes
    mime_type: str
    file_name: str | None
    kind: str

    @property
    def path(self) -> str:
        return f"{self.kind}s/{self.unique_id}"


@dataclass
class ChatEntry:
    """One message in a chat as the person sees it (and its history)."""

    message_id: int
    sender: str  # "bot" or "user"
    message: dict[str, Any]  # the Bot API Message object
    version: int
    html: str | None = None
    keyboard: dict[str, Any] | None = None  # a reply keyboard this message showed
    edits: list[str] = field(default_factory=list)
    deleted: bool = False
    callback_answers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Fault:
    method: str
    code: int
    remaining: int
    retry_after: int | None
    description: str


DEFAULT_FAULT_DESCRIPTIONS = {
    429: "Too Many Requests: retry after {retry_after}",
    400: "Bad Request: injected fault",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

ALLOWED_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler",
                     "span", "blockquote", "tg-emoji"}


class _HtmlChecker(HTMLParser):
    """Telegram's HTML parse mode: a few tags, balanced; anything else is a 400."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_HTML_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'Unexpected end tag "{tag}"'
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def plain_text(text: str, parse_mode: str | None) -> str:
    """What Telegram stores as `text`: markup removed. Raises ApiError for malformed HTML."""
    if not parse_mode or parse_mode.upper() != "HTML":
        return text
    if re.search(r"<(?![a-zA-Z/])", text):
        raise ApiError(400, "Bad Request: can't parse entities: unescaped '<'")
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if checker.error or checker.stack:
        raise ApiError(400, f"Bad Request: can't parse entities: {checker.error or 'unclosed tag ' + checker.stack[-1]}")
    return "".join(checker.text)


class BotState:
    def __init__(self, token: str, username: str, limits: Limits) -> None:
        self.token = token
        self.id = int(token.split(":", 1)[0])
        self.username = username
        self.limits = limits
        self.updates: list[dict[str, Any]] = []
        self.update_ids = itertools.count(1)
        self.new_update = asyncio.Event()
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_task: asyncio.Task[None] | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.bucket = TokenBucket(limits.per_bot_per_second, limits.per_bot_burst)
        self.chat_buckets: dict[int, TokenBucket] = {}
        self.faults: list[Fault] = []
        self.fault_rate = 0.0
        self.fault_codes: tuple[int, ...] = (429, 500, 502)
        self.random = random.Random(7)
        self.stats: dict[str, int] = {}
        self.callback_waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": True, "first_name": "Sổ tay", "username": self.username,
                "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def count(self, name: str, amount: int = 1) -> None:
        self.stats[name] = self.stats.get(name, 0) + amount

    def push_update(self, **payload: Any) -> dict[str, Any]:
        update = {"update_id": next(self.update_ids), **payload}
        self.updates.append(update)
        self.new_update.set()
        return update

    def check_faults(self, method: str) -> None:
        for fault in self.faults:
            if fault.method.lower() == method.lower() and fault.remaining > 0:
                fault.remaining -= 1
                raise ApiError(fault.code, fault.description.format(retry_after=fault.retry_after or 1), fault.retry_after)
        if self.fault_rate and method.lower().startswith("send") and self.random.random() < self.fault_rate:
            code = self.random.choice(self.fault_codes)
            retry_after = 1 if code == 429 else None
            if code == 429:
                self.count("http_429")
            raise ApiError(code, DEFAULT_FAULT_DESCRIPTIONS.get(code, "Error").format(retry_after=retry_after), retry_after)

    def check_rate(self, chat_id: int) -> None:
        if not self.limits.enabled:
            return
        wait = self.bucket.take()
        if not wait:
            bucket = self.chat_buckets.setdefault(chat_id, TokenBucket(self.limits.per_chat_per_second, self.limits.per_chat_burst))
            wait = bucket.take()
            if wait:
                self.bucket.tokens = min(self.bucket.capacity, self.bucket.tokens + 1)  # not spent after all
        if wait:
            self.count("http_429")
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


class World:
    """Everything the sandbox knows."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.bots: dict[str, BotState] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.blocked: set[tuple[str, int]] = set()
        self.chats: dict[tuple[str, int], list[ChatEntry]] = {}
        self.keyboards: dict[tuple[str, int], dict[str, Any] | None] = {}
        self.message_ids: dict[tuple[str, int], itertools.count[int]] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_unique: dict[str, StoredFile] = {}
        self.polls: dict[str, dict[str, Any]] = {}
        self.version = 0
        self.changed = asyncio.Condition()
        self.user_ids = itertools.count(100_000_001)

    # -------------------------------------------------------------- registry

    def add_bot(self, token: str, username: str | None = None) -> BotState:
        if token not in self.bots:
            bot_id = token.split(":", 1)[0]
            self.bots[token] = BotState(token, username or f"sandbox_{bot_id}_bot", self.limits)
        elif username:
            self.bots[token].username = username
        return self.bots[token]

    def bot(self, token: str, *, auto_register: bool) -> BotState:
        if token in self.bots:
            return self.bots[token]
        if auto_register and re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", token):
            return self.add_bot(token)
        raise ApiError(401, "Unauthorized")

    def default_bot(self, key: str) -> BotState:
        if key in ("default", "") and self.bots:
            return next(iter(self.bots.values()))
        if key in self.bots:
            return self.bots[key]
        raise ApiError(404, "Not Found: no such bot")

    def add_user(self, *, user_id: int | None = None, first_name: str, last_name: str | None = None,
                 username: str | None = None, phone_number: str | None = None, label: str | None = None) -> dict[str, Any]:
        """A simulated person. `label` (e.g. "Bí thư — Chi bộ thôn Đông") is shown only on the chat page."""
        uid = int(user_id) if user_id is not None else next(self.user_ids)
        user = {"id": uid, "is_bot": False, "first_name": first_name, "language_code": "vi"}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        self.users[uid] = user | ({"phone_number": phone_number} if phone_number else {}) | ({"label": label} if label else {})
        return self.users[uid]

    def public_user(self, user_id: int) -> dict[str, Any]:
        user = self.users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: chat not found")
        return {k: v for k, v in user.items() if k not in ("phone_number", "label")}

    def chat_of(self, user_id: int) -> dict[str, Any]:
        user = self.public_user(user_id)
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    # -------------------------------------------------------------- files

    def store_file(self, data: bytes, *, kind: str, mime_type: str, file_name: str | None = None) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        unique_id = f"{kind[:2]}{digest[:16]}"
        existing = self.files_by_unique.get(unique_id)
        if existing is not None:
            return existing  # the same bytes keep the same id, as in Telegram
        stored = StoredFile(file_id=f"SBX{kind[:3].upper()}{digest[:40]}", unique_id=unique_id, data=data,
                            mime_type=mime_type, file_name=file_name, kind=kind)
        self.files[stored.file_id] = stored
        self.files_by_unique[unique_id] = stored
        return stored

    # -------------------------------------------------------------- chats

    def next_message_id(self, token: str, chat_id: int) -> int:
        return next(self.message_ids.setdefault((token, chat_id), itertools.count(1)))

    async def touch(self) -> int:
        async with self.changed:
            self.version += 1
            self.changed.notify_all()
            return self.version

    async def record(self, token: str, chat_id: int, entry_factory: Any) -> ChatEntry:
        version = await self.touch()
        entry: ChatEntry = entry_factory(version)
        self.chats.setdefault((token, chat_id), []).append(entry)
        return entry

    def find(self, token: str, chat_id: int, message_id: int) -> ChatEntry:
        for entry in self.chats.get((token, chat_id), []):
            if entry.message_id == message_id and not entry.deleted:
                return entry
        raise ApiError(400, "Bad Request: message to edit not found")

    async def wait_for_change(self, after: int, timeout: float) -> None:
        async with self.changed:
            if self.version > after:
                return
            try:
                await asyncio.wait_for(self.changed.wait_for(lambda: self.version > after), timeout)
            except asyncio.TimeoutError:
                return
