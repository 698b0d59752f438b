"""What each messenger platform accepts in one message: the one definition every sender and test reads.

Telegram's numbers are from the Bot API reference (sendMessage: 1-4096 characters of text after entities
parsing; captions 0-1024; callback_data 1-64 bytes; answerCallbackQuery text 0-200 characters). Telegram
sets no number for a button's label, but a phone shows about 30 characters of one; we keep labels to
`button_text` characters so a label is never cut mid-word by the client. Zalo's Bot Platform accepts up to
2,000 characters of text in one message.

The sandbox (`sandbox/limits.py`) keeps its own copy on purpose: it stands alone and emulates Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformLimits:
    """Sizes one platform accepts. Characters unless the name says bytes; 0 means "not supported"."""

    name: str
    text: int  # visible characters of one text message
    caption: int  # visible characters of a media caption
    callback_data_bytes: int  # UTF-8 bytes of a button's data
    button_text: int  # characters of a button's label (our own ceiling where the platform sets none)
    callback_answer: int  # characters of a toast answering a button press
    buttons_per_message: int  # inline buttons one message may carry


TELEGRAM = PlatformLimits(
    name="telegram",
    text=4096,
    caption=1024,
    callback_data_bytes=64,
    button_text=64,
    callback_answer=200,
    buttons_per_message=100,
)

ZALO = PlatformLimits(
    name="zalo",
    text=2000,
    caption=2000,  # Zalo has no media captions for bots: media go as links inside the text
    callback_data_bytes=0,  # no buttons: choices become a numbered list answered by a digit
    button_text=64,  # a numbered choice's label
    callback_answer=0,
    buttons_per_message=0,
)

# A margin below Telegram's text limit for the screens that add a header or a page mark after packing.
TELEGRAM_TEXT_MARGIN = 96
