"""Formatted text as Telegram reads it: HTML and MarkdownV2 (and legacy Markdown) become plain text
plus message entities, with offsets in UTF-16 code units; malformed markup is a 400, as in Telegram.

Parsing for real (rather than accepting anything) is what lets a test catch a bot that forgets to
escape a member's name before putting it inside `<b>…</b>`.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from sandbox.errors import bad_request

Entity = dict[str, Any]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


@dataclass
class FormattedText:
    text: str
    entities: list[Entity] = field(default_factory=list)


class _Builder:
    """Accumulates plain text and entities, measuring offsets in UTF-16 as Telegram does."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[Entity] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_len(text)

    def entity(self, kind: str, start: int, *, end: int | None = None, **extra: Any) -> None:
        end = self.offset if end is None else end
        if end > start:  # Telegram drops empty entities
            self.entities.append({"type": kind, "offset": start, "length": end - start, **extra})

    def result(self) -> FormattedText:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self.parts), self.entities)


def _cant_parse(detail: str) -> Exception:
    return bad_request(f"can't parse entities: {detail}")


# ---------------------------------------------------------------------------------------- HTML

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "a": "text_link", "code": "code",
    "pre": "pre", "tg-spoiler": "spoiler", "span": "spoiler", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_HTML_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


@dataclass
class _OpenTag:
    tag: str
    kind: str
    start: int
    extra: dict[str, Any]


class _TelegramHtmlParser(HTMLParser):
    def __init__(self, raw: str) -> None:
        super().__init__(convert_charrefs=False)
        self.raw = raw
        self.out = _Builder()
        self.stack: list[_OpenTag] = []
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", raw)]

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        return byte_offset(self.raw, self._line_starts[line - 1] + column)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = _HTML_TAGS.get(tag)
        if kind is None:
            raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')
        attributes = {name: value or "" for name, value in attrs}
        extra: dict[str, Any] = {}
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise _cant_parse(f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset()}')
        if tag == "a":
            extra["url"] = attributes.get("href", "")
        elif tag == "code" and attributes.get("class", "").startswith("language-"):
            extra["language"] = attributes["class"].removeprefix("language-")
        elif tag == "tg-emoji":
            extra["custom_emoji_id"] = attributes.get("emoji-id", "")
        elif tag == "blockquote" and "expandable" in attributes:
            kind = "expandable_blockquote"
        self.stack.append(_OpenTag(tag, kind, self.out.offset, extra))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise _cant_parse(f'Unexpected end tag at byte offset {self._byte_offset()}')
        opened = self.stack.pop()
        if opened.tag != tag:
            raise _cant_parse(f'Unmatched end tag at byte offset {self._byte_offset()}, expected "</{opened.tag}>", found "</{tag}>"')
        parent = self.stack[-1] if self.stack else None
        if opened.tag == "code" and parent is not None and parent.tag == "pre":
            # <pre><code class="language-x"> is one pre entity with a language, not two entities
            if "language" in opened.extra:
                parent.extra["language"] = opened.extra["language"]
            return
        if opened.kind == "text_link" and not opened.extra.get("url"):
            return
        self.out.entity(opened.kind, opened.start, **opened.extra)

    def handle_data(self, data: str) -> None:
        self.out.add(data)

    def handle_entityref(self, name: str) -> None:
        # Telegram knows only four named entities; any other stays in the text as written
        self.out.add(_HTML_NAMED_ENTITIES.get(name, f"&{name};"))

    def handle_charref(self, name: str) -> None:
        try:
            code = int(name[1:], 16) if name[:1] in ("x", "X") else int(name)
            self.out.add(chr(code))
        except (ValueError, OverflowError):
            self.out.add(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        raise _cant_parse(f"Unsupported comment at byte offset {self._byte_offset()}")

    def handle_decl(self, decl: str) -> None:
        raise _cant_parse(f"Unsupported declaration at byte offset {self._byte_offset()}")


_STRAY_LESS_THAN = re.compile(r"<(?![A-Za-z/!])")


def parse_html(raw: str) -> FormattedText:
    stray = _STRAY_LESS_THAN.search(raw)
    if stray:
        raise _cant_parse(f"Unexpected end of name token at byte offset {byte_offset(raw, stray.start())}")
    parser = _TelegramHtmlParser(raw)
    parser.feed(raw)
    parser.close()
    if parser.stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1].tag}"')
    return parser.out.result()


# ----------------------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
               "spoiler": "Spoiler", "code": "Code", "pre": "Pre", "text_link": "TextUrl", "custom_emoji": "CustomEmoji"}


