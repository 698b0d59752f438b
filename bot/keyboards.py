"""Keyboards. Large buttons, at most two a row, for weak eyes and thick fingers."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from core import texts
from core.orgs.service import Actor
from core.ports import Button


def rows_of(buttons: Sequence[KeyboardButton], width: int = 2) -> list[list[KeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def share_phone() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=texts.account.SHARE_PHONE_BUTTON, request_contact=True)]],
        resize_keyboard=True,
        is_persistent=True,
    )


def home(actor: Actor | None) -> ReplyKeyboardMarkup:
    labels = [
        texts.account.BTN_MEETINGS,
        texts.account.BTN_RESOLUTIONS,
        texts.account.BTN_FEEDBACK,
        texts.account.BTN_PROFILE,
        texts.account.BTN_NOTICE,  # a member rereads what they were sent; a secretary also writes
    ]
    if actor is not None and actor.is_manager:
        labels += [texts.account.BTN_STATS, texts.console.BTN_OPEN_CONSOLE]
    labels += [texts.votes.BTN_VOTES, texts.account.BTN_HELP]
    key = tuple(labels)
    markup = _HOMES.get(key)
    if markup is None:  # built once per set of labels: most answers carry it, and nothing changes it after
        markup = _HOMES[key] = ReplyKeyboardMarkup(
            keyboard=rows_of([KeyboardButton(text=label) for label in labels]),
            resize_keyboard=True,
            is_persistent=True,
        )
    return markup


_HOMES: dict[tuple[str, ...], ReplyKeyboardMarkup] = {}  # the main menu, by its labels (a member's, a manager's)


def inline(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    """Core's neutral buttons as Telegram inline buttons."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.callback_data, url=b.url) for b in row] for row in rows
        ]
    )
