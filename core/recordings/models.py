"""The recording tables live in core.listening.models (below publishing and this workflow alike);
the names stay importable from here for this domain's callers."""

from core.listening.models import (
    DEFAULT_LANGUAGES,
    VIETNAMESE,
    Recording,
    RecordingReader,
    RecordingReminder,
    SubjectKind,
    VoiceLanguage,
    insert_default_languages,
)

__all__ = [
    "DEFAULT_LANGUAGES", "VIETNAMESE", "Recording", "RecordingReader", "RecordingReminder", "SubjectKind", "VoiceLanguage",
    "insert_default_languages",
]
