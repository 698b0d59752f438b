"""Members: the list (identifiers masked), importing a CSV/XLSX list with a preview of every error
before anything is written, invite codes, who is not linked yet and the printable invite sheet.

Every rule is core's: `management.list_members`, `management.import_members`,
`management.invite_member`, `core.orgs.invite_sheet`; the pages only ask and show.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.console.deps import ConsoleUser, CsrfChecked, SignedIn
from api.console.pages import CSP_PRINT, render, secure
from api.deps import CipherDep, ClockDep, RuntimeDep, SessionDep
from core import texts
from core.clock import local_date, local_tz
from core.errors import NotFound
from core.orgs import management
from core.orgs.invite_sheet import make_cards, render_sheet
from core.orgs.models import Member, Org, OrgKind
from core.orgs.service import Actor, in_any_subtree, unlinked_members

router = APIRouter(prefix="/members", include_in_schema=False)
PAGE_SIZE = 50
IMPORT_MAX_BYTES = management.MAX_IMPORT_BYTES
_PENDING = re.compile(r"^[0-9a-f]{32}$")
T = texts.console


def managed_roots(actor: Actor) -> list[Org]:
    return [org for org in management.visible_roots(actor) if actor.manages(org)]


async def chosen_org(session: AsyncSession, actor: Actor, org_id: int | None) -> Org:
    """The organisation a page is about: the one asked for if the actor manages it, else their first."""
    if org_id is None:
        roots = managed_roots(actor)
        if not roots:
            raise NotFound(texts.common.NOT_FOUND)
        return roots[0]
    return await management.managed_org(session, actor, org_id)


async def managed_cells(session: AsyncSession, actor: Actor) -> list[Org]:
    query = select(Org).where(Org.kind == OrgKind.CELL, in_any_subtree(o.path for o in actor.managed_orgs)).order_by(Org.path).limit(500)
    return list((await session.execute(query)).scalars())


def status_of(member: Member) -> str:
    if member.exempt:
        return T.STATUS_EXEMPT
    return T.STATUS_PROBATIONARY if member.is_probationary else T.STATUS_OFFICIAL


OrgQuery = Annotated[int | None, Query(ge=1, le=management.MAX_ID)]


@router.get("", name="console_members")
async def members_page(
    request: Request, user: ConsoleUser, session: SessionDep, cipher: CipherDep, org: OrgQuery = None,
    q: Annotated[str | None, Query(max_length=100)] = None, unlinked: bool = False, page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    current = await chosen_org(session, user.actor, org)
    filters = management.MemberFilter(q=q, linked=False if unlinked else None)
    records, total = await management.list_members(session, user.actor, org_id=current.id, filters=filters,
                                                   limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    rows = [{"record": r, "ids": management.identifiers_of(r.member, cipher), "status": status_of(r.member)} for r in records]
    pages = max(1, -(-total // PAGE_SIZE))
    return render(request, "members.html", user, orgs=managed_roots(user.actor), current=current, rows=rows, total=total,
                  q=q or "", unlinked=unlinked, page=page, pages=pages)


@router.post("/{member_id}/invite", name="console_invite")
async def invite(request: Request, member_id: int, user: CsrfChecked, session: SessionDep, clock: ClockDep,
                 runtime: RuntimeDep) -> HTMLResponse:
    if not 1 <= member_id <= management.MAX_ID:
        raise NotFound(texts.common.NOT_FOUND)
    record = await management.managed_member(session, user.actor, member_id)
    issued = await management.invite_member(session, user.actor, member_id=member_id, now=clock.now())
    username = runtime.settings.bot_username
    from core.orgs.linking import invite_link

    return render(request, "invite.html", user, fragment=bool(request.headers.get("HX-Request")), name=record.member.full_name,
                  code=issued.code, link=invite_link(username, issued.code) if username else None,
                  expires=f"{issued.expires_at.astimezone(local_tz()):%d/%m/%Y %H:%M}")


# ---------------------------------------------------------------- import


def _pending_dir(runtime: RuntimeDep) -> Path:  # type: ignore[valid-type]
    folder = runtime.settings.data_dir / "console-imports"  # type: ignore[attr-defined]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pending_path(runtime: RuntimeDep, user: SignedIn, pending: str) -> Path | None:  # type: ignore[valid-type]
    """The file this session checked (a pending id is only good for the session that made it)."""
    if not _PENDING.match(pending):
        return None
    found = sorted(_pending_dir(runtime).glob(f"{user.record.id}-{pending}.*"))
    return found[0] if found else None


@router.get("/import", name="console_import")
async def import_form(request: Request, user: ConsoleUser) -> HTMLResponse:
    return render(request, "import.html", user, stage="form")


@router.post("/import", name="console_import_check")
async def import_check(request: Request, user: CsrfChecked, session: SessionDep, cipher: CipherDep, clock: ClockDep,
                       runtime: RuntimeDep, file: UploadFile | None = None) -> HTMLResponse:
    """A refused file is shown again as a page (200): the errors are the page's content, for a person to read.

    Check the whole file with core's all-or-nothing importer inside a savepoint that is always
    rolled back: the preview is exactly what «Ghi vào Sổ tay» will do, and nothing is written now."""
    management.require_may_import(user.actor)
    if file is None or not file.filename:
        return render(request, "import.html", user, stage="form", problem=T.IMPORT_NO_FILE)
    data = await file.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise HTTPException(413, texts.api.TOO_LARGE.format(megabytes=IMPORT_MAX_BYTES // (1024 * 1024)))
    suffix = management.check_import_file(file.filename, data)
    pending = secrets.token_hex(16)
    path = _pending_dir(runtime) / f"{user.record.id}-{pending}{suffix}"
    path.write_bytes(data)
    today = local_date(clock.now())
    savepoint = await session.begin_nested()
    try:
        report = await management.import_members(session, user.actor, path=path, cipher=cipher, today=today)
    except management.ImportRejected as rejected:
        await savepoint.rollback()
        path.unlink(missing_ok=True)
        return render(request, "import.html", user, stage="errors", errors=rejected.errors, message=rejected.message)
    await savepoint.rollback()
    return render(request, "import.html", user, stage="preview", report=report, pending=pending, filename=file.filename)


@router.post("/import/confirm", name="console_import_confirm")
async def import_confirm(request: Request, user: CsrfChecked, session: SessionDep, cipher: CipherDep, clock: ClockDep,
                         runtime: RuntimeDep, pending: Annotated[str, Form(max_length=64)]) -> HTMLResponse:
    management.require_may_import(user.actor)
    path = _pending_path(runtime, user, pending)
    if path is None:
        return render(request, "import.html", user, stage="form", problem=T.IMPORT_EXPIRED)
    try:
        report = await management.import_members(session, user.actor, path=path, cipher=cipher, today=local_date(clock.now()))
    except management.ImportRejected as rejected:  # the data changed since the preview
        return render(request, "import.html", user, stage="errors", errors=rejected.errors, message=rejected.message)
    finally:
        path.unlink(missing_ok=True)
    return render(request, "import.html", user, stage="done", report=report)


# ---------------------------------------------------------------- not linked yet, invite sheet


@router.get("/unlinked", name="console_unlinked")
async def unlinked_page(request: Request, user: ConsoleUser, session: SessionDep, org: OrgQuery = None) -> HTMLResponse:
    cells = await managed_cells(session, user.actor)
    cell = None
    people: list[Member] = []
    if org is not None:
        cell = await management.managed_org(session, user.actor, org)
        if not cell.is_cell:
            raise NotFound(texts.common.NOT_FOUND)
        people = await unlinked_members(session, cell_id=cell.id)
    elif len(cells) == 1:
        cell = cells[0]
        people = await unlinked_members(session, cell_id=cell.id)
    return render(request, "unlinked.html", user, cells=cells, cell=cell, people=people)


@router.post("/invite-sheet", name="console_invite_sheet")
async def invite_sheet(request: Request, user: CsrfChecked, session: SessionDep, clock: ClockDep, runtime: RuntimeDep,
                       org: Annotated[int, Form(ge=1, le=management.MAX_ID)],
                       days: Annotated[int, Form(ge=1, le=90)] = 14) -> HTMLResponse:
    cell = await management.managed_org(session, user.actor, org)
    if not cell.is_cell:
        raise NotFound(texts.common.NOT_FOUND)
    cards = await make_cards(session, cell=cell, now=clock.now(), ttl=dt.timedelta(days=days),
                             bot_username=runtime.settings.bot_username, created_by=user.member)
    return secure(HTMLResponse(render_sheet(cell_name=cell.name, cards=cards)), csp=CSP_PRINT)
