"""A screen → Zalo text: no formatting, no buttons, at most 2,000 characters a message.

HTML becomes plain text (links as "label: URL"); choices become a numbered list, always in the last
part; URL buttons become link lines; long text is split on line, then sentence, then word boundaries.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from bot.zalo.choices import Choice, bare_label, normalize
from core import texts
from core.limits import ZALO

MAX_TEXT = ZALO.text  # the one definition: core/limits.py
_LINK = re.compile(r"<a\s+[^>]*href\s*=\s*([\"'])(.*?)\1[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+")
_LISTED = re.compile(r"^([ \t]*)\d{1,3}\.(?=[ \t])", re.MULTILINE)


# "bấm «✅ Dùng bản này»", "Bấm nút «📢 Thông báo»", "bấm nút <b>«…»</b>": a button named by its label.
_PRESS_LABEL = re.compile(r"\b([Bb])ấm(?: vào)?(?: nút)? (?:<b>)?«([^»]{1,80})»")
_HOLD_TO_SPEAK = re.compile(r",?\s*hoặc (?:<b>)?bấm giữ nút 🎤(?:</b>)? để (?:nói|trả lời bằng giọng nói)")
_PRESS_BUTTON = re.compile(r"\b([Bb])ấm nút\b")
_PRESS = re.compile(r"\b([Bb])ấm\b")
_BUTTON = re.compile(r"\b([Nn])út\b")


def _capitalised(word: str, upper: bool) -> str:
    return word[:1].upper() + word[1:] if upper else word


def zalo_wording(text: str, choices: Sequence[Choice] = ()) -> str:
    """Telegram's words for buttons → Zalo's for numbered replies (core/texts/conversation.py):
    a button the screen offers is named by its number; no "bấm" or "nút" is left."""
    words = texts.conversation
    numbers = {normalize(bare_label(choice.label)): choice.number for choice in choices}

    def press_label(match: re.Match[str]) -> str:
        label = match.group(2)
        number = numbers.get(normalize(bare_label(html.unescape(_TAG.sub("", label)))))
        said = words.PRESS_CHOICE.format(number=number, label=label) if number else words.PRESS_OTHER.format(label=label)
        return _capitalised(said, match.group(1) == "B")

    text = _HOLD_TO_SPEAK.sub("", text)
    text = _PRESS_LABEL.sub(press_label, text)
    for telegram, zalo in words.PHRASES:
        text = text.replace(telegram, zalo)
    text = _PRESS_BUTTON.sub(lambda m: _capitalised(words.PRESS_BUTTON, m.group(1) == "B"), text)
    text = _PRESS.sub(lambda m: _capitalised(words.PRESS, m.group(1) == "B"), text)
    return _BUTTON.sub(lambda m: _capitalised(words.BUTTON, m.group(1) == "N"), text)


def html_to_text(text: str, *, is_html: bool = True, choices: Sequence[Choice] = ()) -> str:
    text = zalo_wording(text, choices)
    if not is_html:
        return text

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(2)), _TAG.sub("", match.group(3)).strip()
        label = html.unescape(label)
        return url if not label or label == url else f"{label}: {url}"

    text = _LINK.sub(link, text)
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def choices_block(choices: Sequence[Choice]) -> str:
    if not choices:
        return ""
    lines = [texts.conversation.CHOICE_LINE.format(number=c.number, label=c.label) for c in choices]
    numbers = ", ".join(str(c.number) for c in choices)
    return "\n".join([*lines, texts.conversation.CHOICES_HINT.format(numbers=numbers)])


def links_block(links: Sequence[tuple[str, str]]) -> str:
    return "\n".join(texts.conversation.LINK_LINE.format(label=label, url=url) for label, url in links)


def _pieces(line: str, limit: int) -> list[str]:
    """A line too long for one message, cut at sentence ends, then at spaces; never mid-word unless
    one word is longer than a message (a URL, garbage)."""
    if len(line) <= limit:
        return [line]
    out: list[str] = []
    for sentence in _SENTENCE_END.split(line):
        if len(sentence) <= limit:
            out.append(sentence)
            continue
        for word in sentence.split(" "):
            out.extend(word[i : i + limit] for i in range(0, len(word), limit))
    return out


def split(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Greedy packing: whole lines joined by newlines, the pieces of a long line by spaces."""
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        for index, piece in enumerate(_pieces(line, limit)):
            if current is None:
                current = piece
                continue
            candidate = current + ("\n" if index == 0 else " ") + piece
            if len(candidate) > limit:
                parts.append(current)
                current = piece
            else:
                current = candidate
    if current is not None:
        parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def one_sequence(body: str) -> str:
    """On a screen with numbered choices, the only numbers are the choices: the screen's own numbered
    lines (📅 Lịch họp's meetings, a list of góp ý) become bullets, so "1" can only mean choice 1."""
    return _LISTED.sub(lambda match: match.group(1) + texts.conversation.LIST_BULLET, body)


def render(text: str, choices: Sequence[Choice] = (), links: Sequence[tuple[str, str]] = (), *, is_html: bool = True,
           limit: int = MAX_TEXT) -> list[str]:
    """The messages to send, in order; the numbered list is always in the last one."""
    body = html_to_text(text, is_html=is_html, choices=choices)
    if choices:
        body = one_sequence(body)
    extra = "\n\n".join(block for block in (links_block(links), choices_block(choices)) if block)
    whole = "\n\n".join(block for block in (body, extra) if block)
    if len(whole) <= limit:
        return [whole] if whole else []
    parts = split(body, limit) if body else []
    if not extra:
        return parts
    tail = split(extra, limit)
    if parts and len(parts[-1]) + 2 + len(tail[0]) <= limit and len(tail) == 1:
        parts[-1] = parts[-1] + "\n\n" + tail[0]
        return parts
    return parts + tail
