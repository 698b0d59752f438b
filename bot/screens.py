"""Showing a screen in answer to a pressed button: the one way every router does it."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from core.render import plain_text

plain = plain_text  # callback toasts and alerts show no HTML


async def show(query: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the pressed message; send a new one when it cannot be edited (a voice note, a file,
    a message too old). The same screen pressed twice changes nothing and sends nothing."""
    if isinstance(query.message, Message) and query.message.text is not None:
        try:
            await query.message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as refusal:
            if "message is not modified" in refusal.message:
                return
    await bot.send_message(query.from_user.id, text, reply_markup=markup)
