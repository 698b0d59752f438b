"""The Zalo side's world, all in memory: Zalo bots, Zalo people, their chats and images.

Apart from the Telegram world on purpose: a Zalo bot and a Telegram bot are different accounts, and a
Zalo person has a string id and a display name, not Telegram's numbers and first/last names. Like the
Telegram side, every mutation is synchronous on one event loop, so nothing needs a lock.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.errors import ApiError, bad_request
from sandbox.limits import MEGABYTE, RateLimits, TokenBucket
from sandbox.state import BotWorld, FaultPlan, Signal

# <bot id digits>:<secret>; real secrets are ~64 letters, the sandbox accepts 8 and more.
ZALO_TOKEN = re.compile(r"(\d+):([A-Za-z0-9_-]{8,})")
PERSON_ID = re.compile(r"[A-Za-z0-9]{8,40}")
CHAT_ACTION_SECONDS = 5.0
EVENT_TEXT = "message.text.received"
EVENT_IMAGE = "message.image.received"
EVENT_STICKER = "message.sticker.received"
EVENT_UNSUPPORTED = "message.unsupported.received"


def now_ms() -> int:
    return int(time.time() * 1000)


def hex_id(seed: str) -> str:
    """20 hex characters, the shape of Zalo's user, chat and message ids; stable for a seed."""
    return hashlib.sha1(seed.encode()).hexdigest()[:20]


@dataclass
class ZaloLimits(RateLimits):
    """What the sandbox allows a Zalo bot. Zalo publishes no rate limits: these are conservative and
    match the bot's default send budget. `enabled=False` switches the rate limits off (sizes stay)."""

    per_bot_per_second: float = 10.0
    per_bot_burst: float = 10.0
    max_text: int = 2000
    max_caption: int = 2000
    max_photo_bytes: int = 5 * MEGABYTE
    fetch_photos: bool = True  # download sendPhoto's URL as the platform does; False: check the scheme only
    photo_fetch_timeout: float = 10.0
    max_long_poll_seconds: int = 60
    exclusive_polling: bool = True  # a newer getUpdates ends an older one with 409 (sandbox choice)
    require_contact: bool = True  # a bot may only write to people who wrote to it first
    webhook_timeout: float = 10.0


class ZaloRateLimiter:
    """Per bot and per chat token buckets; a refusal spends nothing."""

    def __init__(self, limits: ZaloLimits) -> None:
        self.limits = limits
        self._overall = TokenBucket(limits.per_bot_per_second, limits.per_bot_burst)
        self._chats: dict[str, TokenBucket] = {}

    def retry_after(self, chat_id: str) -> int:
        if not self.limits.enabled:
            return 0
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = TokenBucket(self.limits.per_chat_per_second, self.limits.per_chat_burst)
        wait = max(self._overall.wait_time(), chat.wait_time())
        if wait > 0:
            return max(1, math.ceil(wait))
        self._overall.take()
        chat.take()
        return 0


@dataclass
class ZaloPerson:
    """A simulated Zalo user. `telegram_id` links the same human's Telegram sandbox person (optional)."""

    id: str
    display_name: str
    label: str | None = None
    telegram_id: int | None = None

    def sender(self) -> dict[str, Any]:
        return {"id": self.id, "display_name": self.display_name, "is_bot": False}

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "chat_type": "PRIVATE"}

    def as_json(self) -> dict[str, Any]:
        data = {"id": self.id, "display_name": self.display_name, "label": self.label, "telegram_id": self.telegram_id,
                "messenger": "zalo"}
        return {key: value for key, value in data.items() if value is not None}


@dataclass
class ZaloEntry:
    """One message in a chat as the person's phone shows it."""

    message_id: str
    sender: Literal["bot", "user"]
    kind: Literal["text", "image", "sticker", "unsupported"]
    date: int
    version: int
    text: str | None = None
    caption: str | None = None
    photo: str | None = None  # the URL as sent (the bot's URL, or the sandbox's URL of a person's upload)
    image_url: str | None = None  # the sandbox's own copy, which the chat page shows
    sticker: str | None = None
    ignored_fields: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "from": self.sender, "kind": self.kind, "date": self.date,
                "text": self.text, "caption": self.caption, "photo": self.photo, "image_url": self.image_url,
                "sticker": self.sticker, "ignored_fields": self.ignored_fields, "version": self.version}


@dataclass
class ZaloChat:
    bot_token: str
    person_id: str
    entries: list[ZaloEntry] = field(default_factory=list)
    contacted: bool = False  # the person wrote to the bot at least once
    action: str | None = None
    action_until: float = 0.0

    @property
    def key(self) -> tuple[str, str]:
        return (self.bot_token, self.person_id)

    def current_action(self) -> str | None:
        return self.action if self.action and time.monotonic() < self.action_until else None


@dataclass
class StoredImage:
    name: str
    data: bytes
    mime_type: str


class ZaloStats:
    def __init__(self) -> None:
        self.methods: Counter[str] = Counter()
        self.responses: Counter[int] = Counter()
        self.refusals: Counter[str] = Counter()
        self.events: Counter[str] = Counter()

    def as_json(self) -> dict[str, Any]:
        # `calls` mixes methods, events and http_429, as the Telegram side's stats do (the benchmarks read it)
        return {"calls": dict(self.methods) | dict(self.events) | {"http_429": self.responses[429]},
                "methods": dict(self.methods), "responses": {str(k): v for k, v in sorted(self.responses.items())},
                "refusals": dict(self.refusals), "events": dict(self.events), "http_429": self.responses[429]}


