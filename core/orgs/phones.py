"""Vietnamese phone numbers: one canonical form, so "+84 912 345 678", "0084 (0) 912.345.678" and
"0912345678" match.

People write the country code as +84 or 0084 (the international prefix dialled from Vietnam),
often keep the national trunk 0 after it in brackets ("+84 (0) 912…"), and group digits with
spaces, dots, dashes or brackets; numbers pasted from web pages bring non-breaking spaces and
full-width digits. All of that is accepted; anything else that is not a Vietnamese mobile or
landline number is refused (None).
"""

from __future__ import annotations

import re
import unicodedata

_MOBILE = re.compile(r"^0[35789]\d{8}$")
_LANDLINE = re.compile(r"^02\d{9}$")
# Separators people put between groups of digits (after NFKC, which turns NBSP and full-width forms
# into their plain counterparts).
_SEPARATORS = re.compile(r"[\s.\-()/\u2010-\u2015]")


def normalize_phone(raw: str) -> str | None:
    """Canonical national form (leading 0), or None when it is not a Vietnamese number."""
    text = unicodedata.normalize("NFKC", raw or "")
    digits = _SEPARATORS.sub("", text)
    international = False
    if digits.startswith("+"):
        digits, international = digits[1:], True
    elif digits.startswith("00"):
        digits, international = digits[2:], True
    if not digits.isascii() or not digits.isdigit():
        return None
    if international:
        if not digits.startswith("84"):
            return None
        digits = "0" + digits[2:].removeprefix("0")  # "+84 (0) 912…": the trunk 0 written after the country code
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif not digits.startswith("0") and len(digits) in (9, 10):
        digits = "0" + digits
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    return None
