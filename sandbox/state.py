"""The sandbox's world, all in memory: bots, simulated people, their chats, files and polls.

Kept apart from HTTP so the same state serves the Bot API side (what a bot sees) and the user
side (what a person does and reads). Every mutation is synchronous: the server runs on one event
loop, so a method that does not await cannot interleave with another and needs no locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import hashlib
import itertools
import random
import re
import time
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from sandbox.errors import ApiError, as_int, bad_request
from sandbox.limits import Limits, RateLimiter

__all__ = ["ApiError", "BotAccount", "Chat", "ChatEntry", "Fault", "Limits", "Person", "StoredFile", "World"]

TELEGRAM_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
# Update types a bot gets when it never said which it wants (Telegram's documented default).
DEFAULT_UPDATE_TYPES = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection", "business_message",
    "edited_business_message", "deleted_business_messages", "inline_query", "chosen_inline_result", "callback_query",
    "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member",
    "chat_join_request", "chat_boost", "removed_chat_boost",
})


EVERY_CHAT = object()  # BotWorld.touch: a change that may concern any chat (wake every long poll)


class Signal:
    """Wakes everyone waiting at the moment it fires; nobody can miss it or clear it for others.

    Waiters take `listen()` *before* checking their condition, then await it: a fire in between
    is kept by the event they hold.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def listen(self) -> asyncio.Event:
        return self._event

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()


async def wait_for_signal(event: asyncio.Event, timeout: float) -> bool:
    """True when `event` fired within `timeout` seconds."""
    if timeout <= 0:
        return event.is_set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
    return event.is_set()


# ------------------------------------------------------------------------------------ people


@dataclass
class Person:
    """A simulated Telegram user. `label` (e.g. "Bí thư — Chi bộ thôn Đông") is shown only on the chat page."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    phone_number: str | None = None
    label: str | None = None
    language_code: str = "vi"

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def telegram_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        user["language_code"] = self.language_code
        return user

    def private_chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def as_json(self) -> dict[str, Any]:
        data = {"id": self.id, "is_bot": False, "first_name": self.first_name, "last_name": self.last_name,
                "username": self.username, "phone_number": self.phone_number, "label": self.label,
                "language_code": self.language_code, "display_name": self.display_name}
        return {key: value for key, value in data.items() if value is not None}


# ------------------------------------------------------------------------------------- files


@dataclass
class StoredFile:
    """Bytes kept once per content and kind; each bot reaches them by its own file_id, as in Telegram."""

    unique_id: str
    digest: str
    data: bytes
    kind: str
    mime_type: str
    file_name: str | None
    path: str
    attributes: dict[str, Any] = field(default_factory=dict)  # duration, width, height: fixed at first upload

    @property
    def size(self) -> int:
        return len(self.data)


class FileStore:
    def __init__(self) -> None:
        self._by_unique_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._issued: dict[str, tuple[int, StoredFile]] = {}  # file_id → (bot id, file)

    def put(self, data: bytes, *, kind: str, mime_type: str, file_name: str | None, extension: str) -> StoredFile:
        digest = hashlib.sha256(kind.encode() + b"\0" + data).hexdigest()
        unique_id = f"AQAD{digest[:20]}"
        existing = self._by_unique_id.get(unique_id)
        if existing is not None:
            return existing  # the same bytes keep the same ids, as in Telegram
        stored = StoredFile(unique_id=unique_id, digest=digest, data=data, kind=kind, mime_type=mime_type,
                            file_name=file_name, path=f"{kind}s/file_{len(self._by_unique_id)}.{extension}")
        self._by_unique_id[unique_id] = stored
        self._by_path[stored.path] = stored
        return stored

    def file_id(self, stored: StoredFile, bot_id: int) -> str:
        """Telegram's file_ids belong to one bot; this one is stable for (bot, content)."""
        file_id = f"SBX{stored.kind[:2].upper()}{bot_id}_{stored.digest[:40]}"
        self._issued[file_id] = (bot_id, stored)
        return file_id

    def for_bot(self, file_id: str, bot_id: int) -> StoredFile | None:
        issued = self._issued.get(file_id)
        if issued is None or issued[0] != bot_id:
            return None
        return issued[1]

    def by_unique_id(self, unique_id: str) -> StoredFile | None:
        return self._by_unique_id.get(unique_id)

    def find(self, key: str) -> StoredFile | None:
        """A file by its unique id or any bot's file_id: how people's download links name files."""
        issued = self._issued.get(key)
        return issued[1] if issued else self._by_unique_id.get(key)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


