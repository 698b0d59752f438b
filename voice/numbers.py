"""Vietnamese number reading: 21 → "hai mươi mốt", 105 → "một trăm linh năm", 2025 → "hai nghìn
không trăm hai mươi lăm", 1.500.000 → "một triệu năm trăm nghìn"."""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUPS = ("", "nghìn", "triệu")


def _below_thousand(n: int, *, full: bool) -> list[str]:
    """A three-digit group. `full` when a higher group precedes it: "không trăm", "linh" appear."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if hundreds or full:
                words.append("linh")
            words.append(DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
        if units == 5:
            words.append("lăm")
        elif units:
            words.append(DIGITS[units])
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


def _words(n: int, *, full: bool = False) -> list[str]:
    if n >= 1_000_000_000:
        billions, rest = divmod(n, 1_000_000_000)
        words = _words(billions, full=full) + ["tỷ"]
        return words + (_words(rest, full=True) if rest else [])
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        leading = index == len(groups) - 1
        words += _below_thousand(group, full=full or not leading)
        if GROUPS[index]:
            words.append(GROUPS[index])
    return words


def read_number(n: int) -> str:
    if n == 0:
        return "không"
    if n < 0:
        return "âm " + read_number(-n)
    return " ".join(_words(n))


def read_digits(text: str) -> str:
    return " ".join(DIGITS[int(ch)] for ch in text if ch.isdigit())


def read_decimal(integer_part: str, fraction: str) -> str:
    whole = read_number(int(integer_part))
    # "0,05" is read digit by digit after the mark; "3,25" as a number, as people say it.
    tail = read_digits(fraction) if fraction.startswith("0") or len(fraction) > 3 else read_number(int(fraction))
    return f"{whole} phẩy {tail}"


def read_ordinal(n: int) -> str:
    """After "thứ": thứ nhất, thứ hai, thứ tư, thứ mười bốn."""
    if n == 1:
        return "nhất"
    if n == 4:
        return "tư"
    return read_number(n)


def read_month(n: int) -> str:
    return "tư" if n == 4 else read_number(n)


ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_to_int(text: str) -> int | None:
    total, previous = 0, 0
    for ch in reversed(text.upper()):
        value = ROMAN.get(ch)
        if value is None:
            return None
        total = total - value if value < previous else total + value
        previous = max(previous, value)
    return total or None
