"""Notices: compose (optionally with a file), watch it go out (htmx polls the progress), the
delivery report and who has read it. Every rule is core.notices.service's."""

from __future__ import annotations

import asyncio
import secrets
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.deps import ConsoleUser, CsrfChecked
from api.console.pages import render
from api.console.recordings import recording_slot
from api.deps import ClockDep, RuntimeDep, SessionDep
from api.routes.documents import files_dir_of
from core import texts
from core.clock import local_tz
from core.errors import DomainError, NotFound
from core.notices import files, service
from core.notices.paid import PaidQuote, format_stars
from core.orgs import management
from core.recordings.models import SubjectKind

router = APIRouter(prefix="/notices", include_in_schema=False)
T = texts.console
NONCE = r"^[0-9a-f]{32}$"


async def _compose(request: Request, user, session, runtime, *, problem: str | None = None, text: str = "",  # type: ignore[no-untyped-def]
                   paid: PaidQuote | None = None, org_id: int | None = None) -> HTMLResponse:
    """The form; with `paid`, the cost of sending it urgent and paid, to confirm before anything is sent."""
    targets = await service.targets_for(session, actor=user.actor)
    recent = await service.recent_notices(session, actor=user.actor, limit=20)
    # One nonce per form shown: a double click or a resent form makes one notice (core's request_key).
    return render(request, "notices.html", user, nav="notices", targets=targets, recent=recent, problem=problem, text=text,
                  nonce=secrets.token_hex(16), max_chars=service.MAX_TEXT_CHARS, org_id=org_id,
                  paid_on=runtime.settings.paid_broadcast_price is not None, paid=paid, format_stars=format_stars)


@router.get("", name="console_notices")
async def notices_page(request: Request, user: ConsoleUser, session: SessionDep, runtime: RuntimeDep) -> HTMLResponse:
    return await _compose(request, user, session, runtime)


@router.post("", name="console_notice_create")
async def create_notice(
    request: Request, user: CsrfChecked, session: SessionDep, clock: ClockDep, runtime: RuntimeDep,
    org: Annotated[int, Form(ge=1, le=management.MAX_ID)], nonce: Annotated[str, Form(pattern=NONCE)],
    text: Annotated[str, Form(max_length=service.MAX_TEXT_CHARS)] = "", file: UploadFile | None = None,
    urgent: Annotated[bool, Form()] = False,
    confirm_paid_stars: Annotated[Decimal | None, Form(ge=0, max_digits=18, decimal_places=4)] = None,
) -> Response:
    price = runtime.settings.paid_broadcast_price
    try:
        async with session.begin_nested():
            await service.preview(session, actor=user.actor, org_id=org)  # scope first: nothing is stored for others
            attachment = None
            if file is not None and file.filename:
                data = await file.read(files.MAX_FILE_BYTES + 1)
                if len(data) > files.MAX_FILE_BYTES:
                    raise HTTPException(413, texts.api.TOO_LARGE.format(megabytes=files.MAX_FILE_BYTES // 1024 // 1024))
                attachment = await asyncio.to_thread(files.store_upload, files_dir_of(runtime), data, filename=file.filename)
            notice = await service.create_notice(session, actor=user.actor, org_id=org, text=text, attachment=attachment, now=clock.now(),
                                                 request_key=f"console:{user.member.id}:{nonce}",
                                                 urgent=urgent, paid_price=price, confirmed_stars=confirm_paid_stars)
    except NotFound:
        raise
    except DomainError as refused:
        if refused.status == 403 and not urgent:
            raise
        # An urgent notice not confirmed at its cost yet: the form again, with the cost to confirm.
        quote = (await service.preview(session, actor=user.actor, org_id=org, paid_price=price)).paid if urgent else None
        return await _compose(request, user, session, runtime, problem=refused.message, text=text, paid=quote, org_id=org)
    return RedirectResponse(request.url_for("console_notice", notice_id=notice.id).path, status_code=303)


async def _report(session, user, notice_id: int):  # type: ignore[no-untyped-def]
    if not 1 <= notice_id <= management.MAX_ID:
        raise NotFound(texts.common.NOT_FOUND)
    notice, org = await service.notice_for_manager(session, actor=user.actor, notice_id=notice_id)
    return notice, org, await service.progress_of(session, notice)


@router.get("/{notice_id}", name="console_notice")
async def notice_page(request: Request, notice_id: int, user: ConsoleUser, session: SessionDep) -> HTMLResponse:
    notice, org, progress = await _report(session, user, notice_id)
    recipients = await service.recipients_of(session, notice)
    slot = await recording_slot(session, user.actor, SubjectKind.NOTICE, notice.id)
    return render(request, "notice.html", user, nav="notices", notice=notice, org=org, progress=progress, recipients=recipients,
                  tz=local_tz(), slot=slot)


@router.get("/{notice_id}/progress", name="console_notice_progress")
async def notice_progress(request: Request, notice_id: int, user: ConsoleUser, session: SessionDep) -> HTMLResponse:
    """What htmx polls every few seconds while the notice is going out; the answer stops the polling once done."""
    notice, org, progress = await _report(session, user, notice_id)
    return render(request, "_notice_progress.html", user, notice=notice, progress=progress)
