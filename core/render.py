"""Rendering helpers shared by every domain's messages."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

MESSAGE_LIMIT = 4000  # Telegram allows 4096 characters of visible text; keep a margin
_TAG = re.compile(r"<[^>]+>")


def visible_length(markup: str) -> int:
    """Characters Telegram counts for an HTML message: tags removed, entities decoded."""
    return len(html.unescape(_TAG.sub("", markup)))


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
