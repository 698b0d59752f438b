"""The recording fake Telegram (tests/botkit.py) refuses what Telegram refuses, from the one
definition of the limits (core/limits.py), which the standalone sandbox's own copy must match."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, SendPhoto
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from core.limits import TELEGRAM
from sandbox.limits import Limits
from tests.botkit import TOKEN, RecordingSession


@pytest.fixture
async def bot():  # type: ignore[no-untyped-def]
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties

    session = RecordingSession()
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    yield bot
    session.violations.clear()  # each test checks its own


def test_the_sandbox_copy_of_telegrams_limits_agrees_with_core() -> None:
    sandbox = Limits()
    assert (sandbox.max_text, sandbox.max_caption, sandbox.max_callback_data, sandbox.max_callback_answer, sandbox.max_inline_buttons) == (
        TELEGRAM.text, TELEGRAM.caption, TELEGRAM.callback_data_bytes, TELEGRAM.callback_answer, TELEGRAM.buttons_per_message,
    )


async def test_text_is_counted_after_html_parsing(bot) -> None:  # type: ignore[no-untyped-def]
    fits = "<b>" + "a" * TELEGRAM.text + "</b>"  # the tags do not count
    await bot(SendMessage(chat_id=1, text=fits))
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot(SendMessage(chat_id=1, text="a" * (TELEGRAM.text + 1)))
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot(EditMessageText(chat_id=1, message_id=5, text="&amp;" * (TELEGRAM.text + 1)))
    assert bot.session.violations == [
        f"SendMessage: message is too long ({TELEGRAM.text + 1} > {TELEGRAM.text} characters after parsing)",
        f"EditMessageText: message is too long ({TELEGRAM.text + 1} > {TELEGRAM.text} characters after parsing)",
    ]


async def test_plain_text_is_not_parsed_and_empty_text_is_refused(bot) -> None:  # type: ignore[no-untyped-def]
    await bot(SendMessage(chat_id=1, text="<b>not closed", parse_mode=None))
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot(SendMessage(chat_id=1, text="<b> </b>"))


async def test_broken_html_is_refused_as_telegram_does(bot) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot(SendMessage(chat_id=1, text="<b>bold <i>crossed</b></i>"))
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot(SendMessage(chat_id=1, text="a < b"))


async def test_caption_limit(bot) -> None:  # type: ignore[no-untyped-def]
    await bot(SendPhoto(chat_id=1, photo="photo-id", caption="c" * TELEGRAM.caption))
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot(SendPhoto(chat_id=1, photo="photo-id", caption="c" * (TELEGRAM.caption + 1)))


async def test_button_data_is_limited_in_bytes_not_characters(bot) -> None:  # type: ignore[no-untyped-def]
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Nút", callback_data=data)]])

    await bot(SendMessage(chat_id=1, text="ok", reply_markup=keyboard("x" * TELEGRAM.callback_data_bytes)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot(SendMessage(chat_id=1, text="ok", reply_markup=keyboard("đ" * (TELEGRAM.callback_data_bytes // 2 + 1))))


async def test_a_button_press_is_answered_once(bot) -> None:  # type: ignore[no-untyped-def]
    await bot(AnswerCallbackQuery(callback_query_id="q1", text="Đã lưu"))
    await bot(AnswerCallbackQuery(callback_query_id="q2"))
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot(AnswerCallbackQuery(callback_query_id="q1"))
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot(AnswerCallbackQuery(callback_query_id="q3", text="x" * (TELEGRAM.callback_answer + 1)))