@dataclass
class _OpenMarkdown:
    kind: str
    start: int  # UTF-16 offset in the result
    raw_index: int  # where it began in the source, for error messages
    language: str | None = None  # pre blocks only


def _mdv2_closes(kind: str, raw: str, i: int) -> int:
    """How many source characters close an entity of `kind` at `i` (0 when none)."""
    c, following = raw[i], raw[i + 1: i + 3]
    if kind == "bold" and c == "*":
        return 1
    if kind == "italic" and c == "_" and not following.startswith("_"):
        return 1
    if kind == "underline" and c == "_" and following.startswith("_"):
        return 2
    if kind == "strikethrough" and c == "~":
        return 1
    if kind == "spoiler" and c == "|" and following.startswith("|"):
        return 2
    if kind == "code" and c == "`":
        return 1
    if kind == "pre" and c == "`" and following == "``":
        return 3
    if kind in ("text_link", "custom_emoji") and c == "]":
        return 1
    return 0


def _read_link_target(raw: str, i: int) -> tuple[str, int]:
    """The URL in `(…)` starting at raw[i] == '(' (')' and '\\' escaped inside); returns (url, next index)."""
    url: list[str] = []
    j = i + 1
    while j < len(raw) and raw[j] != ")":
        if raw[j] == "\\" and j + 1 < len(raw):
            j += 1
        url.append(raw[j])
        j += 1
    if j >= len(raw):
        raise _cant_parse(f"Can't find end of a URL at byte offset {byte_offset(raw, i)}")
    return "".join(url), j + 1


