"""The buttons of a notice's or conclusions' reading, for the modules that send them (a leaf: it
imports nothing that sends, so notices and meetings can use it without an import cycle)."""

from __future__ import annotations

from core import texts
from core.ports import Button
from core.listening.models import SubjectKind

SUBJECT_PREFIX = "rs"  # callback data: rs:<action>:<kind>:<subject_id>:[<language>] (bot/routers/recordings/subjects.py)


def record_button(kind: str, subject_id: int) -> Button:
    """«🎙 Ghi âm …» for the author or whoever leads: choose a language, then send a voice message."""
    label = texts.recordings.BTN_RECORD_NOTICE if kind == SubjectKind.NOTICE else texts.recordings.BTN_RECORD_CONCLUSIONS
    return Button(label, f"{SUBJECT_PREFIX}:open:{kind}:{subject_id}:")


def listen_button(kind: str, subject_id: int) -> Button:
    """«🔊 Nghe» for a member: a person's reading in their language, else Vietnamese, else the machine voice."""
    return Button(texts.recordings.BTN_LISTEN, f"{SUBJECT_PREFIX}:listen:{kind}:{subject_id}:")
