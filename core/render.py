"""Rendering helpers shared by every domain's messages, and fitting any text into a platform's limits.

`fit` and `shorten` are the one place that makes a text fit what a platform accepts (core/limits.py):
a text too long is split into several messages (HTML tags closed at the cut and opened again after it,
never inside a tag or an entity; at a line break when there is one, else at a space), a label too long
is shortened with "…". Nothing is ever refused for its length.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from core.limits import TELEGRAM, TELEGRAM_TEXT_MARGIN

MESSAGE_LIMIT = TELEGRAM.text - TELEGRAM_TEXT_MARGIN  # what a screen packs to: room for a header or a page mark
_TAG = re.compile(r"<[^>]+>")
_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9-]+)")
ELLIPSIS = "…"


def plain_text(markup: str) -> str:
    """What a reader sees of a message's HTML where no HTML is shown (a button's toast, an API's JSON
    error): tags dropped, entities decoded, so «A &amp; B» reads «A & B»."""
    return html.unescape(_TAG.sub("", markup))


def visible_length(markup: str) -> int:
    """Characters Telegram counts for an HTML message: tags removed, entities decoded."""
    return len(plain_text(markup))


def units(text: str) -> int:
    """Telegram measures lengths in UTF-16 code units: an emoji outside the BMP counts two."""
    return len(text.encode("utf-16-le")) // 2


def pack(parts: Sequence[str], *, limit: int = MESSAGE_LIMIT, separator: str = "\n") -> list[str]:
    """Join blocks into as few messages as fit Telegram's limit; a block is never split (nor its markup)."""
    messages: list[str] = []
    current = ""
    for part in parts:
        if not part:
            continue
        candidate = f"{current}{separator}{part}" if current else part
        if current and visible_length(candidate) > limit:
            messages.append(current)
            current = part
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages


def _items(text: str, markup: bool) -> list[tuple[bool, str, int]]:
    """(is a tag, raw text, visible UTF-16 units) for each tag and each visible character."""
    if not markup:
        return [(False, c, units(c)) for c in text]
    items: list[tuple[bool, str, int]] = []
    position = 0
    for match in _TOKEN.finditer(text):
        items += [(False, c, units(c)) for c in text[position : match.start()]]
        token = match.group(0)
        if token.startswith("<"):
            items.append((True, token, 0))
        else:
            items.append((False, token, units(html.unescape(token))))
        position = match.end()
    items += [(False, c, units(c)) for c in text[position:]]
    return items


def _visible(match: re.Match[str]) -> str:
    token = match.group(0)
    return "" if token.startswith("<") else html.unescape(token)


def length(text: str, *, markup: bool = True) -> int:
    """What the platform counts: visible UTF-16 units (tags and entities decoded when `markup`).
    The same sum as `_items` gives, in one pass (every message sent is measured)."""
    return units(_TOKEN.sub(_visible, text) if markup else text)


def fit(text: str, limit: int, *, markup: bool = True) -> list[str]:
    """`text` as one or more messages of at most `limit` visible units each; tags stay balanced in each."""
    if length(text, markup=markup) <= limit:
        return [text]
    items = _items(text, markup)
    # Where each message ends: at the last line break that fits, else the last space, else where it is full.
    cuts: list[tuple[int, int]] = []
    start = 0
    while start < len(items):
        count, index, newline, space = 0, start, -1, -1
        while index < len(items):
            is_tag, raw, width = items[index]
            if not is_tag:
                if count + width > limit:
                    break
                count += width
                if raw == "\n":
                    newline = index
                elif raw == " ":
                    space = index
            index += 1
        if index >= len(items):
            end = len(items)
        elif newline > start:
            end = newline + 1
        elif space > start:
            end = space + 1
        else:
            end = max(index, start + 1)
        cuts.append((start, end))
        start = end
    messages: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, the opening tag as written)
    for start, end in cuts:
        body = "".join(opening for _, opening in open_tags)
        for is_tag, raw, _ in items[start:end]:
            body += raw
            if is_tag and markup:
                found = _TAG_NAME.match(raw)
                if found is None:
                    continue
                closing, name = found.group(1) == "/", found.group(2).lower()
                if closing:
                    for position in range(len(open_tags) - 1, -1, -1):
                        if open_tags[position][0] == name:
                            del open_tags[position]
                            break
                else:
                    open_tags.append((name, raw))
        body += "".join(f"</{name}>" for name, _ in reversed(open_tags))
        if body.strip():
            messages.append(body.strip("\n") or body)
    return messages or [text]


def shorten(text: str, limit: int) -> str:
    """Plain text (a button's label, a toast) cut to `limit` UTF-16 units, ending with "…" when cut."""
    if units(text) <= limit:
        return text
    kept = ""
    for character in text:
        if units(kept + character) > limit - 1:
            break
        kept += character
    return kept.rstrip() + ELLIPSIS