def parse_markdown_v2(raw: str) -> FormattedText:
    out = _Builder()
    stack: list[_OpenMarkdown] = []
    quote: _OpenMarkdown | None = None
    i, n = 0, len(raw)
    while i < n:
        at_line_start = i == 0 or raw[i - 1] == "\n"
        if at_line_start and quote is not None and not raw.startswith(">", i) and not raw.startswith("**>", i):
            out.entity(quote.kind, quote.start, end=out.offset - 1)  # the line break is not quoted
            quote = None
        if at_line_start and not stack and (raw.startswith(">", i) or raw.startswith("**>", i)):
            expandable = raw.startswith("**>", i)
            if quote is None:
                quote = _OpenMarkdown("expandable_blockquote" if expandable else "blockquote", out.offset, i)
            i += 3 if expandable else 1
            continue
        c = raw[i]
        if c == "\\" and i + 1 < n and 0 < ord(raw[i + 1]) <= 126:
            out.add(raw[i + 1])
            i += 2
            continue
        inside_code = bool(stack) and stack[-1].kind in ("code", "pre")
        if c not in ("`" if inside_code else _MDV2_RESERVED):
            out.add(c)
            i += 1
            continue
        if stack:
            top = stack[-1]
            closing = _mdv2_closes(top.kind, raw, i)
            if closing:
                stack.pop()
                i += closing
                extra: dict[str, Any] = {}
                if top.kind in ("text_link", "custom_emoji"):
                    if i >= n or raw[i] != "(":
                        raise _cant_parse(f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset {byte_offset(raw, top.raw_index)}")
                    target, i = _read_link_target(raw, i)
                    if top.kind == "text_link":
                        extra["url"] = target
                    else:
                        extra["custom_emoji_id"] = target.removeprefix("tg://emoji?id=")
                if top.language:
                    extra["language"] = top.language
                out.entity(top.kind, top.start, **extra)
                continue
        if quote is not None and quote.kind == "expandable_blockquote" and raw.startswith("||", i) \
                and (i + 2 == n or raw[i + 2] == "\n") and not any(e.kind == "spoiler" for e in stack):
            out.entity(quote.kind, quote.start)
            quote = None
            i += 2
            continue
        opened = _OpenMarkdown("", out.offset, i)
        if c == "_" and raw.startswith("__", i):
            opened.kind, i = "underline", i + 2
        elif c == "_":
            opened.kind, i = "italic", i + 1
        elif c == "*":
            opened.kind, i = "bold", i + 1
        elif c == "~":
            opened.kind, i = "strikethrough", i + 1
        elif c == "|" and raw.startswith("||", i):
            opened.kind, i = "spoiler", i + 2
        elif c == "[":
            opened.kind, i = "text_link", i + 1
        elif c == "!" and raw.startswith("![", i):
            opened.kind, i = "custom_emoji", i + 2
        elif c == "`" and raw.startswith("```", i):
            end_of_line = raw.find("\n", i + 3)
            language = raw[i + 3:end_of_line].strip() if end_of_line != -1 else ""
            opened.kind = "pre"
            if language and end_of_line != -1 and re.fullmatch(r"[\w+#.-]+", language):
                opened.language = language
                i = end_of_line + 1
            else:
                i += 3
        elif c == "`":
            opened.kind, i = "code", i + 1
        else:
            raise _cant_parse(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
        stack.append(opened)
    if stack:
        top = stack[-1]
        raise _cant_parse(f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset {byte_offset(raw, top.raw_index)}")
    if quote is not None:
        out.entity(quote.kind, quote.start)
    return out.result()


# ------------------------------------------------------------------------------ legacy Markdown

_LEGACY_MARKERS = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(raw: str) -> FormattedText:
    """Telegram's legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out = _Builder()
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "\\" and i + 1 < n and raw[i + 1] in "_*`[":
            out.add(raw[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        start = out.offset
        if raw.startswith("```", i):
            end = raw.find("```", i + 3)
            if end == -1:
                raise _cant_parse(f"Can't find end of the entity starting at byte offset {byte_offset(raw, i)}")
            out.add(raw[i + 3:end])
            out.entity("pre", start)
            i = end + 3
        elif c == "[":
            close = raw.find("](", i + 1)
            end = raw.find(")", close + 2) if close != -1 else -1
            if close == -1 or end == -1:
                raise _cant_parse(f"Can't find end of the entity starting at byte offset {byte_offset(raw, i)}")
            out.add(raw[i + 1:close])
            out.entity("text_link", start, url=raw[close + 2:end])
            i = end + 1
        else:
            end = raw.find(c, i + 1)
            if end == -1:
                raise _cant_parse(f"Can't find end of the entity starting at byte offset {byte_offset(raw, i)}")
            out.add(raw[i + 1:end])
            out.entity(_LEGACY_MARKERS[c], start)
            i = end + 1
    return out.result()


# -------------------------------------------------------------------------------- the entry point

_ENTITY_FIELDS = ("type", "offset", "length", "url", "language", "custom_emoji_id", "user")


def _explicit_entities(text: str, entities: Any) -> list[Entity]:
    if not isinstance(entities, list):
        raise bad_request("can't parse entities JSON object")
    total = utf16_len(text)
    kept: list[Entity] = []
    for entity in entities:
        if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
            raise bad_request("can't parse MessageEntity: field \"type\" must be of type String")
        try:
            offset, length = int(entity["offset"]), int(entity["length"])
        except (KeyError, TypeError, ValueError):
            raise bad_request("can't parse MessageEntity: fields \"offset\" and \"length\" are required") from None
        if length > 0 and 0 <= offset and offset + length <= total:  # Telegram silently drops the rest
            kept.append({k: entity[k] for k in _ENTITY_FIELDS if k in entity} | {"offset": offset, "length": length})
    return kept


def parse_formatted(raw: str, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """`raw` as Telegram stores it. Explicit `entities` win over `parse_mode`, as in the Bot API."""
    if entities is not None:
        return FormattedText(raw, _explicit_entities(raw, entities))
    mode = (parse_mode or "").strip().lower()
    if mode not in ("", "html", "markdownv2", "markdown"):
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    parsed = _parsed(raw, mode)
    return FormattedText(parsed.text, json_copy(parsed.entities))  # each message its own entities


@functools.lru_cache(maxsize=256)
def _parsed(raw: str, mode: str) -> FormattedText:
    """Parsed once per text: a broadcast sends one text to thousands of chats (a refusal is not kept)."""
    if mode == "html":
        return parse_html(raw)
    if mode == "markdownv2":
        return parse_markdown_v2(raw)
    if mode == "markdown":
        return parse_markdown(raw)
    return FormattedText(raw)


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, strings, numbers), several times faster than
    `copy.deepcopy`; anything else is deep-copied as before."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return copy.deepcopy(value)


# ------------------------------------------------------------------- what people's clients detect

_DETECTED = [
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("url", re.compile(r"\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]*\w\b")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
]


def detect_entities(text: str) -> list[Entity]:
    """Entities Telegram finds by itself in a person's plain text: commands, links, mentions, tags."""
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DETECTED:
        for match in pattern.finditer(text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            taken.append(span)
            found.append({"type": kind, "offset": utf16_len(text[:span[0]]), "length": utf16_len(match.group())})
    found.sort(key=lambda e: e["offset"])
    return found