# ------------------------------------------------------------------------------------- chats


@dataclass
class ChatEntry:
    """One message in a chat as the person sees it, with its history."""

    message: dict[str, Any]  # the Bot API Message object
    sender: Literal["bot", "user"]
    version: int
    reply_keyboard: dict[str, Any] | None = None  # the reply keyboard (or its removal) this message brought
    edits: list[str] = field(default_factory=list)  # earlier texts or captions, oldest first
    deleted: bool = False
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    poll_choice: list[int] | None = None  # what the person voted, for polls
    # (bot token, person id) of the chat it is in, set by Chat.add: a change wakes that chat's long polls
    chat_key: tuple[str, int] | None = field(default=None, compare=False, repr=False)

    @property
    def message_id(self) -> int:
        return int(self.message["message_id"])


@dataclass
class Chat:
    """A private chat between one bot and one person (chat id == the person's id)."""

    bot_token: str
    person_id: int
    entries: list[ChatEntry] = field(default_factory=list)
    by_id: dict[int, ChatEntry] = field(default_factory=dict)
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    reply_keyboard: dict[str, Any] | None = None
    keyboard_collapsed: bool = False  # a one-time keyboard folds away once used
    blocked: bool = False
    action: str | None = None
    action_until: float = 0.0

    @property
    def key(self) -> tuple[str, int]:
        return (self.bot_token, self.person_id)

    def add(self, entry: ChatEntry) -> ChatEntry:
        entry.chat_key = self.key
        self.entries.append(entry)
        self.by_id[entry.message_id] = entry
        return entry

    def live(self, message_id: int) -> ChatEntry | None:
        entry = self.by_id.get(message_id)
        return entry if entry is not None and not entry.deleted else None

    def current_action(self) -> str | None:
        """A chat action shows for five seconds or until the next message, as in Telegram's apps."""
        return self.action if self.action and time.monotonic() < self.action_until else None


@dataclass
class PollRecord:
    bot_token: str
    chat_id: int
    message_id: int
    poll: dict[str, Any]  # the Poll object inside the message, updated in place
    votes: dict[int, list[int]] = field(default_factory=dict)

    def refresh_closed(self) -> None:
        close_date = self.poll.get("close_date")
        if close_date and time.time() >= close_date:
            self.poll["is_closed"] = True


# ------------------------------------------------------------------------------------- bots


class UpdateQueue:
    """A bot's pending updates with getUpdates' semantics (offset confirms, allowed_updates filters)."""

    def __init__(self) -> None:
        self._pending: list[dict[str, Any]] = []
        self._next_id = 1
        self.allowed: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.arrived = Signal()

    def __len__(self) -> int:
        return len(self._pending)

    def continue_after(self, update_id: int) -> None:
        """Number the next updates after `update_id`: a bot that remembers the ids it handled
        (redeliveries are skipped) meets a restarted sandbox as it would meet Telegram, whose ids
        only grow."""
        self._next_id = max(self._next_id, update_id + 1)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update; None when the bot asked not to get this kind (Telegram drops those)."""
        if kind not in self.allowed:
            return None
        update = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self._pending.append(update)
        self.arrived.fire()
        return update

    def set_allowed(self, kinds: list[str] | None) -> None:
        """None keeps the previous choice; an empty list means Telegram's default set."""
        wanted = frozenset(kinds) if kinds else DEFAULT_UPDATE_TYPES
        if kinds is None or wanted == self.allowed:  # aiogram repeats its choice on every poll
            return
        self.allowed = wanted
        # Updates of kinds no longer wanted would otherwise sit at the head of the queue forever
        self._pending = [u for u in self._pending if self._kind(u) in self.allowed]

    @staticmethod
    def _kind(update: dict[str, Any]) -> str:
        return next(key for key in update if key != "update_id")

    def confirm(self, offset: int) -> None:
        """Telegram: updates below a positive offset are confirmed; a negative one keeps the last -offset."""
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    def peek(self, limit: int) -> list[dict[str, Any]]:
        return self._pending[:limit]

    def remove(self, update: dict[str, Any]) -> None:
        with contextlib.suppress(ValueError):
            self._pending.remove(update)

    def clear(self) -> None:
        self._pending.clear()


