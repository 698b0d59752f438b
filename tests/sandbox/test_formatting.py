"""Formatted text as Telegram reads it: plain text plus entities (UTF-16 offsets), or a 400."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.formatting import detect_entities, parse_formatted


def kinds(raw: str, mode: str) -> tuple[str, list[tuple[str, int, int]]]:
    parsed = parse_formatted(raw, mode)
    return parsed.text, [(e["type"], e["offset"], e["length"]) for e in parsed.entities]


def test_html_tags_entities_and_character_references() -> None:
    assert kinds('<b>Họp</b> &amp; <i>học</i> &#128512; &nbsp;<a href="https://x.vn">x</a>', "HTML") == (
        "Họp & học 😀 &nbsp;x", [("bold", 0, 3), ("italic", 6, 3), ("text_link", 19, 1)])
    pre = parse_formatted('<pre><code class="language-python">x = 1</code></pre>', "HTML")
    assert pre.entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    assert kinds('<span class="tg-spoiler">bí mật</span><blockquote expandable>dài</blockquote>', "HTML")[1] == [
        ("spoiler", 0, 6), ("expandable_blockquote", 6, 3)]


def test_offsets_count_utf16_code_units_like_telegram() -> None:
    assert kinds("😀<b>đ</b>", "HTML") == ("😀đ", [("bold", 2, 1)])


@pytest.mark.parametrize(("raw", "detail"), [
    ("a < b", "Unexpected end of name token"),
    ("<b>đậm", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'expected "</b>", found "</i>"'),
    ("<div>x</div>", 'Unsupported start tag "div"'),
    ('<span class="x">y</span>', 'must have class "tg-spoiler"'),
])
def test_malformed_html_is_a_bad_request(raw: str, detail: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_formatted(raw, "HTML")
    assert refused.value.code == 400 and refused.value.description.startswith("Bad Request: can't parse entities")
    assert detail in refused.value.description


def test_markdown_v2_entities_and_escapes() -> None:
    assert kinds(r"*đậm \*sao* _nghiêng_ __gạch__ ~xoá~ ||ẩn|| `m\`ã` 1\.5\!", "MarkdownV2") == (
        "đậm *sao nghiêng gạch xoá ẩn m`ã 1.5!",
        [("bold", 0, 8), ("italic", 9, 7), ("underline", 17, 4), ("strikethrough", 22, 3), ("spoiler", 26, 2), ("code", 29, 3)])
    link = parse_formatted(r"[xem](https://x.vn/a\)b)", "MarkdownV2")
    assert (link.text, link.entities[0]["url"]) == ("xem", "https://x.vn/a)b")
    assert kinds(">trích\n>dẫn\nhết", "MarkdownV2") == ("trích\ndẫn\nhết", [("blockquote", 0, 9)])
    assert parse_formatted("```python\nprint(1)\n```", "MarkdownV2").entities[0]["language"] == "python"


@pytest.mark.parametrize(("raw", "detail"), [
    ("Ngày 3.12", "Character '.' is reserved"),
    ("a-b", "Character '-' is reserved"),
    ("*đậm", "Can't find end of Bold entity at byte offset 0"),
    ("x [link]", "Can't find end of TextUrl entity at byte offset 2"),
])
def test_markdown_v2_refuses_what_telegram_refuses(raw: str, detail: str) -> None:
    with pytest.raises(ApiError, match="can't parse entities") as refused:
        parse_formatted(raw, "MarkdownV2")
    assert detail in refused.value.description


def test_legacy_markdown_explicit_entities_and_plain_text() -> None:
    assert kinds("*đậm* _nghiêng_ [x](https://x.vn)", "Markdown") == ("đậm nghiêng x", [("bold", 0, 3), ("italic", 4, 7), ("text_link", 12, 1)])
    explicit = parse_formatted("Xin chào", "HTML", [{"type": "bold", "offset": 0, "length": 3}, {"type": "italic", "offset": 5, "length": 99}])
    assert explicit.text == "Xin chào" and explicit.entities == [{"type": "bold", "offset": 0, "length": 3}]  # explicit entities win
    assert parse_formatted("<b>as is</b>", None).text == "<b>as is</b>"
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        parse_formatted("x", "RTF")


def test_entities_people_clients_detect() -> None:
    found = detect_entities("/start inv_1 rồi /help@sotay_bot, xem https://x.vn/a. Hỏi @bi_thu_xa #hop")
    assert [(e["type"], e["offset"], e["length"]) for e in found] == [
        ("bot_command", 0, 6), ("bot_command", 17, 15), ("url", 38, 14), ("mention", 58, 10), ("hashtag", 69, 4)]
    assert detect_entities("a/b không phải lệnh") == []


def test_a_text_parsed_again_is_the_same_yet_each_message_owns_its_entities() -> None:
    """A broadcast's one text is parsed once; no message's entities are another's (an edit of one
    must not change the others)."""
    raw = '<b>Họp</b> <a href="tg://user?id=7">Mai</a>'
    first, second = parse_formatted(raw, "HTML"), parse_formatted(raw, "html")
    assert first == second
    first.entities[0]["length"] = 99
    first.entities[1].clear()
    assert parse_formatted(raw, "HTML").entities == second.entities and second.entities[0]["length"] == 3


def test_an_unknown_parse_mode_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ApiError, match="unsupported parse_mode 'Fancy'"):
            parse_formatted("x", "Fancy")


def test_json_copy_copies_every_level() -> None:
    from sandbox.formatting import json_copy

    message = {"text": "x", "entities": [{"type": "bold", "user": {"id": 1}}], "n": 1.5, "ok": True, "none": None}
    copied = json_copy(message)
    assert copied == message
    copied["entities"][0]["user"]["id"] = 2
    copied["entities"].append({})
    assert message == {"text": "x", "entities": [{"type": "bold", "user": {"id": 1}}], "n": 1.5, "ok": True, "none": None}
