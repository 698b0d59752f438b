"""Driving the real Dispatcher with real Update objects, with Telegram's side recorded.

`BotHarness` feeds updates the way Telegram would and returns what the bot called; the
database is then checked directly by the test.

The recording session refuses what Telegram refuses, with Telegram's own error (TelegramBadRequest):
a text over `core.limits.TELEGRAM.text` characters or a caption over `.caption` after its HTML is
parsed, HTML that Telegram cannot parse (the sandbox's parser, sandbox/formatting.py, is Telegram's
stand-in), an empty text, button data over `.callback_data_bytes` bytes, a toast over
`.callback_answer` characters, and a second answer to one button press. A toast carrying HTML
(which Telegram would show as text) is recorded as a violation without a refusal. Each refusal is also kept in
`violations`; the `harness` fixture fails the test at its end if any is left (a test that provokes
one on purpose checks and clears it).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import Default, DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    File,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    PhotoSize,
    PollAnswer,
    Update,
    User,
    Voice,
)

from bot import background
from bot.limits import install as install_limits
from core.limits import TELEGRAM
from sandbox.errors import ApiError
from sandbox.formatting import parse_formatted

MARKUP = re.compile(r"</?[a-z]+[ >]|&(?:amp|lt|gt|quot|#\d+);")
BOT_USER = User(id=42, is_bot=True, first_name="Sổ tay", username="sotay_test_bot")
TOKEN = "42:TEST_TOKEN_abcdefghijklmnopqrstuvwxyz"


@dataclass
class RecordingSession(BaseSession):
    """Answers every Bot API call like Telegram would, and remembers each call."""

    calls: list[TelegramMethod[Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    _answered_queries: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        BaseSession.__init__(self)

    async def close(self) -> None:
        return None

    def refusal(self, bot: Bot, method: TelegramMethod[Any]) -> str | None:
        """What Telegram would answer "Bad Request: …" to, or None."""
        limits = TELEGRAM
        for attribute, entities, limit, too_long in (("text", "entities", limits.text, "message is too long"),
                                                     ("caption", "caption_entities", limits.caption, "message caption is too long")):
            raw = getattr(method, attribute, None)
            if not isinstance(raw, str) or (attribute == "text" and not isinstance(method, (SendMessage, EditMessageText))):
                continue
            parse_mode = getattr(method, "parse_mode", None)
            if isinstance(parse_mode, Default):
                parse_mode = getattr(bot.default, parse_mode.name, None)
            given = getattr(method, entities, None)
            try:
                parsed = parse_formatted(raw, parse_mode, [e.model_dump(exclude_none=True) for e in given] if given else None)
            except ApiError as refused:
                return refused.description
            if attribute == "text" and not parsed.text.strip():
                return "message text is empty"
            if len(parsed.text) > limit:
                return f"{too_long} ({len(parsed.text)} > {limit} characters after parsing)"
        markup = getattr(method, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            for row in markup.inline_keyboard:
                for button in row:
                    data = button.callback_data
                    if data is not None and not 1 <= len(data.encode()) <= limits.callback_data_bytes:
                        return f"BUTTON_DATA_INVALID ({len(data.encode())} bytes: {data!r})"
        if isinstance(method, AnswerCallbackQuery):
            if method.callback_query_id in self._answered_queries:
                return "query is too old and response timeout expired or query ID is invalid (answered twice)"
            if method.text is not None and len(method.text) > limits.callback_answer:
                return "MESSAGE_TOO_LONG"
            self._answered_queries.add(method.callback_query_id)
        return None

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.calls.append(method)
        if isinstance(method, AnswerCallbackQuery) and method.text and MARKUP.search(method.text):
            # Telegram accepts it, then shows «<b>» or «&amp;» to the member: a toast is plain text.
            self.violations.append(f"AnswerCallbackQuery: a toast shows markup as text: {method.text!r}")
        refused = self.refusal(bot, method)
        if refused is not None:
            self.violations.append(f"{type(method).__name__}: {refused}")
            raise TelegramBadRequest(method=method, message=f"Bad Request: {refused}")
        returning = method.__returning__
        name = type(method).__name__
        if name == "GetMe":
            return BOT_USER
        if name == "GetFile":
            file_id = method.file_id
            return File(file_id=file_id, file_unique_id=file_id, file_size=len(self.files.get(file_id, b"")), file_path=f"files/{file_id}")
        if returning is Message or name.startswith(("Send", "Edit")):
            chat_id = getattr(method, "chat_id", None) or 0
            message_id = getattr(method, "message_id", None) or next(self._message_ids)
            extra: dict[str, Any] = {}
            if name == "SendVoice":
                extra["voice"] = Voice(file_id=f"voice-{message_id}", file_unique_id=f"uv-{message_id}", duration=getattr(method, "duration", None) or 1)
            if name == "SendDocument":
                extra["document"] = Document(file_id=f"doc-{message_id}", file_unique_id=f"ud-{message_id}")
            if name == "SendPhoto":
                extra["photo"] = [PhotoSize(file_id=f"photo-{message_id}", file_unique_id=f"up-{message_id}", width=10, height=10)]
            return Message(
                message_id=message_id,
                date=dt.datetime.now(dt.timezone.utc),
                chat=Chat(id=int(chat_id), type="private"),
                from_user=BOT_USER,
                text=getattr(method, "text", None),
                caption=getattr(method, "caption", None),
                **extra,
            )
        if returning is bool or name in ("AnswerCallbackQuery", "SetMyCommands", "DeleteMessage"):
            return True
        return True

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
                             chunk_size: int = 65536, raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        file_id = url.rsplit("/", 1)[-1]
        yield self.files.get(file_id, b"")


def person(user_id: int, first_name: str = "Người dùng") -> User:
    return User(id=user_id, is_bot=False, first_name=first_name, language_code="vi")


class BotHarness:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.session = RecordingSession()
        # As bot.dispatcher.create_bot does: HTML by default, every call fitted to Telegram's limits.
        self.bot = install_limits(Bot(TOKEN, session=self.session, default=DefaultBotProperties(parse_mode="HTML")))
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    async def feed(self, update: Update) -> list[TelegramMethod[Any]]:
        before = len(self.session.calls)
        await self.dispatcher.feed_update(self.bot, update)
        await background.drain()  # what the update started after its handler returned (a voice note being made)
        return self.session.calls[before:]

    def _message(self, user_id: int, **fields: Any) -> Message:
        return Message(
            message_id=next(self._message_ids),
            date=dt.datetime.now(dt.timezone.utc),
            chat=Chat(id=user_id, type="private"),
            from_user=person(user_id),
            **fields,
        )

    def update(self, **fields: Any) -> Update:
        return Update(update_id=next(self._update_ids), **fields)

    async def text(self, user_id: int, text: str) -> list[TelegramMethod[Any]]:
        entities = None
        if text.startswith("/"):
            command = text.split()[0]
            entities = [MessageEntity(type="bot_command", offset=0, length=len(command))]
        return await self.feed(self.update(message=self._message(user_id, text=text, entities=entities)))

    async def contact(self, user_id: int, phone: str, contact_user_id: int | None) -> list[TelegramMethod[Any]]:
        contact = Contact(phone_number=phone, first_name="A", user_id=contact_user_id)
        return await self.feed(self.update(message=self._message(user_id, contact=contact)))

    async def voice(self, user_id: int, data: bytes, duration: int = 3) -> list[TelegramMethod[Any]]:
        file_id = f"in-voice-{len(self.session.files)}"
        self.session.files[file_id] = data
        voice = Voice(file_id=file_id, file_unique_id=file_id, duration=duration, mime_type="audio/ogg", file_size=len(data))
        return await self.feed(self.update(message=self._message(user_id, voice=voice)))

    async def document(self, user_id: int, data: bytes, filename: str, mime_type: str, caption: str | None = None) -> list[TelegramMethod[Any]]:
        file_id = f"in-doc-{len(self.session.files)}"
        self.session.files[file_id] = data
        document = Document(file_id=file_id, file_unique_id=file_id, file_name=filename, mime_type=mime_type, file_size=len(data))
        return await self.feed(self.update(message=self._message(user_id, document=document, caption=caption)))

    async def press(self, user_id: int, data: str, *, message_id: int = 1, message_text: str = "…",
                    reply_markup: InlineKeyboardMarkup | None = None) -> list[TelegramMethod[Any]]:
        """A button pressed on a message of the bot (with that message's own keyboard, when given)."""
        message = Message(message_id=message_id, date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=user_id, type="private"),
                          from_user=BOT_USER, text=message_text, reply_markup=reply_markup)
        query = CallbackQuery(id=str(next(self._update_ids)), from_user=person(user_id), chat_instance="ci", data=data, message=message)
        return await self.feed(self.update(callback_query=query))

    async def poll_answer(self, user_id: int, poll_id: str, option_ids: list[int]) -> list[TelegramMethod[Any]]:
        return await self.feed(self.update(poll_answer=PollAnswer(poll_id=poll_id, user=person(user_id), option_ids=option_ids, option_persistent_ids=[str(i) for i in option_ids])))


def texts_of(calls: list[TelegramMethod[Any]]) -> list[str]:
    """Every text or caption the bot sent or edited, in order."""
    found = []
    for call in calls:
        for attribute in ("text", "caption"):
            value = getattr(call, attribute, None)
            if isinstance(value, str):
                found.append(value)
    return found


def reply_keyboard_labels(calls: list[TelegramMethod[Any]]) -> list[str]:
    for call in reversed(calls):
        markup = getattr(call, "reply_markup", None)
        if markup is not None and hasattr(markup, "keyboard"):
            return [button.text for row in markup.keyboard for button in row]
    return []


def inline_buttons(call: TelegramMethod[Any]) -> list[tuple[str, str | None]]:
    markup = getattr(call, "reply_markup", None)
    if markup is None or not hasattr(markup, "inline_keyboard"):
        return []
    return [(b.text, b.callback_data) for row in markup.inline_keyboard for b in row]
