"""Vietnamese text → the words a voice should say.

Engines read "10/7/2025" as digits and slashes, spell "QĐ/TW" letter by letter and switch to
English for "XIII". Every rewrite happens here, before any engine, in a fixed order: the most
specific shapes (phones, document codes, dates) first, plain numbers last.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from voice.numbers import read_decimal, read_digits, read_month, read_number, read_ordinal, roman_to_int

DEFAULT_ABBREVIATIONS_FILE = Path(__file__).with_name("abbreviations.tsv")

DOCUMENT_KINDS = {
    "NQ": "nghị quyết", "CT": "chỉ thị", "QĐ": "quy định", "KL": "kết luận", "HD": "hướng dẫn",
    "KH": "kế hoạch", "TB": "thông báo", "ĐA": "đề án", "CV": "công văn", "BC": "báo cáo",
    "TTr": "tờ trình", "QC": "quy chế", "CTr": "chương trình", "NĐ": "nghị định", "TT": "thông tư",
}
LETTER_NAMES = {
    "A": "a", "Ă": "á", "Â": "ớ", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "Ê": "ê", "F": "ép",
    "G": "giê", "H": "hát", "I": "i", "J": "gi", "K": "ca", "L": "lờ", "M": "mờ", "N": "nờ", "O": "o", "Ô": "ô",
    "Ơ": "ơ", "P": "pê", "Q": "quy", "R": "rờ", "S": "ét", "T": "tê", "U": "u", "Ư": "ư", "V": "vê", "W": "vê kép",
    "X": "ích", "Y": "i", "Z": "dét",
}
# Words after which a Roman numeral is a number ("Khóa XIII", "Đại hội XIV", "Chương II").
ROMAN_CONTEXT = r"(?:[Kk]hóa|[Kk]hoá|[Đđ]ại hội|[Pp]hần|[Cc]hương|[Mm]ục|[Hh]ội nghị [Tt]rung ương|[Hh]ội nghị|[Qq]uyển|[Tt]ập|[Đđ]ợt)"
DATE_CONTEXT = r"(?:ngày|Ngày|từ|Từ|đến|tới|hôm|mùng|sáng|chiều|tối|trưa|trước|sau|hạn|và)"

_SPACE = re.compile(r"[ \t]+")


def load_abbreviations(path: str | Path | None = None, *, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The default dictionary, with an operator's file (TSV: abbreviation, spoken form) merged over it."""
    merged = dict(_default_abbreviations() if base is None else base)
    if path is not None:
        merged.update(_read_tsv(Path(path)))
    return merged


