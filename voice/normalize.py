"""Vietnamese text → the words a voice should say.

Speech engines read "10/7/2025" as digits and slashes, spell "QĐ/TW" letter by letter and switch
to English for "XIII". Every rewrite happens here, before any engine, as a fixed sequence of
passes. Each pass turns digits into words, so a later pass never re-reads an earlier one's output;
the order runs from the most specific shapes (document codes, phones, dates, times) to plain
numbers, and ends with punctuation the voice should not pronounce.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from voice.numbers import (
    ROMAN_NUMERAL,
    read_decimal,
    read_digits,
    read_month,
    read_number,
    read_ordinal,
    roman_to_int,
)

DEFAULT_ABBREVIATIONS_FILE = Path(__file__).with_name("abbreviations.tsv")
ISSUERS_FILE = Path(__file__).with_name("issuers.tsv")

# The letters between the number and the issuer of a document code.
DOCUMENT_KINDS = {
    "NQ": "nghị quyết", "CT": "chỉ thị", "QĐ": "quy định", "QĐi": "quy định", "KL": "kết luận",
    "HD": "hướng dẫn", "KH": "kế hoạch", "TB": "thông báo", "ĐA": "đề án", "CV": "công văn",
    "BC": "báo cáo", "TTr": "tờ trình", "QC": "quy chế", "CTr": "chương trình", "NĐ": "nghị định",
    "TT": "thông tư", "BB": "biên bản", "GM": "giấy mời", "PA": "phương án", "TTLT": "thông tư liên tịch",
    "NQLT": "nghị quyết liên tịch", "CĐ": "công điện",
}
LETTER_NAMES = {
    "A": "a", "Ă": "á", "Â": "ớ", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "Ê": "ê",
    "F": "ép", "G": "giê", "H": "hát", "I": "i", "J": "gi", "K": "ca", "L": "lờ", "M": "mờ", "N": "nờ",
    "O": "o", "Ô": "ô", "Ơ": "ơ", "P": "pê", "Q": "quy", "R": "rờ", "S": "ét", "T": "tê", "U": "u",
    "Ư": "ư", "V": "vê", "W": "vê kép", "X": "ích", "Y": "i", "Z": "dét",
}

# Words after which a Roman numeral is a number: "Khóa XIII", "Đại hội XIV", "Chương II".
# Matched case-insensitively, so headings in capitals ("KHÓA XIII") are read too.
_ROMAN_CONTEXT = (
    r"(?i:khóa|khoá|đại hội|phần|chương|mục|tiểu mục|hội nghị trung ương|hội nghị|quyển|tập|đợt|"
    r"quý|thế kỷ|phụ lục|quốc hội)"
)
# Words that make "N-M" a range and "N/M" a fraction: counted things, units, "số", "tổng".
_COUNTED = frozenset({
    "người", "đảng", "đồng", "đại", "hộ", "khẩu", "lần", "năm", "tháng", "tuần", "giờ", "phút", "buổi",
    "chi", "xã", "phường", "thôn", "bản", "tổ", "cuộc", "tiết", "trang", "điểm", "bài", "lớp", "câu", "học",
    "thành", "cán", "số", "tổng", "phần", "em", "cháu", "tỷ", "triệu", "nghìn", "ngàn", "trăm", "ha", "km",
    "tấn", "kg", "lượt", "ý", "văn", "nghị", "chỉ", "hội", "cơ", "đơn", "doanh", "gia", "đoàn", "công",
    "hợp", "trường", "tiêu", "lao", "hạng", "suất", "viên", "%",
})
# Nouns after a slash that make it "per": "đồng/người/năm" → "đồng mỗi người mỗi năm".
_PER = (
    r"(?:người|năm|tháng|ngày|tuần|quý|hộ|khẩu|giờ|phút|lần|ha|héc ta|km|ki lô mét|tấn|kg|ki lô gam|"
    r"đảng viên|buổi|lượt|xã|thôn|bản|chi bộ|lớp|suất|con|cây|sào|mẫu)"
)
_UNITS = {
    "km²": "ki lô mét vuông", "km2": "ki lô mét vuông", "m²": "mét vuông", "m2": "mét vuông",
    "m³": "mét khối", "m3": "mét khối", "ha": "héc ta", "km/h": "ki lô mét một giờ", "km": "ki lô mét",
    "cm": "xăng ti mét", "mm": "mi li mét", "m": "mét", "kg": "ki lô gam", "kWh": "ki lô oát giờ",
    "MW": "mê ga oát", "°C": "độ xê", "tr.đ": "triệu đồng", "trđ": "triệu đồng", "đ": "đồng",
}

_NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+|\d+\.\d+|\d+"
_SLASH_DATE = r"\d{1,2}/\d{1,2}(?:/\d{4})?|\d{1,2}-\d{1,2}-\d{4}"
_CLOCK = r"\d{1,2}[hH](?:[0-5]\d)?(?![\w])|\d{1,2}:[0-5]\d"
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


# ---------------------------------------------------------------- dictionaries


def load_abbreviations(path: str | Path | None = None, *, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The default dictionary (or `base`) with an operator's TSV file (abbreviation TAB spoken
    form, "#" comments) merged over it: its entries add to and override the defaults."""
    merged = dict(_default_abbreviations() if base is None else base)
    if path is not None:
        merged.update(read_tsv(Path(path)))
    return merged


