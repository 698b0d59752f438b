"""The Bot API methods, answering like Telegram does.

Each method validates its parameters first (400), then spends the flood budget (429), then changes
the world, so a refused call never leaves a trace in the chat.
"""

from __future__ import annotations

import asyncio

import copy
import json
import logging
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import FORBIDDEN_BLOCKED, ApiError, bad_request, too_many_requests
from sandbox.formatting import FormattedText, json_copy, parse_formatted
from sandbox.keyboards import ReplyMarkup, parse_reply_markup
from sandbox.media import DEFAULT_MIME, EXTENSIONS, image_size, ogg_duration
from sandbox.state import (
    BotAccount,
    Chat,
    ChatEntry,
    PollRecord,
    StoredFile,
    WebhookConfig,
    World,
    wait_for_signal,
)

log = logging.getLogger("sandbox.botapi")
# Parameters that arrive JSON-serialised in form bodies (and sometimes in JSON bodies too).
JSON_FIELDS = frozenset({
    "reply_markup", "allowed_updates", "commands", "options", "entities", "caption_entities", "scope",
    "link_preview_options", "reply_parameters", "media", "correct_option_ids", "message_ids", "menu_button",
    "question_entities", "explanation_entities",
})
CHAT_ACTIONS = frozenset({"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                          "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"})
CHAT_ACTION_SECONDS = 5.0
MEDIA_KINDS = ("voice", "audio", "document", "photo", "video")
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
MAX_LONG_POLL_SECONDS = 50
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message")


@dataclass
class Upload:
    data: bytes
    filename: str | None
    content_type: str | None


@dataclass
class Params:
    """A method's parameters, from the query string and a JSON, urlencoded or multipart body."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    @classmethod
    def decode(cls, raw: dict[str, Any], files: dict[str, Upload] | None = None) -> Params:
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key in JSON_FIELDS and isinstance(value, str) and value.strip():
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    raise bad_request(f"can't parse {key} JSON object") from None
            values[key] = value
        return cls(values, files or {})

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None or value == "" else value

    def integer(self, name: str, *, required: bool = True, default: int = 0, missing: str | None = None) -> int:
        value = self.get(name)
        if value is None:
            if required:
                raise bad_request(missing or f"{name} is empty")
            return default
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def string(self, name: str) -> str | None:
        value = self.get(name)
        return None if value is None else str(value)


Handler = Callable[["BotApi", BotAccount, Params], Awaitable[Any]]


def command_scope(params: Params) -> str:
    """Commands are kept per (scope, language), as setMyCommands defines them."""
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (params.string("language_code") or "")


def snapshot(message: dict[str, Any]) -> dict[str, Any]:
    """A copy for an update or an answer: later edits must not change what was already sent."""
    copied: dict[str, Any] = json_copy(message)
    return copied


class BotApi:
    def __init__(self, world: World, on_webhook_change: Callable[[BotAccount], None] | None = None) -> None:
        self.world = world
        self._on_webhook_change = on_webhook_change or (lambda bot: None)
        # Seconds of network round trip added to every call (half before Telegram sees it, half on the
        # way back): on loopback a call takes ~1 ms, from a server in Vietnam to Telegram's ~100-250 ms,
        # and a client that waits for each answer (a send loop) is bounded by it. 0: loopback.
        self.round_trip = 0.0

    # ------------------------------------------------------------------------ dispatch

    async def execute(self, bot: BotAccount, method: str, params: Params) -> tuple[int, dict[str, Any]]:
        """One Bot API call → (HTTP status, Telegram's answer body), counted in the bot's stats."""
        if self.round_trip:
            await self._travel()
        try:
            status, body = await self._execute(bot, method, params)
        finally:
            if self.round_trip:
                await self._travel()
        return status, body

    async def _travel(self) -> None:
        """Half the round trip: the request on its way in, or the answer on its way back."""
        await asyncio.sleep(self.round_trip / 2)

    async def _execute(self, bot: BotAccount, method: str, params: Params) -> tuple[int, dict[str, Any]]:
        try:
            result = await self.call(bot, method, params)
        except ApiError as error:
            bot.stats.responses[error.code] += 1
            return error.code, error.body()
        except Exception:
            # A bug in the sandbox: answer as Telegram does when it fails, and leave the traceback in the log
            log.exception("sandbox failed in %s", method)
            bot.stats.responses[500] += 1
            return 500, ApiError(500, "Internal Server Error").body()
        bot.stats.responses[200] += 1
        return 200, {"ok": True, "result": result}

    async def call(self, bot: BotAccount, method: str, params: Params) -> Any:
        name = CANONICAL_NAMES.get(method.lower())
        if name is None:
            raise ApiError(404, "Not Found")
        bot.stats.methods[name] += 1
        fault = bot.faults.next_for(name)
        if fault is not None and not fault.after_effect:
            raise ApiError(fault.code, fault.description, fault.retry_after)
        result = await METHODS[name](self, bot, params)
        if fault is not None:
            raise ApiError(fault.code, fault.description, fault.retry_after)
        return result

    # ------------------------------------------------------------------------ shared steps

    def _chat(self, bot: BotAccount, params: Params) -> Chat:
        """The private chat named by chat_id; 400 for nobody we know, 403 when they blocked the bot."""
        raw = params.get("chat_id")
        if raw is None:
            raise bad_request("chat_id is empty")
        try:
            person_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None  # e.g. "@channel": there are no channels here
        if person_id not in self.world.people:
            raise bad_request("chat not found")
        chat = self.world.chat(bot, person_id)
        if chat.blocked:
            raise ApiError(403, FORBIDDEN_BLOCKED)
        return chat

    @staticmethod
    def _formatted(bot: BotAccount, params: Params, name: str, *, required: bool) -> FormattedText | None:
        raw = params.get(name)
        is_text = name == "text"
        if raw is None:
            if required:
                raise bad_request("message text is empty")
            return None
        parsed = parse_formatted(str(raw), params.string("parse_mode"), params.get("entities" if is_text else "caption_entities"))
        if required and not parsed.text.strip():
            raise bad_request("message text is empty")
        if len(parsed.text) > (bot.limits.max_text if is_text else bot.limits.max_caption):
            raise bad_request("message is too long" if is_text else "message caption is too long")
        return parsed

    @staticmethod
    def _reply_to(chat: Chat, params: Params) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, allow_missing = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
        else:
            message_id, allow_missing = params.get("reply_to_message_id"), params.flag("allow_sending_without_reply")
        if message_id is None:
            return None
        try:
            entry = chat.live(int(message_id))
        except (TypeError, ValueError):
            raise bad_request("invalid reply_to_message_id specified") from None
        if entry is None:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        replied = snapshot(entry.message)
        replied.pop("reply_to_message", None)  # Telegram nests one level only
        return replied

    @staticmethod
    def _spend_rate(bot: BotAccount, chat_id: int, params: Params | None = None) -> None:
        """Telegram's flood limits; `allow_paid_broadcast` spends the paid bucket (counted with its Stars)."""
        paid = params is not None and params.flag("allow_paid_broadcast")
        retry_after = bot.rate.retry_after(chat_id, paid=paid)
        if retry_after:
            raise too_many_requests(retry_after)
        if paid:
            bot.stats.events["paid_broadcast"] += 1

    def _new_message(self, bot: BotAccount, chat: Chat, reply_to: dict[str, Any] | None) -> dict[str, Any]:
        person = self.world.person(chat.person_id)
        message: dict[str, Any] = {"message_id": next(chat.message_ids), "from": bot.user, "chat": person.private_chat(),
                                   "date": int(time.time())}
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return message

    @staticmethod
    def _set_text(message: dict[str, Any], formatted: FormattedText | None, field_name: str) -> None:
        entities_field = "entities" if field_name == "text" else "caption_entities"
        message.pop(field_name, None)
        message.pop(entities_field, None)
        if formatted is not None:
            message[field_name] = formatted.text
            if formatted.entities:
                message[entities_field] = formatted.entities

    def _post(self, bot: BotAccount, chat: Chat, message: dict[str, Any], markup: ReplyMarkup | None) -> dict[str, Any]:
        """Put a bot's message into the chat and answer with the Message Telegram would return."""
        reply_keyboard = None
        if markup is not None and markup.kind == "inline":
            message["reply_markup"] = markup.markup
        elif markup is not None and markup.kind in ("keyboard", "remove"):
            reply_keyboard = markup.markup
            chat.reply_keyboard = markup.markup if markup.kind == "keyboard" else None
            chat.keyboard_collapsed = False
        chat.action = None  # a message ends the "typing…" shown before it
        chat.add(ChatEntry(message=message, sender="bot", version=self.world.touch(chat.key), reply_keyboard=reply_keyboard))
        bot.stats.events["messages_sent"] += 1
        return snapshot(message)

    def _bot_message(self, bot: BotAccount, params: Params, *, missing: str) -> ChatEntry:
        chat = self._chat(bot, params)
        if params.get("inline_message_id") is not None:
            raise bad_request("inline messages are not supported by the sandbox")
        entry = chat.live(params.integer("message_id", missing=missing))
        if entry is None:
            raise bad_request(missing)
        if entry.sender != "bot":
            raise bad_request("message can't be edited")
        return entry

    def _changed(self, entry: ChatEntry) -> dict[str, Any]:
        entry.message["edit_date"] = int(time.time())
        entry.version = self.world.touch(entry.chat_key)
        return snapshot(entry.message)

    # ------------------------------------------------------------------------ files

    def _media(self, bot: BotAccount, params: Params, kind: str) -> tuple[StoredFile, bool]:
        """The file a send* call names: an upload (attach:// or a plain file field) or a file_id. → (file, uploaded)."""
        value = params.get(kind)
        upload: Upload | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = params.files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"there is no file in the request for {value}")
        elif value is None and kind in params.files:
            upload = params.files[kind]
        elif value is None:
            raise bad_request(f"there is no {kind} in the request")
        elif not isinstance(value, str):
            raise bad_request(f"can't parse {kind}")
        elif value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")  # the sandbox fetches nothing from the internet
        else:
            stored = self.world.files.for_bot(value, bot.id)
            if stored is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            if stored.kind != kind and kind != "document":
                raise bad_request("type of file mismatch")
            return stored, False
        return self.store_upload(bot, upload, kind, params), True

    def store_upload(self, bot: BotAccount, upload: Upload, kind: str, params: Params | None = None) -> StoredFile:
        if not upload.data:
            raise bad_request("file must be non-empty")
        if len(upload.data) > bot.limits.max_upload_bytes:
            raise ApiError(413, "Request Entity Too Large")
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            guessed = mimetypes.guess_type(upload.filename or "")[0]
            mime = guessed if guessed and kind == "document" else DEFAULT_MIME[kind]
        extension = EXTENSIONS.get(mime) or (upload.filename or "").rpartition(".")[2][:8] or "bin"
        stored = self.world.files.put(upload.data, kind=kind, mime_type=mime, file_name=upload.filename, extension=extension)
        if not stored.attributes:  # the first upload fixes them, as Telegram stores them once
            self._read_attributes(stored, kind, params or Params())
        return stored

    @staticmethod
    def _read_attributes(stored: StoredFile, kind: str, params: Params) -> None:
        attributes = stored.attributes
        if kind in ("voice", "audio", "video"):
            given = params.integer("duration", required=False, default=-1)
            attributes["duration"] = given if given >= 0 else (ogg_duration(stored.data) or 0)
        if kind in ("photo", "video"):
            width, height = image_size(stored.data) or (params.integer("width", required=False, default=640),
                                                         params.integer("height", required=False, default=480))
            attributes.update(width=width, height=height)
        for name in ("title", "performer"):
            if kind == "audio" and params.get(name) is not None:
                attributes[name] = params.string(name)

    def media_fields(self, stored: StoredFile, kind: str, bot: BotAccount) -> dict[str, Any]:
        """The Voice / Audio / Document / PhotoSize[] / Video object this bot sees for a stored file."""
        base = {"file_id": self.world.files.file_id(stored, bot.id), "file_unique_id": stored.unique_id,
                "file_size": stored.size}
        attributes = stored.attributes
        if kind == "photo":
            return {"photo": [base | {"width": attributes.get("width", 640), "height": attributes.get("height", 480)}]}
        named = {"file_name": stored.file_name} if stored.file_name else {}
        if kind == "voice":
            return {"voice": base | {"duration": attributes.get("duration", 0), "mime_type": stored.mime_type}}
        if kind == "audio":
            extra = {k: attributes[k] for k in ("title", "performer") if k in attributes}
            return {"audio": base | {"duration": attributes.get("duration", 0), "mime_type": stored.mime_type} | named | extra}
        if kind == "video":
            return {"video": base | {"width": attributes.get("width", 640), "height": attributes.get("height", 480),
                                     "duration": attributes.get("duration", 0), "mime_type": stored.mime_type} | named}
        return {"document": base | {"file_name": stored.file_name or "file", "mime_type": stored.mime_type}}

    # ------------------------------------------------------------------------ methods: the bot

    async def get_me(self, bot: BotAccount, params: Params) -> Any:
        return bot.user

    async def log_out_or_close(self, bot: BotAccount, params: Params) -> Any:
        return True

    async def set_my_commands(self, bot: BotAccount, params: Params) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not BOT_COMMAND.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        bot.commands[command_scope(params)] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    async def get_my_commands(self, bot: BotAccount, params: Params) -> Any:
        return bot.commands.get(command_scope(params), [])

    async def delete_my_commands(self, bot: BotAccount, params: Params) -> Any:
        bot.commands.pop(command_scope(params), None)
        return True

    async def set_bot_setting(self, bot: BotAccount, params: Params, *, name: str, limit: int) -> Any:
        value = params.string(name) or ""
        if len(value) > limit:
            raise bad_request(f"{name} is too long")
        bot.settings[name] = value
        return True

    async def get_bot_setting(self, bot: BotAccount, params: Params, *, name: str) -> Any:
        return {name: bot.settings.get(name, bot.first_name if name == "name" else "")}

    async def set_chat_menu_button(self, bot: BotAccount, params: Params) -> Any:
        bot.settings["menu_button"] = params.get("menu_button") or {"type": "default"}
        return True

    async def get_chat_menu_button(self, bot: BotAccount, params: Params) -> Any:
        return bot.settings.get("menu_button", {"type": "default"})

    # ------------------------------------------------------------------------ methods: updates

    async def get_updates(self, bot: BotAccount, params: Params) -> Any:
        if bot.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = params.integer("offset", required=False)
        limit = min(100, max(1, params.integer("limit", required=False, default=100)))
        timeout = min(MAX_LONG_POLL_SECONDS, max(0, params.integer("timeout", required=False)))
        allowed = params.get("allowed_updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        bot.updates.set_allowed(allowed)
        bot.updates.confirm(offset)
        bot.poller_generation += 1
        generation = bot.poller_generation
        bot.updates.arrived.fire()  # an older long poll of this bot now ends with 409, as in Telegram
        deadline = time.monotonic() + timeout
        while True:
            arrived = bot.updates.arrived.listen()
            if generation != bot.poller_generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                    "make sure that only one bot instance is running")
            if bot.webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            batch = bot.updates.peek(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self.world.closing:
                return batch
            await wait_for_signal(arrived, remaining)

    async def set_webhook(self, bot: BotAccount, params: Params) -> Any:
        url = params.string("url") or ""
        if url and not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.string("secret_token")
        if secret is not None and not WEBHOOK_SECRET.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        bot.updates.set_allowed(allowed)
        if params.flag("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook = WebhookConfig(url, secret, params.integer("max_connections", required=False, default=40)) if url else None
        self._webhook_changed(bot)
        return True

    async def delete_webhook(self, bot: BotAccount, params: Params) -> Any:
        if params.flag("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook = None
        self._webhook_changed(bot)
        return True

    def _webhook_changed(self, bot: BotAccount) -> None:
        bot.poller_generation += 1
        bot.updates.arrived.fire()
        bot.webhook_changed.fire()
        self._on_webhook_change(bot)

    async def get_webhook_info(self, bot: BotAccount, params: Params) -> Any:
        info: dict[str, Any] = {"url": bot.webhook.url if bot.webhook else "", "has_custom_certificate": False,
                                "pending_update_count": len(bot.updates)}
        if bot.webhook is not None:
            info["max_connections"] = bot.webhook.max_connections
            info["allowed_updates"] = sorted(bot.updates.allowed)
        if bot.last_error_date is not None:
            info["last_error_date"] = bot.last_error_date
            info["last_error_message"] = bot.last_error_message
        return info

    # ------------------------------------------------------------------------ methods: sending

    async def send_message(self, bot: BotAccount, params: Params) -> Any:
        chat = self._chat(bot, params)
        text = self._formatted(bot, params, "text", required=True)
        markup = parse_reply_markup(params.get("reply_markup"), bot.limits)
        reply_to = self._reply_to(chat, params)
        self._spend_rate(bot, chat.person_id, params)
        message = self._new_message(bot, chat, reply_to)
        self._set_text(message, text, "text")
        return self._post(bot, chat, message, markup)

    async def send_media(self, bot: BotAccount, params: Params, *, kind: str) -> Any:
        chat = self._chat(bot, params)
        caption = self._formatted(bot, params, "caption", required=False)
        markup = parse_reply_markup(params.get("reply_markup"), bot.limits)
        reply_to = self._reply_to(chat, params)
        stored, uploaded = self._media(bot, params, kind)
        self._spend_rate(bot, chat.person_id, params)
        if uploaded:
            bot.stats.events["uploads"] += 1
        message = self._new_message(bot, chat, reply_to)
        message.update(self.media_fields(stored, kind, bot))
        self._set_text(message, caption, "caption")
        return self._post(bot, chat, message, markup)

    async def send_poll(self, bot: BotAccount, params: Params) -> Any:
        chat = self._chat(bot, params)
        poll = self._new_poll(params)
        markup = parse_reply_markup(params.get("reply_markup"), bot.limits)
        reply_to = self._reply_to(chat, params)
        self._spend_rate(bot, chat.person_id, params)
        message = self._new_message(bot, chat, reply_to)
        message["poll"] = poll
        self.world.polls[poll["id"]] = PollRecord(bot.token, chat.person_id, message["message_id"], poll)
        return self._post(bot, chat, message, markup)

    def _new_poll(self, params: Params) -> dict[str, Any]:
        question = (params.string("question") or "").strip()
        if not question:
            raise bad_request("poll question must be non-empty")
        if len(question) > 300:
            raise bad_request("poll question length must not exceed 300")
        raw_options = params.get("options")
        if not isinstance(raw_options, list):
            raise bad_request("can't parse options JSON object")
        options = [str(o.get("text", "")) if isinstance(o, dict) else str(o) for o in raw_options]
        if not 1 <= len(options) <= 12:  # Bot API 10: 1–12 options
            raise bad_request("poll must have at least 1 option" if not options else "poll can't have more than 12 options")
        if any(not 1 <= len(option.strip()) <= 100 for option in options):
            raise bad_request("poll options length must be between 1 and 100")
        poll_type = params.string("type") or "regular"
        if poll_type not in ("regular", "quiz"):
            raise bad_request("wrong poll type specified")
        is_quiz = poll_type == "quiz"
        correct = params.get("correct_option_ids")
        if correct is None and params.get("correct_option_id") is not None:
            correct = [params.integer("correct_option_id")]
        valid_correct = isinstance(correct, list) and correct and all(isinstance(i, int) and 0 <= i < len(options) for i in correct)
        if is_quiz and not valid_correct:
            raise bad_request("wrong correct option ID specified")
        poll: dict[str, Any] = {
            "id": self.world.new_poll_id(), "question": question,
            "options": [{"persistent_id": str(index), "text": text, "voter_count": 0} for index, text in enumerate(options)],
            "total_voter_count": 0, "is_closed": params.flag("is_closed"), "is_anonymous": params.flag("is_anonymous", True),
            "type": poll_type, "allows_multiple_answers": params.flag("allows_multiple_answers"),
            "allows_revoting": params.flag("allows_revoting", not is_quiz), "members_only": False,
        }
        if is_quiz:
            poll["correct_option_ids"] = sorted(correct)
            poll["correct_option_id"] = poll["correct_option_ids"][0]  # still read by older clients
        explanation = params.string("explanation")
        if explanation:
            if len(explanation) > 200:
                raise bad_request("quiz explanation is too long")
            poll["explanation"] = explanation
        open_period = params.integer("open_period", required=False)
        close_date = params.integer("close_date", required=False)
        if open_period:
            poll["open_period"] = open_period
            poll["close_date"] = int(time.time()) + open_period
        elif close_date:
            poll["close_date"] = close_date
        return poll

    async def send_chat_action(self, bot: BotAccount, params: Params) -> Any:
        chat = self._chat(bot, params)
        action = params.string("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.action = action
        chat.action_until = time.monotonic() + CHAT_ACTION_SECONDS
        self.world.touch(chat.key)
        return True

    # ------------------------------------------------------------------------ methods: changing

    async def edit_message_text(self, bot: BotAccount, params: Params) -> Any:
        entry = self._bot_message(bot, params, missing="message to edit not found")
        if "text" not in entry.message:
            raise bad_request("there is no text in the message to edit")
        text = self._formatted(bot, params, "text", required=True)
        markup = parse_reply_markup(params.get("reply_markup"), bot.limits, inline_only=True)
        assert text is not None
        new_markup = markup.markup if markup and markup.inline_keyboard else None
        if (entry.message["text"], entry.message.get("entities", []), entry.message.get("reply_markup")) == \
                (text.text, text.entities, new_markup):
            raise bad_request(NOT_MODIFIED)
        entry.edits.append(entry.message["text"])
        self._set_text(entry.message, text, "text")
        self._set_inline(entry, new_markup)
        return self._changed(entry)

    async def edit_message_caption(self, bot: BotAccount, params: Params) -> Any:
        entry = self._bot_message(bot, params, missing="message to edit not found")
        if not any(kind in entry.message for kind in MEDIA_KINDS):
            raise bad_request("there is no caption in the message to edit")
        caption = self._formatted(bot, params, "caption", required=False)
        markup = parse_reply_markup(params.get("reply_markup"), bot.limits, inline_only=True)
        new_markup = markup.markup if markup and markup.inline_keyboard else None
        new_caption = (caption.text, caption.entities) if caption else (None, [])
        if (entry.message.get("caption"), entry.message.get("caption_entities", []), entry.message.get("reply_markup")) == \
                (*new_caption, new_markup):
            raise bad_request(NOT_MODIFIED)
        entry.edits.append(entry.message.get("caption", ""))
        self._set_text(entry.message, caption, "caption")
        self._set_inline(entry, new_markup)
        return self._changed(entry)

    async def edit_message_reply_markup(self, bot: BotAccount, params: Params) -> Any:
        entry = self._bot_message(bot, params, missing="message to edit not found")
        markup = parse_reply_markup(params.get("reply_markup"), bot.limits, inline_only=True)
        new_markup = markup.markup if markup and markup.inline_keyboard else None
        if entry.message.get("reply_markup") == new_markup:
            raise bad_request(NOT_MODIFIED)
        self._set_inline(entry, new_markup)
        return self._changed(entry)

    @staticmethod
    def _set_inline(entry: ChatEntry, markup: dict[str, Any] | None) -> None:
        # Telegram: an edit without reply_markup removes the inline keyboard
        if markup:
            entry.message["reply_markup"] = markup
        else:
            entry.message.pop("reply_markup", None)

    async def stop_poll(self, bot: BotAccount, params: Params) -> Any:
        entry = self._bot_message(bot, params, missing="message with poll to stop not found")
        poll = entry.message.get("poll")
        if poll is None:
            raise bad_request("message with poll to stop not found")
        if poll["is_closed"]:
            raise bad_request("poll has already been closed")
        markup = parse_reply_markup(params.get("reply_markup"), bot.limits, inline_only=True)
        poll["is_closed"] = True
        if markup is not None:
            self._set_inline(entry, markup.markup if markup.inline_keyboard else None)
        entry.version = self.world.touch()
        bot.updates.push("poll", copy.deepcopy(poll))
        return copy.deepcopy(poll)

    async def delete_message(self, bot: BotAccount, params: Params) -> Any:
        chat = self._chat(bot, params)
        entry = chat.live(params.integer("message_id", missing="message to delete not found"))
        if entry is None:
            raise bad_request("message to delete not found")
        self._delete(entry)
        return True

    async def delete_messages(self, bot: BotAccount, params: Params) -> Any:
        chat = self._chat(bot, params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a list of 1-100 identifiers")
        for message_id in ids:
            entry = chat.live(int(message_id))
            if entry is not None:  # Telegram skips the ones it cannot find
                self._delete(entry)
        return True

    def _delete(self, entry: ChatEntry) -> None:
        entry.deleted = True
        entry.version = self.world.touch(entry.chat_key)

    async def answer_callback_query(self, bot: BotAccount, params: Params) -> Any:
        pending = bot.pending_queries.get(params.string("callback_query_id") or "")
        if pending is None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.string("text")
        if text is not None and len(text) > bot.limits.max_callback_answer:
            raise bad_request("MESSAGE_TOO_LONG")
        del bot.pending_queries[params.string("callback_query_id") or ""]
        answer: dict[str, Any] = {"text": text, "show_alert": params.flag("show_alert")}
        if params.get("url") is not None:
            answer["url"] = params.string("url")
        pending.entry.callback_answers.append(answer)
        pending.entry.version = self.world.touch(pending.entry.chat_key)
        if not pending.answered.done():
            pending.answered.set_result(answer)
        return True

    # ------------------------------------------------------------------------ methods: reading

    async def get_file(self, bot: BotAccount, params: Params) -> Any:
        stored = self.world.files.for_bot(params.string("file_id") or "", bot.id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > bot.limits.max_download_bytes:
            raise bad_request("file is too big")
        return {"file_id": params.string("file_id"), "file_unique_id": stored.unique_id, "file_size": stored.size,
                "file_path": stored.path}

    async def get_chat(self, bot: BotAccount, params: Params) -> Any:
        raw = params.get("chat_id")
        try:
            person = self.world.people.get(int(raw)) if raw is not None else None
        except (TypeError, ValueError):
            person = None
        if person is None:
            raise bad_request("chat not found" if raw is not None else "chat_id is empty")
        # ChatFullInfo: these fields are required even for a private chat
        return person.private_chat() | {
            "accent_color_id": person.id % 7, "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                    "premium_subscription": False, "gifts_from_channels": False},
        }


def _media_method(kind: str) -> Handler:
    async def send(api: BotApi, bot: BotAccount, params: Params) -> Any:
        return await api.send_media(bot, params, kind=kind)

    return send


def _setting(name: str, limit: int) -> tuple[Handler, Handler]:
    async def set_value(api: BotApi, bot: BotAccount, params: Params) -> Any:
        return await api.set_bot_setting(bot, params, name=name, limit=limit)

    async def get_value(api: BotApi, bot: BotAccount, params: Params) -> Any:
        return await api.get_bot_setting(bot, params, name=name)

    return set_value, get_value


_set_name, _get_name = _setting("name", 64)
_set_description, _get_description = _setting("description", 512)
_set_short_description, _get_short_description = _setting("short_description", 120)

METHODS: dict[str, Handler] = {
    "getMe": BotApi.get_me,
    "logOut": BotApi.log_out_or_close,
    "close": BotApi.log_out_or_close,
    "getUpdates": BotApi.get_updates,
    "setWebhook": BotApi.set_webhook,
    "deleteWebhook": BotApi.delete_webhook,
    "getWebhookInfo": BotApi.get_webhook_info,
    "sendMessage": BotApi.send_message,
    "sendVoice": _media_method("voice"),
    "sendAudio": _media_method("audio"),
    "sendDocument": _media_method("document"),
    "sendPhoto": _media_method("photo"),
    "sendVideo": _media_method("video"),
    "sendPoll": BotApi.send_poll,
    "sendChatAction": BotApi.send_chat_action,
    "editMessageText": BotApi.edit_message_text,
    "editMessageCaption": BotApi.edit_message_caption,
    "editMessageReplyMarkup": BotApi.edit_message_reply_markup,
    "stopPoll": BotApi.stop_poll,
    "deleteMessage": BotApi.delete_message,
    "deleteMessages": BotApi.delete_messages,
    "answerCallbackQuery": BotApi.answer_callback_query,
    "getFile": BotApi.get_file,
    "getChat": BotApi.get_chat,
    "setMyCommands": BotApi.set_my_commands,
    "getMyCommands": BotApi.get_my_commands,
    "deleteMyCommands": BotApi.delete_my_commands,
    "setMyName": _set_name,
    "getMyName": _get_name,
    "setMyDescription": _set_description,
    "getMyDescription": _get_description,
    "setMyShortDescription": _set_short_description,
    "getMyShortDescription": _get_short_description,
    "setChatMenuButton": BotApi.set_chat_menu_button,
    "getChatMenuButton": BotApi.get_chat_menu_button,
}
# Telegram's method names are case-insensitive.
CANONICAL_NAMES = {name.lower(): name for name in METHODS}
