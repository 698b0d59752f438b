"""Core texts are written for the messengers in Telegram's HTML subset: names escaped (`&amp;`,
`&lt;`), a few tags (<b>, <i>, <a href>), line breaks as newlines. A console page shows such a text
through `telegram_html` (the template filter `tg`), never through plain autoescaping, which would show
`&amp;amp;` and literal `<b>`.

The result is built from scratch: text is re-escaped, only the subset's formatting tags come out (as
their HTML equivalents, all inline, so they fit inside a <p>), a link only when it is http(s), and
anything else that looks like a tag is shown as the text it is.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from markupsafe import Markup

# Telegram's tag → the tag the page gets; None: keep the content, drop the formatting.
_TAGS: dict[str, str | None] = {
    "b": "strong", "strong": "strong", "i": "em", "em": "em", "u": "u", "ins": "u",
    "s": "s", "strike": "s", "del": "s", "code": "code", "pre": "code",
    "a": "a", "blockquote": None, "tg-spoiler": None, "span": None, "tg-emoji": None,
}
_LINK_SCHEMES = ("http", "https")


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities arrive as the characters they stand for
        self.out: list[str] = []
        self.open: list[tuple[str, str]] = []  # (Telegram tag, the page's closing tag) opened and not closed yet

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            self.handle_data(self.get_starttag_text() or "")
            return
        opening, closing = self._tags_for(tag, dict(attrs))
        self.open.append((tag, closing))
        self.out.append(opening)

    def handle_endtag(self, tag: str) -> None:
        if tag not in (name for name, _ in self.open):
            self.handle_data(f"</{tag}>")
            return
        while self.open:  # close what was left open inside it too, so the page's tags always nest
            inner, closing = self.open.pop()
            self.out.append(closing)
            if inner == tag:
                break

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_data(self.get_starttag_text() or "")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False).replace("\n", "<br>\n"))

    def handle_comment(self, data: str) -> None:
        self.handle_data(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.handle_data(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.handle_data(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.handle_data(f"<![{data}]>")

    @staticmethod
    def _tags_for(tag: str, attrs: dict[str, str | None]) -> tuple[str, str]:
        shown = _TAGS[tag]
        if shown is None:
            return "", ""
        if shown == "a":
            href = (attrs.get("href") or "").strip()
            if urlsplit(href).scheme.lower() not in _LINK_SCHEMES:
                return "", ""  # the text stays, the link does not
            return f'<a href="{escape(href, quote=True)}" rel="noopener noreferrer">', "</a>"
        return f"<{shown}>", f"</{shown}>"

    def finish(self) -> str:
        self.close()
        while self.open:
            self.out.append(self.open.pop()[1])
        return "".join(self.out)


def telegram_html(text: object) -> Markup:
    """A core text (Telegram HTML) as safe HTML for a page; `None` is the empty string."""
    if text is None:
        return Markup("")
    converter = _Converter()
    converter.feed(str(text))
    return Markup(converter.finish())  # built above from escaped text and fixed tags only

