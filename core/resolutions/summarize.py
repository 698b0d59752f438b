"""A draft summary: the 5–8 sentences of a document that carry the most, in their original order.

Extractive, so every sentence is the document's own words (the publisher edits or replaces it).

1. **Sentences.** Split at . ! ? … ; followed by a capital, a digit, an opening quote or a
   bracket, and at line breaks; abbreviations ("TP.", "TS.", "v.v.", "Tp.") and numbers
   ("1.000", "2.5") do not end a sentence. The letterhead of an official text ("ĐẢNG CỘNG SẢN
   VIỆT NAM", "Số 21-NQ/TW", "Hà Nội, ngày …", lines in capitals) and headings are not candidates.
2. **Scoring.** Vietnamese writes one syllable per word, and most words are two syllables, so a
   sentence's terms are its syllables and syllable pairs, without function words. Each term weighs
   its frequency in the document times log(N / sentences containing it) — TF-IDF with sentences as
   documents. A sentence scores the sum of its distinct terms' weights divided by √length (long
   sentences do not win by size alone), plus a bonus for being early in the text or in its
   paragraph, and for the words that carry a resolution's substance (mục tiêu, nhiệm vụ, giải pháp…).
3. **Choice.** The best sentences, skipping one that repeats a chosen one (term overlap), until
   `target_count` (5 for a short text, up to 8 for a long one) — returned in document order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from core.resolutions.search import fold

MIN_SENTENCES = 5
MAX_SENTENCES = 8
MIN_WORDS = 6
MAX_WORDS = 90
MAX_SUMMARY_CHARS = 3000

_ABBREVIATIONS = frozenset(
    a.lower()
    for a in (
        "TP", "Tp", "TS", "ThS", "PGS", "GS", "BS", "KS", "CN", "Th", "St", "Ô", "Bà", "Mr", "Dr", "v.v", "vv", "tr", "Tr",
        "TT", "Q", "P", "X", "H", "T", "TX", "NXB", "Nxb", "đ", "đ/c", "Đ/c", "số", "No",
    )
)
# Function words: frequent in every sentence, they say nothing about the content.
_STOPWORDS = frozenset(
    fold(w)
    for w in """
    và của các là có được trong cho với những một này đã để theo về từ đến tại trên khi không phải cũng như thì mà
    nhưng hoặc do bị sẽ đang vào ra lên xuống rằng nào gì ai đây đó kia nên nếu vì bởi qua hơn rất mỗi cùng nhau
    ở lại còn đều chỉ vẫn hay hoặc thêm nhiều ít vậy thế các việc sự cuộc nhằm đối số ngày tháng năm
    """.split()
)
_SUBSTANCE = tuple(
    fold(w)
    for w in (
        "mục tiêu", "nhiệm vụ", "giải pháp", "quan điểm", "yêu cầu", "phấn đấu", "chỉ tiêu", "đến năm", "tập trung",
        "trọng tâm", "đột phá", "chủ trương", "kết luận", "quyết định", "thống nhất", "triển khai", "thực hiện",
    )
)
_LETTERHEAD = re.compile(
    r"^(đảng cộng sản việt nam|ban chấp hành trung ương|bộ chính trị|ban bí thư|cộng hòa xã hội|độc lập - tự do|"
    r"số\s*[:\d]|\*+$|nơi nhận|t/m|tm\.|k/t|kt\.|(hà nội|.{0,40}), ngày \d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    index: int
    text: str
    paragraph: int
    first_in_paragraph: bool


def _protect(text: str) -> str:
    """Hide the dots that do not end a sentence behind a marker."""
    text = re.sub(r"(?<=\d)\.(?=\d)", "\x00", text)  # 1.000, 2.5
    text = re.sub(r"(?<=\d),(?=\d)", "\x01", text)

    def abbreviation(match: re.Match[str]) -> str:
        word = match.group(1)
        return f"{word}\x00" if word.lower() in _ABBREVIATIONS else match.group(0)

    text = re.sub(r"(?<![\w.])([\w/]{1,4})\.", abbreviation, text)
    return text


def _restore(text: str) -> str:
    return text.replace("\x00", ".").replace("\x01", ",")


_BOUNDARY = re.compile(r"(?<=[.!?…;])[\"”’)\]]*\s+(?=[\"“‘(\[]?[0-9A-ZÀ-ỸĐ])")


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    paragraph = 0
    for block in re.split(r"\n\s*\n|\n", text):
        block = block.strip()
        if not block:
            continue
        paragraph += 1
        pieces = _BOUNDARY.split(_protect(block))
        for position, piece in enumerate(pieces):
            piece = _restore(piece).strip()
            if piece:
                sentences.append(Sentence(index=len(sentences), text=piece, paragraph=paragraph, first_in_paragraph=position == 0))
    return sentences


def _is_candidate(sentence: Sentence) -> bool:
    text = sentence.text
    words = text.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    if _LETTERHEAD.match(text):
        return False
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) / len(letters) > 0.6:  # a heading in capitals
        return False
    if not re.search(r"[.!?…;:]$", text) and len(words) < 12:  # a short heading without a full stop
        return False
    return True


def _terms(sentence: str) -> set[str]:
    syllables = [s for s in fold(sentence).split() if not s.isdigit() or len(s) >= 2]
    content = [s for s in syllables if s not in _STOPWORDS]
    pairs = {f"{a} {b}" for a, b in zip(syllables, syllables[1:], strict=False) if a not in _STOPWORDS or b not in _STOPWORDS}
    return set(content) | pairs


def target_count(candidates: int) -> int:
    return max(MIN_SENTENCES, min(MAX_SENTENCES, 4 + candidates // 25))


def summarize(text: str, *, count: int | None = None) -> str:
    """The draft summary: one sentence a line (easier on a phone and read aloud), in document order."""
    sentences = split_sentences(text)
    candidates = [s for s in sentences if _is_candidate(s)]
    if not candidates:
        candidates = [s for s in sentences if len(s.text.split()) >= 3]
    if not candidates:
        return ""
    wanted = count or target_count(len(candidates))
    if len(candidates) <= wanted:
        return _join(candidates)
    term_sets = {s.index: _terms(s.text) for s in candidates}
    frequency: Counter[str] = Counter()
    containing: Counter[str] = Counter()
    for terms in term_sets.values():
        containing.update(terms)
    for s in candidates:
        frequency.update(t for t in _all_terms(s.text))
    total = len(candidates)
    weight = {term: frequency[term] * math.log(1 + total / containing[term]) for term in containing}
    last = max(s.index for s in candidates) or 1
    scored: list[tuple[float, Sentence]] = []
    for s in candidates:
        terms = term_sets[s.index]
        length = max(len(s.text.split()), 1)
        score = sum(weight[t] for t in terms) / math.sqrt(length)
        bonus = 1.0
        bonus += 0.25 * (1 - s.index / last)  # earlier sentences frame the rest
        if s.first_in_paragraph:
            bonus += 0.1
        folded = fold(s.text)
        if any(marker in folded for marker in _SUBSTANCE):
            bonus += 0.2
        scored.append((score * bonus, s))
    scored.sort(key=lambda item: (-item[0], item[1].index))
    chosen: list[Sentence] = []
    for _, s in scored:
        if any(_overlap(term_sets[s.index], term_sets[c.index]) > 0.6 for c in chosen):
            continue
        chosen.append(s)
        if len(chosen) == wanted:
            break
    chosen.sort(key=lambda s: s.index)
    return _join(chosen)


def _all_terms(sentence: str) -> list[str]:
    syllables = fold(sentence).split()
    content = [s for s in syllables if s not in _STOPWORDS]
    return content + [f"{a} {b}" for a, b in zip(syllables, syllables[1:], strict=False) if a not in _STOPWORDS or b not in _STOPWORDS]


def _overlap(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _join(sentences: list[Sentence]) -> str:
    out: list[str] = []
    size = 0
    for s in sentences:
        if size + len(s.text) + 1 > MAX_SUMMARY_CHARS:
            break
        out.append(s.text)
        size += len(s.text) + 1
    return "\n".join(out)
