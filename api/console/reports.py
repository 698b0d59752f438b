"""Monthly reports: a cell's secretary reads the draft, writes the cell's words, sends it up; a
committee sees which cells sent, opens each, acknowledges or returns it with a comment, and
reminds the cells that have not sent. Every rule is `core.reporting.reports`'s."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.desk import back, chosen_month, leading, record
from api.console.deps import ConsoleUser, CsrfChecked
from api.console.pages import render
from api.deps import ClockDep, SessionDep
from api.routes.reports import received_file
from core.orgs import management
from core.orgs.models import OrgKind
from core.orgs.service import get_org
from core.reporting import figures, reports
from core.reporting.models import ReportState

router = APIRouter(prefix="/reports", include_in_schema=False)
OrgQuery = Annotated[int | None, Query(ge=1, le=management.MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=management.MAX_ID)]
MonthPath = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$")]
Note = Annotated[str, Form(max_length=reports.MAX_NOTE_CHARS + 200)]
OK = {"saved", "sent", "acknowledged", "returned", "reminded"}


def _report_path(cell_id: int, month: str) -> str:
    return f"/console/reports/{cell_id}/{month}"


@router.get("", name="console_reports")
async def reports_home(request: Request, user: ConsoleUser, session: SessionDep, clock: ClockDep, org: OrgQuery = None,
                       month: Annotated[str | None, Query(max_length=7)] = None,
                       ok: Annotated[str | None, Query(max_length=20)] = None,
                       n: Annotated[int, Query(ge=0, le=100_000)] = 0) -> Response:
    """A committee's received reports for the month; for a cell, straight to its report."""
    chosen = chosen_month(month, clock.now())
    orgs = leading(user)
    current = await get_org(session, org) if org is not None else orgs[0]
    user.actor.require_manages(current)
    if current.kind == OrgKind.CELL:
        return back(_report_path(current.id, f"{chosen:%Y-%m}"))
    box = await reports.received(session, actor=user.actor, org_id=current.id, month=chosen)
    return render(request, "reports.html", user, nav="reports", orgs=orgs, current=current, box=box, month_value=f"{chosen:%Y-%m}",
                  may_remind=reports.may_remind(user.actor, current), ok=ok if ok in OK else None, n=n)


@router.get("/export", name="console_reports_export")
async def reports_export(user: ConsoleUser, session: SessionDep, clock: ClockDep, format: Literal["csv", "xlsx"], org: OrgQuery = None,
                         month: Annotated[str | None, Query(max_length=7)] = None) -> Response:
    """The committee's received reports as stored: one row per cell, its state, figures and ratings as sent."""
    current = await get_org(session, org) if org is not None else leading(user)[0]
    box = await reports.received(session, actor=user.actor, org_id=current.id, month=chosen_month(month, clock.now()))
    response = received_file(box, format)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/{cell_id}/{month}", name="console_report")
async def report_page(request: Request, cell_id: IdPath, month: MonthPath, user: ConsoleUser, session: SessionDep, clock: ClockDep,
                      ok: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
    chosen = figures.parse_month(month)
    view = await reports.report_for(session, actor=user.actor, cell_id=cell_id, month=chosen, now=clock.now())
    own = reports.may_send(user.actor, view.cell)
    if view.report.state in reports.FINAL_STATES and not own:
        view = await reports.read_report(session, actor=user.actor, cell_id=cell_id, month=chosen, now=clock.now())
    parent = await get_org(session, view.cell.parent_id) if view.cell.parent_id else None
    state = view.report.state
    return render(request, "report.html", user, nav="reports", view=view, month=chosen, month_value=month, parent=parent,
                  may_edit=own and state in (ReportState.DRAFT, ReportState.RETURNED),
                  may_review=reports.may_review(user.actor, view.cell) and state == ReportState.SENT,
                  ok=ok if ok in OK else None, limit=reports.MAX_NOTE_CHARS)


@router.post("/{cell_id}/{month}", name="console_report_write")
async def write_report(cell_id: IdPath, month: MonthPath, user: CsrfChecked, session: SessionDep, clock: ClockDep,
                       note: Note = "", action: Annotated[Literal["save", "send"], Form()] = "save") -> RedirectResponse:
    chosen = figures.parse_month(month)
    if action == "send":
        await reports.send_report(session, actor=user.actor, cell_id=cell_id, month=chosen, now=clock.now(), note=note)
    else:
        await reports.save_note(session, actor=user.actor, cell_id=cell_id, month=chosen, note=note, now=clock.now())
    await record(session, user, f"console.report.{'send' if action == 'send' else 'note'}", org_id=cell_id,
                 target=f"report:{cell_id}:{month}", now=clock.now())
    return back(f"{_report_path(cell_id, month)}?ok={'sent' if action == 'send' else 'saved'}")


@router.post("/{cell_id}/{month}/review", name="console_report_review")
async def review_report(cell_id: IdPath, month: MonthPath, user: CsrfChecked, session: SessionDep, clock: ClockDep,
                        action: Annotated[Literal["acknowledge", "return"], Form()], comment: Note = "") -> RedirectResponse:
    chosen = figures.parse_month(month)
    if action == "acknowledge":
        view = await reports.acknowledge_report(session, actor=user.actor, cell_id=cell_id, month=chosen, now=clock.now())
    else:
        view = await reports.return_report(session, actor=user.actor, cell_id=cell_id, month=chosen, comment=comment, now=clock.now())
    await record(session, user, f"console.report.{action}", org_id=cell_id, target=f"report:{cell_id}:{month}", now=clock.now())
    done = "acknowledged" if action == "acknowledge" else "returned"
    return back(f"/console/reports?org={view.cell.parent_id}&month={month}&ok={done}&n={cell_id}")


@router.post("/remind/{org_id}/{month}", name="console_reports_remind")
async def remind(org_id: IdPath, month: MonthPath, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> RedirectResponse:
    count = await reports.remind_missing(session, actor=user.actor, org_id=org_id, month=figures.parse_month(month), now=clock.now())
    await record(session, user, "console.report.remind", org_id=org_id, target=f"reports:{org_id}:{month}", now=clock.now())
    return back(f"/console/reports?org={org_id}&month={month}&ok=reminded&n={count}")



