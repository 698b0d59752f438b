"""Documents: publish one — upload (or paste), edit the drafted summary, listen to its voice, send it
to every member below. The API's own steps are reused (`api.routes.documents.read_source`,
`publish_draft`, `summary_audio`) over `core.resolutions.service`, which holds every rule (who may
publish where, a draft seen by its author only). A person's reading by language: the page's
#recording-slot (api/console/recordings.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.desk import back, record
from api.console.deps import ConsoleUser, CsrfChecked
from api.console.pages import render
from api.console.recordings import recording_slot
from api.deps import ClockDep, RuntimeDep, SessionDep
from api.routes.documents import UPLOAD_MAX_BYTES, publish_draft, read_source, summary_audio
from core.clock import local_date
from core import texts
from core.orgs import management
from core.resolutions import extract, service
from core.recordings.models import SubjectKind
from core.resolutions.models import DocumentKind, DocumentState

router = APIRouter(prefix="/documents", include_in_schema=False)
DocId = Annotated[int, Path(ge=1, le=management.MAX_ID)]


@router.get("", name="console_documents")
async def documents_page(request: Request, user: ConsoleUser, session: SessionDep) -> HTMLResponse:
    targets = await service.publish_targets(session, actor=user.actor)
    recent = await service.library(session, actor=user.actor, page=1, per_page=10)
    return render(request, "documents.html", user, nav="documents", targets=targets, recent=recent.items,
                  kinds=texts.resolutions.KINDS, megabytes=UPLOAD_MAX_BYTES // (1024 * 1024))


@router.post("", name="console_documents_create")
async def create(user: CsrfChecked, session: SessionDep, clock: ClockDep, runtime: RuntimeDep,
                 kind: Annotated[DocumentKind, Form()], title: Annotated[str, Form(min_length=1, max_length=service.MAX_TITLE_CHARS)],
                 org_id: Annotated[int, Form(ge=1, le=management.MAX_ID)],
                 code: Annotated[str, Form(max_length=64)] = "", issued_on: Annotated[str, Form(max_length=10)] = "",
                 text: Annotated[str, Form(max_length=extract.MAX_TEXT_CHARS)] = "",
                 file: Annotated[UploadFile | None, File()] = None) -> RedirectResponse:
    issued = service.parse_day(issued_on, today=local_date(clock.now()), allow_future=False) if issued_on else None
    full_text, stored = await read_source(runtime, file, text)
    document = await service.create_draft(
        session, actor=user.actor, now=clock.now(), original=stored,
        draft=service.DraftInput(kind=kind, title=title, full_text=full_text, code=code or None, issued_on=issued, org_id=org_id),
    )
    await record(session, user, "console.document.create", org_id=document.org_id, target=f"document:{document.id}", now=clock.now())
    return back(f"/console/documents/{document.id}")


@router.get("/{document_id}", name="console_document")
async def document_page(request: Request, document_id: DocId, user: ConsoleUser, session: SessionDep,
                        ok: Annotated[str | None, Query(max_length=20)] = None,
                        r: Annotated[int, Query(ge=0, le=10_000_000)] = 0, q: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> HTMLResponse:
    document = await service.document_for(session, actor=user.actor, document_id=document_id)
    draft = document.state == DocumentState.DRAFT
    audience = await service.audience(session, actor=user.actor, org_id=document.org_id) if draft else None
    slot = await recording_slot(session, user.actor, SubjectKind.DOCUMENT, document.id)
    return render(request, "document.html", user, nav="documents", document=document, draft=draft, audience=audience,
                  kinds=texts.resolutions.KINDS, ok=ok if ok in ("saved", "published") else None, recipients=r, queued=q, slot=slot)


@router.post("/{document_id}", name="console_document_save")
async def save(document_id: DocId, user: CsrfChecked, session: SessionDep, clock: ClockDep,
               summary: Annotated[str, Form(max_length=100_000)]) -> RedirectResponse:
    document = await service.update_draft(session, actor=user.actor, document_id=document_id, now=clock.now(), summary=summary)
    await record(session, user, "console.document.update", org_id=document.org_id, target=f"document:{document_id}", now=clock.now())
    return back(f"/console/documents/{document_id}?ok=saved")


@router.get("/{document_id}/audio", name="console_document_audio")
async def audio(document_id: DocId, user: ConsoleUser, session: SessionDep, runtime: RuntimeDep) -> Response:
    document = await service.document_for(session, actor=user.actor, document_id=document_id)
    response = await summary_audio(runtime, user.actor, document.summary, None, None, 1)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/{document_id}/publish", name="console_document_publish")
async def publish(document_id: DocId, user: CsrfChecked, session: SessionDep, clock: ClockDep, runtime: RuntimeDep) -> RedirectResponse:
    result = await publish_draft(session, user.actor, runtime, document_id, clock.now())
    await record(session, user, "console.document.publish", org_id=result.org.id, target=f"document:{document_id}", now=clock.now())
    return back(f"/console/documents/{document_id}?ok=published&r={result.recipients}&q={result.queued}")

