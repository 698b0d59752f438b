"""The main menu is built once per set of labels (bot/keyboards.py) and still differs by role."""

from __future__ import annotations

import types

from bot import keyboards as kb
from core import texts


def labels(markup) -> list[str]:  # type: ignore[no-untyped-def]
    return [button.text for row in markup.keyboard for button in row]


def test_a_member_and_a_manager_get_their_own_menu_every_time() -> None:
    member, manager = types.SimpleNamespace(is_manager=False), types.SimpleNamespace(is_manager=True)
    first, again = kb.home(member), kb.home(member)  # type: ignore[arg-type]
    assert labels(first) == labels(again) and texts.account.BTN_STATS not in labels(first)
    assert texts.account.BTN_STATS in labels(kb.home(manager))  # type: ignore[arg-type]
    assert labels(kb.home(None)) == labels(first)
    assert labels(first)[0] == texts.account.BTN_MEETINGS and first.is_persistent and first.resize_keyboard