def _read_tsv(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        key, value = line.split("\t", 1)
        entries[unicodedata.normalize("NFC", key.strip())] = unicodedata.normalize("NFC", value.strip())
    return entries


@lru_cache(maxsize=1)
def _default_abbreviations() -> dict[str, str]:
    return _read_tsv(DEFAULT_ABBREVIATIONS_FILE)


def spell(letters: str) -> str:
    return " ".join(LETTER_NAMES.get(ch.upper(), ch) for ch in letters if ch.isalnum())


def _issuer(code: str, abbreviations: Mapping[str, str]) -> str:
    parts = [p for p in re.split(r"[-/]", code) if p]
    spoken = []
    for part in parts:
        if part in abbreviations:
            spoken.append(abbreviations[part])
        elif part in DOCUMENT_KINDS:
            spoken.append(DOCUMENT_KINDS[part])
        else:
            spoken.append(spell(part))
    return " ".join(spoken)


def _document_codes(text: str, abbreviations: Mapping[str, str]) -> str:
    kinds = "|".join(sorted(map(re.escape, DOCUMENT_KINDS), key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w/])(\d+)(?:/\d{{4}})?\s*[-/]\s*({kinds})\s*[-/]\s*([A-ZĐ][A-Za-zĐđ]*(?:[-/][A-ZĐ][A-Za-zĐđ]*)*)")

    def replace(match: re.Match[str]) -> str:
        number, kind, issuer = match.groups()
        kind_words = DOCUMENT_KINDS[kind]
        if kind == "QĐ":
            before = text[max(0, match.start() - 25) : match.start()].lower()
            if "quyết định" in before:
                kind_words = "quyết định"
        return f"{read_number(int(number))} {kind_words} {_issuer(issuer, abbreviations)}"

    return pattern.sub(replace, text)


def _valid_date(day: int, month: int) -> bool:
    return 1 <= day <= 31 and 1 <= month <= 12


def _spoken_date(day: int, month: int, year: int | None, *, say_ngay: bool) -> str:
    words = f"ngày {read_number(day)} " if say_ngay else f"{read_number(day)} "
    words += f"tháng {read_month(month)}"
    if year is not None:
        words += f" năm {read_number(year)}"
    return words


def _dates(text: str) -> str:
    def full(match: re.Match[str]) -> str:
        day, month, year = int(match.group(2)), int(match.group(3)), int(match.group(4))
        if not _valid_date(day, month):
            return match.group(0)
        prefix = match.group(1) or ""
        says_ngay = not prefix.strip().lower().endswith("ngày")
        return prefix + _spoken_date(day, month, year, say_ngay=says_ngay)

    text = re.sub(r"((?:[Nn]gày\s+)?)\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\b", full, text)

    def month_year(match: re.Match[str]) -> str:
        month, year = int(match.group(2)), int(match.group(3))
        if not 1 <= month <= 12:
            return match.group(0)
        return f"{match.group(1)} {read_month(month)} năm {read_number(year)}"

    text = re.sub(r"\b([Tt]háng)\s+(\d{1,2})\s*[/\-]\s*(\d{4})\b", month_year, text)
    text = re.sub(r"\b([Tt]háng)\s+(\d{1,2})\b(?![/\d])", lambda m: f"{m.group(1)} {read_month(int(m.group(2)))}", text)

    def short(match: re.Match[str]) -> str:
        keyword, day, month = match.group(1), int(match.group(2)), int(match.group(3))
        if not _valid_date(day, month):
            return match.group(0)
        says_ngay = keyword.lower() not in ("ngày", "mùng")
        return f"{keyword} " + _spoken_date(day, month, None, say_ngay=says_ngay)

    # "ngày 3/2", "từ 1/7 đến 15/7", "ngày 29-10": a day and month only after a word that announces a date.
    return re.sub(rf"\b({DATE_CONTEXT})\s+(\d{{1,2}})\s*[/\-]\s*(\d{{1,2}})\b(?![/\-]\d)", short, text)


def _ranges(text: str) -> str:
    def years(match: re.Match[str]) -> str:
        return f"{read_number(int(match.group(1)))} đến {read_number(int(match.group(2)))}"

    return re.sub(r"\b((?:19|20)\d{2})\s*[-–—]\s*((?:19|20)\d{2})\b", years, text)


def _times(text: str) -> str:
    def hours(match: re.Match[str]) -> str:
        hour, minute = int(match.group(1)), match.group(2)
        if hour > 24:
            return match.group(0)
        spoken = f"{read_number(hour)} giờ"
        if minute and int(minute):
            spoken += f" {read_number(int(minute))} phút"
        return spoken

    text = re.sub(r"\b(\d{1,2})\s*[hH](\d{2})?\b(?!\w)", hours, text)
    text = re.sub(r"\b(\d{1,2}):(\d{2})\b(?!:)", hours, text)
    return text


def _roman(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        value = roman_to_int(match.group(2))
        if value is None:
            return match.group(0)
        return f"{match.group(1)} {read_number(value)}"

    text = re.sub(rf"({ROMAN_CONTEXT})\s+([IVXLCDM]+)\b", replace, text)

    def ordinal(match: re.Match[str]) -> str:
        value = roman_to_int(match.group(2))
        return match.group(0) if value is None else f"{match.group(1)} {read_ordinal(value)}"

    return re.sub(r"(\b[Tt]hứ)\s+([IVXLCDM]+)\b", ordinal, text)


def _phones(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return read_digits(match.group(0))

    return re.sub(r"(?<![\d.,])(?:\+84|0)(?:[\s.]?\d){9,10}(?![\d,])", replace, text)


def _numbers(text: str) -> str:
    def percent(match: re.Match[str]) -> str:
        return f"{_number_words(match.group(1))} phần trăm"

    text = re.sub(r"(\d[\d.]*(?:,\d+)?)\s*%", percent, text)
    text = re.sub(r"(\b[Tt]hứ)\s+(\d+)\b", lambda m: f"{m.group(1)} {read_ordinal(int(m.group(2)))}", text)
    text = re.sub(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+|\d+", lambda m: _number_words(m.group(0)), text)
    return text


def _number_words(token: str) -> str:
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        token = token.replace(".", "")
    if "," in token:
        whole, fraction = token.split(",", 1)
        return read_decimal(whole, fraction)
    if "." in token:  # a stray dot inside digits ("1.5"): read it as a decimal point
        whole, fraction = token.split(".", 1)
        return read_decimal(whole, fraction) if whole and fraction else read_number(int(token.replace(".", "")))
    return read_number(int(token))


def _abbreviations(text: str, abbreviations: Mapping[str, str]) -> str:
    if not abbreviations:
        return text
    keys = sorted(abbreviations, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.&-])(" + "|".join(map(re.escape, keys)) + r")(?![\w&-])")
    return pattern.sub(lambda m: abbreviations[m.group(1)], text)


def normalize(text: str, *, abbreviations: Mapping[str, str] | None = None) -> str:
    """The spoken form of `text`. Sentence punctuation is kept so the voice pauses."""
    words = abbreviations if abbreviations is not None else _default_abbreviations()
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("…", "...")
    text = _phones(text)
    text = _document_codes(text, words)
    text = _dates(text)
    text = _ranges(text)
    text = _times(text)
    text = _roman(text)
    text = _numbers(text)
    text = _abbreviations(text, words)
    # Punctuation an engine would read aloud or stumble on.
    text = text.replace("&", " và ").replace("/", " trên ")
    text = re.sub(r"[\"“”«»*#_]", "", text)
    text = _SPACE.sub(" ", text)
    text = re.sub(r" +([,.;:!?])", r"\1", text)
    return "\n".join(line.strip() for line in text.splitlines()).strip()