@dataclass
class Fault:
    """The next `remaining` calls of methods matching `method` (case-insensitive, `*` wildcards) fail."""

    method: str
    code: int
    remaining: int
    description: str
    retry_after: int | None = None
    after_effect: bool = False  # the call takes effect but its answer is lost: a timeout after sending

    def matches(self, method: str) -> bool:
        return self.remaining > 0 and fnmatch.fnmatchcase(method.lower(), self.method.lower())


DEFAULT_FAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def fault_description(code: int, retry_after: int | None) -> str:
    return DEFAULT_FAULT_DESCRIPTIONS.get(code, f"Error {code}").format(retry_after=retry_after or 1)


class FaultPlan:
    """Scheduled faults first, then a random share of send* calls for benchmarks."""

    def __init__(self) -> None:
        self.scheduled: list[Fault] = []
        self.rate = 0.0
        self.codes: tuple[int, ...] = (429, 500, 502)
        self.random = random.Random(7)

    def schedule(self, fault: Fault) -> None:
        self.scheduled.append(fault)

    def schedule_from(self, body: dict[str, Any]) -> None:
        """A fault as the control API (either side) describes it: method (required, `*` wildcards),
        code (500), count (1), retry_after (1 for a 429: a 429 always tells how long to wait),
        description, after_effect."""
        if not body.get("method"):
            raise bad_request("method is required")
        code = as_int(body.get("code", 500), "code")
        retry_after = as_int(body["retry_after"], "retry_after") if body.get("retry_after") is not None else None
        if code == 429 and retry_after is None:
            retry_after = 1
        self.schedule(Fault(
            method=str(body["method"]), code=code, remaining=as_int(body.get("count", 1), "count"),
            description=str(body.get("description") or fault_description(code, retry_after)),
            retry_after=retry_after, after_effect=bool(body.get("after_effect", False)),
        ))

    def set_rate_from(self, body: dict[str, Any]) -> None:
        """A share `rate` of send* calls (sendChatAction excepted) fails with one of `codes`, seeded."""
        try:
            self.set_rate(float(body.get("rate", 0)), tuple(int(c) for c in body.get("codes") or ()), body.get("seed", 7))
        except (TypeError, ValueError) as error:
            raise bad_request(str(error)) from None

    def clear(self) -> None:
        self.scheduled.clear()
        self.rate = 0.0

    def set_rate(self, rate: float, codes: tuple[int, ...], seed: int | None) -> None:
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        self.rate = rate
        self.codes = codes or (429, 500, 502)
        self.random.seed(seed)

    def next_for(self, method: str) -> Fault | None:
        for fault in self.scheduled:
            if fault.matches(method):
                fault.remaining -= 1
                self.scheduled = [f for f in self.scheduled if f.remaining > 0]
                return fault
        is_send = method.lower().startswith("send") and method.lower() != "sendchataction"
        if self.rate and is_send and self.random.random() < self.rate:
            code = self.random.choice(self.codes)
            retry_after = 1 if code == 429 else None
            return Fault(method, code, 1, fault_description(code, retry_after), retry_after)
        return None

    def as_json(self) -> dict[str, Any]:
        return {"scheduled": [{"method": f.method, "code": f.code, "remaining": f.remaining, "retry_after": f.retry_after,
                               "after_effect": f.after_effect} for f in self.scheduled],
                "rate": self.rate, "codes": list(self.codes)}


class Stats:
    """Counters the control API shows: calls per method, answers per status, notable events."""

    def __init__(self) -> None:
        self.methods: Counter[str] = Counter()
        self.responses: Counter[int] = Counter()
        self.events: Counter[str] = Counter()

    def as_json(self) -> dict[str, Any]:
        return {
            # `calls` mixes methods, events and http_429: the broadcast benchmark reads it there
            "calls": dict(self.methods) | dict(self.events) | {"http_429": self.responses[429]},
            "methods": dict(self.methods),
            "events": dict(self.events),
            "responses": {str(code): n for code, n in sorted(self.responses.items())},
            "http_429": self.responses[429],
        }


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int = 40


@dataclass
class PendingQuery:
    """A pressed button waiting for answerCallbackQuery: the future gets the answer, or None once too old."""

    entry: ChatEntry
    answered: asyncio.Future[dict[str, Any] | None]

    def expire(self) -> None:
        if not self.answered.done():  # a person may still be waiting on their press
            self.answered.set_result(None)


