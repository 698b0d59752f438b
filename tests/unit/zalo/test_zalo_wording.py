"""Zalo has no buttons: no text Sổ tay can show on Zalo says "bấm" (press) or "nút" (button).

Every user-facing string in core/texts is rendered as a Zalo screen would render it; the screens the
Zalo tests reach are checked as they arrive on the phone (tests/zalokit.py, `assert_zalo_wording`)."""

from __future__ import annotations

import pkgutil
import re
from collections.abc import Iterator
from importlib import import_module

import pytest

import core.texts
from bot.zalo.choices import numbered
from bot.zalo.render import render, zalo_wording
from core import texts

BUTTON_WORDS = re.compile(r"\b(bấm|nút)\b", re.IGNORECASE)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (tuple, list, frozenset, set)):
        for item in value:
            yield from _strings(item)


def every_text() -> list[tuple[str, str]]:
    found = []
    for module_info in pkgutil.iter_modules(core.texts.__path__):
        module = import_module(f"core.texts.{module_info.name}")
        for name, value in vars(module).items():
            if name.startswith("_") or name == "PHRASES":
                continue
            found += [(f"{module_info.name}.{name}", text) for text in _strings(value)]
    return found


TEXTS = every_text()


def test_the_texts_do_speak_of_buttons_on_telegram() -> None:
    """The check below has something to check: Telegram's wording names buttons."""
    assert sum(1 for _, text in TEXTS if BUTTON_WORDS.search(text)) > 50


@pytest.mark.parametrize(("name", "text"), [case for case in TEXTS if BUTTON_WORDS.search(case[1])], ids=lambda v: str(v)[:40])
def test_no_text_says_press_or_button_on_zalo(name: str, text: str) -> None:
    shown = "\n".join(render(text))
    assert not BUTTON_WORDS.search(shown), f"{name} on Zalo: {shown!r}"


def test_a_button_the_screen_offers_is_named_by_its_number() -> None:
    choices = numbered([("callback", "rps:keep", "✅ Dùng bản này"), ("callback", "rps:cancel", texts.common.CANCEL)])
    assert zalo_wording("Đồng chí đọc lại, bấm «✅ Dùng bản này», hoặc gửi tóm tắt khác.", choices) == (
        "Đồng chí đọc lại, trả lời số 1 («✅ Dùng bản này»), hoặc gửi tóm tắt khác."
    )
    assert zalo_wording("Bấm «📢 Thông báo» để soạn lại.", choices) == "Chọn «📢 Thông báo» để soạn lại."  # not on this screen
    assert zalo_wording("Nút này đã cũ.") == "Mục này đã cũ."
    assert zalo_wording("một phút") == "một phút"  # words that merely contain the letters stay
