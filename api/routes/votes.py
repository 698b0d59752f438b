"""/api/v1/votes and /api/v1/reviews: votes (biểu quyết) and the annual quality review.

Every rule is core's (core/votes): routes parse, call one service, answer. A secret ballot's
choice is never returned to anyone but the voter (and only while the vote is open).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from api.deps import AuditDep, CipherDep, ClockDep, CurrentActor, SessionDep
from api.downloads import download_headers
from api.errors import error_responses
from api.schemas.common import Id, id_path
from core.meetings.export import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from core.votes import review, service
from core.votes.models import BallotKind, Rating, Vote, Voters

router = APIRouter(tags=["votes"])

VoteId = Annotated[int, id_path("Vote id")]
EntryId = Annotated[int, id_path("Review entry id")]
OrgId = Annotated[int, id_path("Organisation id")]


OPENS_EXAMPLE = "2026-12-05T21:00:00+07:00"
RATING_COUNTS_EXAMPLE: JsonDict = {"org_id": 4, "name": "Chi bộ thôn Khe Gầy", "total": 8,
                         "ratings": {"excellent": 1, "good": 5, "complete": 2, "incomplete": 0}, "pending": 0, "reconsidering": 1}
# A fraction's numerator and denominator: small whole numbers (1/2, 2/3), never a 64-bit overflow.
RulePart = Annotated[int, Field(strict=True, ge=0, le=1000)]


class VoteCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"cell_id": 4, "question": "Thông qua nghị quyết tháng 12", "meeting_id": 31, "kind": "open", "voters": "members",
         "closes_at": OPENS_EXAMPLE}]})

    cell_id: Id = Field(description="The cell (chi bộ) holding the vote")
    question: str = Field(min_length=1, max_length=service.MAX_QUESTION_CHARS)
    meeting_id: Id | None = Field(default=None, description="One of the cell's meetings (not cancelled)")
    kind: BallotKind = BallotKind.OPEN
    options: list[Annotated[str, Field(max_length=60)]] | None = Field(
        default=None, max_length=service.MAX_OPTIONS,
        description="Default: Tán thành / Không tán thành / Không biểu quyết; the first is the approving one")
    voters: Voters = Voters.MEMBERS
    closes_at: AwareDatetime | None = Field(default=None, description="With its UTC offset, within 30 days; none: closed by hand")


class VoteOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": 52, "cell_id": 4, "meeting_id": 31, "question": "Thông qua nghị quyết tháng 12",
         "options": ["Tán thành", "Không tán thành", "Không biểu quyết"], "kind": "open", "status": "closed",
         "closes_at": None, "eligible": 9, "voted": 8, "counts": [7, 1, 0], "valid": True, "passed": True}]})

    id: int
    cell_id: int
    meeting_id: int | None
    question: str
    options: list[str]
    kind: BallotKind
    status: str
    closes_at: dt.datetime | None
    eligible: int
    voted: int
    counts: list[int] | None = Field(description="Only once closed")
    valid: bool | None
    passed: bool | None


class BallotIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"option": 0}]})

    option: int = Field(strict=True, ge=0, lt=service.MAX_OPTIONS, description="0 = the first option (Tán thành)")


class BallotOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"vote_id": 52, "option": 0, "changed": True}]})

    vote_id: int
    option: int
    changed: bool


class HandCounts(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"counts": [9, 1, 0]}]})

    counts: list[Annotated[int, Field(strict=True, ge=0, le=100_000)]] = Field(min_length=2, max_length=service.MAX_OPTIONS)


class RuleIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"quorum": [1, 2], "majority": [2, 3]}]})

    quorum: tuple[RulePart, RulePart] = (1, 2)
    majority: tuple[RulePart, RulePart] = (1, 2)


class CycleCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"org_id": 2, "year": 2026, "self_deadline": "2026-12-15T17:00:00+07:00", "cell_deadline": "2026-12-22T17:00:00+07:00",
         "decide_deadline": "2026-12-31T17:00:00+07:00", "top_limit_percent": 20}]})

    org_id: Id = Field(description="The committee (đảng bộ) whose subtree is reviewed")
    year: int = Field(strict=True, ge=2000, le=2100)
    self_deadline: AwareDatetime
    cell_deadline: AwareDatetime
    decide_deadline: AwareDatetime = Field(description="Within a year from now")
    top_limit_percent: int = Field(default=20, strict=True, ge=0, le=100)


class CycleOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 3, "org_id": 2, "year": 2026, "members": 938}]})

    id: int
    org_id: int
    year: int
    members: int


class SelfIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rating": "good", "text": "Hoàn thành các nhiệm vụ được giao."}]})

    rating: Rating
    text: str = Field(min_length=1, max_length=review.MAX_SELF_CHARS)


class RatingIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rating": "excellent"}]})

    rating: Rating


class RatingVoteIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rating": "good", "kind": "secret", "meeting_id": 31}]})

    rating: Rating | None = Field(default=None, description="None: the member's own proposal")
    kind: BallotKind = BallotKind.OPEN
    meeting_id: Id | None = None
    closes_at: AwareDatetime | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Đồng chí đề nghị xem xét thêm kết quả công tác quý IV."}]})

    reason: str = Field(min_length=1, max_length=review.MAX_REASON_CHARS)


class EntryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": 17, "member_id": 12, "cell_id": 4, "self_rating": "good", "cell_rating": "good", "final_rating": None,
         "reconsider_requested": False}]})

    id: int
    member_id: int
    cell_id: int
    self_rating: Rating | None
    cell_rating: Rating | None
    final_rating: Rating | None
    reconsider_requested: bool


class RatingLine(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [RATING_COUNTS_EXAMPLE]})

    org_id: int
    name: str
    total: int
    ratings: dict[str, int] = Field(description="Decided ratings (a rating under reconsideration still counts here)")
    pending: int = Field(description="Not decided yet")
    reconsidering: int = Field(0, description="Decided, with a reconsideration asked for and not decided yet")


class FiguresOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"year": 2026, "org_id": 2, "totals": RATING_COUNTS_EXAMPLE, "cells": [RATING_COUNTS_EXAMPLE], "children": [RATING_COUNTS_EXAMPLE]}]})

    year: int
    org_id: int
    totals: RatingLine
    cells: list[RatingLine]
    children: list[RatingLine]


def _entry(entry: object) -> EntryOut:
    from core.votes.models import ReviewEntry

    assert isinstance(entry, ReviewEntry)
    return EntryOut(id=entry.id, member_id=entry.member_id, cell_id=entry.cell_id, self_rating=entry.self_rating,
                    cell_rating=entry.cell_rating, final_rating=entry.final_rating,
                    reconsider_requested=entry.reconsider_requested_at is not None)


def _vote(vote: Vote, eligible: int, voted: int) -> VoteOut:
    closed = vote.status.value == "closed"
    return VoteOut(id=vote.id, cell_id=vote.cell_id, meeting_id=vote.meeting_id, question=vote.question, options=list(vote.options),
                   kind=vote.kind, status=vote.status.value, closes_at=vote.closes_at, eligible=eligible, voted=voted,
                   counts=list(vote.counts or []) if closed else None, valid=vote.valid if closed else None,
                   passed=vote.passed if closed else None)


async def _card(session: SessionDep, actor: CurrentActor, vote_id: int) -> VoteOut:
    card = await service.vote_card(session, actor=actor, vote_id=vote_id)
    return _vote(card.vote, card.eligible, card.voted)


@router.post("/votes", status_code=status.HTTP_201_CREATED, responses=error_responses(409), summary="Open a vote in a cell")
async def open_vote(body: VoteCreate, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> VoteOut:
    opened = await service.open_vote(
        session, actor=actor, cell_id=body.cell_id, question=body.question, now=clock.now(), meeting_id=body.meeting_id, kind=body.kind,
        options=body.options, voters=body.voters, closes_at=body.closes_at,
    )
    await audit_trail("api.vote.open", org_id=body.cell_id, target=f"vote:{opened.vote.id}")
    return await _card(session, actor, opened.vote.id)


@router.get("/votes/{vote_id}", summary="A vote as its cell's leaders see it: how many voted; counts once closed")
async def get_vote(vote_id: VoteId, session: SessionDep, actor: CurrentActor) -> VoteOut:
    return await _card(session, actor, vote_id)


@router.post("/votes/{vote_id}/ballot", responses=error_responses(403, 409), summary="Cast or change one's own ballot")
async def cast(vote_id: VoteId, body: BallotIn, session: SessionDep, actor: CurrentActor, cipher: CipherDep, clock: ClockDep,
               audit_trail: AuditDep) -> BallotOut:
    result = await service.cast(session, actor=actor, vote_id=vote_id, option=body.option, cipher=cipher, now=clock.now())
    # That the caller voted, never what (vote_participations says as much); nothing for a change, so the
    # trail cannot even tell how often a secret voter changed their mind.
    if not (result.changed or result.same):
        await audit_trail("api.vote.ballot", org_id=None, target=f"vote:{vote_id}")
    return BallotOut(vote_id=vote_id, option=result.option, changed=result.changed)


@router.post("/votes/{vote_id}/close", responses=error_responses(409), summary="Close now and count")
async def close(vote_id: VoteId, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> VoteOut:
    vote = await service.close_vote(session, actor=actor, vote_id=vote_id, now=clock.now())
    await audit_trail("api.vote.close", org_id=vote.cell_id, target=f"vote:{vote_id}")
    return await _card(session, actor, vote_id)


@router.post("/votes/{vote_id}/hand-counts", responses=error_responses(409), summary="Record a vote held by raised hands")
async def hand_counts(vote_id: VoteId, body: HandCounts, session: SessionDep, actor: CurrentActor, clock: ClockDep,
                      audit_trail: AuditDep) -> VoteOut:
    vote = await service.record_hand_counts(session, actor=actor, vote_id=vote_id, counts=list(body.counts), now=clock.now())
    await audit_trail("api.vote.hand_counts", org_id=vote.cell_id, target=f"vote:{vote_id}")
    return await _card(session, actor, vote_id)


@router.put("/orgs/{org_id}/vote-rule", summary="A cell's quorum and majority (more than each fraction of the eligible)")
async def set_rule(org_id: OrgId, body: RuleIn, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> RuleIn:
    cell = await service.set_cell_rule(session, actor=actor, cell_id=org_id, quorum=body.quorum, majority=body.majority, now=clock.now())
    await audit_trail("api.vote.rule", org_id=cell.id, target=f"org:{cell.id}")
    quorum, majority = service.cell_rule(cell)
    return RuleIn(quorum=quorum, majority=majority)


@router.post("/reviews", status_code=status.HTTP_201_CREATED, responses=error_responses(409), summary="Open the year's review for a subtree")
async def open_cycle(body: CycleCreate, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> CycleOut:
    opened = await review.open_cycle(
        session, actor=actor, org_id=body.org_id, year=body.year, self_deadline=body.self_deadline, cell_deadline=body.cell_deadline,
        decide_deadline=body.decide_deadline, top_limit_percent=body.top_limit_percent, now=clock.now(),
    )
    await audit_trail("api.review.open", org_id=opened.org.id, target=review.source_of(opened.cycle.id), detail={"members": opened.members})
    return CycleOut(id=opened.cycle.id, org_id=opened.org.id, year=opened.cycle.year, members=opened.members)


@router.post("/reviews/entries/{entry_id}/self", summary="Submit one's own self-assessment and proposed rating")
async def submit_self(entry_id: EntryId, body: SelfIn, session: SessionDep, actor: CurrentActor, clock: ClockDep,
                      audit_trail: AuditDep) -> EntryOut:
    entry = await review.submit_self(session, actor=actor, entry_id=entry_id, rating=body.rating, text=body.text, now=clock.now())
    await audit_trail("api.review.self", org_id=entry.cell_id, target=f"review_entry:{entry.id}")
    return _entry(entry)


@router.post("/reviews/entries/{entry_id}/vote", status_code=status.HTTP_201_CREATED, responses=error_responses(409),
             summary="The cell votes a proposed rating for one member")
async def rating_vote(entry_id: EntryId, body: RatingVoteIn, session: SessionDep, actor: CurrentActor, clock: ClockDep,
                      audit_trail: AuditDep) -> VoteOut:
    opened = await review.open_rating_vote(session, actor=actor, entry_id=entry_id, rating=body.rating, now=clock.now(), kind=body.kind,
                                           meeting_id=body.meeting_id, closes_at=body.closes_at)
    await audit_trail("api.review.vote", org_id=opened.vote.cell_id, target=f"review_entry:{entry_id}", detail={"vote_id": opened.vote.id})
    return await _card(session, actor, opened.vote.id)


@router.post("/reviews/entries/{entry_id}/decision", responses=error_responses(409), summary="The committee's decision (within the top-rating limit)")
async def decide(entry_id: EntryId, body: RatingIn, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> EntryOut:
    entry = await review.decide(session, actor=actor, entry_id=entry_id, rating=body.rating, now=clock.now())
    await audit_trail("api.review.decide", org_id=entry.cell_id, target=f"review_entry:{entry.id}")
    return _entry(entry)


@router.post("/reviews/entries/{entry_id}/reconsideration", responses=error_responses(409), summary="Ask once for reconsideration")
async def reconsider(entry_id: EntryId, body: ReasonIn, session: SessionDep, actor: CurrentActor, clock: ClockDep,
                     audit_trail: AuditDep) -> EntryOut:
    entry = await review.request_reconsideration(session, actor=actor, entry_id=entry_id, reason=body.reason, now=clock.now())
    await audit_trail("api.review.reconsider", org_id=entry.cell_id, target=f"review_entry:{entry.id}")
    return _entry(entry)


def rating_line(line: review.RatingCounts) -> RatingLine:
    return RatingLine(org_id=line.org_id, name=line.name, total=line.total, ratings=dict(line.by_rating), pending=line.pending,
                      reconsidering=line.reconsidering)


def figures_out(result: review.Figures) -> FiguresOut:
    return FiguresOut(year=result.year, org_id=result.org.id, totals=rating_line(result.totals), cells=[rating_line(c) for c in result.cells],
                      children=[rating_line(c) for c in result.children])


FILES: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {}, "text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "JSON, or the file asked for"}}


@router.get("/orgs/{org_id}/review-figures", responses=FILES, response_model=FiguresOut,
            summary="Ratings per cell, per direct sub-organisation (rolled up) and in total")
async def review_figures(
    org_id: OrgId, session: SessionDep, actor: CurrentActor, clock: ClockDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Response | FiguresOut:
    chosen = year or await review.latest_year(session, org_id=org_id) or clock.now().year
    result = await review.figures(session, actor=actor, org_id=org_id, year=chosen)
    name = f"xep-loai-{result.org.id}-{chosen}"
    if format == "csv":
        return Response(review.figures_csv(result), media_type=CSV_MEDIA_TYPE, headers=download_headers(f"{name}.csv"))
    if format == "xlsx":
        content = await asyncio.to_thread(review.figures_xlsx, result)
        return Response(content, media_type=XLSX_MEDIA_TYPE, headers=download_headers(f"{name}.xlsx"))
    return figures_out(result)
