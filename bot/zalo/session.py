"""`ZaloSession`: the aiogram session of the Zalo bot. Handlers call Telegram methods as always;
this answers them by translating to Zalo (which has no buttons, no editing, no voice or files) and
returns real aiogram objects, so a handler cannot tell which messenger it talks to."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties, Default
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BufferedInputFile,
    FSInputFile,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    URLInputFile,
)

from bot.zalo import memory
from bot.zalo.choices import Choice, Kind, numbered
from bot.zalo.courier import Sent, ZaloCourier, wall_clock
from core import texts
from core.ports import PermanentError, RateLimitedError, RecipientUnreachable, SendError

log = logging.getLogger(__name__)

# A file the session can send again or download: a URL (a person's photo on Zalo's CDN, a media link)
# or a local file. Telegram file ids mean nothing on Zalo.
URL_FILE = "zurl:"
PATH_FILE = "zfile:"
MEDIA_KINDS = {"SendVoice": ("voice", "voice"), "SendAudio": ("audio", "audio"), "SendDocument": ("document", "document"),
               "SendPhoto": ("photo", "photo")}
NO_OPS = {"SetMyCommands", "DeleteMyCommands", "DeleteMessage", "DeleteMessages", "SetWebhook", "DeleteWebhook", "SetChatMenuButton",
          "PinChatMessage", "UnpinChatMessage", "SetMessageReaction", "LogOut", "Close", "StopPoll"}


def choices_of_markup(markup: Any) -> tuple[list[Choice], list[tuple[str, str]]]:
    """Inline buttons (callback data) and reply-keyboard buttons → numbered choices; URL buttons →
    link lines; contact-sharing buttons dropped (Zalo cannot share a contact)."""
    items: list[tuple[Kind, str, str]] = []
    links: list[tuple[str, str]] = []
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                if button.url:
                    links.append((button.text, button.url))
                elif button.callback_data:
                    items.append(("callback", button.callback_data, button.text))
    elif isinstance(markup, ReplyKeyboardMarkup):
        for keys in markup.keyboard:
            for key in keys:
                if key.request_contact or key.request_location or key.request_poll:
                    continue
                items.append(("reply", key.text, key.text))
    return numbered(items), links


def markup_of(choices: list[Choice]) -> dict[str, Any] | None:
    """The inline keyboard a screen had, as Telegram would echo it with the message."""
    rows = [[{"text": c.label, "callback_data": c.value}] for c in choices if c.kind == "callback"]
    return {"inline_keyboard": rows} if rows else None


class ZaloSession(BaseSession):
    def __init__(self, courier: ZaloCourier, *, bot_name: str = "Sổ tay") -> None:
        super().__init__()
        self.courier = courier
        self.bot_name = bot_name
        # file_url(token, path) is the path itself: file paths are Zalo URLs or local paths.
        self.api = TelegramAPIServer(base="zalo://{token}/{method}", file="{path}")

    async def close(self) -> None:
        await self.courier.client.close()

    # --- answering aiogram ---------------------------------------------------------------------

    def _ok(self, bot: Bot, method: TelegramMethod[Any], result: Any) -> Any:
        response = self.check_response(bot, method, 200, json.dumps({"ok": True, "result": result}, default=str))
        return response.result

    def _refused(self, bot: Bot, method: TelegramMethod[Any], error: SendError) -> Any:
        body: dict[str, Any]  # a Bot API error body, as JSON
        if isinstance(error, RateLimitedError):
            body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: {error.reason}",
                    "parameters": {"retry_after": max(1, int(error.retry_after))}}
        elif isinstance(error, RecipientUnreachable):
            body = {"ok": False, "error_code": 403, "description": f"Forbidden: {error.reason}"}
        elif isinstance(error, PermanentError):
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {error.reason}"}
        else:
            raise TelegramNetworkError(method=method, message=error.reason)
        self.check_response(bot, method, int(body["error_code"]), json.dumps(body))
        raise AssertionError("check_response raises on a refusal")  # pragma: no cover

    def _bot_user(self, bot: Bot) -> dict[str, Any]:
        return {"id": bot.id, "is_bot": True, "first_name": self.bot_name, "username": "sotay_zalo"}

    def _message(self, bot: Bot, chat: int, sent: Sent, **fields: Any) -> dict[str, Any]:
        body = {"message_id": sent.screen_id, "date": int(sent.sent_at.timestamp()), "chat": {"id": chat, "type": "private"},
                "from": self._bot_user(bot)}
        body.update({k: v for k, v in fields.items() if v is not None})
        return body

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        name = type(method).__name__
        try:
            handler = getattr(self, f"_{name}", None)
            if handler is not None:
                return self._ok(bot, method, await handler(bot, method))
            if name in MEDIA_KINDS:
                return self._ok(bot, method, await self._media(bot, method, name))
            if name in NO_OPS:
                return self._ok(bot, method, True)
        except SendError as error:
            return self._refused(bot, method, error)
        return self._refused(bot, method, PermanentError(f"{name} is not available on Zalo"))

    async def _chat(self, method: Any) -> tuple[int, str]:
        chat_id = method.chat_id
        zalo = await self.courier.zalo_chat(chat_id)
        if zalo is None:
            raise RecipientUnreachable("chat not found")
        return (int(chat_id) if str(chat_id).lstrip("-").isdigit() else 0), zalo

    @staticmethod
    def _is_html(bot: Bot, method: Any) -> bool:
        mode = getattr(method, "parse_mode", None)
        if isinstance(mode, Default):
            mode = bot.default[mode.name] if hasattr(bot, "default") else "HTML"
        return (mode or "").upper() == "HTML"

    # --- the translations ------------------------------------------------------------------------

    async def _GetMe(self, bot: Bot, method: Any) -> Any:
        return self._bot_user(bot)

    async def _SendMessage(self, bot: Bot, method: Any) -> Any:
        peer, chat = await self._chat(method)
        choices, links = choices_of_markup(method.reply_markup)
        sent = await self.courier.send_screen(chat, method.text, choices=choices, links=links, is_html=self._is_html(bot, method), patient=True)
        return self._message(bot, peer, sent, text=method.text, reply_markup=markup_of(choices))

    async def _EditMessageText(self, bot: Bot, method: Any) -> Any:
        """Zalo cannot edit: the new screen is sent as a new message (unless nothing changed)."""
        peer, chat = await self._chat(method)
        choices, links = choices_of_markup(method.reply_markup)
        if method.message_id is not None:
            async with self.courier.db() as session:
                before = await memory.screen(session, int(method.message_id))
                if before is not None and before.text == method.text and before.choices == [c.to_json() for c in choices]:
                    self._refused(bot, method, PermanentError("message is not modified"))
        sent = await self.courier.send_screen(chat, method.text, choices=choices, links=links, is_html=self._is_html(bot, method), patient=True)
        return self._message(bot, peer, sent, text=method.text, reply_markup=markup_of(choices))

    async def _EditMessageCaption(self, bot: Bot, method: Any) -> Any:
        peer, chat = await self._chat(method)
        choices, links = choices_of_markup(method.reply_markup)
        sent = await self.courier.send_screen(chat, method.caption or "", choices=choices, links=links, is_html=self._is_html(bot, method), patient=True)
        return self._message(bot, peer, sent, text=method.caption, reply_markup=markup_of(choices))

    async def _EditMessageReplyMarkup(self, bot: Bot, method: Any) -> Any:
        """Buttons removed: the old numbers stop working (memory only, nothing sent). New buttons:
        the screen is sent again with its new list."""
        peer, chat = await self._chat(method)
        choices, links = choices_of_markup(method.reply_markup)
        async with self.courier.db() as session:
            before = await memory.screen(session, int(method.message_id)) if method.message_id is not None else None
            if not choices and not links:
                if before is not None:
                    before.choices = []
                now = before.sent_at if before is not None else wall_clock()
                return self._message(bot, peer, Sent(int(method.message_id or 0), None, now), text=before.text if before else None)
        text = before.text if before is not None else ""
        sent = await self.courier.send_screen(chat, text, choices=choices, links=links, patient=True)
        return self._message(bot, peer, sent, text=text, reply_markup=markup_of(choices))

    async def _AnswerCallbackQuery(self, bot: Bot, method: Any) -> Any:
        """A toast or an alert: a short message on Zalo (not a screen: numbers still answer the screen)."""
        if method.text:
            peer = self._pending_peer(method)
            if peer is not None:
                chat = await self.courier.zalo_chat(peer)
                if chat is not None:
                    await self.courier.send_screen(chat, method.text, is_html=False, remember=False, patient=True)
        return True

    def _pending_peer(self, method: Any) -> int | None:
        # The callback query id carries the peer: "z<peer>-<update>" (see inbound.py).
        query_id = str(method.callback_query_id)
        if query_id.startswith("z") and "-" in query_id:
            try:
                return int(query_id[1:].split("-", 1)[0])
            except ValueError:
                return None
        return None

    async def _SendChatAction(self, bot: Bot, method: Any) -> Any:
        _, chat = await self._chat(method)
        action = "upload_photo" if method.action == "upload_photo" else "typing"
        try:
            await self.courier.client.send_chat_action(chat, action)
        except SendError as exc:  # only a courtesy: never fail a handler over it
            log.info("zalo chat action failed: %s", exc.reason)
        return True

    async def _SendPoll(self, bot: Bot, method: Any) -> Any:
        """A quiz as a numbered question; the typed answer comes back as a poll answer."""
        peer, chat = await self._chat(method)
        options = [option if isinstance(option, str) else option.text for option in method.options]
        choices = numbered([("poll", str(index), label) for index, label in enumerate(options)])
        poll_id = f"zp{uuid.uuid4().hex[:16]}"
        question = texts.conversation.QUIZ_QUESTION.format(question=method.question)
        async with self.courier.db() as session:
            waiting = await memory.open_poll(session, chat_id=chat)
        if waiting is not None:
            sent = await self.courier.queue_screen(chat, question, choices=choices, poll_id=poll_id)
        else:
            sent = await self.courier.send_screen(chat, question, choices=choices, is_html=False, poll_id=poll_id, patient=True)
        poll = {"id": poll_id, "question": method.question, "options": [{"persistent_id": str(i), "text": o, "voter_count": 0} for i, o in enumerate(options)],
                "total_voter_count": 0, "is_closed": False, "is_anonymous": False, "type": method.type or "regular",
                "allows_multiple_answers": False, "allows_revoting": False, "members_only": False}
        if method.correct_option_id is not None:
            poll["correct_option_id"] = method.correct_option_id
        return self._message(bot, peer, sent, poll=poll)

    async def _media(self, bot: Bot, method: Any, name: str) -> Any:
        """Voice, audio and files → a signed listen/download link; a photo → Zalo's sendPhoto of a URL."""
        peer, chat = await self._chat(method)
        field_name, kind = MEDIA_KINDS[name]
        media: str | InputFile = getattr(method, field_name)
        caption = getattr(method, "caption", None) or ""
        is_html = self._is_html(bot, method)
        choices, links = choices_of_markup(getattr(method, "reply_markup", None))
        url, file_id = await self._publish(kind, media, caption)
        if url is None:
            sent = await self.courier.send_screen(chat, caption or texts.conversation.NOT_HERE, choices=choices, links=links, is_html=is_html, patient=True)
        elif kind == "photo" and url.startswith("http"):
            try:
                sent = await self.courier.send_photo(chat, url, None, patient=True)
            except PermanentError:  # Zalo could not fetch it (a local address): a link instead
                line = texts.conversation.SEE_PHOTO.format(url=url)
                caption = f"{caption}\n\n{line}" if caption else line
            if caption or choices or links:
                sent = await self.courier.send_screen(chat, caption, choices=choices, links=links, is_html=is_html, patient=True)
        else:
            line = (texts.conversation.LISTEN if kind in ("voice", "audio") else texts.conversation.DOWNLOAD).format(url=url)
            text = f"{caption}\n\n{line}" if caption else line
            sent = await self.courier.send_screen(chat, text, choices=choices, links=links, is_html=is_html, patient=True)
        extra: dict[str, Any] = {"caption": caption or None, "reply_markup": markup_of(choices)}
        unique = file_id[-60:]
        if kind == "voice":
            extra["voice"] = {"file_id": file_id, "file_unique_id": unique, "duration": getattr(method, "duration", None) or 1}
        elif kind == "audio":
            extra["audio"] = {"file_id": file_id, "file_unique_id": unique, "duration": getattr(method, "duration", None) or 1}
        elif kind == "document":
            extra["document"] = {"file_id": file_id, "file_unique_id": unique}
        else:
            extra["photo"] = [{"file_id": file_id, "file_unique_id": unique, "width": 1, "height": 1}]
        return self._message(bot, peer, sent, **extra)

    async def _publish(self, kind: str, media: str | InputFile, caption: str) -> tuple[str | None, str]:
        """(the URL to show, a file id the session understands later)."""
        path: str | None = None
        data: bytes | None = None
        filename: str | None = None
        if isinstance(media, str):
            if media.startswith(URL_FILE):
                url = media[len(URL_FILE):]
                return url, media
            if media.startswith(PATH_FILE):
                path = media[len(PATH_FILE):]
            else:
                return None, media  # a Telegram file id: nothing Zalo can show
        elif isinstance(media, FSInputFile):
            path, filename = str(media.path), media.filename
        elif isinstance(media, BufferedInputFile):
            data, filename = media.data, media.filename
        elif isinstance(media, URLInputFile):
            return media.url, URL_FILE + media.url
        if self.courier.media is None:
            return None, PATH_FILE + path if path else "zalo-unpublished"
        url = await self.courier.media.publish(kind=kind, path=path, data=data, filename=filename, text=caption or None)
        return url, (PATH_FILE + path) if path else URL_FILE + url

    async def _GetFile(self, bot: Bot, method: Any) -> Any:
        file_id = method.file_id
        path = file_id[len(URL_FILE):] if file_id.startswith(URL_FILE) else file_id[len(PATH_FILE):] if file_id.startswith(PATH_FILE) else None
        if path is None:
            raise PermanentError("wrong file_id specified")
        return {"file_id": file_id, "file_unique_id": file_id[-60:], "file_path": path}

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30, chunk_size: int = 65536,
                             raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        if url.startswith(("http://", "https://")):
            yield await self.courier.client.download(url)
            return
        with open(url, "rb") as handle:  # a local file the bot itself published
            while chunk := handle.read(chunk_size):
                yield chunk


class ZaloBot(Bot):
    """The Zalo account as an aiogram Bot: the routers use it like the Telegram one."""

    platform = "zalo"

    def __init__(self, token: str, session: ZaloSession) -> None:
        super().__init__(token=token, session=session, default=DefaultBotProperties(parse_mode="HTML"))

    async def platform_user_id(self, peer: int) -> str:
        """The Zalo id of the person aiogram knows by `peer`."""
        assert isinstance(self.session, ZaloSession)
        return await self.session.courier.zalo_chat(peer) or str(peer)

    @property
    def id(self) -> int:
        # Negative: can never be a Telegram bot's id (processed updates, FSM keys, turns are per bot).
        return -int(self.token.split(":", 1)[0])
