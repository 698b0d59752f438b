"""Search that forgives missing diacritics: "nghi quyet 21", "dang vien", "339".

Text is *folded* once when a document is saved — lowercase, diacritics removed, đ→d, anything
that is not a letter or digit turned into a space — and stored in a column. A query is folded the
same way and split into tokens; a document matches when every token occurs in its folded text
(`LIKE '%token%'`). Folded text holds only [a-z0-9 ], so tokens never need escaping, and the
same SQL works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from core.folding import strip_accents

_NOT_WORD = re.compile(r"[^a-z0-9]+")
MAX_TOKENS = 8
MAX_QUERY_CHARS = 120


def fold(text: str) -> str:
    """"Nghị quyết số 21-NQ/TW về Đảng viên" → "nghi quyet so 21 nq tw ve dang vien"."""
    return _NOT_WORD.sub(" ", strip_accents(text.lower(), compatibility=True)).strip()


def query_tokens(query: str) -> list[str]:
    """The distinct folded tokens of what a person typed, longest first (the most selective)."""
    tokens = list(dict.fromkeys(fold(query[:MAX_QUERY_CHARS]).split()))
    tokens.sort(key=len, reverse=True)
    return tokens[:MAX_TOKENS]
