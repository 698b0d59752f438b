"""Every Bot API call fits Telegram's limits (core/limits.py): the one place, for every router and the
delivery worker alike, because every call of a bot passes through its session.

- a text over the limit becomes several messages (an edited screen keeps the first part, the rest
  follow), the keyboard always on the last one, so the screen still works;
- a caption over the limit keeps what fits, the rest follows as text (with the keyboard);
- a button's label and a toast are shortened with "…"; a button whose data is over 64 bytes cannot
  work at all: it is left out and logged (a programming error, caught by the tests);
- nothing is refused for its length.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageText,
    Response,
    SendAudio,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendPoll,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, InputPollOption

from core import render
from core.limits import TELEGRAM, PlatformLimits

log = logging.getLogger(__name__)

CAPTIONED = (SendVoice, SendDocument, SendPhoto, SendAudio, SendVideo, EditMessageCaption)
POLL_QUESTION, POLL_OPTION, POLL_EXPLANATION = 300, 100, 200


class FitToLimits(BaseRequestMiddleware):
    def __init__(self, limits: PlatformLimits = TELEGRAM) -> None:
        self.limits = limits

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        method = self._fit_keyboard(method)
        if isinstance(method, SendMessage | EditMessageText):
            if method.text is None:  # an edit of the markup alone (EditMessageText.text is optional)
                return await make_request(bot, method)
            parts = render.fit(method.text, self.limits.text, markup=_is_html(bot, method.parse_mode))
            if len(parts) > 1:
                return await self._in_parts(make_request, bot, method, parts)
        elif isinstance(method, CAPTIONED) and method.caption:
            parts = render.fit(method.caption, self.limits.caption, markup=_is_html(bot, method.parse_mode))
            if len(parts) > 1:
                return await self._caption_and_rest(make_request, bot, method, parts)
        elif isinstance(method, AnswerCallbackQuery) and method.text:
            method = method.model_copy(update={"text": render.shorten(method.text, self.limits.callback_answer)})
        elif isinstance(method, SendPoll):
            method = _fit_poll(method)
        return await make_request(bot, method)

    def _fit_keyboard(self, method: TelegramMethod[Any]) -> TelegramMethod[Any]:
        markup = getattr(method, "reply_markup", None)
        if not isinstance(markup, InlineKeyboardMarkup):
            return method
        rows: list[list[InlineKeyboardButton]] = []
        changed = False
        for row in markup.inline_keyboard:
            kept = []
            for button in row:
                if button.callback_data is not None and len(button.callback_data.encode()) > self.limits.callback_data_bytes:
                    log.error("button data over %d bytes left out: %r", self.limits.callback_data_bytes, button.callback_data[:80])
                    changed = True
                    continue
                label = render.shorten(button.text, self.limits.button_text)
                if label != button.text:
                    button = button.model_copy(update={"text": label})
                    changed = True
                kept.append(button)
            if kept:
                rows.append(kept)
        if not changed:
            return method
        return method.model_copy(update={"reply_markup": InlineKeyboardMarkup(inline_keyboard=rows)})

    async def _in_parts(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: SendMessage | EditMessageText, parts: list[str]
    ) -> Response[Any]:
        markup = method.reply_markup
        if isinstance(method, EditMessageText) and method.chat_id is None:  # an inline message: one message only
            return await make_request(bot, method.model_copy(update={"text": parts[0]}))
        first = await make_request(bot, method.model_copy(update={"text": parts[0], "reply_markup": None}))
        for index, part in enumerate(parts[1:], start=1):
            follow = SendMessage(
                chat_id=method.chat_id, text=part, parse_mode=method.parse_mode,  # type: ignore[arg-type]
                reply_markup=markup if index == len(parts) - 1 else None,
                allow_paid_broadcast=getattr(method, "allow_paid_broadcast", None),  # a paid broadcast's parts go paid too
            )
            last = await make_request(bot, follow)
        # A sent message answers with its last part (the one carrying the keyboard); an edit with the edited one.
        return first if isinstance(method, EditMessageText) else last

    async def _caption_and_rest(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any], parts: list[str]
    ) -> Response[Any]:
        """The media with the caption's first part; the rest as text, the keyboard under the last part."""
        markup = getattr(method, "reply_markup", None)
        rest = render.fit("\n".join(parts[1:]), self.limits.text, markup=_is_html(bot, getattr(method, "parse_mode", None)))
        media = await make_request(bot, method.model_copy(update={"caption": parts[0], "reply_markup": None}))
        chat_id = getattr(method, "chat_id", None)
        if chat_id is None:
            return media
        for index, part in enumerate(rest):
            await make_request(bot, SendMessage(
                chat_id=chat_id, text=part, parse_mode=getattr(method, "parse_mode", None),
                reply_markup=markup if index == len(rest) - 1 else None,
                allow_paid_broadcast=getattr(method, "allow_paid_broadcast", None),
            ))
        return media


def _is_html(bot: Bot, parse_mode: Any) -> bool:
    if isinstance(parse_mode, Default):
        parse_mode = getattr(bot.default, parse_mode.name, None)
    return isinstance(parse_mode, str) and parse_mode.upper() == "HTML"


def _fit_poll(method: SendPoll) -> SendPoll:
    options: list[str | InputPollOption] = []
    for option in method.options:
        if isinstance(option, str):
            options.append(render.shorten(option, POLL_OPTION))
        else:
            options.append(option.model_copy(update={"text": render.shorten(option.text, POLL_OPTION)}))
    update: dict[str, Any] = {"question": render.shorten(method.question, POLL_QUESTION), "options": options}
    if method.explanation:
        update["explanation"] = render.shorten(method.explanation, POLL_EXPLANATION)
    return method.model_copy(update=update)


def install(bot: Bot) -> Bot:
    """Fit every call of this bot to Telegram's limits (once; installing again changes nothing)."""
    if not any(isinstance(middleware, FitToLimits) for middleware in bot.session.middleware):
        bot.session.middleware(FitToLimits())
    return bot
