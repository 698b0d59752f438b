"""Zalo rendering (HTML → text, numbered lists, 2,000-character parts) and typed-reply matching."""

from __future__ import annotations

import pytest

from bot.zalo.choices import numbered, select, typed_number
from bot.zalo.render import MAX_TEXT, html_to_text, render, split
from core import texts
from core.orgs.linking import looks_like_invite_code, normalize_invite_code

INVITATION = numbered([("callback", "mti:yes:7", texts.meetings.BTN_ATTEND), ("callback", "mti:no:7", texts.meetings.BTN_ABSENT)])
DECISION = numbered([("callback", "mta:yes:7", texts.meetings.BTN_APPROVE), ("callback", "mta:no:7", texts.meetings.BTN_REFUSE)])


def test_html_becomes_plain_text_with_links_spelled_out() -> None:
    text = '<b>Họp</b> &amp; <i>bàn</i> &lt;việc&gt;<br><a href="https://x.vn/a?b=1&amp;c=2">tài liệu</a> <a href="https://y.vn">https://y.vn</a>'
    assert html_to_text(text) == "Họp & bàn <việc>\ntài liệu: https://x.vn/a?b=1&c=2 https://y.vn"
    assert html_to_text("<b>giữ nguyên</b>", is_html=False) == "<b>giữ nguyên</b>"  # plain text is shown verbatim


def test_choices_are_a_numbered_list_at_the_end_and_telegram_wording_is_replaced() -> None:
    [message] = render(f"Đồng chí {texts.common.CHOOSE_A_BUTTON[9:]}", INVITATION, [("Bản đồ", "https://maps.example/1")])
    lines = message.splitlines()
    assert "trả lời bằng một số bên dưới" in lines[0] and "nút" not in lines[0]
    assert "🔗 Bản đồ: https://maps.example/1" in lines
    assert lines[-3:] == ["1. ✅ Tôi sẽ dự họp", "2. 🙏 Xin vắng mặt", "👉 Đồng chí trả lời bằng số (1, 2)."]


@pytest.mark.parametrize("text", ["Một câu dài. " * 400, "x" * 4500, "lời " * 900 + "\n" + "y" * 1990, "dòng\n" * 800])
def test_long_text_splits_under_the_limit_on_boundaries_with_the_list_last(text: str) -> None:
    parts = render(text, INVITATION)
    assert len(parts) > 1 and all(0 < len(part) <= MAX_TEXT for part in parts)
    assert parts[-1].endswith("(1, 2).") and all("👉" not in part for part in parts[:-1])
    # Nothing is lost, and no word is cut unless a single "word" is longer than a message.
    assert "".join(parts).replace("\n", "").replace(" ", "").startswith(text.split("\n")[0].replace(" ", "")[:100])


def test_split_never_cuts_a_word() -> None:
    words = [f"từ{i}" for i in range(1200)]
    parts = split(" ".join(words), 2000)
    assert [w for part in parts for w in part.split()] == words


@pytest.mark.parametrize("typed, number", [("1", 1), (" 1 ", 1), ("số 2", 2), ("Số  2.", 2), ("chọn 1", 1), ("1.", 1), ("một", None), ("12a", None)])
def test_typed_numbers(typed: str, number: int | None) -> None:
    assert typed_number(typed) == number


@pytest.mark.parametrize("typed, value", [
    ("1", "mti:yes:7"), ("2", "mti:no:7"), ("Có", "mti:yes:7"), ("co", "mti:yes:7"), ("DỰ HỌP", "mti:yes:7"), ("du hop", "mti:yes:7"),
    ("không", "mti:no:7"), ("khong", "mti:no:7"), ("vắng", "mti:no:7"), ("  Xin   vắng mặt! ", "mti:no:7"), ("Tôi sẽ dự họp", "mti:yes:7"),
])
def test_words_select_the_invitation_answer(typed: str, value: str) -> None:
    selection = select(typed, INVITATION)
    assert selection.outcome == "chosen" and selection.choice is not None and selection.choice.value == value


def test_what_selects_nothing_is_told_apart() -> None:
    assert select("3", INVITATION).outcome == "wrong_number"
    assert select("0", INVITATION).outcome == "wrong_number"
    assert select("vang", INVITATION).outcome == "ambiguous"  # vâng (yes) or vắng (absent): asked again
    assert select("Tôi bị ốm nên không đi được", INVITATION).outcome == "none"  # a sentence is text (a reason)
    assert select("1", []).outcome == "none"  # a screen without choices takes text


def test_approve_and_refuse_are_not_confused() -> None:
    assert select("đồng ý", DECISION).choice.value == "mta:yes:7"  # type: ignore[union-attr]
    assert select("không đồng ý", DECISION).choice.value == "mta:no:7"  # type: ignore[union-attr]
    assert select("khong dong y", DECISION).choice.value == "mta:no:7"  # type: ignore[union-attr]
    assert select("không", DECISION).choice.value == "mta:no:7"  # type: ignore[union-attr]


@pytest.mark.parametrize("typed, code", [("ab3k 7pq2", "AB3K7PQ2"), (" AB3K-7PQ2 ", "AB3K7PQ2"), ("ab3k7pq2", "AB3K7PQ2")])
def test_short_invite_codes_forgive_case_spaces_and_hyphens(typed: str, code: str) -> None:
    assert normalize_invite_code(typed) == code and looks_like_invite_code(typed)


def test_legacy_codes_stay_case_sensitive_and_chatter_is_not_a_code() -> None:
    legacy = "aB3_kL9-Qx2mPz7W"
    assert normalize_invite_code(f" {legacy} ") == legacy and looks_like_invite_code(legacy)
    for chatter in ("Xin chào", "1", "đã xem", "ABCDEFG0", "ABCDEFGI", None, ""):  # 0 and I are not in the alphabet
        assert not looks_like_invite_code(chatter)


def test_a_screen_with_choices_numbers_only_its_choices() -> None:
    """The screen's own numbered lines become bullets when it has numbered choices; without choices they stay."""
    text = "<b>Các cuộc họp sắp tới:</b>\n1. <b>Sinh hoạt chi bộ</b>\n    📅 05/12\n2. <b>Họp chuyên đề</b>\nNgày 1.12 vẫn là ngày."
    [message] = render(text, INVITATION)
    lines = message.splitlines()
    assert "• Sinh hoạt chi bộ" in lines and "• Họp chuyên đề" in lines and "Ngày 1.12 vẫn là ngày." in lines
    assert [line.split(".")[0] for line in lines if line[:1].isdigit()] == ["1", "2"]  # the two choices, nothing else
    assert render(text)[0].splitlines()[1] == "1. Sinh hoạt chi bộ"
