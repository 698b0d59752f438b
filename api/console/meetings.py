"""Meetings: the month's calendar, create (with a multi-line agenda and documents), edit, cancel,
the answers, and absence requests to decide. Every rule is core.meetings.service's (who leads which
cell, the two-hour overlap rule, what can still change); the pages only ask and show."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.deps import ConsoleUser, CsrfChecked, SignedIn
from api.console.members import OrgQuery, managed_cells
from api.console.pages import render
from api.console.recordings import recording_slot
from api.deps import ClockDep, RuntimeDep, SessionDep
from api.routes.documents import files_dir_of
from core import texts
from core.clock import local_date, local_tz
from core.errors import Conflict, DomainError, InvalidInput, NotFound
from core.meetings import dates, documents, service
from core.meetings.models import Answer, MeetingKind, MeetingStatus
from core.listening.models import SubjectKind
from core.orgs import management
from core.orgs.service import Actor, orgs_by_ids

router = APIRouter(prefix="/meetings", include_in_schema=False)
T = texts.console
M = texts.meetings


async def leadable_cells(session, actor: Actor):  # type: ignore[no-untyped-def]
    """Cells whose meetings this person runs (secretary or deputy, or a committee above them)."""
    return [cell for cell in await managed_cells(session, actor) if actor.leads_cell(cell)]


@router.get("", name="console_meetings")
async def calendar(request: Request, user: ConsoleUser, session: SessionDep, clock: ClockDep, org: OrgQuery = None,
                   month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None) -> HTMLResponse:
    today = local_date(clock.now())
    year, number = (int(month[:4]), int(month[5:])) if month else (today.year, today.month)
    if not (1 <= number <= 12 and 2000 <= year <= 2100):
        raise NotFound(texts.common.NOT_FOUND)
    current = await management.managed_org(session, user.actor, org) if org else None
    first = dt.date(year, number, 1)
    after = dt.date(*dates.add_months(year, number, 1), 1)
    tz = local_tz()
    found, _ = await service.list_meetings(
        session, actor=user.actor, org_id=current.id if current else None,
        starts_from=dt.datetime.combine(first, dt.time(), tz), starts_before=dt.datetime.combine(after, dt.time(), tz), limit=500,
    )
    cells = await orgs_by_ids(session, {m.cell_id for m in found})
    by_day: dict[dt.date, list] = {}
    for meeting in found:
        by_day.setdefault(dates.local(meeting.starts_at).date(), []).append(
            {"meeting": meeting, "cell": cells.get(meeting.cell_id), "time": dates.format_time(dates.local(meeting.starts_at).time())})
    prev_y, prev_m = dates.add_months(year, number, -1)
    next_y, next_m = dates.add_months(year, number, 1)
    return render(request, "meetings.html", user, nav="meetings", weeks=dates.month_grid(year, number), by_day=by_day, today=today,
                  year=year, month=number, prev=f"{prev_y:04d}-{prev_m:02d}", next=f"{next_y:04d}-{next_m:02d}",
                  weekdays=texts.common.WEEKDAYS, current=current, orgs=[o for o in management.visible_roots(user.actor) if user.actor.manages(o)],
                  can_create=bool(await leadable_cells(session, user.actor)), M=M)


def _form_context(cells, **values):  # type: ignore[no-untyped-def]
    return {"cells": cells, "kinds": M.KINDS, "values": values, "M": M}


@router.get("/new", name="console_meeting_new")
async def new_meeting(request: Request, user: ConsoleUser, session: SessionDep, clock: ClockDep,
                      day: Annotated[dt.date | None, Query()] = None, repeat: bool = False) -> HTMLResponse:
    cells = await leadable_cells(session, user.actor)
    if not cells:
        raise HTTPException(403, T.NO_CELL_TO_LEAD)
    return render(request, "meeting_form.html", user, nav="meetings",
                  **_form_context(cells, day=(day or local_date(clock.now()) + dt.timedelta(days=7)).isoformat(), time="19:30", kind="regular",
                                  repeat=repeat))


async def _uploads(runtime, files: list[UploadFile]) -> list[documents.DocumentUpload]:  # type: ignore[no-untyped-def]
    chosen = [f for f in files if f.filename]
    if len(chosen) > documents.MAX_DOCUMENTS:  # before a byte is stored (core checks it again with those already attached)
        raise InvalidInput(M.TOO_MANY_DOCUMENTS.format(limit=documents.MAX_DOCUMENTS))
    uploads = []
    for file in chosen:
        data = await file.read(documents.MAX_DOCUMENT_BYTES + 1)
        if len(data) > documents.MAX_DOCUMENT_BYTES:
            raise HTTPException(413, texts.api.TOO_LARGE.format(megabytes=documents.MAX_DOCUMENT_BYTES // 1024 // 1024))
        uploads.append(await asyncio.to_thread(documents.store_upload, files_dir_of(runtime), data, filename=file.filename or ""))
    return uploads


def _starts_at(day: dt.date, time: dt.time) -> dt.datetime:
    return dates.to_utc(day, time)


@router.post("", name="console_meeting_create")
async def create_meeting(
    request: Request, user: CsrfChecked, session: SessionDep, clock: ClockDep, runtime: RuntimeDep,
    cell: Annotated[int, Form(ge=1, le=management.MAX_ID)], kind: Annotated[MeetingKind, Form()], day: Annotated[dt.date, Form()],
    time: Annotated[dt.time, Form()], place: Annotated[str, Form(max_length=500)], agenda: Annotated[str, Form(max_length=4000)] = "",
    repeat: Annotated[bool, Form()] = False, allow_overlap: Annotated[bool, Form()] = False,
    files: Annotated[list[UploadFile] | None, Form()] = None,
) -> Response:
    cells = await leadable_cells(session, user.actor)
    values = {"cell": cell, "kind": kind.value, "day": day.isoformat(), "time": time.strftime("%H:%M"), "place": place, "agenda": agenda,
              "repeat": repeat}
    try:
        async with session.begin_nested():
            uploads = await _uploads(runtime, files or [])
            result = await service.create_meeting(
                session, actor=user.actor, cell_id=cell, kind=kind, starts_at=_starts_at(day, time), place=place, agenda=agenda,
                documents=uploads, repeat_monthly=repeat, allow_overlap=allow_overlap, now=clock.now(),
            )
    except service.MeetingOverlap as clash:
        return render(request, "meeting_form.html", user, nav="meetings", problem=clash.message, overlap=True, **_form_context(cells, **values))
    except (InvalidInput, Conflict) as refused:
        return render(request, "meeting_form.html", user, nav="meetings", problem=refused.message, **_form_context(cells, **values))
    # Post/redirect/get: reloading the meeting's page never makes a second meeting.
    target = request.url_for("console_meeting", meeting_id=result.meeting.id).path
    return RedirectResponse(f"{target}?created={result.invite.invited}", status_code=303)


async def card_page(request: Request, user: SignedIn, session, meeting_id: int, now: dt.datetime, *,  # type: ignore[no-untyped-def]
                    note: str | None = None, problem: str | None = None, **extra: Any) -> HTMLResponse:
    card = await service.meeting_card(session, actor=user.actor, meeting_id=meeting_id)
    meeting = card.meeting
    local = dates.local(meeting.starts_at)
    counts = {answer: sum(1 for line in card.answers if line.invitation.answer == answer) for answer in Answer}
    held = meeting.status == MeetingStatus.HELD
    slot = await recording_slot(session, user.actor, SubjectKind.CONCLUSIONS, meeting.id) if held else None
    return render(request, "meeting.html", user, nav="meetings", card=card, when=dates.format_when(meeting.starts_at), note=note, slot=slot,
                  attendance_open=held or (meeting.status == MeetingStatus.SCHEDULED and now >= meeting.starts_at - service.ATTENDANCE_OPENS_BEFORE),
                  held=held, absentees=len(await service.absentee_ids(session, meeting.id)) if held else 0, **extra,
                  problem=problem, agenda_lines=[line for line in card.meeting.agenda.splitlines() if line.strip()], M=M, Answer=Answer,
                  counts=counts, editable=card.meeting.status == MeetingStatus.SCHEDULED,
                  values={"day": local.date().isoformat(), "time": local.strftime("%H:%M"), "place": card.meeting.place,
                          "agenda": card.meeting.agenda})


@router.get("/{meeting_id}", name="console_meeting")
async def meeting_page(request: Request, meeting_id: int, user: ConsoleUser, session: SessionDep, clock: ClockDep,
                       created: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
                       sent: Annotated[int | None, Query(ge=0, le=1_000_000)] = None) -> HTMLResponse:
    if not 1 <= meeting_id <= management.MAX_ID:
        raise NotFound(texts.common.NOT_FOUND)
    note = T.MEETING_CREATED.format(invited=created) if created is not None else None
    if sent is not None:
        note = T.CONCLUSIONS_SENT.format(count=sent)
    return await card_page(request, user, session, meeting_id, clock.now(), note=note)


@router.post("/{meeting_id}/edit", name="console_meeting_edit")
async def edit_meeting(
    request: Request, meeting_id: int, user: CsrfChecked, session: SessionDep, clock: ClockDep, runtime: RuntimeDep,
    day: Annotated[dt.date, Form()], time: Annotated[dt.time, Form()], place: Annotated[str, Form(max_length=500)],
    agenda: Annotated[str, Form(max_length=4000)] = "", allow_overlap: Annotated[bool, Form()] = False,
    files: Annotated[list[UploadFile] | None, Form()] = None,
) -> HTMLResponse:
    meeting, _ = await service.managed_meeting(session, actor=user.actor, meeting_id=meeting_id)  # scope first: nothing stored for others
    starts_at = _starts_at(day, time)
    try:
        async with session.begin_nested():
            uploads = await _uploads(runtime, files or [])
            result = await service.edit_meeting(
                session, actor=user.actor, meeting_id=meeting_id, now=clock.now(), documents=uploads, allow_overlap=allow_overlap,
                starts_at=starts_at if starts_at != meeting.starts_at else None,
                place=place if place != meeting.place else None, agenda=agenda if agenda.replace("\r\n", "\n") != meeting.agenda else None,
            )
    except DomainError as refused:
        return await card_page(request, user, session, meeting_id, clock.now(), problem=refused.message)
    return await card_page(request, user, session, meeting_id, clock.now(), note=T.MEETING_SAVED.format(queued=result.queued))


@router.post("/{meeting_id}/cancel", name="console_meeting_cancel")
async def cancel_meeting(request: Request, meeting_id: int, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> HTMLResponse:
    try:
        async with session.begin_nested():
            await service.cancel_meeting(session, actor=user.actor, meeting_id=meeting_id, now=clock.now())
    except Conflict as refused:
        return await card_page(request, user, session, meeting_id, clock.now(), problem=refused.message)
    return await card_page(request, user, session, meeting_id, clock.now(), note=T.MEETING_CANCELLED)


@router.post("/invitations/{invitation_id}/decision", name="console_absence_decision")
async def decide(
    request: Request, invitation_id: int, user: CsrfChecked, session: SessionDep, clock: ClockDep,
    approve: Annotated[bool, Form()], revision: Annotated[int, Form(ge=0, le=1_000_000)],
) -> HTMLResponse:
    if not 1 <= invitation_id <= management.MAX_ID:
        raise NotFound(texts.common.NOT_FOUND)
    try:
        async with session.begin_nested():
            invitation, meeting, name = await service.decide_absence(
                session, actor=user.actor, invitation_id=invitation_id, approve=approve, revision=revision, now=clock.now())
    except (Conflict, InvalidInput) as refused:
        invitation, meeting, _ = await service.absence_request_of(session, actor=user.actor, invitation_id=invitation_id)
        return await card_page(request, user, session, meeting.id, clock.now(), problem=refused.message)
    note = (T.DECIDED_APPROVED if approve else T.DECIDED_REFUSED).format(name=name)
    return await card_page(request, user, session, meeting.id, clock.now(), note=note)
