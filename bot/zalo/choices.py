"""Numbered choices and the typed replies that select them: "1", " 1 ", "số 1", or an obvious word
(có/không, dự/vắng, đồng ý…), case and spacing forgiven, diacritics optional when unambiguous."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from core import texts
from core.folding import strip_accents

Kind = Literal["callback", "reply", "poll"]
_PUNCTUATION = re.compile(r"[\s.,;:!?…\"'“”‘’()\[\]{}<>«»*_~`#+=/\\|-]+")
_EMOJI_PREFIX = re.compile(r"^[^\w]+", re.UNICODE)


@dataclass(frozen=True)
class Choice:
    number: int
    kind: Kind
    value: str  # callback data, the reply-keyboard text, or the poll option's index
    label: str
    words: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "kind": self.kind, "value": self.value, "label": self.label, "words": list(self.words)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Choice:
        return cls(number=int(data["number"]), kind=data["kind"], value=str(data["value"]), label=data.get("label", ""), words=tuple(data.get("words") or ()))


def normalize(text: str) -> str:
    """Lower case, one space between words, no punctuation; diacritics kept (NFC)."""
    text = unicodedata.normalize("NFC", text).lower()
    return " ".join(part for part in _PUNCTUATION.split(text) if part)


def fold(text: str) -> str:
    """Without diacritics: "vắng" → "vang", "đồng ý" → "dong y"."""
    return strip_accents(text)


def bare_label(label: str) -> str:
    """A button's words without its leading emoji."""
    return _EMOJI_PREFIX.sub("", label).strip() or label.strip()


def words_for(label: str) -> tuple[str, ...]:
    """What selects a choice besides its number: its label, and the table's words for that label."""
    words = [normalize(bare_label(label))]
    words += [normalize(word) for word in texts.conversation.CHOICE_WORDS.get(label, ())]
    return tuple(dict.fromkeys(word for word in words if word))


def numbered(items: Sequence[tuple[Kind, str, str]]) -> list[Choice]:
    """(kind, value, label) in screen order → choices numbered from 1."""
    return [Choice(number=i, kind=kind, value=value, label=label, words=words_for(label)) for i, (kind, value, label) in enumerate(items, start=1)]


_PREFIXES = tuple(sorted((normalize(p) for p in texts.conversation.NUMBER_PREFIXES), key=len, reverse=True))


def typed_number(typed: str) -> int | None:
    """ "1", " 1 ", "số 1", "1." → 1; anything else → None."""
    text = normalize(typed)
    for prefix in _PREFIXES:
        if text.startswith(prefix + " "):
            text = text[len(prefix) + 1 :]
            break
    if re.fullmatch(r"\d{1,3}", text):
        return int(text)
    return None


@dataclass(frozen=True)
class Selection:
    outcome: Literal["chosen", "wrong_number", "ambiguous", "none"]
    choice: Choice | None = None


def select(typed: str, choices: Sequence[Choice]) -> Selection:
    if not choices:
        return Selection("none")
    number = typed_number(typed)
    if number is not None:
        for choice in choices:
            if choice.number == number:
                return Selection("chosen", choice)
        return Selection("wrong_number")
    said = normalize(typed)
    if not said or len(said) > 60:
        return Selection("none")
    for key in (lambda w: w, fold):  # exact first; without diacritics only if that is unambiguous
        hits = {choice.number: choice for choice in choices if key(said) in {key(word) for word in choice.words}}
        if len(hits) == 1:
            return Selection("chosen", next(iter(hits.values())))
        if len(hits) > 1:
            return Selection("ambiguous")
    return Selection("none")
