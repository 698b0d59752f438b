"""A person's reading, uploaded in the console: the #recording-slot on a document's page, a notice's
page and a meeting's conclusions (`recording_slot()` gives a page what `_recording_slot.html`
shows), the reading itself to listen to before it goes out again (GET …/{language}), and the list
of what has which languages (/console/recordings).

The upload is the API's own path: the file prepared off the event loop
(`core.recordings.audio.prepare_recording`), then one core call —
`core.recordings.service.add_recording` for a document, `core.recordings.subjects.add_recording` for
a notice or conclusions — which checks who asks and sends the reading to the listeners it serves.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Path, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.console.desk import back, record
from api.console.deps import ConsoleUser, CsrfChecked
from api.console.pages import render
from api.deps import ClockDep, RuntimeDep, SessionDep
from core import texts
from core.errors import DomainError
from core.orgs import management
from core.orgs.service import Actor
from core.recordings import coverage, service, subjects
from core.recordings.audio import MAX_BYTES, prepare_recording
from core.recordings.models import Recording, SubjectKind
from core.resolutions.models import DocumentState

router = APIRouter(prefix="/recordings", include_in_schema=False)
UPLOAD_PATH = "/console/recordings/{kind}/{subject_id}"
Kind = Literal["document", "notice", "conclusions"]
PAGES = {SubjectKind.DOCUMENT: "/console/documents/{id}", SubjectKind.NOTICE: "/console/notices/{id}",
         SubjectKind.CONCLUSIONS: "/console/meetings/{id}"}


@dataclass(frozen=True)
class LanguageRow:
    code: str
    name: str
    recording: Recording | None


@dataclass(frozen=True)
class RecordingSlot:
    kind: str
    subject_id: int
    languages: list[LanguageRow]
    draft: bool  # a document's draft: the reading goes out with the publication


async def _recordable(session: AsyncSession, actor: Actor, kind: str, subject_id: int) -> bool:
    """True for a draft document (its readings wait for the publication); refusals as core raises them."""
    if kind == SubjectKind.DOCUMENT:
        document = await service.recordable(session, actor=actor, document_id=subject_id)
        return document.state == DocumentState.DRAFT
    await subjects.recordable(session, actor=actor, kind=kind, subject_id=subject_id)
    return False


async def recording_slot(session: AsyncSession, actor: Actor, kind: str, subject_id: int) -> RecordingSlot | None:
    """What the page's #recording-slot shows; None when this person may not record it (no slot)."""
    try:
        draft = await _recordable(session, actor, kind, subject_id)
    except DomainError:
        return None
    recorded = await service.recordings_of_subject(session, kind=kind, subject_id=subject_id)
    rows = [LanguageRow(language.code, language.name, recorded.get(language.code)) for language in await service.languages(session)]
    return RecordingSlot(kind=kind, subject_id=subject_id, languages=rows, draft=draft)


@router.get("", name="console_recordings")
async def recordings_page(request: Request, user: ConsoleUser, session: SessionDep) -> HTMLResponse:
    rows = await coverage.coverage(session, actor=user.actor)
    names = await service.language_names(session)
    return render(request, "recordings.html", user, nav="recordings", rows=rows, names=names, pages=PAGES)


@router.get("/{kind}/{subject_id}/{language}", name="console_recording_audio")
async def audio(
    kind: Annotated[Kind, Path()], subject_id: Annotated[int, Path(ge=1, le=management.MAX_ID)],
    language: Annotated[str, Path(min_length=1, max_length=16)], user: ConsoleUser, session: SessionDep,
) -> FileResponse:
    """The stored reading, for whoever may record this subject (the slot's own check)."""
    await _recordable(session, user.actor, kind, subject_id)
    recording = (await service.recordings_of_subject(session, kind=kind, subject_id=subject_id)).get(language)
    if recording is None or not FilePath(recording.path).is_file():
        raise HTTPException(404)
    return FileResponse(recording.path, media_type="audio/ogg", headers={"Cache-Control": "private, no-store"})


@router.post("/{kind}/{subject_id}", name="console_recording_upload")
async def upload(
    kind: Annotated[Kind, Path()], subject_id: Annotated[int, Path(ge=1, le=management.MAX_ID)], user: CsrfChecked, session: SessionDep,
    clock: ClockDep, runtime: RuntimeDep, language: Annotated[str, Form(min_length=1, max_length=16)],
    file: Annotated[UploadFile, File()],
) -> RedirectResponse:
    draft = await _recordable(session, user.actor, kind, subject_id)  # refuse before reading 20 MB
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(413, texts.recordings.TOO_BIG)
    audio = await asyncio.to_thread(prepare_recording, data)
    store_dir, now = runtime.settings.data_dir / "recordings", clock.now()
    if kind == SubjectKind.DOCUMENT:
        result = await service.add_recording(session, actor=user.actor, document_id=subject_id, language=language, audio=audio,
                                             store_dir=store_dir, now=now)
    else:
        result = await subjects.add_recording(session, actor=user.actor, kind=kind, subject_id=subject_id, language=language, audio=audio,
                                              store_dir=store_dir, now=now)
    await record(session, user, "console.recording.upload", org_id=None, target=f"{kind}:{subject_id}:{language}", now=now)
    sent = "" if draft else f"&q={result.queued}"
    return back(PAGES[kind].format(id=subject_id) + f"?rec={language}{sent}#recording-slot")

