"""Languages members can listen in, recordings of a text in one language, named readers, and the
once-only reminder to record a published resolution."""

from __future__ import annotations

import datetime as dt

from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, event, insert
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow

VIETNAMESE = "vi"
# The first list (the migration 9c3f1a7e5b24 writes the same rows); the committee adds more.
DEFAULT_LANGUAGES = (
    ("vi", "Tiếng Việt", 0),
    ("hmong", "Tiếng Hmông", 10),
    ("thai", "Tiếng Thái", 20),
    ("dao", "Tiếng Dao", 30),
    ("tay", "Tiếng Tày", 40),
    ("nung", "Tiếng Nùng", 50),
    ("khmer", "Tiếng Khmer", 60),
)


class VoiceLanguage(Base):
    """A language recordings can be made in. Vietnamese is always there; the committee adds more."""

    __tablename__ = "voice_languages"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)  # "vi", "hmong", ...
    name: Mapped[str] = mapped_column(String(64), unique=True)  # "Tiếng Hmông"
    position: Mapped[int] = mapped_column(Integer, default=100)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def insert_default_languages(connection: Any) -> None:
    """The first list, into an empty table (a synchronous connection)."""
    now = dt.datetime.now(dt.timezone.utc)
    connection.execute(insert(VoiceLanguage),
                       [{"code": c, "name": n, "position": p, "created_at": now} for c, n, p in DEFAULT_LANGUAGES])


@event.listens_for(VoiceLanguage.__table__, "after_create")
def _first_languages(table: Any, connection: Any, **_: Any) -> None:
    """A schema made from the models (tests, `create_all`) starts with the list the migration writes."""
    insert_default_languages(connection)


class SubjectKind:
    """What a recording reads out. Only documents (their summary, also the text of a study) are
    delivered as recordings so far; the others are reserved names."""

    DOCUMENT = "document"
    NOTICE = "notice"
    CONCLUSIONS = "conclusions"


class Recording(Base):
    """One recording of a subject in one language; a new one replaces it (same row, new file)."""

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id", "language"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(BigIntPK)
    language: Mapped[str] = mapped_column(ForeignKey("voice_languages.code"))
    path: Mapped[str] = mapped_column(String(512))  # OGG/Opus under DATA_DIR/recordings, by content hash
    sha256: Mapped[str] = mapped_column(String(64))
    duration: Mapped[int] = mapped_column(Integer)  # whole seconds
    size: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def cache_key(self) -> str:
        """The outbox attachment's key: the platform's file id is remembered under it."""
        return f"rec:{self.sha256}"


class RecordingReader(Base):
    """A member the secretary asked to read a subject aloud (they may then record it)."""

    __tablename__ = "recording_readers"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id", "member_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(BigIntPK)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    named_by_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecordingReminder(Base):
    """The one reminder to record a published document: its row is what makes it once-only."""

    __tablename__ = "recording_reminders"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class VoicePresynthesis(Base):
    """A subject whose synthetic readings are to be made before anyone taps «🔊» (one row per
    subject; queued again when its text changes). The worker claims it with a lease, renders the
    variants its listeners chose into the audio cache, and marks it done only if it was not queued
    again meanwhile: a restart leaves the row due, and the variants already cached cost nothing."""

    __tablename__ = "voice_presyntheses"

    subject_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)  # +1 each time it is queued again
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
