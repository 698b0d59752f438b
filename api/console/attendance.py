"""Meetings after the invitation: monthly rules (see, stop; a rule is made by creating a regular
meeting «repeated every month», as in the bot and the API), the attendance sheet (present, absent
with or without leave; a printable copy), and the conclusions sent to those absent. Every rule is
core.meetings.service's; a recording of the conclusions gets its own place on the meeting page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.console.deps import ConsoleUser, CsrfChecked, SignedIn
from api.console.desk import back, record
from api.console.meetings import card_page, leadable_cells
from api.console.pages import CSP_PRINT, render, secure, templates
from api.deps import ClockDep, SessionDep
from core import texts
from core.errors import Conflict, InvalidInput, NotFound
from core.meetings import dates, service
from core.orgs import management

router = APIRouter(prefix="/meetings", include_in_schema=False)
MeetingId = Annotated[int, Path(ge=1, le=management.MAX_ID)]
T = texts.console
M = texts.meetings
MAX_MARKS = 2000


@router.get("/rules", name="console_meeting_rules")
async def rules_page(request: Request, user: ConsoleUser, session: SessionDep, clock: ClockDep,
                     ok: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
    cells = await leadable_cells(session, user.actor)
    if not cells:
        raise NotFound(T.NO_CELL_TO_LEAD)
    now = clock.now()
    groups = []
    for cell in cells[:50]:
        rules = await service.cell_rules(session, actor=user.actor, cell_id=cell.id)
        groups.append({"cell": cell, "rules": [{"rule": r, "time": dates.format_time(r.local_time),
                                                "next": dates.format_when(service.next_occurrence(r, now)[1])} for r in rules]})
    return render(request, "meeting_rules.html", user, nav="meetings", groups=groups, ok=ok == "stopped")


@router.post("/rules/{rule_id}/stop", name="console_meeting_rule_stop")
async def stop_rule(rule_id: MeetingId, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> RedirectResponse:
    rule = await service.stop_rule(session, actor=user.actor, rule_id=rule_id, now=clock.now())
    await record(session, user, "console.meeting_rule.stop", org_id=rule.cell_id, target=f"meeting_rule:{rule.id}", now=clock.now())
    return back("/console/meetings/rules?ok=stopped")


def _counts(lines: list[service.MarkLine]) -> dict[str, int]:
    return {mark.value: sum(1 for line in lines if line.mark == mark) for mark in service.Mark}


async def _sheet(request: Request, user: SignedIn, session: AsyncSession, now: dt.datetime, meeting_id: int, *,
                 template: str, **extra: Any) -> HTMLResponse:
    meeting, cell, lines = await service.attendance_marks(session, actor=user.actor, meeting_id=meeting_id, now=now)
    return render(request, template, user, nav="meetings", meeting=meeting, cell=cell, lines=lines, counts=_counts(lines),
                  when=dates.format_when(meeting.starts_at), M=M, marks=list(service.Mark), **extra)


@router.get("/{meeting_id}/attendance", name="console_attendance")
async def attendance_page(request: Request, meeting_id: MeetingId, user: ConsoleUser, session: SessionDep, clock: ClockDep,
                          ok: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
    return await _sheet(request, user, session, clock.now(), meeting_id, template="attendance.html", ok=ok == "saved")


@router.get("/{meeting_id}/attendance/print", name="console_attendance_print")
async def attendance_print(request: Request, meeting_id: MeetingId, user: ConsoleUser, session: SessionDep, clock: ClockDep) -> HTMLResponse:
    meeting, cell, lines = await service.attendance_marks(session, actor=user.actor, meeting_id=meeting_id, now=clock.now())
    response = templates.TemplateResponse(request, "attendance_print.html", {
        "meeting": meeting, "cell": cell, "lines": lines, "counts": _counts(lines), "when": dates.format_when(meeting.starts_at), "M": M})
    return secure(response, csp=CSP_PRINT)


async def _marks_of(request: Request) -> dict[int, service.Mark]:
    form = await request.form()
    marks: dict[int, service.Mark] = {}
    for key, value in form.multi_items():
        if not key.startswith("m-"):
            continue
        if len(marks) >= MAX_MARKS or not key[2:].isdigit() or not isinstance(value, str) or value not in service.Mark._value2member_map_:
            raise InvalidInput(M.NOT_INVITED)
        marks[int(key[2:])] = service.Mark(value)
    return marks


@router.post("/{meeting_id}/attendance", name="console_attendance_save")
async def save_attendance(request: Request, meeting_id: MeetingId, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> RedirectResponse:
    marks = await _marks_of(request)
    await service.mark_attendance(session, actor=user.actor, meeting_id=meeting_id, marks=marks, now=clock.now())
    await record(session, user, "console.meeting.attendance", org_id=None, target=f"meeting:{meeting_id}", now=clock.now())
    return back(f"/console/meetings/{meeting_id}/attendance?ok=saved")


@router.post("/{meeting_id}/conclusions", name="console_conclusions")
async def send_conclusions(request: Request, meeting_id: MeetingId, user: CsrfChecked, session: SessionDep, clock: ClockDep,
                           text: Annotated[str, Form(max_length=service.MAX_CONCLUSIONS_CHARS + 1000)] = "") -> Response:
    try:
        async with session.begin_nested():
            count = await service.send_conclusions(session, actor=user.actor, meeting_id=meeting_id, text=text, now=clock.now())
    except (Conflict, InvalidInput) as refused:  # what was typed stays in the box
        return await card_page(request, user, session, meeting_id, clock.now(), problem=refused.message, conclusions_value=text)
    await record(session, user, "console.meeting.conclusions", org_id=None, target=f"meeting:{meeting_id}", now=clock.now())
    return back(f"/console/meetings/{meeting_id}?sent={count}#conclusions")
