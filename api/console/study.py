"""Study campaigns (học tập nghị quyết): the campaigns a person follows, for one organisation and
its subtree; opening one over a published document (deadline, an optional quiz typed as text);
the results by cell and by member with quiz scores; a CSV file; closing a campaign early.
Every rule is `core.resolutions.study`'s (who may open where, the deadline, the quiz, the scope
of results a viewer may see), the same the bot and /api/v1/study use."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.console.desk import back, leading, record
from api.console.deps import ConsoleUser, CsrfChecked, SignedIn
from api.console.pages import render
from api.deps import ClockDep, SessionDep
from core.errors import Conflict, InvalidInput
from core.orgs import management
from core.orgs.models import Org
from core.orgs.service import get_org
from core.resolutions import export, service, study

router = APIRouter(prefix="/study", include_in_schema=False)
IdQuery = Annotated[int | None, Query(ge=1, le=management.MAX_ID)]
CampaignId = Annotated[int, Path(ge=1, le=management.MAX_ID)]
OK = {"opened", "closed"}


async def _within(session: AsyncSession, user: SignedIn, org: int | None) -> Org | None:
    if org is None:
        return None
    current = await get_org(session, org)
    user.actor.require_manages(current)
    return current


async def _list_page(request: Request, user: SignedIn, session: AsyncSession, now: dt.datetime, *, org: int | None,
                     document: int | None, problem: str | None = None, values: dict | None = None) -> HTMLResponse:  # type: ignore[type-arg]
    current = await _within(session, user, org)
    found = await study.campaigns_for(session, actor=user.actor, limit=200, within=current)
    documents = (await service.library(session, actor=user.actor, page=1, per_page=50)).items
    rows = [{"campaign": c, "document": d, "org": o, "open": study.is_open(c, now), "deadline": study.format_deadline(c)} for c, d, o in found]
    chosen = values or {"document": document, "org": current.id if current else None,
                        "deadline": (study.local_day(now) + dt.timedelta(days=14)).isoformat(), "quiz": ""}
    return render(request, "study.html", user, nav="study", orgs=leading(user), current=current, rows=rows, documents=documents,
                  values=chosen, problem=problem, limit=study.MAX_QUESTIONS, status_code=422 if problem else 200)


@router.get("", name="console_study")
async def campaigns_page(request: Request, user: ConsoleUser, session: SessionDep, clock: ClockDep, org: IdQuery = None,
                         document: IdQuery = None) -> HTMLResponse:
    return await _list_page(request, user, session, clock.now(), org=org, document=document)


@router.post("", name="console_study_open")
async def open_campaign(request: Request, user: CsrfChecked, session: SessionDep, clock: ClockDep,
                        document_id: Annotated[int, Form(ge=1, le=management.MAX_ID)],
                        org_id: Annotated[int, Form(ge=1, le=management.MAX_ID)], deadline: Annotated[dt.date, Form()],
                        quiz: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    values = {"document": document_id, "org": org_id, "deadline": deadline.isoformat(), "quiz": quiz}
    try:
        async with session.begin_nested():
            opened = await study.open_campaign(session, actor=user.actor, document_id=document_id, org_id=org_id, deadline_day=deadline,
                                               questions=study.parse_quiz(quiz), now=clock.now())
    except (InvalidInput, Conflict) as refused:
        return await _list_page(request, user, session, clock.now(), org=None, document=document_id, problem=refused.message, values=values)
    await record(session, user, "console.study.open", org_id=opened.org.id, target=f"campaign:{opened.campaign.id}", now=clock.now())
    return back(f"/console/study/{opened.campaign.id}?ok=opened&m={opened.members}&q={opened.queued}")


@router.get("/{campaign_id}", name="console_study_campaign")
async def results_page(request: Request, campaign_id: CampaignId, user: ConsoleUser, session: SessionDep, clock: ClockDep,
                       org: IdQuery = None, ok: Annotated[str | None, Query(max_length=20)] = None,
                       m: Annotated[int, Query(ge=0, le=10_000_000)] = 0, q: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> HTMLResponse:
    results = await study.campaign_results(session, actor=user.actor, campaign_id=campaign_id, org_id=org)
    members = await study.member_results(session, actor=user.actor, campaign_id=campaign_id, org_id=org)
    campaign = results.campaign
    campaign_org = await get_org(session, campaign.org_id)
    questions = campaign.question_count
    lines = [{"result": r, "done": study.is_done(r.studied_at, r.quiz_completed_at, questions), "score": export.member_score(r, questions),
              "studied_on": f"{study.local_day(r.studied_at):%d/%m/%Y}" if r.studied_at else ""} for r in members]
    return render(request, "study_campaign.html", user, nav="study", results=results, campaign_org=campaign_org, lines=lines,
                  questions=questions, deadline=study.format_deadline(campaign), open=study.is_open(campaign, clock.now()),
                  may_close=campaign.closed_at is None and user.actor.manages(campaign_org), part=results.org.id != campaign_org.id,
                  org=org, ok=ok if ok in OK else None, members=m, queued=q)


@router.get("/{campaign_id}/export", name="console_study_export")
async def results_file(campaign_id: CampaignId, user: ConsoleUser, session: SessionDep, org: IdQuery = None) -> Response:
    results = await study.campaign_results(session, actor=user.actor, campaign_id=campaign_id, org_id=org)
    members = await study.member_results(session, actor=user.actor, campaign_id=campaign_id, org_id=org)
    name = f"hoc-tap-{campaign_id}-{results.org.id}.csv"
    return Response(export.results_csv(members, questions=results.campaign.question_count), media_type=export.CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.post("/{campaign_id}/close", name="console_study_close")
async def close_campaign(campaign_id: CampaignId, user: CsrfChecked, session: SessionDep, clock: ClockDep) -> RedirectResponse:
    campaign = await study.close_campaign(session, actor=user.actor, campaign_id=campaign_id, now=clock.now())
    await record(session, user, "console.study.close", org_id=campaign.org_id, target=f"campaign:{campaign_id}", now=clock.now())
    return back(f"/console/study/{campaign_id}?ok=closed")
