"""Fitting any text into a platform's limits (core/render.py over core/limits.py): split, never refused."""

from __future__ import annotations

import html
import re

import pytest

from core import render
from core.limits import TELEGRAM, ZALO

TAG = re.compile(r"<[^>]+>")


def balanced(markup: str) -> bool:
    stack: list[str] = []
    for tag in TAG.findall(markup):
        name = re.match(r"</?\s*([a-zA-Z0-9-]+)", tag).group(1)  # type: ignore[union-attr]
        if tag.startswith("</"):
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def visible(markup: str) -> str:
    return html.unescape(TAG.sub("", markup))


@pytest.mark.parametrize("limit", [TELEGRAM.text, TELEGRAM.caption, ZALO.text, 50])
def test_a_long_html_text_is_split_into_balanced_parts_within_the_limit(limit: int) -> None:
    lines = [f"<b>Dòng {n}</b> — lý do: <i>{'ốm đau &amp; đi viện ' * (n % 7)}</i> 📅" for n in range(400)]
    lines.insert(100, "<b>" + "một khối rất dài không xuống dòng " * 300 + "</b>")  # one line longer than any limit
    text = "\n".join(lines)
    parts = render.fit(text, limit)
    assert len(parts) > 1
    assert all(render.length(part) <= limit for part in parts)
    assert all(balanced(part) for part in parts)
    # Nothing lost but the line breaks and spaces at the cuts.
    assert re.sub(r"\s+", "", "".join(visible(p) for p in parts)) == re.sub(r"\s+", "", visible(text))


def test_text_within_the_limit_is_untouched_and_emoji_count_as_telegram_counts_them() -> None:
    assert render.fit("<b>ngắn</b>", 10) == ["<b>ngắn</b>"]
    assert render.length("📅" * 3) == 6  # UTF-16 code units, as Telegram counts
    assert all(render.length(p) <= 5 for p in render.fit("📅" * 10, 5))


def test_plain_text_splits_without_reading_tags() -> None:
    parts = render.fit("a<b " * 100, 60, markup=False)
    assert all(len(p) <= 60 for p in parts) and "".join(parts).replace(" ", "") == ("a<b " * 100).replace(" ", "")


def test_labels_are_shortened_with_an_ellipsis() -> None:
    assert render.shorten("Chi bộ thôn Khe Gầy", TELEGRAM.button_text) == "Chi bộ thôn Khe Gầy"
    cut = render.shorten("x" * 300, TELEGRAM.callback_answer)
    assert render.units(cut) == TELEGRAM.callback_answer and cut.endswith("…")


@pytest.mark.parametrize("markup", [True, False])
@pytest.mark.parametrize("text", [
    "", "plain", "<b>Đậm</b> &amp; <i>nghiêng</i>", "&amp;lt; &#128512; &#x1F600; &foo; &amp", "😀 emoji 👍🏽 <a href=\"x\">link</a>",
    "<b>unclosed", "a < b > c", "x" * 5000 + "<b>😀</b>",
])
def test_length_is_the_sum_of_the_visible_items(text: str, markup: bool) -> None:
    """`length` counts in one pass what `fit` cuts item by item: the two must agree to the unit."""
    from core.render import _items, length

    assert length(text, markup=markup) == sum(width for _, _, width in _items(text, markup))


def test_plain_text_is_what_a_reader_sees_where_no_html_is_shown() -> None:
    markup = f"⚠️ <b>{html.escape('Chi bộ A & B <Khu 2>')}</b> đã có <i>hai</i> cuộc họp"
    assert render.plain_text(markup) == "⚠️ Chi bộ A & B <Khu 2> đã có hai cuộc họp"
    assert render.visible_length(markup) == len(render.plain_text(markup))
