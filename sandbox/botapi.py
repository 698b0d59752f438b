"""The Bot API methods, answering like Telegram does."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.state import ApiError, BotState, ChatEntry, StoredFile, World, plain_text

Params = dict[str, Any]
UploadedFiles = dict[str, tuple[bytes, str | None, str | None]]  # name → (bytes, filename, content type)
Method = Callable[["BotApi", BotState, Params, UploadedFiles], Awaitable[Any]]

JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "options", "entities", "caption_entities", "scope",
               "link_preview_options", "reply_parameters", "media"}
MEDIA_KINDS = {"sendVoice": ("voice", "audio/ogg"), "sendAudio": ("audio", "audio/mpeg"),
               "sendDocument": ("document", "application/octet-stream"), "sendPhoto": ("photo", "image/jpeg")}


def decode_params(raw: dict[str, Any]) -> Params:
    params: Params = {}
    for key, value in raw.items():
        if key in JSON_FIELDS and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
        params[key] = value
    return params


def _int(params: Params, key: str, *, required: bool = True, default: int | None = None) -> int:
    value = params.get(key)
    if value is None or value == "":
        if required:
            raise ApiError(400, f"Bad Request: {key} is required" if key != "chat_id" else "Bad Request: chat_id is empty")
        return default  # type: ignore[return-value]
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {key} specified") from None


def _bool(params: Params, key: str, default: bool = False) -> bool:
    value = params.get(key, default)
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)


class BotApi:
    def __init__(self, world: World) -> None:
        self.world = world

    async def call(self, bot: BotState, method: str, params: Params, files: UploadedFiles) -> Any:
        handler = METHODS.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        bot.count(method)
        bot.check_faults(method)
        return await handler(self, bot, params, files)

    # ---------------------------------------------------------------- helpers

    def _chat_for_send(self, bot: BotState, params: Params) -> int:
        chat_id = _int(params, "chat_id")
        self.world.public_user(chat_id)  # 400 chat not found
        if (bot.token, chat_id) in self.world.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _check_markup(self, bot: BotState, markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []) or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not (1 <= len(data.encode()) <= bot.limits.max_callback_data):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                if data is None and not any(button.get(k) for k in ("url", "switch_inline_query", "web_app", "copy_text", "login_url", "pay")):
                    raise ApiError(400, "Bad Request: can't find field \"callback_data\"")

    def _base_message(self, bot: BotState, chat_id: int, message_id: int) -> dict[str, Any]:
        return {"message_id": message_id, "date": int(time.time()), "chat": self.world.chat_of(chat_id), "from": bot.user}

    async def _post(self, bot: BotState, chat_id: int, message: dict[str, Any], params: Params, html: str | None) -> dict[str, Any]:
        markup = params.get("reply_markup")
        keyboard: dict[str, Any] | None = None
        if isinstance(markup, dict):
            if "inline_keyboard" in markup:
                message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
            elif "keyboard" in markup:
                keyboard = markup
                self.world.keyboards[(bot.token, chat_id)] = markup
            elif markup.get("remove_keyboard"):
                keyboard = markup
                self.world.keyboards[(bot.token, chat_id)] = None
        await self.world.record(bot.token, chat_id, lambda v: ChatEntry(message["message_id"], "bot", message, v, html=html, keyboard=keyboard))
        bot.count("messages_sent")
        return message

    def _text(self, bot: BotState, params: Params, key: str, limit: int, *, required: bool) -> tuple[str | None, str | None]:
        raw = params.get(key)
        if raw is None or raw == "":
            if required:
                raise ApiError(400, "Bad Request: message text is empty")
            return None, None
        raw = str(raw)
        text = plain_text(raw, params.get("parse_mode"))
        if not text.strip() and required:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > limit:
            raise ApiError(400, "Bad Request: message is too long" if key == "text" else "Bad Request: message caption is too long")
        html = raw if (params.get("parse_mode") or "").upper() == "HTML" else None
        return text, html

    # ---------------------------------------------------------------- methods

    async def get_me(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        return bot.user

    async def get_updates(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        if bot.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        offset = _int(params, "offset", required=False, default=0)
        limit = max(1, min(100, _int(params, "limit", required=False, default=100)))
        timeout = max(0, min(50, _int(params, "timeout", required=False, default=0)))
        if offset:
            if offset < 0:
                bot.updates = bot.updates[offset:]
            else:
                bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while not bot.updates and time.monotonic() < deadline:
            bot.new_update.clear()
            try:
                await asyncio.wait_for(bot.new_update.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                break
        allowed = params.get("allowed_updates")
        batch = bot.updates[:limit]
        if allowed:
            batch = [u for u in batch if any(k in u for k in allowed)]
        return batch

    async def set_webhook(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        url = params.get("url") or ""
        if url and not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if _bool(params, "drop_pending_updates"):
            bot.updates.clear()
        bot.webhook_url = url or None
        bot.webhook_secret = params.get("secret_token") or None
        bot.new_update.set()
        return True

    async def delete_webhook(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        if _bool(params, "drop_pending_updates"):
            bot.updates.clear()
        bot.webhook_url = None
        bot.webhook_secret = None
        return True

    async def get_webhook_info(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        info: dict[str, Any] = {"url": bot.webhook_url or "", "has_custom_certificate": False, "pending_update_count": len(bot.updates)}
        if bot.last_error_date:
            info["last_error_date"] = bot.last_error_date
            info["last_error_message"] = bot.last_error_message
        return info

    async def send_message(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        chat_id = self._chat_for_send(bot, params)
        text, html = self._text(bot, params, "text", bot.limits.max_text, required=True)
        self._check_markup(bot, params.get("reply_markup"))
        bot.check_rate(chat_id)
        message = self._base_message(bot, chat_id, self.world.next_message_id(bot.token, chat_id))
        message["text"] = text
        return await self._post(bot, chat_id, message, params, html)

    async def send_media(self, bot: BotState, params: Params, files: UploadedFiles, method: str) -> Any:
        kind, default_mime = MEDIA_KINDS[method]
        chat_id = self._chat_for_send(bot, params)
        caption, html = self._text(bot, params, "caption", bot.limits.max_caption, required=False)
        self._check_markup(bot, params.get("reply_markup"))
        stored = self._resolve_media(bot, params.get(kind), files, kind=kind, default_mime=default_mime)
        bot.check_rate(chat_id)
        message = self._base_message(bot, chat_id, self.world.next_message_id(bot.token, chat_id))
        if caption is not None:
            message["caption"] = caption
        message.update(self.media_object(stored, kind, params))
        return await self._post(bot, chat_id, message, params, html)

    def _resolve_media(self, bot: BotState, value: Any, files: UploadedFiles, *, kind: str, default_mime: str) -> StoredFile:
        if value is None or value == "":
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if isinstance(value, str) and value.startswith("attach://"):
            part = files.get(value.removeprefix("attach://"))
            if part is None:
                raise ApiError(400, "Bad Request: file must be non-empty")
            data, filename, content_type = part
        elif isinstance(value, str) and kind in files:
            data, filename, content_type = files[kind]
        elif isinstance(value, str):
            stored = self.world.files.get(value)
            if stored is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return stored
        else:
            raise ApiError(400, f"Bad Request: can't parse {kind}")
        if not data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(data) > bot.limits.max_upload_bytes:
            raise ApiError(413, "Request Entity Too Large")
        mime = content_type if content_type and content_type != "application/octet-stream" else default_mime
        bot.count("uploads")
        return self.world.store_file(data, kind=kind, mime_type=mime, file_name=filename)

    @staticmethod
    def media_object(stored: StoredFile, kind: str, params: Params | None = None) -> dict[str, Any]:
        params = params or {}
        base = {"file_id": stored.file_id, "file_unique_id": stored.unique_id, "file_size": len(stored.data)}
        if kind == "voice":
            return {"voice": base | {"duration": int(params.get("duration") or 1), "mime_type": stored.mime_type}}
        if kind == "audio":
            return {"audio": base | {"duration": int(params.get("duration") or 1), "mime_type": stored.mime_type}}
        if kind == "photo":
            return {"photo": [base | {"width": 640, "height": 480}]}
        return {"document": base | {"file_name": stored.file_name or "file", "mime_type": stored.mime_type}}

    async def edit_text(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        chat_id = _int(params, "chat_id")
        entry = self.world.find(bot.token, chat_id, _int(params, "message_id"))
        text, html = self._text(bot, params, "text", bot.limits.max_text, required=True)
        self._check_markup(bot, params.get("reply_markup"))
        markup = params.get("reply_markup")
        if entry.message.get("text") == text and entry.message.get("reply_markup") == (markup if markup and "inline_keyboard" in markup else None):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
        entry.edits.append(entry.message.get("text", ""))
        entry.message["text"] = text
        entry.html = html
        self._set_inline(entry, markup)
        entry.message["edit_date"] = int(time.time())
        entry.version = await self.world.touch()
        return entry.message

    async def edit_caption(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        chat_id = _int(params, "chat_id")
        entry = self.world.find(bot.token, chat_id, _int(params, "message_id"))
        caption, html = self._text(bot, params, "caption", bot.limits.max_caption, required=False)
        entry.edits.append(entry.message.get("caption", ""))
        entry.message["caption"] = caption or ""
        entry.html = html
        self._set_inline(entry, params.get("reply_markup"))
        entry.version = await self.world.touch()
        return entry.message

    async def edit_markup(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        chat_id = _int(params, "chat_id")
        entry = self.world.find(bot.token, chat_id, _int(params, "message_id"))
        self._check_markup(bot, params.get("reply_markup"))
        self._set_inline(entry, params.get("reply_markup"))
        entry.version = await self.world.touch()
        return entry.message

    @staticmethod
    def _set_inline(entry: ChatEntry, markup: Any) -> None:
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            entry.message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        else:
            entry.message.pop("reply_markup", None)

    async def delete_message(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        chat_id = _int(params, "chat_id")
        try:
            entry = self.world.find(bot.token, chat_id, _int(params, "message_id"))
        except ApiError:
            raise ApiError(400, "Bad Request: message to delete not found") from None
        entry.deleted = True
        entry.version = await self.world.touch()
        return True

    async def answer_callback_query(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        waiter = bot.callback_waiters.pop(query_id, None)
        if waiter is None:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        answer = {"text": params.get("text"), "show_alert": _bool(params, "show_alert")}
        if not waiter.done():
            waiter.set_result(answer)
        return True

    async def get_file(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        stored = self.world.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > bot.limits.max_download_bytes:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.unique_id, "file_size": len(stored.data), "file_path": stored.path}

    async def send_poll(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        chat_id = self._chat_for_send(bot, params)
        question = str(params.get("question") or "").strip()
        if not question:
            raise ApiError(400, "Bad Request: poll question must be non-empty")
        if len(question) > 300:
            raise ApiError(400, "Bad Request: poll question length must not exceed 300")
        raw_options = params.get("options") or []
        options = [o["text"] if isinstance(o, dict) else str(o) for o in raw_options]
        if not 2 <= len(options) <= 10:
            raise ApiError(400, "Bad Request: poll must have at least 2 option" if len(options) < 2 else "Bad Request: poll can't have more than 10 options")
        poll_type = params.get("type") or "regular"
        correct = params.get("correct_option_id")
        if poll_type == "quiz" and (correct is None or not 0 <= int(correct) < len(options)):
            raise ApiError(400, "Bad Request: wrong correct option ID specified")
        bot.check_rate(chat_id)
        poll_id = f"{bot.id}{int(time.time() * 1000)}{len(self.world.polls)}"
        poll = {
            "id": poll_id, "question": question,
            "options": [{"persistent_id": str(index), "text": text, "voter_count": 0} for index, text in enumerate(options)],
            "total_voter_count": 0, "is_closed": False,
            "is_anonymous": _bool(params, "is_anonymous", True), "type": poll_type,
            "allows_multiple_answers": _bool(params, "allows_multiple_answers"),
            "allows_revoting": False, "members_only": False,
        }
        if poll_type == "quiz":
            poll["correct_option_id"] = int(correct)
        message = self._base_message(bot, chat_id, self.world.next_message_id(bot.token, chat_id))
        message["poll"] = poll
        self.world.polls[poll_id] = {"bot": bot.token, "chat_id": chat_id, "message": message, "answers": {}}
        return await self._post(bot, chat_id, message, params, None)

    async def stop_poll(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        chat_id = _int(params, "chat_id")
        entry = self.world.find(bot.token, chat_id, _int(params, "message_id"))
        poll = entry.message.get("poll")
        if poll is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        poll["is_closed"] = True
        entry.version = await self.world.touch()
        return poll

    async def send_chat_action(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        self._chat_for_send(bot, params)
        return True

    async def set_my_commands(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        commands = params.get("commands") or []
        for command in commands:
            if not (1 <= len(command.get("command", "")) <= 32) or not command.get("description"):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        bot.commands[json.dumps(params.get("scope") or {}, sort_keys=True) + (params.get("language_code") or "")] = commands
        return True

    async def get_my_commands(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        return bot.commands.get(json.dumps(params.get("scope") or {}, sort_keys=True) + (params.get("language_code") or ""), [])

    async def delete_my_commands(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        bot.commands.pop(json.dumps(params.get("scope") or {}, sort_keys=True) + (params.get("language_code") or ""), None)
        return True

    async def get_chat(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        return self.world.chat_of(_int(params, "chat_id"))

    async def log_out_or_close(self, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        return True


def _media(method: str) -> Method:
    async def handler(api: BotApi, bot: BotState, params: Params, files: UploadedFiles) -> Any:
        return await api.send_media(bot, params, files, method)

    return handler


METHODS: dict[str, Method] = {
    "getme": BotApi.get_me,
    "getupdates": BotApi.get_updates,
    "setwebhook": BotApi.set_webhook,
    "deletewebhook": BotApi.delete_webhook,
    "getwebhookinfo": BotApi.get_webhook_info,
    "sendmessage": BotApi.send_message,
    "sendvoice": _media("sendVoice"),
    "sendaudio": _media("sendAudio"),
    "senddocument": _media("sendDocument"),
    "sendphoto": _media("sendPhoto"),
    "editmessagetext": BotApi.edit_text,
    "editmessagecaption": BotApi.edit_caption,
    "editmessagereplymarkup": BotApi.edit_markup,
    "deletemessage": BotApi.delete_message,
    "answercallbackquery": BotApi.answer_callback_query,
    "getfile": BotApi.get_file,
    "sendpoll": BotApi.send_poll,
    "stoppoll": BotApi.stop_poll,
    "sendchataction": BotApi.send_chat_action,
    "setmycommands": BotApi.set_my_commands,
    "getmycommands": BotApi.get_my_commands,
    "deletemycommands": BotApi.delete_my_commands,
    "getchat": BotApi.get_chat,
    "logout": BotApi.log_out_or_close,
    "close": BotApi.log_out_or_close,
}