class BotAccount:
    def __init__(self, token: str, username: str, limits: Limits, first_name: str = "Sổ tay") -> None:
        self.token = token
        self.id = int(token.split(":", 1)[0])
        self.username = username
        self.first_name = first_name
        self.limits = limits
        self.rate = RateLimiter(limits)
        self.updates = UpdateQueue()
        self.webhook: WebhookConfig | None = None
        self.webhook_changed = Signal()
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.webhook_task: asyncio.Task[None] | None = None
        self.poller_generation = 0  # a newer getUpdates or setWebhook ends an older long poll (409)
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.settings: dict[str, Any] = {}  # name, description, short description, menu button
        self.faults = FaultPlan()
        self.stats = Stats()
        self.pending_queries: dict[str, PendingQuery] = {}
        self._query_ids = itertools.count(1)

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username,
                "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False,
                "can_connect_to_business": False, "has_main_web_app": False}

    def set_limits(self, limits: Limits) -> None:
        self.limits = limits
        self.rate = RateLimiter(limits)

    def new_query_id(self) -> str:
        return f"{self.id % 1_000_000}{next(self._query_ids):012d}"

    def expire_query(self, query_id: str) -> None:
        """A pressed button not answered in time: Telegram's clients stop waiting, answers come too late."""
        pending = self.pending_queries.pop(query_id, None)
        if pending is not None:
            pending.expire()

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "first_name": self.first_name,
                "webhook_url": self.webhook.url if self.webhook else None, "pending_updates": len(self.updates)}


# ------------------------------------------------------------------------------------- world


BotT = TypeVar("BotT")


