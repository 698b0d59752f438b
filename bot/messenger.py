"""The Messenger port over Telegram: turns core's neutral messages into Bot API calls and
Telegram's errors into the port's error kinds, which decide retry, pause or give up.

A stored file id is never trusted forever: when Telegram rejects one (another bot's id after a token
change, a sandbox restarted, an id from a restored backup), the file is uploaded again from what we
keep (the audio cache, the stored file) and the new id is returned, so the caller stores it and goes on.
`send_stored` does the same for handlers that send a stored file id themselves."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage
from aiogram.types import BufferedInputFile, FSInputFile, InlineKeyboardMarkup, InputFile, Message

from bot.keyboards import inline
from bot.middlewares import commit_before_sending
from core import render, texts
from core.limits import TELEGRAM
from core.ports import (
    OutboundMessage,
    PermanentError,
    RateLimitedError,
    RecipientUnreachable,
    SendReceipt,
    TemporaryError,
)


# What Telegram answers when a file id is not one this bot may send (wording varies by path and version).
_STALE_FILE_ID = ("wrong file identifier", "wrong remote file identifier", "file_id_invalid", "file reference", "wrong type of the web page content")


def stale_file_id(exc: Exception) -> bool:
    """Telegram refused a message because its file id is not valid for this bot (any more)."""
    return isinstance(exc, TelegramBadRequest | TelegramNotFound) and any(marker in exc.message.lower() for marker in _STALE_FILE_ID)


async def send_stored(
    bot: Bot, chat_id: int | str, kind: str, file_id: str | None, *, upload: InputFile | None = None,
    caption: str | None = None, reply_markup: InlineKeyboardMarkup | None = None, duration: int | None = None,
    paid_broadcast: bool = False,
) -> tuple[Message, str | None]:
    """Send a voice note, document, photo or audio by its stored file id, uploading `upload` instead when
    there is no id or Telegram rejects it. Returns the message and the new file id to store (None when the
    stored id worked). With nothing to upload, a rejected id is raised as it was."""
    # The four senders share (chat_id, file, caption=, reply_markup=, duration=) but not one signature type.
    senders: dict[str, Callable[..., Awaitable[Message]]] = {"voice": bot.send_voice, "photo": bot.send_photo, "audio": bot.send_audio}
    send = senders.get(kind, bot.send_document)
    extra: dict[str, object] = {"duration": duration} if kind in ("voice", "audio") else {}
    if paid_broadcast:
        extra["allow_paid_broadcast"] = True
    if file_id:
        try:
            return await send(chat_id, file_id, caption=caption, reply_markup=reply_markup, **extra), None
        except (TelegramBadRequest, TelegramNotFound) as refusal:
            if upload is None or not stale_file_id(refusal):
                raise
    if upload is None:
        raise ValueError("nothing to send: no file id and nothing to upload")
    sent = await send(chat_id, upload, caption=caption, reply_markup=reply_markup, **extra)
    return sent, _file_id_of(sent)


async def send_received(
    bot: Bot, chat_id: int | str, kind: str, file_id: str, *, caption: str | None = None,
    reply_markup: InlineKeyboardMarkup | None = None, duration: int | None = None,
) -> Message:
    """Send on a voice note or photo a person sent the bot (kept on Telegram only, by its id). When Telegram
    refuses the id (another bot's, after a token change), the caption goes as text with a short note
    instead: the reader never sees an error and keeps the buttons."""
    try:
        sent, _ = await send_stored(bot, chat_id, kind, file_id, caption=caption, reply_markup=reply_markup, duration=duration)
        return sent
    except (TelegramBadRequest, TelegramNotFound) as refusal:
        if not stale_file_id(refusal):
            raise
    return await bot.send_message(chat_id, (caption or "") + texts.common.MEDIA_GONE, reply_markup=reply_markup)


def _file_id_of(sent: Message) -> str | None:
    if sent.voice:
        return sent.voice.file_id
    if sent.photo:
        return sent.photo[-1].file_id
    if sent.audio:
        return sent.audio.file_id
    if sent.document:
        return sent.document.file_id
    return None


class TelegramMessenger:
    """Core's messages through one aiogram bot.

    A text message that needs nothing the bot session's middlewares do (it fits in one message, its
    buttons' labels and data fit: `bot.limits.FitToLimits` would leave it as it is) goes out as one
    JSON POST on the bot's own aiohttp session, and only `message_id` is read from the answer: no
    aiogram method model, form encoding or answer model (about half of a broadcast's CPU per message).
    Anything else, and every answer that is not `ok`, takes aiogram's path, so errors become the
    same aiogram exceptions and the same port errors as before. `direct_text=False`, or a bot whose
    session is not aiogram's aiohttp one (a test's recording session), sends everything through aiogram.
    """

    platform = "telegram"

    def __init__(self, bot: Bot, *, direct_text: bool = True) -> None:
        self.bot = bot
        self.direct_text = direct_text

    async def send(self, chat_id: str, message: OutboundMessage) -> SendReceipt:
        try:
            return await self._send(chat_id, message)
        except TelegramRetryAfter as exc:
            raise RateLimitedError(exc.message, retry_after=float(exc.retry_after)) from exc
        except TelegramForbiddenError as exc:
            raise RecipientUnreachable(exc.message) from exc
        except TelegramUnauthorizedError as exc:
            raise TemporaryError("bot token rejected") from exc
        except (TelegramBadRequest, TelegramNotFound) as exc:
            if "message is not modified" in exc.message:
                return SendReceipt(message_id=message.edit_message_id or "")
            if "chat not found" in exc.message.lower() or "user is deactivated" in exc.message.lower():
                raise RecipientUnreachable(exc.message) from exc
            raise PermanentError(exc.message) from exc
        except (TelegramServerError, TelegramNetworkError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise TemporaryError(type(exc).__name__) from exc

    async def _send(self, chat_id: str, message: OutboundMessage) -> SendReceipt:
        if self.direct_text and isinstance(self.bot.session, AiohttpSession):
            body = direct_text_body(self.bot, chat_id, message)  # None for an edit, a file, or what must be fitted
            if body is not None:
                return await self._post_text(chat_id, message, body)
        markup = inline(message.buttons) if message.buttons else None
        if message.edit_message_id:
            result = await self.bot.edit_message_text(
                chat_id=chat_id, message_id=int(message.edit_message_id), text=message.text, parse_mode=message.parse_mode, reply_markup=markup
            )
            return SendReceipt(message_id=str(result.message_id if isinstance(result, Message) else message.edit_message_id))
        attachment = message.attachment
        if attachment is None:
            sent = await self.bot.send_message(
                chat_id=chat_id, text=message.text, parse_mode=message.parse_mode, reply_markup=markup,
                allow_paid_broadcast=True if message.paid_broadcast else None,
            )
            return SendReceipt(message_id=str(sent.message_id))
        upload: InputFile | None = None
        if attachment.path:
            upload = FSInputFile(attachment.path, filename=attachment.filename)
        elif attachment.data is not None:
            upload = BufferedInputFile(attachment.data, filename=attachment.filename or "file")
        if not attachment.file_id and upload is None:
            raise PermanentError("attachment has no content")
        # By the stored id when there is one; uploaded again from the kept file when Telegram rejects it.
        sent, uploaded = await send_stored(
            self.bot, chat_id, attachment.kind, attachment.file_id, upload=upload, caption=message.text or None,
            reply_markup=markup, duration=attachment.duration, paid_broadcast=message.paid_broadcast,
        )
        return SendReceipt(
            message_id=str(sent.message_id), file_id=uploaded or _file_id_of(sent), reuploaded=bool(attachment.file_id and uploaded),
        )

    async def _post_text(self, chat_id: str, message: OutboundMessage, body: bytes) -> SendReceipt:
        """One sendMessage as JSON on the bot's session (its connection pool and timeout); an answer
        that is not `ok` is read by aiogram's own `check_response`, which raises what it always raised."""
        await commit_before_sending()  # as the session's outermost middleware does (nothing outside a handler)
        session = self.bot.session
        assert isinstance(session, AiohttpSession)
        http = await session.create_session()
        url = session.api.api_url(token=self.bot.token, method="sendMessage")
        async with http.post(url, data=body, headers=_JSON_HEADERS, timeout=aiohttp.ClientTimeout(total=session.timeout)) as response:
            raw = await response.text()
            status = response.status
        if status == 200:
            with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):  # aiogram reads what we cannot
                answer = json.loads(raw)
                if answer.get("ok") is True:
                    return SendReceipt(message_id=str(answer["result"]["message_id"]))
        method = SendMessage(
            chat_id=chat_id, text=message.text, parse_mode=message.parse_mode,
            reply_markup=inline(message.buttons) if message.buttons else None,
            allow_paid_broadcast=True if message.paid_broadcast else None,
        )
        session.check_response(bot=self.bot, method=method, status_code=status, content=raw)  # raises on an error
        raise TemporaryError("unreadable answer to sendMessage")  # ok, yet no message id: send again later


