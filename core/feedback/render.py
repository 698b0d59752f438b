"""Turning feedback into the HTML text people read (bot screens and outbox messages alike).

Templates live in core.texts.feedback; user text is always escaped here.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core import render as shared_render
from core import texts
from core.clock import local_tz
from core.feedback.models import FeedbackItem

if TYPE_CHECKING:
    from core.feedback.service import ItemSummary, ItemView

# Telegram counts a message's length after HTML is parsed: 4096 characters.
MESSAGE_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


def escape(value: str) -> str:
    return html.escape(value, quote=False)


visible_length = shared_render.visible_length


def shorten(value: str, limit: int) -> str:
    value = " ".join(value.split()) if limit <= 200 else value
    return value if len(value) <= limit else value[: max(0, limit - 1)].rstrip() + texts.feedback.TRUNCATED


def duration(seconds: int | None) -> str:
    seconds = seconds or 0
    return f"{seconds // 60}:{seconds % 60:02d}"


def local_date(moment: dt.datetime) -> str:
    return moment.astimezone(local_tz()).strftime("%d/%m/%Y")


def local_datetime(moment: dt.datetime) -> str:
    return moment.astimezone(local_tz()).strftime("%H:%M %d/%m/%Y")


def excerpt_html(item: FeedbackItem, *, limit: int = 80) -> str:
    """A short line for lists and notices: the text (shortened), or what kind of media it is."""
    parts = []
    if item.voice_file_id is not None:
        parts.append(texts.feedback.EXCERPT_VOICE.format(duration=duration(item.voice_duration)))
    if item.photo_file_id is not None:
        parts.append(texts.feedback.EXCERPT_PHOTO)
    if item.text:
        parts.append(escape(shorten(item.text, limit)))
    return " — ".join(parts)


def kind_label(item: FeedbackItem) -> str:
    return texts.feedback.KINDS[item.kind.value]


def state_label(item: FeedbackItem) -> str:
    return texts.feedback.STATES[item.state.value]


def list_line(number: int, summary: ItemSummary, *, mine: bool) -> str:
    item = summary.item
    if mine:
        return texts.feedback.LIST_LINE_MINE.format(
            number=number, reference=item.reference, kind=kind_label(item), state=state_label(item),
            org=escape(summary.addressed_org_name), date=local_date(item.created_at), excerpt=excerpt_html(item),
        )
    return texts.feedback.LIST_LINE.format(
        number=number, reference=item.reference, kind=kind_label(item), state=state_label(item),
        who=escape(summary.author_name), date=local_date(item.created_at), excerpt=excerpt_html(item),
    )


def card_parts(view: ItemView) -> list[str]:
    """The item as blocks of HTML: header, body, then its history. `pack` joins them into messages."""
    item = view.item
    current_line = (
        texts.feedback.CURRENT_LINE.format(org=escape(view.current_org.name))
        if view.current_org.id != view.addressed_org.id
        else ""
    )
    fields = {
        "kind_icon": texts.feedback.KIND_ICONS[item.kind.value],
        "reference": item.reference,
        "kind": kind_label(item),
        "addressed": escape(view.addressed_org.name),
        "current_line": current_line,
        "date": local_datetime(item.created_at),
        "state": state_label(item),
    }
    if view.is_author:
        header = texts.feedback.CARD_MINE.format(**fields)
    else:
        header = texts.feedback.CARD.format(author=escape(view.author_name), author_cell=escape(view.author_cell_name), **fields)
    parts = [header]
    body = []
    if item.voice_file_id is not None:
        body.append(texts.feedback.BODY_VOICE.format(duration=duration(item.voice_duration)))
    if item.photo_file_id is not None:
        body.append(texts.feedback.BODY_PHOTO)
    if item.text:
        body.append(escape(item.text))
    parts.append("\n".join(body))
    history = [
        texts.feedback.FORWARD_LINE.format(
            date=local_date(f.at), from_org=escape(f.from_org_name), to_org=escape(f.to_org_name),
            note=texts.feedback.FORWARD_NOTE.format(note=escape(f.note)) if f.note else "",
        )
        for f in view.forwards
    ]
    if history:
        parts.append("\n".join(history))
    parts.append(texts.feedback.REPLIES_TITLE + ("" if view.replies else "\n" + texts.feedback.NO_REPLY_YET))
    for answer in view.replies:
        reply_body = []
        if answer.voice_file_id is not None:
            reply_body.append(texts.feedback.REPLY_VOICE.format(duration=duration(answer.voice_duration)))
        if answer.text:
            reply_body.append(escape(answer.text))
        parts.append(
            texts.feedback.REPLY_LINE.format(
                org=escape(answer.org_name), author=escape(answer.author_name), date=local_datetime(answer.created_at),
                body="\n".join(reply_body),
            )
        )
    return parts


def pack(parts: Sequence[str], *, limit: int = MESSAGE_LIMIT, separator: str = "\n\n") -> list[str]:
    """Blocks of a card, as few messages as fit (see core.render.pack)."""
    return shared_render.pack(parts, limit=limit, separator=separator)
