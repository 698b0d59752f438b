"""Recordings of a document's summary by a person, in the languages the committee lists.

Who hears what is one rule, `core.listening.choice.choose` (publishing applies it too).

Recording is two steps, like publishing with a synthetic voice: the caller prepares the audio
outside any transaction (`core.recordings.audio.prepare_recording`, in a thread), then
`add_recording()` checks who asks, stores the file by content, writes the row and, for a published
document, queues the recording in the outbox for every listener it now serves — all in the
caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.delivery.outbox import enqueue, enqueue_many
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.orgs.models import Member, Org
from core.orgs.service import Actor, in_subtree, receives_notices
from core.ports import Button, OutboundMessage
from core.recordings.audio import PreparedAudio
from core.listening.choice import (
    choose,
    language_names,
    languages,
    recording_for,
    recordings_of,
    recordings_of_subject,
    served_by,
    split_by_recording,
)
from core.listening.models import Recording, RecordingReader, SubjectKind, VoiceLanguage
from core.resolutions.models import Document, DocumentState
from core.resolutions.render import caption, kind_word, recording_message
from core.storage import store_by_content

# Who hears which recording (core.listening) and a recording's message (core.resolutions.render)
# live below both this workflow and publishing; named here too for this domain's callers (bot, api).
__all__ = [
    "caption", "choose", "language_names", "languages", "recording_for", "recording_message", "recordings_of",
    "recordings_of_subject", "served_by", "split_by_recording",
]

KIND = "resolution"  # the outbox kind of a document's messages (core.resolutions.service.KIND)
RECORD_PREFIX = "rec"  # callback data of the recording flow: rec:<action>:<document_id>[:<language>]


@dataclass(frozen=True)
class RecordingResult:
    recording: Recording
    language_name: str
    queued: int  # listeners it was sent to now (0 for a draft: it goes out with the publication)
    published: bool


# ---------------------------------------------------------------- languages


def _code_for(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.lower().replace("đ", "d"))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    plain = re.sub(r"^tieng\s+", "", plain)
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:16] or "x"


async def add_language(session: AsyncSession, *, actor: Actor, name: str, now: dt.datetime) -> VoiceLanguage:
    """A committee member adds a language to the list every member chooses from."""
    if not actor.is_committee_member:
        raise PermissionDenied(texts.recordings.NOT_COMMITTEE)
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= 60:
        raise InvalidInput(texts.recordings.LANGUAGE_NAME_INVALID)
    if not name.lower().startswith("tiếng"):
        name = f"Tiếng {name}"
    code = _code_for(name)
    existing = await session.scalar(
        select(VoiceLanguage).where((VoiceLanguage.code == code) | (func.lower(VoiceLanguage.name) == name.lower()))
    )
    if existing is not None:
        raise Conflict(texts.recordings.LANGUAGE_EXISTS)
    position = int(await session.scalar(select(func.max(VoiceLanguage.position))) or 0) + 10
    language = VoiceLanguage(code=code, name=name, position=position, created_at=now)
    session.add(language)
    await session.flush()
    return language


async def set_listen_language(session: AsyncSession, *, member: Member, code: str, now: dt.datetime) -> VoiceLanguage:
    """👤 Hồ sơ: the language this member listens in."""
    language = await session.get(VoiceLanguage, code)
    if language is None:
        raise InvalidInput(texts.recordings.UNKNOWN_LANGUAGE)
    member.listen_language = code
    member.updated_at = now
    await session.flush()
    return language


# ---------------------------------------------------------------- recordings of a document


async def keep_recording(
    session: AsyncSession, *, kind: str, subject_id: int, language: str, audio: PreparedAudio, store_dir: str | Path,
    recorded_by_id: int, now: dt.datetime,
) -> Recording:
    """Store the file by content and write (or replace) the subject's row for that language: a
    document's, a notice's or conclusions' (core.recordings.subjects)."""
    path = store_by_content(store_dir, audio.data, extension=".ogg")
    recording = await session.scalar(
        select(Recording).where(Recording.subject_kind == kind, Recording.subject_id == subject_id, Recording.language == language)
    )
    if recording is None:
        recording = Recording(subject_kind=kind, subject_id=subject_id, language=language)
        session.add(recording)
    recording.path, recording.sha256 = str(path), audio.sha256
    recording.duration, recording.size = audio.duration, len(audio.data)
    recording.recorded_by_id, recording.created_at = recorded_by_id, now
    await session.flush()
    return recording


def record_button(document_id: int) -> Button:
    return Button(texts.recordings.BTN_RECORD, f"{RECORD_PREFIX}:open:{document_id}:")  # bot/routers/recordings/ RecCb


async def _reach(session: AsyncSession, document: Document) -> Org:
    org = await session.get(Org, document.org_id)
    if org is None:
        raise NotFound(texts.common.NOT_FOUND)
    return org


async def recordable(session: AsyncSession, *, actor: Actor, document_id: int) -> Document:
    """A document this person may record: its author (draft or published), a manager of the
    organisation it went to, or a member named as its reader. NotFound for what they cannot see."""
    document = await session.get(Document, document_id)
    if document is None or document.state == DocumentState.WITHDRAWN:
        raise NotFound(texts.common.NOT_FOUND)
    if document.created_by_id == actor.member.id:
        return document
    if document.state != DocumentState.PUBLISHED:
        raise NotFound(texts.common.NOT_FOUND)
    org = await _reach(session, document)
    if actor.manages(org):
        return document
    named = await session.scalar(
        select(RecordingReader.id).where(
            RecordingReader.subject_kind == SubjectKind.DOCUMENT, RecordingReader.subject_id == document.id,
            RecordingReader.member_id == actor.member.id,
        )
    )
    if named is not None:
        return document
    raise actor.refusal(org, texts.recordings.NOT_ALLOWED)


