"""Members: list, read, create, change, retire, import; their invites and account links."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, UploadFile, status

from api.deps import AuditDep, CipherDep, ClockDep, CurrentActor, RuntimeDep, SessionDep
from api.errors import error_responses
from api.schemas.common import Page, PageDep, id_path, id_query
from api.schemas.members import (
    ImportResult,
    InviteOut,
    MemberCreate,
    MemberPatch,
    MemberRecordOut,
    ResetLinkOut,
)
from core import texts
from core.clock import local_date
from core.orgs import management
from core.orgs.linking import invite_link

router = APIRouter(tags=["members"])
MemberId = Annotated[int, id_path("Member id")]
OrgId = Annotated[int, id_path("Organisation id")]
IMPORT_MAX_BYTES = management.MAX_IMPORT_BYTES


def _today(clock: ClockDep, runtime: RuntimeDep) -> dt.date:
    return local_date(clock.now())


@router.get("/orgs/{org_id}/members", summary="Members under an organisation, by name, one page at a time")
async def list_members(
    org_id: OrgId,
    session: SessionDep,
    actor: CurrentActor,
    cipher: CipherDep,
    page: PageDep,
    cell_id: Annotated[int | None, id_query("Only this cell")] = None,
    exempt: Annotated[bool | None, Query(description="Only exempt (true) or obliged (false) members")] = None,
    probationary: Annotated[bool | None, Query(description="Only probationary (true) or official (false) members")] = None,
    linked: Annotated[bool | None, Query(description="Only members with (true) or without (false) a linked account")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name")] = None,
    active: Annotated[bool, Query(description="false lists retired records")] = True,
) -> Page[MemberRecordOut]:
    filters = management.MemberFilter(cell_id=cell_id, exempt=exempt, probationary=probationary, linked=linked, q=q, active=active)
    records, total = await management.list_members(session, actor, org_id=org_id, filters=filters, limit=page.limit, offset=page.offset)
    return Page[MemberRecordOut].of([MemberRecordOut.of(r, cipher) for r in records], total=total, page=page)


@router.get("/members/{member_id}", summary="One member; citizen ID and phone masked unless ?reveal=true (audited)")
async def get_member(
    member_id: MemberId,
    session: SessionDep,
    actor: CurrentActor,
    cipher: CipherDep,
    audit_trail: AuditDep,
    reveal: Annotated[bool, Query(description="Show citizen ID and phone in full (the member, or whoever manages their cell)")] = False,
) -> MemberRecordOut:
    record = await management.visible_member(session, actor, member_id)
    if reveal:
        management.require_may_reveal(actor, record)
        await audit_trail("api.member.reveal", org_id=record.cell.id, target=f"member:{member_id}")
    return MemberRecordOut.of(record, cipher, reveal=reveal)


@router.post("/members", summary="Add a member to a cell the caller manages", status_code=status.HTTP_201_CREATED,
             responses=error_responses(409))
async def create_member(
    body: MemberCreate, session: SessionDep, actor: CurrentActor, cipher: CipherDep, audit_trail: AuditDep,
    clock: ClockDep, runtime: RuntimeDep,
) -> MemberRecordOut:
    record = await management.create_member(session, actor, cell_id=body.org_id, draft=body.draft(), cipher=cipher,
                                            today=_today(clock, runtime))
    await audit_trail("api.member.create", org_id=record.cell.id, target=f"member:{record.member.id}")
    return MemberRecordOut.of(record, cipher)


@router.patch("/members/{member_id}", summary="Change some fields of a member", responses=error_responses(409))
async def update_member(
    member_id: MemberId, body: MemberPatch, session: SessionDep, actor: CurrentActor, cipher: CipherDep,
    audit_trail: AuditDep, clock: ClockDep, runtime: RuntimeDep,
) -> MemberRecordOut:
    update = await management.update_member(session, actor, member_id=member_id, changes=body.changes(), cipher=cipher,
                                            today=_today(clock, runtime))
    await audit_trail("api.member.update", org_id=update.record.cell.id, target=f"member:{member_id}", detail={"fields": update.changed})
    return MemberRecordOut.of(update.record, cipher)


@router.delete("/members/{member_id}", summary="Retire a member's record (never deleted)", responses=error_responses(409))
async def deactivate_member(
    member_id: MemberId, session: SessionDep, actor: CurrentActor, cipher: CipherDep, audit_trail: AuditDep, clock: ClockDep, runtime: RuntimeDep
) -> MemberRecordOut:
    record = await management.deactivate_member(session, actor, member_id=member_id, today=_today(clock, runtime))
    await audit_trail("api.member.deactivate", org_id=record.cell.id, target=f"member:{member_id}")
    return MemberRecordOut.of(record, cipher)


@router.post("/members/import", summary="Import a CSV or XLSX list, all or nothing (same columns as `sotay members import`); "
                                          "managers only",
             responses=error_responses(413, 415, descriptions={
                 415: "Not a .csv or .xlsx list (`error`: `unsupported_file_type`), or content that is not what its name says"}))
async def import_members(
    file: UploadFile, session: SessionDep, actor: CurrentActor, cipher: CipherDep, audit_trail: AuditDep,
    clock: ClockDep, runtime: RuntimeDep,
) -> ImportResult:
    management.require_may_import(actor)  # before a byte of the file is read
    data = await file.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise HTTPException(413, texts.api.TOO_LARGE.format(megabytes=IMPORT_MAX_BYTES // (1024 * 1024)))
    suffix = management.check_import_file(file.filename or "", data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"import{suffix}"
        path.write_bytes(data)
        report = await management.import_members(session, actor, path=path, cipher=cipher, today=_today(clock, runtime))
    await audit_trail("api.member.import", org_id=actor.cell.id, target="members",
                      detail={"created": report.created, "updated": report.updated, "unchanged": report.unchanged})
    return ImportResult(created=report.created, updated=report.updated, unchanged=report.unchanged)


@router.post("/members/{member_id}/invites", summary="A one-time link that ties a Telegram account to this member",
             status_code=status.HTTP_201_CREATED, responses=error_responses(409))
async def invite_member(
    member_id: MemberId, session: SessionDep, actor: CurrentActor, audit_trail: AuditDep, clock: ClockDep, runtime: RuntimeDep,
) -> InviteOut:
    invite = await management.invite_member(session, actor, member_id=member_id, now=clock.now())
    await audit_trail("api.member.invite", org_id=None, target=f"member:{member_id}")
    username = runtime.settings.bot_username
    return InviteOut(code=invite.code, link=invite_link(username, invite.code) if username else None, expires_at=invite.expires_at)


@router.post("/members/{member_id}/reset-link", summary="Untie the member's Telegram and Zalo accounts (to link a new phone)")
async def reset_link(
    member_id: MemberId, session: SessionDep, actor: CurrentActor, audit_trail: AuditDep, clock: ClockDep,
    platform: Annotated[Literal["telegram", "zalo"] | None, Query(description="Only this messenger (default: every one)")] = None,
) -> ResetLinkOut:
    platforms = await management.reset_member_link(session, actor, member_id=member_id, now=clock.now(), platform=platform)
    await audit_trail("api.member.reset_link", org_id=None, target=f"member:{member_id}", detail={"platforms": platforms})
    return ResetLinkOut(reset=bool(platforms), platforms=platforms)
