"""Figures: an organisation's subtree month by month (attendance, study, members, góp ý), a chart
(SVG, with the same numbers as a table), each direct sub-organisation for the last month, and the
API's CSV/XLSX files. Core decides who may see what (`figures.org_figures`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.console.chart import month_chart
from api.console.desk import back, chosen_month, leading, record
from api.console.deps import ConsoleUser, CsrfChecked, SignedIn
from api.console.pages import render
from api.deps import ClockDep, SessionDep
from api.routes.reports import annual_file, figures_file
from core import texts
from core.orgs import management
from core.orgs.models import OrgKind
from core.reporting import annual, annual_sent, figures
from core.reporting.models import AnnualState

router = APIRouter(prefix="/figures", include_in_schema=False)
OrgQuery = Annotated[int | None, Query(ge=1, le=management.MAX_ID)]
MonthQuery = Annotated[str | None, Query(max_length=7)]
MonthsQuery = Annotated[int, Query(ge=1, le=figures.MAX_MONTHS)]
YearQuery = Annotated[int | None, Query(ge=annual.FIRST_YEAR, le=2100)]
OrgForm = Annotated[int, Form(ge=1, le=management.MAX_ID)]
YearForm = Annotated[int, Form(ge=annual.FIRST_YEAR, le=2100)]
OkQuery = Annotated[str | None, Query(max_length=20)]
ANNUAL_OK = {"sent", "acknowledged"}


async def _rollup(session: AsyncSession, user: SignedIn, now: dt.datetime, org: int | None, month: str | None,
                  months: int, cells: bool = False) -> tuple[figures.Rollup, dt.date]:
    last = chosen_month(month, now)
    org_id = org if org is not None else leading(user)[0].id
    rollup = await figures.org_figures(session, actor=user.actor, org_id=org_id, month=last, history=months, now=now, cells=cells)
    return rollup, last


@router.get("", name="console_figures")
async def figures_page(request: Request, user: ConsoleUser, session: SessionDep, clock: ClockDep, org: OrgQuery = None,
                       month: MonthQuery = None, months: MonthsQuery = 6) -> HTMLResponse:
    rollup, last = await _rollup(session, user, clock.now(), org, month, months)
    chart = month_chart(rollup.org.name, rollup.months, rollup.totals)
    rows = list(zip(rollup.months, rollup.totals, strict=True))
    children = [(ref, series[-1]) for ref, series in rollup.children]
    return render(request, "figures.html", user, nav="figures", orgs=leading(user), current=rollup.org, rollup=rollup,
                  chart=chart, rows=list(reversed(rows)), children=children, last=last, months=months,
                  month_value=f"{last:%Y-%m}")


@router.get("/export", name="console_figures_export")
async def figures_export(user: ConsoleUser, session: SessionDep, clock: ClockDep, format: Literal["csv", "xlsx"],
                         org: OrgQuery = None, month: MonthQuery = None, months: MonthsQuery = 6) -> Response:
    rollup, last = await _rollup(session, user, clock.now(), org, month, months, cells=format == "xlsx")
    response = await figures_file(session, rollup, last, format)
    response.headers["Cache-Control"] = "no-store"
    return response



async def _annual(session: AsyncSession, user: SignedIn, now: dt.datetime, org: int | None, year: int | None,
                  cells: bool = False) -> annual.AnnualReport:
    org_id = org if org is not None else leading(user)[0].id
    return await annual.annual_report(session, actor=user.actor, org_id=org_id, year=year or annual.default_year(now), now=now, cells=cells)


@router.get("/year", name="console_annual")
async def annual_page(request: Request, user: ConsoleUser, session: SessionDep, clock: ClockDep, org: OrgQuery = None,
                      year: YearQuery = None, ok: OkQuery = None) -> HTMLResponse:
    """The annual report: the year's figures month by month and per sub-organisation, and the year's ratings."""
    report = await _annual(session, user, clock.now(), org, year)
    rows = list(zip(report.rollup.months, report.rollup.totals, strict=True))
    sent = await annual_sent.status(session, org=report.org, year=report.year)
    box = (await annual_sent.received(session, actor=user.actor, org_id=report.org.id, year=report.year)
           if report.org.kind == OrgKind.COMMITTEE else None)
    return render(request, "annual.html", user, nav="figures", orgs=leading(user), report=report, rows=list(reversed(rows)),
                  last_year=figures.local_month(clock.now()).year, ratings=list(texts.votes.RATINGS.items()), sent=sent, box=box,
                  may_send=annual_sent.may_send(user.actor, report.org), status=annual_sent.status_line(sent, report.year),
                  ok=ok if ok in ANNUAL_OK else None, limit=annual_sent.MAX_NOTE_CHARS)


@router.get("/year/export", name="console_annual_export")
async def annual_export(user: ConsoleUser, session: SessionDep, clock: ClockDep, format: Literal["csv", "xlsx"], org: OrgQuery = None,
                        year: YearQuery = None) -> Response:
    report = await _annual(session, user, clock.now(), org, year, cells=format == "xlsx")
    response = await annual_file(session, report, format)
    response.headers["Cache-Control"] = "no-store"
    return response


def _annual_path(org_id: int, year: int, *, sent: bool = False, ok: str = "") -> str:
    return f"/console/figures/year{'/sent' if sent else ''}?org={org_id}&year={year}" + (f"&ok={ok}" if ok else "")


@router.post("/year/send", name="console_annual_send")
async def annual_send(user: CsrfChecked, session: SessionDep, clock: ClockDep, org: OrgForm, year: YearForm,
                      note: Annotated[str, Form(max_length=annual_sent.MAX_NOTE_CHARS + 200)] = "") -> RedirectResponse:
    """Send the annual report up (frozen as it stands; again after a change: a new version). Core checks who may."""
    view = await annual_sent.send(session, actor=user.actor, org_id=org, year=year, now=clock.now(), note=note)
    await record(session, user, "console.annual_report.send", org_id=org, target=f"annual_report:{org}:{year}", now=clock.now())
    return back(_annual_path(view.org.id, year, ok="sent"))


@router.get("/year/sent", name="console_annual_sent")
async def annual_sent_page(request: Request, user: ConsoleUser, session: SessionDep, clock: ClockDep,
                           org: Annotated[int, Query(ge=1, le=management.MAX_ID)],
                           year: Annotated[int, Query(ge=annual.FIRST_YEAR, le=2100)], ok: OkQuery = None) -> HTMLResponse:
    """The annual report as sent (frozen), with «Tiếp nhận» for the committee directly above."""
    view = await annual_sent.sent_report(session, actor=user.actor, org_id=org, year=year, now=clock.now())
    may_ack = annual_sent.may_acknowledge(user.actor, view.org) and view.sent.state == AnnualState.SENT
    return render(request, "annual_sent.html", user, nav="figures", view=view, may_ack=may_ack, ratings=list(texts.votes.RATINGS.items()),
                  status=annual_sent.status_line(view.sent, year), ok=ok if ok in ANNUAL_OK else None)


@router.post("/year/acknowledge", name="console_annual_acknowledge")
async def annual_acknowledge(user: CsrfChecked, session: SessionDep, clock: ClockDep, org: OrgForm, year: YearForm,
                             version: Annotated[int, Form(ge=0, le=1_000_000)] = 0) -> RedirectResponse:
    view = await annual_sent.acknowledge(session, actor=user.actor, org_id=org, year=year, version=version, now=clock.now())
    await record(session, user, "console.annual_report.acknowledge", org_id=org, target=f"annual_report:{org}:{year}", now=clock.now())
    return back(_annual_path(view.org.id, year, sent=True, ok="acknowledged"))
