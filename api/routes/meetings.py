"""Meetings over HTTP: list, create, read with invitations and answers, edit, attach documents,
cancel, answer, decide absences, record attendance, send conclusions, statistics and exports.

Every route calls one core service, which checks what the token's holder may do.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import asyncio

from fastapi import APIRouter, File, HTTPException, Query, UploadFile, status
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from api.deps import AuditedActor, ClockDep, CurrentActor, RuntimeDep, SessionDep
from api.downloads import download_responses, file_download
from api.errors import error_body, error_responses
from api.routes.documents import files_dir_of
from api.schemas.common import Day, id_path, id_query
from api.schemas.meetings import (
    AnswerIn,
    AttendanceIn,
    AttendanceOut,
    ConclusionsIn,
    ConclusionsOut,
    DecisionIn,
    InvitationOut,
    MeetingCreate,
    MeetingCreated,
    MeetingDetail,
    MeetingEdited,
    MeetingOut,
    MeetingPatch,
    MeetingStatsOut,
    PeriodStatsOut,
    RuleOut,
)
from core import texts
from core.errors import InvalidInput
from core.meetings import dates, documents, export, service, stats
from core.meetings.models import Meeting, MeetingStatus
from core.orgs.models import Org
from core.orgs.service import get_org, orgs_by_ids

router = APIRouter(tags=["meetings"])

MeetingId = Annotated[int, id_path("Meeting id", 7)]
InvitationId = Annotated[int, id_path("Invitation id", 31)]
RuleId = Annotated[int, id_path("Monthly rule id", 2)]
OrgId = Annotated[int, id_path("Organisation id (a cell or a committee)", 4)]
Format = Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a file: csv (UTF-8) or xlsx")]
FromDate = Annotated[Day | None, Query(alias="from", description="First local day (default: 6 months back)")]
ToDate = Annotated[Day | None, Query(alias="to", description="Last local day, included (default: today)")]

REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The caller may not do this"},
    404: {"description": "No such meeting"},
    409: {"description": "Not possible in the meeting's current state (cancelled, started, already decided)"},
    422: {"description": "Invalid input, with a message to show people"},
}
OVERLAP: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "`meeting_overlap`: the cell already has a meeting within two hours of `starts_at` (listed in `clashing`); "
                       "send `allow_overlap: true` to go on deliberately. Otherwise the meeting's state forbids it.",
    },
}
FILES: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {}, "text/csv": {}, export.XLSX_MEDIA_TYPE: {}}, "description": "JSON, or the file asked for"}}


DOCUMENTS_PATH = "/api/v1/meetings/{meeting_id}/documents"
DOCUMENT_MAX_BYTES = documents.MAX_DOCUMENT_BYTES
DOCUMENTS_BODY_LIMIT = DOCUMENT_MAX_BYTES + 64 * 1024  # the multipart envelope around one file


class MeetingPage(BaseModel):
    items: list[MeetingOut]
    total: int = Field(examples=[14])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])
    next_offset: int | None = Field(description="null on the last page", examples=[None])


async def _out(session: SessionDep, meeting: Meeting, cell: Org) -> MeetingOut:
    return MeetingOut.of(meeting, cell, await service.documents_of(session, meeting.id))


def _file(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content=content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/meetings", summary="Meetings the caller may see (managed subtrees, or invited), soonest first", responses=REFUSALS)
async def list_meetings(
    session: SessionDep,
    actor: CurrentActor,
    org_id: Annotated[int | None, id_query("Only this organisation's subtree")] = None,
    start: FromDate = None,
    end: ToDate = None,
    meeting_status: Annotated[MeetingStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> MeetingPage:
    if start is not None and end is not None:
        stats.check_period(start, end)
    meetings, total = await service.list_meetings(
        session, actor=actor, org_id=org_id,
        starts_from=dates.to_utc(start, dt.time(0, 0)) if start else None,
        starts_before=dates.to_utc(end + dt.timedelta(days=1), dt.time(0, 0)) if end else None,
        status=meeting_status, limit=limit, offset=offset,
    )
    orgs = await orgs_by_ids(session, {m.cell_id for m in meetings})
    items = [await _out(session, m, orgs[m.cell_id]) for m in meetings]
    following = offset + len(items)
    return MeetingPage(items=items, total=total, limit=limit, offset=offset, next_offset=following if following < total else None)


async def _overlap_refusal(session: SessionDep, clash: service.MeetingOverlap) -> JSONResponse:
    orgs = await orgs_by_ids(session, {m.cell_id for m in clash.meetings})
    clashing = [(await _out(session, m, orgs[m.cell_id])).model_dump(mode="json") for m in clash.meetings]
    return JSONResponse(error_body(clash.code, clash.message, clashing=clashing), status_code=clash.status)


@router.post("/meetings", summary="Create a meeting and invite the members", status_code=status.HTTP_201_CREATED,
             responses={**REFUSALS, **OVERLAP}, response_model=MeetingCreated)
async def create_meeting(
    body: MeetingCreate, session: SessionDep, actor: AuditedActor, clock: ClockDep
) -> MeetingCreated | JSONResponse:
    try:
        result = await service.create_meeting(
            session, actor=actor, cell_id=body.org_id, kind=body.kind, starts_at=body.starts_at, place=body.place, agenda=body.agenda,
            repeat_monthly=body.repeat_monthly, allow_overlap=body.allow_overlap, now=clock.now(),
        )
    except service.MeetingOverlap as clash:
        return await _overlap_refusal(session, clash)
    out = await _out(session, result.meeting, await _cell(session, result.meeting))
    return MeetingCreated(
        **out.model_dump(), invited=result.invite.invited, queued=result.invite.queued, unlinked_member_ids=result.invite.unlinked_member_ids
    )


async def _cell(session: SessionDep, meeting: Meeting) -> Org:
    return await get_org(session, meeting.cell_id)


@router.get("/meetings/{meeting_id}", summary="One meeting with its invitations and answers", responses=REFUSALS)
async def get_meeting(meeting_id: MeetingId, session: SessionDep, actor: CurrentActor) -> MeetingDetail:
    access = await service.meeting_for_viewer(session, actor=actor, meeting_id=meeting_id)
    out = await _out(session, access.meeting, access.cell)
    attendance = await service.attendance_of(session, access.meeting.id)
    if access.manages:
        invitations = [
            InvitationOut.of(line.invitation, line.name, attendance.get(line.invitation.member_id))
            for line in await service.answer_lines(session, meeting_id=access.meeting.id)
        ]
        summary: MeetingStatsOut | None = MeetingStatsOut.of(await stats.meeting_stats(session, meeting=access.meeting))
    else:
        own = access.own_invitation
        assert own is not None
        invitations = [InvitationOut.of(own, actor.member.full_name, attendance.get(own.member_id))]
        summary = None
    return MeetingDetail(**out.model_dump(), invitations=invitations, stats=summary)


@router.patch("/meetings/{meeting_id}", summary="Change time, place or agenda; invitees are told what changed",
              responses={**REFUSALS, **OVERLAP}, response_model=MeetingEdited)
async def edit_meeting(
    meeting_id: MeetingId, body: MeetingPatch, session: SessionDep, actor: AuditedActor, clock: ClockDep
) -> MeetingEdited | JSONResponse:
    try:
        result = await service.edit_meeting(
            session, actor=actor, meeting_id=meeting_id, starts_at=body.starts_at, place=body.place, agenda=body.agenda,
            allow_overlap=body.allow_overlap, now=clock.now(),
        )
    except service.MeetingOverlap as clash:
        return await _overlap_refusal(session, clash)
    return await _edited(session, result)


async def _edited(session: SessionDep, result: service.EditResult) -> MeetingEdited:
    changed = [change[0] for change in result.changes]
    out = await _out(session, result.meeting, await _cell(session, result.meeting))
    return MeetingEdited(**out.model_dump(), changed=changed, queued=result.queued)


@router.post(
    "/meetings/{meeting_id}/documents", status_code=status.HTTP_201_CREATED,
    summary=f"Attach a file (PDF, DOC, DOCX, XLSX, JPG, PNG; ≤ {DOCUMENT_MAX_BYTES // 1024 // 1024} MB, "
            f"≤ {documents.MAX_DOCUMENTS} a meeting); every invitee gets it with a change notice",
    responses={
        **REFUSALS, **error_responses(413, 415),
        422: {"description": "Not allowed: an empty file, too many files, or a meeting already held; `message` says which"},
    },
)
async def add_meeting_document(
    meeting_id: MeetingId,
    file: Annotated[UploadFile, File(description="The file; its name's extension must match its content")],
    session: SessionDep, actor: AuditedActor, clock: ClockDep, runtime: RuntimeDep,
) -> MeetingEdited:
    await service.managed_meeting(session, actor=actor, meeting_id=meeting_id)  # scope first: nothing is stored for others
    data = await file.read(DOCUMENT_MAX_BYTES + 1)
    if len(data) > DOCUMENT_MAX_BYTES:
        raise HTTPException(413, texts.api.TOO_LARGE.format(megabytes=DOCUMENT_MAX_BYTES // 1024 // 1024))
    upload = await asyncio.to_thread(documents.store_upload, files_dir_of(runtime), data, filename=file.filename or "")
    result = await service.edit_meeting(session, actor=actor, meeting_id=meeting_id, documents=[upload], now=clock.now())
    return await _edited(session, result)


DocumentId = Annotated[int, id_path("Document id (from the meeting's `documents`)", 3)]


@router.get(
    "/meetings/{meeting_id}/documents/{document_id}",
    summary="Download a document of the meeting (to invitees, leaders of the cell and committees above)",
    response_class=FileResponse,
    responses=download_responses(
        list(documents.ALLOWED_EXTENSIONS.values()),
        example_name="Biên bản họp tháng 11.pdf",
        refusals={
            404: "No such meeting or document, a document of another meeting, or a meeting the caller may not see",
            409: "Attached in Telegram (`error`: `document_not_stored`): Sổ tay keeps only Telegram's file id, not a copy, so it is "
                 "opened in the invitation there; `message` says so",
        },
    ),
)
async def download_meeting_document(meeting_id: MeetingId, document_id: DocumentId, session: SessionDep, actor: CurrentActor) -> FileResponse:
    document = await service.document_for_viewer(session, actor=actor, meeting_id=meeting_id, document_id=document_id)
    return file_download(documents.stored_file(document), media_type=document.mime_type, filename=document.filename)


@router.post("/meetings/{meeting_id}/cancel", summary="Cancel a meeting not yet held; invitees are told", responses=REFUSALS)
async def cancel_meeting(meeting_id: MeetingId, session: SessionDep, actor: AuditedActor, clock: ClockDep) -> MeetingOut:
    meeting = await service.cancel_meeting(session, actor=actor, meeting_id=meeting_id, now=clock.now())
    return await _out(session, meeting, await _cell(session, meeting))


@router.post("/meetings/{meeting_id}/answer", summary="The caller answers their own invitation", responses=REFUSALS)
async def answer(
    meeting_id: MeetingId, body: AnswerIn, session: SessionDep, actor: AuditedActor, clock: ClockDep
) -> InvitationOut:
    invitation_id = await service.own_invitation_id(session, actor=actor, meeting_id=meeting_id)
    if body.answer == "attending":
        result = await service.answer_attending(session, actor=actor, invitation_id=invitation_id, now=clock.now())
    else:
        if body.reason is None:
            raise InvalidInput(texts.meetings.ABSENCE_REASON_NEEDED)
        result = await service.request_absence(
            session, actor=actor, invitation_id=invitation_id, reason=body.reason, text=body.reason_text, now=clock.now()
        )
    attendance = await service.attendance_of(session, meeting_id)
    return InvitationOut.of(result.invitation, actor.member.full_name, attendance.get(actor.member.id))


@router.post(
    "/meetings/invitations/{invitation_id}/decision", summary="A leader of the cell approves or refuses an absence request",
    responses=REFUSALS,
)
async def decide(
    invitation_id: InvitationId, body: DecisionIn, session: SessionDep, actor: AuditedActor, clock: ClockDep
) -> InvitationOut:
    invitation, meeting, name = await service.decide_absence(
        session, actor=actor, invitation_id=invitation_id, approve=body.approve, revision=body.revision, now=clock.now()
    )
    attendance = await service.attendance_of(session, meeting.id)
    return InvitationOut.of(invitation, name, attendance.get(invitation.member_id))


@router.put(
    "/meetings/{meeting_id}/attendance", summary="Record who was present (every other invitee is absent); late changes allowed",
    responses=REFUSALS,
)
async def record_attendance(
    meeting_id: MeetingId, body: AttendanceIn, session: SessionDep, actor: AuditedActor, clock: ClockDep
) -> AttendanceOut:
    sheet = await service.set_attendance(session, actor=actor, meeting_id=meeting_id, present_member_ids=body.present_member_ids, now=clock.now())
    return AttendanceOut.of(sheet)


@router.post("/meetings/{meeting_id}/conclusions", summary="Send the conclusions to every invitee who was absent", responses=REFUSALS)
async def send_conclusions(
    meeting_id: MeetingId, body: ConclusionsIn, session: SessionDep, actor: AuditedActor, clock: ClockDep
) -> ConclusionsOut:
    count = await service.send_conclusions(session, actor=actor, meeting_id=meeting_id, text=body.text, now=clock.now())
    return ConclusionsOut(sent_to=count)


@router.get(
    "/meetings/{meeting_id}/stats", summary="Invited, coming, excused, absent without leave, no answer — or the list as a file",
    responses={**REFUSALS, **FILES}, response_model=MeetingStatsOut,
)
async def meeting_stats(meeting_id: MeetingId, session: SessionDep, actor: CurrentActor, format: Format = "json") -> Response | MeetingStatsOut:
    meeting, cell = await service.managed_meeting(session, actor=actor, meeting_id=meeting_id)
    if format == "json":
        return MeetingStatsOut.of(await stats.meeting_stats(session, meeting=meeting))
    day = dates.local(meeting.starts_at).date()
    rows = await stats.detail_rows(session, actor=actor, org_id=cell.id, start=day, end=day, meeting_id=meeting.id)
    name = f"hop-{day.strftime('%Y%m%d')}-{meeting.id}"
    if format == "csv":
        return _file(export.meeting_csv(rows), export.CSV_MEDIA_TYPE, f"{name}.csv")
    period = await stats.period_stats(session, actor=actor, org_id=cell.id, start=day, end=day)
    members = await stats.member_stats(session, actor=actor, org_id=cell.id, start=day, end=day)
    return _file(export.workbook(period, members, rows), export.XLSX_MEDIA_TYPE, f"{name}.xlsx")


@router.get(
    "/orgs/{org_id}/meeting-stats", summary="Attendance of a cell or a committee's subtree over time: per month, cell and member",
    responses={**REFUSALS, **FILES}, response_model=PeriodStatsOut,
)
async def org_meeting_stats(
    org_id: OrgId,
    session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    start: FromDate = None,
    end: ToDate = None,
    by_member: Annotated[bool, Query(description="Include one line per member")] = False,
    format: Format = "json",
) -> Response | PeriodStatsOut:
    default_start, default_end = stats.default_period(clock.now())
    start, end = start or default_start, end or default_end
    period = await stats.period_stats(session, actor=actor, org_id=org_id, start=start, end=end)
    name = texts.meetings.EXPORT_FILENAME.format(start=start.strftime("%Y%m%d"), end=end.strftime("%Y%m%d"))
    if format == "json":
        members = await stats.member_stats(session, actor=actor, org_id=org_id, start=start, end=end) if by_member else []
        return PeriodStatsOut.of(period, members)
    rows = await stats.detail_rows(session, actor=actor, org_id=org_id, start=start, end=end)
    if format == "csv":
        return _file(export.detail_csv(rows), export.CSV_MEDIA_TYPE, f"{name}.csv")
    members = await stats.member_stats(session, actor=actor, org_id=org_id, start=start, end=end)
    return _file(export.workbook(period, members, rows), export.XLSX_MEDIA_TYPE, f"{name}.xlsx")


@router.get("/orgs/{org_id}/meeting-rules", summary="A cell's monthly meeting rules still running, with the next meeting each creates",
            responses=REFUSALS)
async def meeting_rules(org_id: OrgId, session: SessionDep, actor: CurrentActor, clock: ClockDep) -> list[RuleOut]:
    now = clock.now()
    return [RuleOut.of(rule, now) for rule in await service.cell_rules(session, actor=actor, cell_id=org_id)]


@router.post("/meeting-rules/{rule_id}/stop", summary="Stop a monthly rule: no further meetings are created (those created stay)",
             responses=REFUSALS)
async def stop_meeting_rule(rule_id: RuleId, session: SessionDep, actor: AuditedActor, clock: ClockDep) -> RuleOut:
    rule = await service.stop_rule(session, actor=actor, rule_id=rule_id, now=clock.now())
    return RuleOut.of(rule, clock.now())
