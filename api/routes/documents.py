"""/api/v1/documents: the library (search without diacritics, bookmarks), publishing a document
(upload or paste → drafted summary → edit → publish through the outbox with voice notes), its
original file and its audio, and «Tôi đã nghiên cứu».

Readers see published documents that reach their cell (published to it or an ancestor) and
everything in what they manage; a draft is seen by its author only. Anything else is 404.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile, status
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.downloads import download_headers, file_download
from api.deps import AuditDep, ClockDep, CurrentActor, RuntimeDep, SessionDep
from api.errors import error_responses
from api.ports import ApiRuntime
from api.schemas.common import Day, id_form, id_path
from api.schemas.resolutions import (
    AudienceOut,
    BookmarkOut,
    DocumentDetail,
    DocumentOut,
    DocumentPage,
    DocumentPatch,
    PublishOut,
    QuizOut,
    QuizQuestionOut,
    CampaignOut,
    Speed,
    StudiedOut,
    VoiceName,
)
from core import texts
from core.clock import local_date
from core.errors import InvalidInput
from core.resolutions import extract, service, study
from core.orgs.service import Actor
from core.resolutions.models import DocumentKind
from core.resolutions.voice import default_renderer, render_variants
from voice.service import VoiceRenderer

router = APIRouter(tags=["documents"])

DocumentId = Annotated[int, id_path("Document id")]
UPLOAD_MAX_BYTES = extract.MAX_FILE_BYTES
UPLOAD_PATH = "/api/v1/documents"
UPLOAD_BODY_LIMIT = UPLOAD_MAX_BYTES + extract.MAX_TEXT_CHARS * 4 + 256 * 1024


def renderer_of(runtime: ApiRuntime) -> VoiceRenderer:
    given = runtime.services.get("voice_renderer")
    if isinstance(given, VoiceRenderer):
        return given
    return default_renderer(str(Path(runtime.settings.data_dir) / "audio"), runtime.settings.tts)


def files_dir_of(runtime: ApiRuntime) -> Path:
    given = runtime.services.get("files_dir")
    return Path(given) if given else runtime.settings.files_dir


async def read_source(runtime: ApiRuntime, file: UploadFile | None, text: str | None) -> tuple[str, service.StoredFile | None]:
    """A new document's text: an uploaded PDF/DOCX/TXT (kept as the original) or pasted text (the API and the console)."""
    if file is not None and file.filename:
        data = await file.read(UPLOAD_MAX_BYTES + 1)
        if len(data) > UPLOAD_MAX_BYTES:
            raise HTTPException(413, texts.resolutions.FILE_TOO_LARGE.format(megabytes=UPLOAD_MAX_BYTES // (1024 * 1024)))
        extracted, stored = await service.read_original(files_dir_of(runtime), data, filename=file.filename)
        return extracted.text, stored
    if text is not None and text.strip():
        return text, None
    raise InvalidInput(texts.resolutions.TEXT_EMPTY)


async def publish_draft(session: AsyncSession, actor: Actor, runtime: ApiRuntime, document_id: int, now: dt.datetime) -> service.PublishResult:
    """Publish a draft with its voice notes (the API and the console)."""
    document = await service.draft_for_author(session, actor=actor, document_id=document_id)
    if not document.summary.strip():
        raise InvalidInput(texts.resolutions.SUMMARY_EMPTY)
    # Synthesis before any write (one per variant, cached on disk), then one writing transaction.
    variants = await service.voice_variants(session, actor=actor, document_id=document_id)
    notes = await render_variants(renderer_of(runtime), document.summary, variants)
    return await service.publish(session, actor=actor, document_id=document_id, now=now, voices=notes)


async def summary_audio(runtime: ApiRuntime, actor: Actor, summary: str, voice: str | None, speed: str | None, part: int) -> Response:
    """One part of the summary read aloud (the API's audio, the console's preview)."""
    preferred_voice, preferred_speed = service.member_variant(actor.member)
    variant = (voice or preferred_voice, speed or preferred_speed)
    notes = (await render_variants(renderer_of(runtime), summary, [variant])).get(variant) if summary.strip() else None
    if not notes:
        raise InvalidInput(texts.resolutions.VOICE_UNAVAILABLE, code="voice_unavailable")
    if part > len(notes):
        raise InvalidInput(texts.common.NOT_FOUND)
    note = notes[part - 1]
    return Response(note.data, media_type="audio/ogg", headers={"X-Voice-Parts": str(len(notes)), "X-Voice-Duration": str(note.duration)})


@router.get("/documents", summary="The library: newest first; `q` searches with or without diacritics; `saved` lists bookmarks")
async def list_documents(
    session: SessionDep,
    actor: CurrentActor,
    q: Annotated[str | None, Query(max_length=120, description="Words of the title, code or text: «nghi quyet 21», «dang vien», «339»")] = None,
    saved: Annotated[bool, Query(description="Only the caller's ⭐ bookmarks")] = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DocumentPage:
    result = await service.library(session, actor=actor, page=page, query=q, saved=saved, per_page=per_page)
    return DocumentPage(items=[DocumentOut.of(d) for d in result.items], page=result.page, pages=result.pages, total=result.total)


@router.post(
    "/documents", status_code=status.HTTP_201_CREATED,
    responses=error_responses(413, 415, descriptions={
        415: "Not a PDF, DOCX or TXT by its content (`error`: `unsupported_file_type`): an old .doc, a picture, a program; "
             "`message` says what to send instead"}),
    summary="Start a document: pasted `text` or an uploaded PDF/DOCX/TXT `file`; the answer holds a drafted summary to edit",
)
async def create_document(
    session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    runtime: RuntimeDep,
    audit_trail: AuditDep,
    kind: Annotated[DocumentKind, Form(description="NQ, CT, QĐ, KL, HD, KH, TB, ĐA or CV")],
    title: Annotated[str, Form(min_length=1, max_length=service.MAX_TITLE_CHARS)],
    code: Annotated[str | None, Form(max_length=64, description="«21-NQ/TW»")] = None,
    issued_on: Annotated[Day | None, Form(description="Date of issue")] = None,
    org_id: Annotated[int | None, id_form("Where it will go (default: the first organisation the caller manages)")] = None,
    text: Annotated[str | None, Form(max_length=extract.MAX_TEXT_CHARS, description="The full text, when no file is sent")] = None,
    file: Annotated[UploadFile | None, File(description=f"PDF (≤ {extract.MAX_PAGES} pages), DOCX or TXT, ≤ {UPLOAD_MAX_BYTES // (1024 * 1024)} MB")] = None,
) -> DocumentDetail:
    service.check_issued_on(issued_on, today=local_date(clock.now()))  # before the upload is read
    full_text, stored = await read_source(runtime, file, text)
    document = await service.create_draft(
        session, actor=actor, now=clock.now(), original=stored,
        draft=service.DraftInput(kind=kind, title=title, full_text=full_text, code=code, issued_on=issued_on, org_id=org_id),
    )
    await audit_trail("api.document.create", org_id=document.org_id, target=f"document:{document.id}")
    return DocumentDetail.of(document)


@router.get("/documents/{document_id}", summary="A document with its summary and full text")
async def get_document(document_id: DocumentId, session: SessionDep, actor: CurrentActor) -> DocumentDetail:
    return DocumentDetail.of(await service.document_for(session, actor=actor, document_id=document_id))


@router.patch("/documents/{document_id}", summary="Edit a draft: replace the summary, fix the title, code, kind, date or target",
              responses=error_responses(409))
async def edit_document(
    document_id: DocumentId, body: DocumentPatch, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep
) -> DocumentDetail:
    document = await service.update_draft(
        session, actor=actor, document_id=document_id, now=clock.now(), summary=body.summary, title=body.title,
        code=body.code or None, clear_code=body.code == "", kind=body.kind, issued_on=body.issued_on, org_id=body.org_id,
    )
    await audit_trail("api.document.update", org_id=document.org_id, target=f"document:{document_id}",
                      detail={"fields": sorted(body.model_fields_set)})
    return DocumentDetail.of(document)


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Discard a draft", responses=error_responses(409))
async def discard_document(document_id: DocumentId, session: SessionDep, actor: CurrentActor, audit_trail: AuditDep) -> Response:
    await service.discard_draft(session, actor=actor, document_id=document_id)
    await audit_trail("api.document.discard", org_id=None, target=f"document:{document_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/documents/{document_id}/audience", summary="Who a draft would reach", responses=error_responses(409))
async def document_audience(document_id: DocumentId, session: SessionDep, actor: CurrentActor) -> AudienceOut:
    document = await service.draft_for_author(session, actor=actor, document_id=document_id)
    audience = await service.audience(session, actor=actor, org_id=document.org_id)
    return AudienceOut(org_id=audience.org.id, recipients=audience.recipients, unlinked=audience.unlinked)


@router.post(
    "/documents/{document_id}/publish", responses=error_responses(409),
    summary="Publish a draft: every member below its organisation gets the summary, the voice note(s) and the buttons",
)
async def publish_document(
    document_id: DocumentId, session: SessionDep, actor: CurrentActor, clock: ClockDep, runtime: RuntimeDep, audit_trail: AuditDep,
) -> PublishOut:
    result = await publish_draft(session, actor, runtime, document_id, clock.now())
    await audit_trail("api.document.publish", org_id=result.org.id, target=f"document:{document_id}", detail={"recipients": result.recipients})
    return PublishOut(
        document=DocumentOut.of(result.document), recipients=result.recipients, queued=result.queued, unlinked=result.unlinked,
        voice_variants=result.voice_variants,
    )


@router.get(
    "/documents/{document_id}/original", summary="The original file, or the full text as .txt when it was pasted",
    responses={200: {"content": {"application/pdf": {}, extract.DOCX_MIME: {}, "text/plain": {}}, "description": "The file"}},
)
async def document_original(document_id: DocumentId, session: SessionDep, actor: CurrentActor) -> Any:
    document = await service.document_for(session, actor=actor, document_id=document_id)
    if document.file_path and Path(document.file_path).exists():
        return file_download(
            document.file_path, media_type=document.file_mime or "application/octet-stream",
            filename=document.file_name or Path(document.file_path).name,
        )
    name = texts.resolutions.FULL_TEXT_TXT_NAME.format(id=document.id)
    return Response(document.full_text.encode("utf-8"), media_type="text/plain; charset=utf-8", headers=download_headers(name))


@router.get(
    "/documents/{document_id}/audio", summary="The summary read aloud (OGG/Opus voice note); long summaries have several parts",
    responses={200: {"content": {"audio/ogg": {}}, "description": "One part; the header X-Voice-Parts says how many there are"}},
)
async def document_audio(
    document_id: DocumentId,
    session: SessionDep,
    actor: CurrentActor,
    runtime: RuntimeDep,
    voice: Annotated[VoiceName | None, Query(description="Default: the caller's preference")] = None,
    speed: Annotated[Speed | None, Query(description="Default: the caller's preference")] = None,
    part: Annotated[int, Query(ge=1, le=100, description="Which part, from 1")] = 1,
) -> Response:
    document = await service.document_for(session, actor=actor, document_id=document_id)
    return await summary_audio(runtime, actor, document.summary, voice, speed, part)


@router.put("/documents/{document_id}/bookmark", summary="⭐ Lưu")
async def bookmark(document_id: DocumentId, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> BookmarkOut:
    changed = await service.set_bookmark(session, actor=actor, document_id=document_id, on=True, now=clock.now())
    await audit_trail("api.document.bookmark", org_id=None, target=f"document:{document_id}", detail={"on": True})
    return BookmarkOut(bookmarked=True, changed=changed)


@router.delete("/documents/{document_id}/bookmark", summary="☆ Bỏ lưu")
async def unbookmark(document_id: DocumentId, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> BookmarkOut:
    changed = await service.set_bookmark(session, actor=actor, document_id=document_id, on=False, now=clock.now())
    await audit_trail("api.document.bookmark", org_id=None, target=f"document:{document_id}", detail={"on": False})
    return BookmarkOut(bookmarked=False, changed=changed)


@router.post("/documents/{document_id}/studied", summary="✅ Tôi đã nghiên cứu (once; completes the caller's study campaigns for it)")
async def studied(document_id: DocumentId, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> StudiedOut:
    changed = await service.confirm_studied(session, actor=actor, document_id=document_id, now=clock.now())
    await audit_trail("api.document.studied", org_id=None, target=f"document:{document_id}")
    return StudiedOut(changed=changed)


@router.get("/documents/{document_id}/quiz", summary="The caller's quiz for this document: the questions still to answer")
async def quiz(document_id: DocumentId, session: SessionDep, actor: CurrentActor, clock: ClockDep) -> QuizOut:
    state = await study.quiz_for(session, actor=actor, document_id=document_id, now=clock.now())
    return QuizOut(
        campaign=CampaignOut.of(state.campaign), pending=[QuizQuestionOut.of(q) for q in state.pending],
        answered=state.answered, correct=state.correct, total=state.total,
    )