@dataclass
class ZaloWebhook:
    url: str
    secret_token: str


class ZaloUpdateQueue:
    """Updates waiting for the bot. No offsets: getUpdates takes one off the queue and it is gone."""

    def __init__(self) -> None:
        self._pending: list[dict[str, Any]] = []
        self.arrived = Signal()

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, update: dict[str, Any]) -> None:
        self._pending.append(update)
        self.arrived.fire()

    def first(self) -> dict[str, Any] | None:
        return self._pending[0] if self._pending else None

    def pop(self) -> dict[str, Any] | None:
        return self._pending.pop(0) if self._pending else None

    def remove(self, update: dict[str, Any]) -> None:
        if update in self._pending:
            self._pending.remove(update)

    def all(self) -> list[dict[str, Any]]:
        return list(self._pending)


class ZaloBot:
    def __init__(self, token: str, limits: ZaloLimits, name: str | None = None) -> None:
        self.token = token
        self.id = token.split(":", 1)[0]
        self.name = name or "Sổ tay"
        self.limits = limits
        self.rate = ZaloRateLimiter(limits)
        self.updates = ZaloUpdateQueue()
        self.webhook: ZaloWebhook | None = None
        self.webhook_updated_at = 0
        self.webhook_changed = Signal()
        self.webhook_task: asyncio.Task[None] | None = None
        self.last_webhook_error: str | None = None
        self.poller_generation = 0
        self.faults = FaultPlan()
        self.stats = ZaloStats()

    def set_limits(self, limits: ZaloLimits) -> None:
        self.limits = limits
        self.rate = ZaloRateLimiter(limits)

    def me(self) -> dict[str, Any]:
        return {"id": self.id, "account_name": f"bot.{hex_id(self.token)[:9]}", "account_type": "BASIC",
                "can_join_groups": False, "display_name": self.name}

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "token": self.token, "name": self.name,
                "webhook_url": self.webhook.url if self.webhook else None, "pending_updates": len(self.updates)}


class ZaloWorld(BotWorld["ZaloBot"]):
    TOKEN = ZALO_TOKEN
    SIDE = "Zalo "

    def __init__(self, limits: ZaloLimits | None = None, *, auto_register: bool = True) -> None:
        super().__init__(auto_register=auto_register)
        self.limits = limits or ZaloLimits()
        self.people: dict[str, ZaloPerson] = {}
        self.chats: dict[tuple[str, str], ZaloChat] = {}
        self.images: dict[str, StoredImage] = {}
        self._counter = itertools.count(1)

    def new_message_id(self) -> str:
        return hex_id(f"zalo-message-{next(self._counter)}-{time.time_ns()}")

    # ------------------------------------------------------------------ bots

    def add_bot(self, token: str, name: str | None = None) -> ZaloBot:
        if not ZALO_TOKEN.fullmatch(token):
            raise bad_request("a Zalo bot token looks like 1459232241454765289:SECRET (8+ letters, digits, _ or -)")
        bot = self.bots.get(token)
        if bot is None:
            bot = self.bots[token] = ZaloBot(token, self.limits, name)
        elif name:
            bot.name = name
        return bot

    def _names(self, bot: ZaloBot) -> tuple[str, ...]:
        return (bot.token, bot.id)

    # ------------------------------------------------------------------ people

    def add_person(self, *, display_name: str, person_id: str | None = None, label: str | None = None,
                   telegram_id: int | None = None) -> ZaloPerson:
        name = str(display_name or "").strip()
        if not name:
            raise bad_request("display_name is required")
        if person_id is None:
            person_id = hex_id(f"zalo-person-{next(self._counter)}")
            while person_id in self.people:
                person_id = hex_id(f"zalo-person-{next(self._counter)}")
        elif not PERSON_ID.fullmatch(str(person_id)):
            raise bad_request("a Zalo user id is 8 to 40 letters or digits (Zalo's look like e4ea2cd5189df1c3a88c)")
        person = ZaloPerson(str(person_id), name, label or None, telegram_id)
        self.people[person.id] = person
        self.touch(None)  # no chat changed: nobody's long poll wakes
        return person

    def person(self, person_id: str) -> ZaloPerson:
        person = self.people.get(person_id)
        if person is None:
            raise ApiError(404, f"Not Found: no Zalo person {person_id}; create them first")
        return person

    # ------------------------------------------------------------------ chats and images

    def chat(self, bot: ZaloBot, person_id: str) -> ZaloChat:
        key = (bot.token, person_id)
        chat = self.chats.get(key)
        if chat is None:
            chat = self.chats[key] = ZaloChat(bot.token, person_id)
        return chat

    def mark_contacted(self, bot: ZaloBot, person_id: str) -> ZaloChat:
        """The person wrote to this bot before (e.g. before the sandbox restarted): the bot may write to them."""
        self.person(person_id)
        chat = self.chat(bot, person_id)
        chat.contacted = True
        return chat

    def existing_chat(self, bot: ZaloBot, person_id: str) -> ZaloChat | None:
        return self.chats.get((bot.token, person_id))

    def store_image(self, data: bytes, mime_type: str) -> StoredImage:
        digest = hashlib.sha256(data).hexdigest()[:24]
        extension = {"image/png": "png", "image/gif": "gif", "image/webp": "webp"}.get(mime_type, "jpg")
        name = f"{digest}.{extension}"
        stored = self.images.get(name)
        if stored is None:
            stored = self.images[name] = StoredImage(name, data, mime_type)
        return stored


def sniff_image(data: bytes) -> str | None:
    """The MIME type of PNG, JPEG, GIF or WebP bytes; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
