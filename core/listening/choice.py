"""Which recording a member hears, one rule (`choose`): the member's language if a recording exists
in it, else Vietnamese if recorded, else nothing — and then the synthetic voice, labelled as such."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.listening.models import VIETNAMESE, Recording, SubjectKind, VoiceLanguage


async def languages(session: AsyncSession) -> list[VoiceLanguage]:
    return list((await session.execute(select(VoiceLanguage).order_by(VoiceLanguage.position, VoiceLanguage.name))).scalars())


async def language_names(session: AsyncSession) -> dict[str, str]:
    return {language.code: language.name for language in await languages(session)}


def choose(listen_language: str | None, available: Iterable[str]) -> str | None:
    """The recording a member hears: theirs, else Vietnamese, else None (the synthetic voice)."""
    recorded = set(available)
    if listen_language in recorded:
        return listen_language
    return VIETNAMESE if VIETNAMESE in recorded else None


async def recordings_of_subject(session: AsyncSession, *, kind: str, subject_id: int) -> dict[str, Recording]:
    """A subject's recordings (a document, a notice, a meeting's conclusions) by language; one whose
    file is gone (a partial restore) counts as none, so its listeners get the next best voice
    instead of an error."""
    rows = await session.execute(select(Recording).where(Recording.subject_kind == kind, Recording.subject_id == subject_id))
    return {recording.language: recording for recording in rows.scalars() if Path(recording.path).is_file()}


async def recordings_of(session: AsyncSession, *, document_id: int) -> dict[str, Recording]:
    """The document's recordings by language (see `recordings_of_subject`)."""
    return await recordings_of_subject(session, kind=SubjectKind.DOCUMENT, subject_id=document_id)


def served_by(listeners: Iterable[tuple[int, str | None]], recordings: Mapping[str, Recording], language: str) -> list[int]:
    """Listeners (id, listen language) whom the recording in `language` serves by `choose`."""
    return [member_id for member_id, spoken in listeners if choose(spoken, recordings) == language]


async def forget_recordings(session: AsyncSession, *, kind: str, subject_id: int) -> None:
    """A subject whose text changed (conclusions sent again): the readings of the old text no longer fit."""
    await session.execute(delete(Recording).where(Recording.subject_kind == kind, Recording.subject_id == subject_id))


async def recording_for(session: AsyncSession, *, document_id: int, listen_language: str | None) -> Recording | None:
    """The recording a member listening in `listen_language` hears (🔊 Nghe), or None."""
    recordings = await recordings_of(session, document_id=document_id)
    chosen = choose(listen_language, recordings)
    return recordings[chosen] if chosen else None


def split_by_recording(
    members: Iterable[tuple[int, str | None]], recordings: Mapping[str, Recording]
) -> tuple[dict[str, list[int]], list[int]]:
    """Members (id, listen language) → those who hear each recording, and those left to the
    synthetic voice (no recording serves them)."""
    by_language: dict[str, list[int]] = {}
    synthetic: list[int] = []
    for member_id, spoken in members:
        chosen = choose(spoken, recordings)
        if chosen is None:
            synthetic.append(member_id)
        else:
            by_language.setdefault(chosen, []).append(member_id)
    return by_language, synthetic