def listeners_query(document: Document, org: Org):  # type: ignore[no-untyped-def]
    """Recipients of the document who want to listen (voice on), its publisher excepted."""
    query = select(Member.id, Member.listen_language).join(Org, Org.id == Member.org_id).where(
        in_subtree(org.path), receives_notices(), Member.voice_enabled
    )
    if document.published_by_id is not None:
        query = query.where(Member.id != document.published_by_id)
    return query


async def add_recording(
    session: AsyncSession, *, actor: Actor, document_id: int, language: str, audio: PreparedAudio, store_dir: str | Path,
    now: dt.datetime,
) -> RecordingResult:
    """Keep the recording (a new one in the same language replaces the old) and, when the document
    is published, send it now to every listener it serves: those of that language, and for
    Vietnamese also those whose own language has no recording."""
    document = await recordable(session, actor=actor, document_id=document_id)
    names = await language_names(session)
    if language not in names:
        raise InvalidInput(texts.recordings.UNKNOWN_LANGUAGE)
    if not document.summary.strip():
        raise InvalidInput(texts.recordings.NO_SUMMARY)
    recording = await keep_recording(session, kind=SubjectKind.DOCUMENT, subject_id=document.id, language=language, audio=audio,
                                     store_dir=store_dir, recorded_by_id=actor.member.id, now=now)
    queued = 0
    published = document.state == DocumentState.PUBLISHED
    if published:
        queued = await _send_to_listeners(session, document=document, recording=recording, language_name=names[language], now=now)
    return RecordingResult(recording=recording, language_name=names[language], queued=queued, published=published)


async def _send_to_listeners(
    session: AsyncSession, *, document: Document, recording: Recording, language_name: str, now: dt.datetime
) -> int:
    org = await _reach(session, document)
    recordings = await recordings_of(session, document_id=document.id)
    listeners = [(member_id, spoken) for member_id, spoken in (await session.execute(listeners_query(document, org))).all()]
    served = served_by(listeners, recordings, recording.language)
    if not served:
        return 0
    result = await enqueue_many(
        session, member_ids=served, kind=KIND, source=f"document:{document.id}",
        message=recording_message(document, recording, language_name),
        # A new recording (new content) goes out again; the same one never twice.
        key_suffix=f"rec-{recording.language}-{recording.sha256[:16]}", not_before=now,
    )
    return result.queued


# ---------------------------------------------------------------- readers


MAX_READER_CHOICES = 30


async def reader_choices(session: AsyncSession, *, actor: Actor, document_id: int) -> list[Member]:
    """Whom the secretary may ask to read (🎙 → 👤 Nhờ người đọc): active members of the document's
    reach, their own cell first, alphabetically, at most MAX_READER_CHOICES."""
    document = await recordable(session, actor=actor, document_id=document_id)
    org = await _reach(session, document)
    if not actor.manages(org) and document.created_by_id != actor.member.id:
        raise actor.refusal(org, texts.recordings.NOT_ALLOWED)
    query = (
        select(Member).join(Org, Org.id == Member.org_id)
        .where(in_subtree(org.path), Member.active, Member.id != actor.member.id)
        .order_by((Member.org_id != actor.member.org_id), Member.full_name).limit(MAX_READER_CHOICES)
    )
    return list((await session.execute(query)).scalars())


async def name_reader(session: AsyncSession, *, actor: Actor, document_id: int, member_id: int, now: dt.datetime) -> Member:
    """The secretary asks a member of the document's reach to record it; the reader is told, with
    the 🎙 button."""
    document = await recordable(session, actor=actor, document_id=document_id)
    org = await _reach(session, document)
    if not actor.manages(org) and document.created_by_id != actor.member.id:
        raise actor.refusal(org, texts.recordings.NOT_ALLOWED)
    reader = await session.scalar(
        select(Member).join(Org, Org.id == Member.org_id).where(Member.id == member_id, Member.active, in_subtree(org.path))
    )
    if reader is None:
        raise InvalidInput(texts.recordings.READER_MUST_BE_IN_REACH)
    exists = await session.scalar(
        select(RecordingReader.id).where(
            RecordingReader.subject_kind == SubjectKind.DOCUMENT, RecordingReader.subject_id == document.id,
            RecordingReader.member_id == reader.id,
        )
    )
    if exists is None:
        session.add(RecordingReader(subject_kind=SubjectKind.DOCUMENT, subject_id=document.id, member_id=reader.id,
                                    named_by_id=actor.member.id, created_at=now))
        await session.flush()
    code = f" {html.escape(document.code)}" if document.code else ""
    message = OutboundMessage(
        text=texts.recordings.READER_ASKED.format(by=html.escape(actor.member.full_name), kind=kind_word(document), code=code,
                                                  title=html.escape(document.title)),
        buttons=((record_button(document.id),),),
    )
    await enqueue(session, member_id=reader.id, kind=KIND, source=f"document:{document.id}", message=message,
                  key_suffix=f"reader-{reader.id}", not_before=now)
    return reader
