"""Votes and the annual review in the web console: a cell's leaders see its votes (open ones with how
many have voted, closed ones with their counts and result) and close an open one; a committee (or a
cell) reads the year's ratings per cell and rolled up over its subtree, and downloads them as CSV or
XLSX. Every rule is core.votes's; a secret vote shows only counts, as everywhere."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.console.desk import back, leading, record
from api.console.deps import ConsoleUser, CsrfChecked
from api.console.pages import render, templates
from api.deps import ClockDep, SessionDep
from api.downloads import download_headers
from core import texts
from core.meetings.access import manageable_cells
from core.meetings.export import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from core.orgs import management
from core.orgs.models import Org
from core.orgs.service import get_org
from core.votes import review, service

router = APIRouter(prefix="/votes", include_in_schema=False)
templates.env.globals["V"] = texts.votes
OrgQuery = Annotated[int | None, Query(ge=1, le=management.MAX_ID)]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
IdPath = Annotated[int, Path(ge=1, le=management.MAX_ID)]


def _cells(user: ConsoleUser) -> list[Org]:
    return sorted(manageable_cells(user.actor), key=lambda o: o.name)


@router.get("", name="console_votes")
async def votes_page(request: Request, user: ConsoleUser, session: SessionDep, org: OrgQuery = None,
                     ok: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
    cells = _cells(user)
    current = await get_org(session, org) if org is not None else (cells[0] if cells else None)
    cards = await service.cell_votes(session, actor=user.actor, cell_id=current.id) if current is not None else []
    return render(request, "votes.html", user, nav="votes", cells=cells, current=current, cards=cards, ok=ok == "closed")


@router.post("/{vote_id}/close", name="console_vote_close")
async def close_vote(vote_id: IdPath, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> Response:
    vote = await service.close_vote(session, actor=user.actor, vote_id=vote_id, now=clock.now())
    await record(session, user, "console.vote.close", org_id=vote.cell_id, target=service.source_of(vote.id), now=clock.now())
    return back(f"/console/votes?org={vote.cell_id}&ok=closed")


@router.post("/{vote_id}/hand-counts", name="console_vote_hand_counts")
async def hand_counts(request: Request, vote_id: IdPath, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> Response:
    """A vote held by raised hands: one number per option (a blank or a non-number is refused politely by core)."""
    form = await request.form()
    typed = [str(form.get(f"count{i}", "")).strip() for i in range(service.MAX_OPTIONS)]
    counts = [int(value) if value.isdigit() and len(value) <= 6 else -1 for value in typed if value != ""]
    vote = await service.record_hand_counts(session, actor=user.actor, vote_id=vote_id, counts=counts, now=clock.now())
    await record(session, user, "console.vote.hand_counts", org_id=vote.cell_id, target=service.source_of(vote.id), now=clock.now())
    return back(f"/console/votes?org={vote.cell_id}&ok=closed")


async def _figures(session: SessionDep, user: ConsoleUser, org: int | None, year: int | None, now_year: int) -> review.Figures:
    org_id = org if org is not None else leading(user)[0].id
    chosen = year or await review.latest_year(session, org_id=org_id) or now_year
    return await review.figures(session, actor=user.actor, org_id=org_id, year=chosen)


@router.get("/review", name="console_review")
async def review_page(request: Request, user: ConsoleUser, session: SessionDep, clock: ClockDep, org: OrgQuery = None,
                      year: YearQuery = None) -> HTMLResponse:
    result = await _figures(session, user, org, year, clock.now().year)
    return render(request, "review.html", user, nav="review", orgs=leading(user), result=result, ratings=list(texts.votes.RATINGS.items()))


@router.get("/review/export", name="console_review_export")
async def review_export(user: ConsoleUser, session: SessionDep, clock: ClockDep, format: Literal["csv", "xlsx"], org: OrgQuery = None,
                        year: YearQuery = None) -> Response:
    result = await _figures(session, user, org, year, clock.now().year)
    name = f"xep-loai-{result.org.id}-{result.year}.{format}"
    if format == "csv":
        content, media = review.figures_csv(result), CSV_MEDIA_TYPE
    else:
        content, media = await asyncio.to_thread(review.figures_xlsx, result), XLSX_MEDIA_TYPE
    return Response(content, media_type=media, headers={**download_headers(name), "Cache-Control": "no-store"})
