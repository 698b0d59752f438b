"""Text people typed, written into a CSV or XLSX cell: the one guard against spreadsheet formulas."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas in text people typed (CSV/formula injection): a text that a
    spreadsheet would run as a formula gets a leading apostrophe; anything else is kept as it is."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value
