"""/api/v1/study: study campaigns (học tập nghị quyết) — open one with a deadline and a quiz,
follow the results by cell and by member, close it; members answer quiz questions here too.

Opening needs the right to manage the organisation; results are shown for the part of the
campaign the caller manages (a cell secretary sees their cell of a commune's campaign).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import AuditDep, ClockDep, CurrentActor, SessionDep
from api.errors import error_responses
from api.schemas.common import id_path, id_query
from api.schemas.resolutions import (
    AnswerIn,
    AnswerOut,
    CampaignCreate,
    CampaignOpened,
    CampaignOut,
    CampaignResultsOut,
    CellResultOut,
    MemberResultOut,
    ResultOut,
)
from core.resolutions import study

router = APIRouter(prefix="/study", tags=["study"])

CampaignId = Annotated[int, id_path("Campaign id")]
QuestionId = Annotated[int, id_path("Quiz question id")]
OrgFilter = Annotated[int | None, id_query("Only this part (an organisation the caller manages)")]


@router.post("/campaigns", status_code=status.HTTP_201_CREATED, responses=error_responses(409), summary="Open a study campaign")
async def open_campaign(body: CampaignCreate, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> CampaignOpened:
    opened = await study.open_campaign(
        session, actor=actor, document_id=body.document_id, org_id=body.org_id, deadline_day=body.deadline, now=clock.now(),
        questions=[study.QuestionInput(text=q.text, options=q.options, correct=q.correct) for q in body.questions],
    )
    await audit_trail("api.study.open", org_id=opened.org.id, target=f"campaign:{opened.campaign.id}", detail={"members": opened.members})
    return CampaignOpened(campaign=CampaignOut.of(opened.campaign), members=opened.members, queued=opened.queued)


@router.get("/campaigns", summary="Campaigns the caller follows (in or above what they manage), newest first")
async def list_campaigns(session: SessionDep, actor: CurrentActor, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[CampaignOut]:
    return [CampaignOut.of(c) for c, _, _ in await study.campaigns_for(session, actor=actor, limit=limit)]


@router.get("/campaigns/{campaign_id}", summary="Results: who studied, quizzes done, average score (out of 10), by cell")
async def campaign_results(campaign_id: CampaignId, session: SessionDep, actor: CurrentActor, org_id: OrgFilter = None) -> CampaignResultsOut:
    results = await study.campaign_results(session, actor=actor, campaign_id=campaign_id, org_id=org_id)
    questions = results.campaign.question_count
    cells = [CellResultOut(org_id=org.id, name=org.name, **ResultOut.of(line, questions).model_dump()) for org, line in results.cells]
    return CampaignResultsOut(campaign=CampaignOut.of(results.campaign), org_id=results.org.id, totals=ResultOut.of(results.totals, questions), cells=cells)


@router.get("/campaigns/{campaign_id}/members", summary="Each member's study and quiz")
async def campaign_members(campaign_id: CampaignId, session: SessionDep, actor: CurrentActor, org_id: OrgFilter = None) -> list[MemberResultOut]:
    rows = await study.member_results(session, actor=actor, campaign_id=campaign_id, org_id=org_id)
    return [
        MemberResultOut(member_id=r.member_id, name=r.name, cell=r.cell_name, studied_at=r.studied_at, quiz_answered=r.quiz_answered,
                        quiz_correct=r.quiz_correct, quiz_completed_at=r.quiz_completed_at)
        for r in rows
    ]


@router.post("/campaigns/{campaign_id}/close", summary="End a campaign early: no more answers or reminders")
async def close_campaign(campaign_id: CampaignId, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> CampaignOut:
    campaign = await study.close_campaign(session, actor=actor, campaign_id=campaign_id, now=clock.now())
    await audit_trail("api.study.close", org_id=campaign.org_id, target=f"campaign:{campaign_id}")
    return CampaignOut.of(campaign)


@router.post("/questions/{question_id}/answer", responses=error_responses(409), summary="Answer one quiz question (once)")
async def answer_question(
    question_id: QuestionId, body: AnswerIn, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep
) -> AnswerOut:
    outcome = await study.answer(session, member=actor.member, question_id=question_id, option=body.option, now=clock.now())
    await audit_trail("api.study.answer", org_id=None, target=f"question:{question_id}")
    return AnswerOut(correct=outcome.right, answered=outcome.answered, correct_total=outcome.correct, total=outcome.total, finished=outcome.finished)