_JSON_HEADERS = {"Content-Type": "application/json"}


def direct_text_body(bot: Bot, chat_id: str, message: OutboundMessage) -> bytes | None:
    """The JSON body of a sendMessage that the bot session's middlewares would send unchanged, or None
    when aiogram's path is needed (an edit, a text over one message, a button label or data to fit)."""
    if message.edit_message_id or message.attachment is not None:
        return None
    limits = TELEGRAM
    html = isinstance(message.parse_mode, str) and message.parse_mode.upper() == "HTML"
    if len(render.fit(message.text, limits.text, markup=html)) > 1:
        return None
    body: dict[str, Any] = {"chat_id": chat_id, "text": message.text}
    if message.parse_mode is not None:
        body["parse_mode"] = message.parse_mode
    if message.buttons:
        rows = []
        for row in message.buttons:
            buttons = []
            for button in row:
                data = button.callback_data
                if render.shorten(button.text, limits.button_text) != button.text or (
                    data is not None and len(data.encode()) > limits.callback_data_bytes
                ):
                    return None  # FitToLimits would change the keyboard: let it
                buttons.append({"text": button.text} | ({"callback_data": data} if data is not None else {})
                               | ({"url": button.url} if button.url is not None else {}))
            rows.append(buttons)
        body["reply_markup"] = {"inline_keyboard": rows}
    if message.paid_broadcast:
        body["allow_paid_broadcast"] = True
    return json.dumps(body, ensure_ascii=False).encode()
