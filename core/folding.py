"""Vietnamese without diacritics, written once: search, typed answers, file names and column headers
all fold accents the same way («Đảng viên» → «Dang vien»)."""

from __future__ import annotations

import unicodedata


def strip_accents(text: str, *, compatibility: bool = False) -> str:
    """đ/Đ → d/D and every combining mark dropped; case and everything else kept. With
    `compatibility`, compatibility forms fold too (NFKD: «²» → «2», full-width digits → ASCII)."""
    decomposed = unicodedata.normalize("NFKD" if compatibility else "NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
