"""Issue 17 item 10: an id over 64 bits in button data is refused politely (once, before any router), never
an internal error — for each router whose buttons carry ids."""

from __future__ import annotations

import pytest

from bot.callback_guard import impossible_number
from core import texts
from tests.botkit import texts_of
from tests.integration.test_meetings_bot import SECRETARY_A, alerts

HUGE = str(2**64 + 5)
NEGATIVE = str(-(2**63) - 1)


@pytest.mark.parametrize(
    "data",
    [
        f"mto:open:{HUGE}",  # meetings: a leader's card
        f"mti:show:{HUGE}",  # meetings: an invitation
        f"mta:ok:{HUGE}:0",  # meetings: an absence decision
        f"rd:open:{HUGE}",  # resolutions: a document
        f"scv:open:{HUGE}",  # resolutions: a study campaign
        f"fbi:open:{HUGE}",  # feedback: an item
        f"nts:{HUGE}",  # notices: seen
        f"mto:open:{NEGATIVE}",
    ],
)
async def test_a_button_with_an_impossible_id_is_refused_politely(harness, commune, data: str) -> None:
    calls = await harness.press(SECRETARY_A, data)
    assert alerts(calls) == [texts.common.BUTTON_INVALID]
    assert texts.common.APOLOGY not in texts_of(calls)


def test_only_numbers_beyond_64_bits_are_impossible() -> None:
    assert not impossible_number(f"mto:open:{2**63 - 1}") and not impossible_number("mtd:20261205") and not impossible_number(None)
    assert impossible_number(f"mto:open:{2**63}") and impossible_number(f"x:{HUGE}:y")
