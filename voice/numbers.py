"""Vietnamese number reading: 21 → "hai mươi mốt", 105 → "một trăm linh năm", 2025 → "hai nghìn
không trăm hai mươi lăm", 1.500.000 → "một triệu năm trăm nghìn".

Northern standard forms throughout: "linh" (not "lẻ"), "nghìn" (not "ngàn"), "tỷ".
"""

from __future__ import annotations

import re

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUP_NAMES = ("", "nghìn", "triệu")


def _below_thousand(n: int, *, inner: bool) -> list[str]:
    """One three-digit group. `inner` when a higher group precedes it, so that 1.005 says
    "một nghìn không trăm linh năm" rather than "một nghìn năm"."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or inner:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if hundreds or inner:
                words.append("linh")
            words.append(DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
        if units == 5:
            words.append("lăm")
        elif units:
            words.append(DIGITS[units])  # "mười một", "mười bốn": no "mốt"/"tư" after "mười"
        return words
    words += [DIGITS[tens], "mươi"]
    if units == 1:
        words.append("mốt")
    elif units == 4:
        words.append("tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words


def _words(n: int, *, inner: bool = False) -> list[str]:
    if n >= 1_000_000_000:
        # Above a billion Vietnamese nests: 1.000.000.000.000 is "một nghìn tỷ".
        billions, rest = divmod(n, 1_000_000_000)
        big = _words(billions, inner=inner) + ["tỷ"]
        return big + (_words(rest, inner=True) if rest else [])
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        if groups[index] == 0:
            continue
        leading = index == len(groups) - 1
        words += _below_thousand(groups[index], inner=inner or not leading)
        if _GROUP_NAMES[index]:
            words.append(_GROUP_NAMES[index])
    return words


def read_number(n: int) -> str:
    """A cardinal number in words."""
    if n == 0:
        return "không"
    if n < 0:
        return "âm " + read_number(-n)
    return " ".join(_words(n))


def read_digits(text: str) -> str:
    """Every digit of `text` on its own: phone numbers, ID numbers."""
    return " ".join(DIGITS[int(ch)] for ch in text if ch.isdigit())


def read_decimal(integer_part: str, fraction: str, *, mark: str = "phẩy") -> str:
    """ "3,5" → "ba phẩy năm". A fraction with a leading zero or more than three digits is read
    digit by digit ("0,05" → "không phẩy không năm"), a short one as a number ("3,25" → "ba phẩy
    hai mươi lăm"), which is how announcers say them."""
    whole = read_number(int(integer_part))
    if fraction.startswith("0") or len(fraction) > 3:
        tail = read_digits(fraction)
    else:
        tail = read_number(int(fraction))
    return f"{whole} {mark} {tail}"


def read_ordinal(n: int) -> str:
    """The word after "thứ": thứ nhất, thứ hai, thứ tư, thứ mười bốn."""
    if n == 1:
        return "nhất"
    if n == 4:
        return "tư"
    return read_number(n)


def read_month(n: int) -> str:
    """Month names are numbers except April: "tháng tư", never "tháng bốn"."""
    return "tư" if n == 4 else read_number(n)


_ROMAN_VALUES = ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
# Canonical numerals from I to LXXXIX: enough for congress terms, chapters and plenums, and strict
# enough that a section letter ("Mục C", "Phụ lục D") or a malformed "IIII" is left alone.
ROMAN_NUMERAL = r"(?=[IVXL])(?:XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_ROMAN_FULL = re.compile(ROMAN_NUMERAL)


def roman_to_int(text: str) -> int | None:
    """The value of a canonical Roman numeral in I..LXXXIX, or None."""
    if not text or not _ROMAN_FULL.fullmatch(text):
        return None
    total, rest = 0, text
    for value, symbol in _ROMAN_VALUES:
        while rest.startswith(symbol):
            total += value
            rest = rest[len(symbol) :]
    return total or None