def read_tsv(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "\t" not in line:
            continue
        key, value = line.split("\t", 1)
        key, value = unicodedata.normalize("NFC", key.strip()), unicodedata.normalize("NFC", value.strip())
        if key and value:
            entries[key] = value
    return entries


@lru_cache(maxsize=1)
def _default_abbreviations() -> dict[str, str]:
    return read_tsv(DEFAULT_ABBREVIATIONS_FILE)


@lru_cache(maxsize=1)
def _issuers() -> dict[str, str]:
    return read_tsv(ISSUERS_FILE)


@dataclass(frozen=True)
class _Dictionary:
    words: Mapping[str, str]
    pattern: re.Pattern[str] | None


@lru_cache(maxsize=8)
def _compiled(entries: tuple[tuple[str, str], ...]) -> _Dictionary:
    words = dict(entries)
    if not words:
        return _Dictionary(words, None)
    keys = sorted(words, key=len, reverse=True)  # longest first: "BCHTW" before "BCH"
    # Bounded by anything but letters, digits, "&", "-" (parts of longer abbreviations such as
    # "GD&ĐT", "KT-XH") and a dot inside a word ("TP.HCM").
    pattern = re.compile(r"(?<![\w.&-])(" + "|".join(map(re.escape, keys)) + r")(?![\w&-]|\.\w)")
    return _Dictionary(words, pattern)


def _dictionary(abbreviations: Mapping[str, str]) -> _Dictionary:
    return _compiled(tuple(sorted(abbreviations.items())))


# ---------------------------------------------------------------- helpers


def spell(letters: str) -> str:
    """Letter names, for codes nobody taught us: "XYZ" → "ích i dét"."""
    return " ".join(LETTER_NAMES.get(ch.upper(), ch) for ch in letters if ch.isalnum())


def _previous_word(text: str, position: int) -> str:
    match = re.search(r"(\w+)\W*$", text[max(0, position - 40) : position])
    return match.group(1).lower() if match else ""


def _next_word(text: str, position: int) -> str:
    match = re.match(r"\s*(%|\w+)", text[position : position + 40])
    return match.group(1).lower() if match else ""


def _number_words(token: str) -> str:
    """A written number: "1.500.000", "3,5", "2.3" (a section number), "42"."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        token = token.replace(".", "")
    if "," in token:
        whole, fraction = token.split(",", 1)
        return read_decimal(whole, fraction)
    if "." in token:  # not a thousands separator: a section number ("mục 2.3") or a stray decimal point
        whole, fraction = token.split(".", 1)
        return read_decimal(whole, fraction, mark="chấm")
    return read_number(int(token))


def _valid_date(day: int, month: int) -> bool:
    return 1 <= day <= 31 and 1 <= month <= 12


def _spoken_date(day: int, month: int, year: int | None, *, with_ngay: bool) -> str:
    words = f"ngày {read_number(day)}" if with_ngay else read_number(day)
    words += f" tháng {read_month(month)}"
    if year is not None:
        words += f" năm {read_number(year)}"
    return words


# ---------------------------------------------------------------- passes


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"[\u200b\u200c\u200d\ufeff]", "", text)
    text = _SPACES.sub(" ", text).replace("…", "...").replace("–", "-").replace("—", "-")
    # List bullets at the start of a line: a pause is enough, the symbol is not read.
    return re.sub(r"(?m)^[ ]*(?:[-+•▪●○◦*]|\u2022)[ ]+", "", text)


_KINDS = "|".join(sorted(map(re.escape, DOCUMENT_KINDS), key=len, reverse=True))
_ISSUER_PART = r"[A-ZĐƯ][^\W\d_]*\d*"  # letters, then digits for a legislature: "TW", "ThU", "QH13"
_DOCUMENT_CODE = re.compile(
    rf"(?<![\w/.])(?P<number>\d+)(?:/(?P<year>(?:19|20)\d{{2}}))?\s*(?P<sep>[-/])\s*(?P<kind>{_KINDS})"
    rf"\s*[-/]\s*(?P<issuer>{_ISSUER_PART}(?:[-/]{_ISSUER_PART})*)(?![\w])"
)
_LAW_CODE = re.compile(rf"(?<![\w/.])(\d+)/((?:19|20)\d{{2}})/({_ISSUER_PART})(?![\w/])")
_UNIT_AFTER_NUMBER = re.compile(
    r"(\d|\b(?:trăm|nghìn|ngàn|triệu|tỷ))\s*(" + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
    + r")(?![\w²³])"
)


def _document_codes(text: str, dictionary: _Dictionary) -> str:
    """21-NQ/TW, 339-QĐ/TW, 151/NQ-HĐBCQG, 100/2019/NĐ-CP, and laws: 15/2012/QH13."""

    def replace(match: re.Match[str]) -> str:
        kind = match["kind"]
        kind_words = DOCUMENT_KINDS[kind]
        if kind == "QĐ":
            kind_words = _qd_reading(match.string[: match.start()], state_style=match["sep"] == "/")
        spoken = read_number(int(match["number"]))
        if match["year"]:
            spoken += f" năm {read_number(int(match['year']))}"
        return f"{spoken} {kind_words} {_issuer_words(match['issuer'], dictionary.words)}"

    text = _DOCUMENT_CODE.sub(replace, text)

    def law(match: re.Match[str]) -> str:
        number, year, issuer = int(match[1]), int(match[2]), match[3]
        return f"{read_number(number)} năm {read_number(year)} {_issuer_words(issuer, dictionary.words)}"

    return _LAW_CODE.sub(law, text)


def _qd_reading(before: str, *, state_style: bool) -> str:
    """QĐ is "quy định" or "quyết định": the nearer of the two words just before the code decides;
    without one, party codes (339-QĐ/TW) are regulations and state codes (1234/QĐ-UBND) decisions."""
    window = before[-40:].lower()
    decision, regulation = window.rfind("quyết định"), window.rfind("quy định")
    if decision != regulation:
        return "quyết định" if decision > regulation else "quy định"
    return "quyết định" if state_style else "quy định"


def _issuer_words(code: str, abbreviations: Mapping[str, str]) -> str:
    return " ".join(_issuer_part(part, abbreviations) for part in re.split(r"[-/]", code) if part)


def _issuer_part(part: str, abbreviations: Mapping[str, str]) -> str:
    letters, digits = re.fullmatch(r"(\D*)(\d*)", part).groups()  # type: ignore[union-attr]
    if digits:  # "QH13": the thirteenth National Assembly
        words = _issuer_part(letters, abbreviations)
        return f"{words} khóa {read_number(int(digits))}" if letters == "QH" else f"{words} {read_number(int(digits))}"
    issuers = _issuers()
    for table in (issuers, abbreviations, DOCUMENT_KINDS):
        if part in table:
            return table[part]
    # "BTCTU", "VPHU": a known head and a known tail ("ban tổ chức" + "tỉnh ủy").
    for cut in range(len(part) - 1, 0, -1):
        head, tail = part[:cut], part[cut:]
        head_words = abbreviations.get(head) or issuers.get(head)
        if head_words and (tail in abbreviations or tail in issuers):
            return f"{head_words} {_issuer_part(tail, abbreviations)}"
    return spell(part)


def _abbreviations(text: str, dictionary: _Dictionary) -> str:
    if dictionary.pattern is None:
        return text

    def replace(match: re.Match[str]) -> str:
        spoken = dictionary.words[match.group(1)]
        before = match.string[: match.start()].rstrip(" ")
        if not before or before[-1] in ".!?\n":  # a sentence starts with it: keep the capital
            spoken = spoken[:1].upper() + spoken[1:]
        return spoken

    return dictionary.pattern.sub(replace, text)


def _phones_and_identifiers(text: str) -> str:
    """Phone numbers, hotlines and long identifiers (citizen ID, card numbers) digit by digit."""

    def phone(match: re.Match[str]) -> str:
        spoken = read_digits(match.group(0).removeprefix("+"))
        return "cộng " + spoken if match.group(0).startswith("+") else spoken

    text = re.sub(r"(?<![\w.,+])(?:\+84[ .]?|0)(?:\d[ .]?){8,9}\d(?!\d|[.,]\d)", phone, text)
    text = re.sub(r"(?<![\w.,])1[89]00[ .]?\d{4}(?:\d{2})?(?!\d|[.,]\d)", phone, text)
    return re.sub(r"(?<![\w.,])(?:0\d{2,}|\d{10,})(?!\w|[.,]\d)", phone, text)


def _dates(text: str) -> str:
    # Ranges first, while the dates are still digits: "1/7 - 15/7", "ngày 1-5/7".
    text = re.sub(rf"(?<![\w/.])({_SLASH_DATE})\s*-\s*(?=(?:{_SLASH_DATE})(?![\w/]))", r"\1 đến ", text)

    def day_range(match: re.Match[str]) -> str:
        lead = "" if _previous_word(match.string, match.start()) in ("ngày", "mùng", "mồng") else "ngày "
        return f"{lead}{match[1]} đến "

    text = re.sub(r"(?<![\w/.,])(\d{1,2})\s*-\s*(?=\d{1,2}/\d{1,2}(?!\d))", day_range, text)

    def full(match: re.Match[str]) -> str:
        day, month, year = int(match["day"]), int(match["month"]), int(match["year"])
        if not _valid_date(day, month):
            return match.group(0)
        has_ngay = _previous_word(match.string, match.start()) in ("ngày", "mùng", "mồng")
        return _spoken_date(day, month, year, with_ngay=not has_ngay)

    text = re.sub(r"(?<![\w/.,])(?P<day>\d{1,2})(?P<sep>[/.-])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4})(?!\w)", full, text)

    def month_year(match: re.Match[str]) -> str:
        if not 1 <= int(match[2]) <= 12:
            return match.group(0)
        return f"{match[1]} {read_month(int(match[2]))} năm {read_number(int(match[3]))}"

    text = re.sub(r"\b([Tt]háng)\s+(\d{1,2})\s*[/-]\s*(\d{4})\b", month_year, text)

    def quarter_year(match: re.Match[str]) -> str:
        value = roman_to_int(match[2]) if not match[2].isdigit() else int(match[2])
        if value is None or not 1 <= value <= 4:
            return match.group(0)
        return f"{match[1]} {read_number(value)} năm {read_number(int(match[3]))}"

    text = re.sub(r"\b([Qq]uý)\s+([IV]+|\d)\s*[/-]\s*(\d{4})\b", quarter_year, text)
    text = re.sub(r"\b([Tt]háng)\s+(\d{1,2})\b(?![.,]\d)", lambda m: f"{m[1]} {read_month(int(m[2]))}"
                  if 1 <= int(m[2]) <= 12 else m.group(0), text)
    return re.sub(r"(?<![\w/.,-])(\d{1,2})([/-])(\d{1,2})(?![\w/%]|[.,-]\d|\s*%)", _day_month_or_not, text)


def _day_month_or_not(match: re.Match[str]) -> str:
    """ "3/2", "29-10": a day and month, unless a counted noun follows, which makes a range
    ("từ 5-7 người"), a fraction ("2/3 số đại biểu") or a tally ("19/21 đồng chí"). Only "ngày"
    or "mùng" just before makes it a date whatever follows."""
    first, separator, second = int(match[1]), match[2], int(match[3])
    previous = _previous_word(match.string, match.start())
    after_day_word = previous in ("ngày", "mùng", "mồng")
    counted = _next_word(match.string, match.end()) in _COUNTED
    if _valid_date(first, second) and (after_day_word or not counted):
        return _spoken_date(first, second, None, with_ngay=not after_day_word)
    if separator == "-":
        return f"{read_number(first)} đến {read_number(second)}"
    if first < second <= 10:  # a true fraction: "hai phần ba"
        return f"{read_number(first)} phần {read_number(second)}"
    return f"{read_number(first)} trên {read_number(second)}"  # a tally: "mười chín trên hai mươi mốt"


def _times(text: str) -> str:
    text = re.sub(rf"(?<![\w.,])({_CLOCK})\s*-\s*(?=(?:{_CLOCK}))", r"\1 đến ", text)

    def clock(match: re.Match[str]) -> str:
        hour, minute = int(match[1]), int(match[2] or 0)
        if hour > 24:
            return match.group(0)
        spoken = f"{read_number(hour)} giờ"
        return f"{spoken} {read_number(minute)} phút" if minute else spoken

    text = re.sub(r"(?<![\w.,])(\d{1,2})[hH]([0-5]\d)?['’]?(?!\w)", clock, text)
    text = re.sub(r"(?<![\w.,:])(\d{1,2}):([0-5]\d)(?!:?\d)", clock, text)
    # "7 giờ 30'": the apostrophe is minutes.
    return re.sub(r"(\bgiờ\s+\d{1,2})\s*['’]", r"\1 phút", text)


def _roman(text: str) -> str:
    def after_context(match: re.Match[str]) -> str:
        value = roman_to_int(match[2])
        return match.group(0) if value is None else f"{match[1]} {read_number(value)}"

    text = re.sub(rf"({_ROMAN_CONTEXT})\s+({ROMAN_NUMERAL})(?![\w'’])", after_context, text)

    def ordinal(match: re.Match[str]) -> str:
        value = roman_to_int(match[2])
        return match.group(0) if value is None else f"{match[1]} {read_ordinal(value)}"

    text = re.sub(rf"(\b[Tt]hứ|\bTHỨ)\s+({ROMAN_NUMERAL})(?![\w'’])", ordinal, text)

    def heading(match: re.Match[str]) -> str:
        value = roman_to_int(match[1])
        return match.group(0) if value is None else f"{read_number(value).capitalize()}."

    # Section headings: "I. MỤC ĐÍCH, YÊU CẦU", "II- NHIỆM VỤ".
    return re.sub(rf"(?m)^({ROMAN_NUMERAL})\s*[.)-](?=\s)", heading, text)


def _numbers(text: str) -> str:
    text = re.sub(r"(\b[Tt]hứ|\bTHỨ)\s+(\d+)(?![\w.,/]\d|\w)", lambda m: f"{m[1]} {read_ordinal(int(m[2]))}", text)
    # Ranges: "10-15 người", "2020-2025", "10-15%".
    text = re.sub(rf"(?<![\w/.,-])({_NUMBER})\s*-\s*(?=(?:{_NUMBER})(?![\w/-]))", r"\1 đến ", text)
    text = re.sub(rf"({_NUMBER})\s*%", lambda m: f"{_number_words(m[1])} phần trăm", text)
    text = _UNIT_AFTER_NUMBER.sub(lambda m: f"{m[1]} {_UNITS[m[2]]}", text)
    # Spaces around: "4G", "F0" must not glue a word to a letter; extra spaces are collapsed later.
    return re.sub(_NUMBER, lambda m: f" {_number_words(m.group(0))} ", text)


def _symbols(text: str) -> str:
    text = re.sub(r"\bvà\s*/\s*hoặc\b", "và hoặc", text)
    text = re.sub(rf"(?<=\w)\s*/\s*(?={_PER}\b)", " mỗi ", text)
    text = text.replace("/", ", ").replace("&", " và ")
    # Brackets become pauses; quotes, markup and decorations are not read at all.
    text = re.sub(r"[ \t]*[()\[\]][ \t]*", ", ", text)
    text = re.sub(r"[\"“”‘’'«»*#_~|•▪●→]", "", text)
    text = _SPACES.sub(" ", text)
    text = re.sub(r" +([,.;:!?])", r"\1", text)
    text = re.sub(r",(?:[ \t]*,)+", ",", text)  # ", ," left by brackets next to commas
    text = re.sub(r",[ \t]*([.;:!?])", r"\1", text)
    text = re.sub(r"(?m)^[ \t]*,[ \t]*", "", text)
    text = re.sub(r"(?m),[ \t]*$", "", text)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def normalize(text: str, *, abbreviations: Mapping[str, str] | None = None) -> str:
    """The spoken form of Vietnamese `text`: numbers, dates, times, codes and abbreviations as
    words. Sentence punctuation and line breaks stay, so the voice pauses where a reader would.

    `abbreviations` replaces the default dictionary (see `load_abbreviations` to extend it)."""
    dictionary = _dictionary(_default_abbreviations() if abbreviations is None else abbreviations)
    text = _clean(text)
    text = _document_codes(text, dictionary)
    text = _abbreviations(text, dictionary)
    text = _phones_and_identifiers(text)
    text = _dates(text)
    text = _times(text)
    text = _roman(text)
    text = _numbers(text)
    return _symbols(text)
