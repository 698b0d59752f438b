"""The Messenger port over Telegram: turns core's neutral messages into Bot API calls and
Telegram's errors into the port's error kinds, which decide retry, pause or give up."""

from __future__ import annotations

import asyncio

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, FSInputFile, InputFile, Message

from bot.keyboards import inline
from core.ports import (
    OutboundMessage,
    PermanentError,
    RateLimitedError,
    RecipientUnreachable,
    SendReceipt,
    TemporaryError,
)


class TelegramMessenger:
    platform = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

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
        markup = inline(message.buttons) if message.buttons else None
        if message.edit_message_id:
            result = await self.bot.edit_message_text(
                chat_id=chat_id, message_id=int(message.edit_message_id), text=message.text, parse_mode=message.parse_mode, reply_markup=markup
            )
            return SendReceipt(message_id=str(result.message_id if isinstance(result, Message) else message.edit_message_id))
        attachment = message.attachment
        if attachment is None:
            sent = await self.bot.send_message(chat_id=chat_id, text=message.text, parse_mode=message.parse_mode, reply_markup=markup)
            return SendReceipt(message_id=str(sent.message_id))
        media: str | InputFile
        if attachment.file_id:
            media = attachment.file_id
        elif attachment.path:
            media = FSInputFile(attachment.path, filename=attachment.filename)
        elif attachment.data is not None:
            media = BufferedInputFile(attachment.data, filename=attachment.filename or "file")
        else:
            raise PermanentError("attachment has no content")
        caption = message.text or None
        common = {"chat_id": chat_id, "caption": caption, "parse_mode": message.parse_mode, "reply_markup": markup}
        if attachment.kind == "voice":
            sent = await self.bot.send_voice(voice=media, duration=attachment.duration, **common)
            file_id = sent.voice.file_id if sent.voice else None
        elif attachment.kind == "photo":
            sent = await self.bot.send_photo(photo=media, **common)
            file_id = sent.photo[-1].file_id if sent.photo else None
        elif attachment.kind == "audio":
            sent = await self.bot.send_audio(audio=media, duration=attachment.duration, **common)
            file_id = sent.audio.file_id if sent.audio else None
        else:
            sent = await self.bot.send_document(document=media, **common)
            file_id = sent.document.file_id if sent.document else None
        return SendReceipt(message_id=str(sent.message_id), file_id=file_id)
