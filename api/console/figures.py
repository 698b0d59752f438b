"""Figures: an organisation's subtree month by month (attendance, study, members, góp ý), a chart
(SVG, with the same numbers as a table), each direct sub-organisation for the last month, and the
API's CSV/XLSX files. Core decides who may see what (`figures.org_figures`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.console.chart import month_chart
from api.console.desk import chosen_month, leading
from api.console.deps import ConsoleUser, SignedIn
from api.console.pages import render
from api.deps import ClockDep, SessionDep
from api.routes.reports import annual_file, figures_file
from core import texts
from core.orgs import management
from core.reporting import annual, figures

router = APIRouter(prefix="/figures", include_in_schema=False)
OrgQuery = Annotated[int | None, Query(ge=1, le=management.MAX_ID)]
MonthQuery = Annotated[str | None, Query(max_length=7)]
MonthsQuery = Annotated[int, Query(ge=1, le=figures.MAX_MONTHS)]
YearQuery = Annotated[int | None, Query(ge=annual.FIRST_YEAR, le=2100)]


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
                      year: YearQuery = None) -> HTMLResponse:
    """The annual report: the year's figures month by month and per sub-organisation, and the year's ratings."""
    report = await _annual(session, user, clock.now(), org, year)
    rows = list(zip(report.rollup.months, report.rollup.totals, strict=True))
    return render(request, "annual.html", user, nav="figures", orgs=leading(user), report=report, rows=list(reversed(rows)),
                  last_year=figures.local_month(clock.now()).year, ratings=list(texts.votes.RATINGS.items()))


@router.get("/year/export", name="console_annual_export")
async def annual_export(user: ConsoleUser, session: SessionDep, clock: ClockDep, format: Literal["csv", "xlsx"], org: OrgQuery = None,
                        year: YearQuery = None) -> Response:
    report = await _annual(session, user, clock.now(), org, year, cells=format == "xlsx")
    response = await annual_file(session, report, format)
    response.headers["Cache-Control"] = "no-store"
    return response