class BotWorld(Generic[BotT]):
    """What the Telegram and Zalo worlds share: a version people's pages follow (bumped by every
    change they can see) and the bots, found by token for the Bot API and by token, other name or
    "default" for the control API, registered on first use when `auto_register` is on."""

    TOKEN: re.Pattern[str] = re.compile(r"\d+:\S+")
    SIDE = ""  # "" for Telegram, "Zalo " for Zalo (in "no … bot" answers)

    def __init__(self, *, auto_register: bool) -> None:
        self.auto_register = auto_register
        self.bots: dict[str, BotT] = {}
        self.version = 0
        self.changed = Signal()
        self.closing = False
        self._chat_versions: dict[Hashable, int] = {}  # chat key → version of its last change
        self._every_chat_version = 0  # the last change that may concern any chat
        self._chat_signals: dict[Hashable, Signal] = {}  # only chats someone is waiting on
        self._chat_waiters: dict[Hashable, int] = {}

    # ------------------------------------------------------------------ change feed

    def touch(self, chat: Hashable | None | object = EVERY_CHAT) -> int:
        """Note a change people can see; returns the new version for the changed entry.

        `chat` is the key (bot token, person id) of the one chat that changed: only the long polls of
        that chat wake. None: no chat changed (a person was added); by default every chat's wake."""
        self.version += 1
        self.changed.fire()
        if chat is EVERY_CHAT:
            self._every_chat_version = self.version
            for signal in self._chat_signals.values():
                signal.fire()
        elif chat is not None:
            self._chat_versions[chat] = self.version
            waiting = self._chat_signals.get(chat)
            if waiting is not None:
                waiting.fire()
        return self.version

    def wake_chats(self) -> None:
        """Every long poll of a chat looks again (the sandbox is stopping)."""
        for signal in list(self._chat_signals.values()):
            signal.fire()

    async def wait_for_change(self, after: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.version <= after and not self.closing:
            if not await wait_for_signal(self.changed.listen(), deadline - time.monotonic()):
                return

    def chat_version(self, chat: Hashable) -> int:
        """The version of the last change to this chat (a chat restored from a snapshot: its newest entry's)."""
        known = self._chat_versions.get(chat)
        if known is None:
            shown = getattr(self, "chats", {}).get(chat)
            known = self._chat_versions[chat] = max((entry.version for entry in shown.entries), default=0) if shown else 0
        return max(known, self._every_chat_version)

    async def wait_for_chat(self, chat: Hashable, after: int, timeout: float) -> bool:
        """A long poll of one chat: returns at once if it changed after version `after`, else when it does
        (True) or after `timeout` seconds (False). Changes to other chats do not wake it."""
        deadline = time.monotonic() + timeout
        signal = self._chat_signals.get(chat)
        if signal is None:
            signal = self._chat_signals[chat] = Signal()
        self._chat_waiters[chat] = self._chat_waiters.get(chat, 0) + 1
        try:
            while self.chat_version(chat) <= after and not self.closing:
                if not await wait_for_signal(signal.listen(), deadline - time.monotonic()):
                    return False
            return True
        finally:
            self._chat_waiters[chat] -= 1
            if not self._chat_waiters[chat]:
                del self._chat_waiters[chat]
                self._chat_signals.pop(chat, None)

    # ------------------------------------------------------------------ bots

    def add_bot(self, token: str) -> BotT:
        raise NotImplementedError

    def _names(self, bot: BotT) -> tuple[str, ...]:
        """What a control URL may call the bot besides "default"."""
        raise NotImplementedError

    def bot(self, token: str) -> BotT:
        """The bot a Bot API request speaks for: 401 for an unknown token, as the platform answers."""
        bot = self.bots.get(token)
        if bot is not None:
            return bot
        if self.auto_register and self.TOKEN.fullmatch(token):
            return self.add_bot(token)
        raise ApiError(401, "Unauthorized")

    def find_bot(self, key: str) -> BotT:
        """A bot named in a control URL: its token, its other name, or "default" for the first one."""
        if key in ("default", "") and self.bots:
            return next(iter(self.bots.values()))
        for bot in self.bots.values():
            if key in self._names(bot):
                return bot
        if self.auto_register and self.TOKEN.fullmatch(key):
            return self.add_bot(key)
        raise ApiError(404, f"Not Found: no {self.SIDE}bot {key!r}")


class World(BotWorld["BotAccount"]):
    """Everything the sandbox knows."""

    TOKEN = TELEGRAM_TOKEN

    def __init__(self, limits: Limits | None = None, *, auto_register: bool = True) -> None:
        super().__init__(auto_register=auto_register)
        self.limits = limits or Limits()  # the limits each new bot starts with
        self.people: dict[int, Person] = {}
        self.chats: dict[tuple[str, int], Chat] = {}
        self.files = FileStore()
        self.polls: dict[str, PollRecord] = {}
        self._person_ids = itertools.count(100_000_001)
        self._poll_ids = itertools.count(1)

    # ------------------------------------------------------------------ bots

    def _names(self, bot: BotAccount) -> tuple[str, ...]:
        return (bot.token, bot.username)

    def add_bot(self, token: str, username: str | None = None, first_name: str | None = None) -> BotAccount:
        if not re.fullmatch(r"\d+:\S+", token):
            raise bad_request("a bot token looks like 123456:ABC…")
        bot = self.bots.get(token)
        if bot is None:
            bot = BotAccount(token, username or f"sandbox_{token.split(':', 1)[0]}_bot", self.limits)
            self.bots[token] = bot
        elif username:
            bot.username = username
        if first_name:
            bot.first_name = first_name
        return bot

    # ------------------------------------------------------------------ people

    def add_person(self, *, user_id: int | None = None, first_name: str, last_name: str | None = None,
                   username: str | None = None, phone_number: str | None = None, label: str | None = None,
                   language_code: str | None = None) -> Person:
        if not str(first_name or "").strip():
            raise bad_request("first_name is required")
        person_id = int(user_id) if user_id is not None else next(self._person_ids)
        if person_id <= 0:
            raise bad_request("a user id is a positive number")
        person = Person(person_id, str(first_name), last_name or None, username or None, phone_number or None,
                        label or None, language_code or "vi")
        self.people[person_id] = person
        self.touch(None)  # no chat changed: nobody's long poll wakes
        return person

    def add_user(self, **fields: Any) -> Person:
        """The name `sotay demo` knows; same as add_person."""
        return self.add_person(**fields)

    def person(self, person_id: int) -> Person:
        person = self.people.get(person_id)
        if person is None:
            raise ApiError(404, f"Not Found: no person {person_id}; create them first")
        return person

    # ------------------------------------------------------------------ chats and polls

    def chat(self, bot: BotAccount, person_id: int) -> Chat:
        key = (bot.token, person_id)
        chat = self.chats.get(key)
        if chat is None:
            chat = self.chats[key] = Chat(bot.token, person_id)
        return chat

    def existing_chat(self, bot: BotAccount, person_id: int) -> Chat | None:
        return self.chats.get((bot.token, person_id))

    def new_poll_id(self) -> str:
        return f"{int(time.time())}{next(self._poll_ids):08d}"
