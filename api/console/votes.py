"""Votes and the annual review in the web console: a cell's leaders see its votes (open ones with how
many have voted, closed ones with their counts and result), open one (for one of the cell's meetings
or not) and close it; a committee opens the year's review for its subtree with its deadlines and the
limit on the top rating, and reads the year's ratings per cell and rolled up over its subtree
(downloads as CSV or XLSX); on a cell's page, its leaders put a member's proposed rating to the
cell's vote and the committee above decides each member's rating, seeing the member's
self-assessment and the cell's proposal. Every rule is core.votes's (the same calls as the API); a
secret vote shows only counts, as everywhere. Every form carries the CSRF token and is audited."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.console.desk import back, leading, record
from api.console.deps import ConsoleUser, CsrfChecked
from api.console.pages import render, templates
from api.deps import ClockDep, SessionDep
from api.downloads import download_headers
from core import texts
from core.clock import local_date
from core.errors import InvalidInput
from core.meetings import render as render_meeting
from core.meetings.access import manageable_cells
from core.meetings.models import Meeting
from core.meetings.export import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from core.orgs import management
from core.orgs.models import Org
from core.orgs.service import get_org
from core.votes import review, service
from core.votes.models import BallotKind, Rating, Voters

router = APIRouter(prefix="/votes", include_in_schema=False)
templates.env.globals["V"] = texts.votes
OrgQuery = Annotated[int | None, Query(ge=1, le=management.MAX_ID)]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
IdPath = Annotated[int, Path(ge=1, le=management.MAX_ID)]
OkQuery = Annotated[str | None, Query(max_length=20)]
IdForm = Annotated[int, Form(ge=1, le=management.MAX_ID)]
DateForm = Annotated[str, Form(max_length=10)]
V = texts.votes
OK = {"closed": V.CONSOLE_CLOSED_OK, "opened": V.CONSOLE_OPENED_HAND_OK, "review": V.CONSOLE_REVIEW_OPENED_OK,
      "decided": V.CONSOLE_DECIDED_OK, "rating_vote": V.CONSOLE_RATING_VOTE_OK}


def _cells(user: ConsoleUser) -> list[Org]:
    return sorted(manageable_cells(user.actor), key=lambda o: o.name)


def _meeting_choices(meetings: list[Meeting]) -> list[tuple[int, str]]:
    return [(m.id, f"{render_meeting.title(m)} — {render_meeting.when(m)}") for m in meetings]


def _ok(ok: str | None, sent: int | None = None) -> str | None:
    if ok == "opened" and sent is not None:
        return V.CONSOLE_OPENED_OK.format(sent=sent)
    return OK.get(ok or "")


OptionsForm = Annotated[list[str], Form(max_length=service.MAX_OPTIONS * 3)]
EditForm = Annotated[str, Form(pattern=r"^(add|remove-[0-9])$")]
Draft = dict[str, object]


async def _votes_page(request: Request, user: ConsoleUser, session: SessionDep, now: dt.datetime, org: int | None, *,
                      ok: str | None = None, draft: Draft | None = None, options: list[str] | None = None) -> HTMLResponse:
    cells = _cells(user)
    current = await get_org(session, org) if org is not None else (cells[0] if cells else None)
    cards = await service.cell_votes(session, actor=user.actor, cell_id=current.id) if current is not None else []
    found = await service.meetings_for_vote(session, actor=user.actor, cell_id=current.id, now=now) if current is not None else []
    return render(request, "votes.html", user, nav="votes", cells=cells, current=current, cards=cards, ok=ok, meetings=_meeting_choices(found),
                  max_question=service.MAX_QUESTION_CHARS, draft=draft or {}, **_options_context(options or list(V.DEFAULT_OPTIONS)))


def _options_context(options: list[str], added: bool = False) -> dict[str, Any]:
    return {"options": options, "min_options": service.MIN_OPTIONS, "max_options": service.MAX_OPTIONS,
            "max_option_chars": service.MAX_OPTION_CHARS, "added": added}


def edited_options(options: list[str], edit: str) -> list[str]:
    """One more empty field, or one field fewer, within the bounds core sets (its `clean_options` judges the words)."""
    fields = list(options)[: service.MAX_OPTIONS] or list(V.DEFAULT_OPTIONS)
    if edit == "add":
        return fields + [""] if len(fields) < service.MAX_OPTIONS else fields
    index = int(edit.removeprefix("remove-"))
    return fields[:index] + fields[index + 1:] if len(fields) > service.MIN_OPTIONS and index < len(fields) else fields


@router.get("", name="console_votes")
async def votes_page(request: Request, user: ConsoleUser, session: SessionDep, clock: ClockDep, org: OrgQuery = None, ok: OkQuery = None,
                     n: Annotated[int | None, Query(ge=0, le=100_000)] = None) -> HTMLResponse:
    return await _votes_page(request, user, session, clock.now(), org, ok=_ok(ok, n))


@router.post("/options", name="console_vote_options")
async def vote_options(
    request: Request, user: CsrfChecked, session: SessionDep, clock: ClockDep, cell_id: IdForm, edit: EditForm, option: OptionsForm = [],  # noqa: B006
    question: Annotated[str, Form(max_length=service.MAX_QUESTION_CHARS + 100)] = "", kind: Annotated[str, Form(max_length=10)] = "",
    meeting_id: Annotated[int, Form(ge=0, le=management.MAX_ID)] = 0, voters: Annotated[str, Form(max_length=10)] = "",
    closes_in: Annotated[int, Form(ge=0, le=1440)] = 0,
) -> HTMLResponse:
    """«Thêm lựa chọn» / «Bỏ»: with htmx, the options' fieldset again; without script, the whole page with what was typed kept.
    Nothing is stored: the vote opens only through «Mở biểu quyết»."""
    options = edited_options(option, edit)
    if request.headers.get("HX-Request") == "true":
        return render(request, "_vote_options.html", user, **_options_context(options, added=edit == "add"))
    draft: Draft = {"question": question, "kind": kind, "meeting_id": meeting_id, "voters": voters, "closes_in": closes_in}
    return await _votes_page(request, user, session, clock.now(), cell_id, draft=draft, options=options)


@router.post("/open", name="console_vote_open")
async def open_vote(
    user: CsrfChecked, session: SessionDep, clock: ClockDep, cell_id: IdForm,
    question: Annotated[str, Form(max_length=service.MAX_QUESTION_CHARS + 100)], kind: Annotated[BallotKind, Form()] = BallotKind.OPEN,
    meeting_id: Annotated[int, Form(ge=0, le=management.MAX_ID)] = 0, voters: Annotated[Voters, Form()] = Voters.MEMBERS,
    closes_in: Annotated[int, Form(ge=0, le=1440)] = 0, option: OptionsForm = [],  # noqa: B006
) -> Response:
    """The API's POST /api/v1/votes from a form: the options typed (2 to 6, judged by core), closing by hand or after one of the
    form's delays."""
    if closes_in not in V.CONSOLE_CLOSES_CHOICES:
        raise InvalidInput(V.CONSOLE_CLOSES_INVALID)
    now = clock.now()
    closes_at = now + dt.timedelta(minutes=closes_in) if closes_in else None
    opened = await service.open_vote(session, actor=user.actor, cell_id=cell_id, question=question, now=now, meeting_id=meeting_id or None,
                                     kind=kind, voters=voters, closes_at=closes_at, options=option or None)
    await record(session, user, "console.vote.open", org_id=cell_id, target=service.source_of(opened.vote.id), now=now)
    return back(f"/console/votes?org={cell_id}&ok=opened" + ("" if kind == BallotKind.HAND else f"&n={opened.sent}"))


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
                      year: YearQuery = None, ok: OkQuery = None) -> HTMLResponse:
    result = await _figures(session, user, org, year, clock.now().year)
    this_year = local_date(clock.now()).year
    return render(request, "review.html", user, nav="review", orgs=leading(user), result=result, ratings=list(texts.votes.RATINGS.items()),
                  openable=await review.openable(session, actor=user.actor, year=this_year), this_year=this_year, ok=_ok(ok),
                  today=local_date(clock.now()), top_limit=review.DEFAULT_TOP_LIMIT,
                  links={line.org_id: f"/console/votes/review/cells/{line.org_id}" for line in result.cells})


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(V.CONSOLE_DATE_INVALID) from None


@router.post("/review/open", name="console_review_open")
async def open_review(
    user: CsrfChecked, session: SessionDep, clock: ClockDep, org_id: IdForm, self_day: DateForm, cell_day: DateForm, decide_day: DateForm,
    top_limit_percent: Annotated[int, Form(ge=0, le=100)] = review.DEFAULT_TOP_LIMIT,
) -> Response:
    """The API's POST /api/v1/reviews from a form: this (local) year, each deadline at 17:00 local time on the day picked."""
    now = clock.now()
    opened = await review.open_cycle(
        session, actor=user.actor, org_id=org_id, year=local_date(now).year, self_deadline=review.deadline_on(_day(self_day)),
        cell_deadline=review.deadline_on(_day(cell_day)), decide_deadline=review.deadline_on(_day(decide_day)), now=now,
        top_limit_percent=top_limit_percent,
    )
    await record(session, user, "console.review.open", org_id=opened.org.id, target=review.source_of(opened.cycle.id), now=now)
    return back(f"/console/votes/review?org={opened.org.id}&year={opened.cycle.year}&ok=review")


@router.get("/review/cells/{cell_id}", name="console_review_cell")
async def review_cell(request: Request, cell_id: IdPath, user: ConsoleUser, session: SessionDep, clock: ClockDep,
                      ok: OkQuery = None) -> HTMLResponse:
    """A cell's entries in its newest review: for its leaders (put a proposal to the vote) and the committee above (decide)."""
    cycle, cell, lines = await review.cell_entries(session, actor=user.actor, cell_id=cell_id)
    return render(request, "review_cell.html", user, nav="review", cycle=cycle, cell=cell, lines=lines, ok=_ok(ok),
                  usage=await review.top_usage(session, cycle), may_decide=review.may_decide(user.actor, cell),
                  meetings=_meeting_choices(await service.meetings_for_vote(session, actor=user.actor, cell_id=cell.id, now=clock.now())),
                  ratings=list(texts.votes.RATINGS.items()), now=clock.now())


@router.post("/review/entries/{entry_id}/decision", name="console_review_decide")
async def decide(entry_id: IdPath, user: CsrfChecked, session: SessionDep, clock: ClockDep, rating: Annotated[Rating, Form()]) -> Response:
    entry = await review.decide(session, actor=user.actor, entry_id=entry_id, rating=rating, now=clock.now())
    await record(session, user, "console.review.decide", org_id=entry.cell_id, target=f"review_entry:{entry.id}", now=clock.now())
    return back(f"/console/votes/review/cells/{entry.cell_id}?ok=decided#entry-{entry.id}")


@router.post("/review/entries/{entry_id}/vote", name="console_review_vote")
async def rating_vote(entry_id: IdPath, user: CsrfChecked, session: SessionDep, clock: ClockDep, rating: Annotated[Rating, Form()],
                      kind: Annotated[BallotKind, Form()] = BallotKind.OPEN,
                      meeting_id: Annotated[int, Form(ge=0, le=management.MAX_ID)] = 0) -> Response:
    """The cell's vote on one member's proposed rating (closed by hand, or by the hand counts)."""
    opened = await review.open_rating_vote(session, actor=user.actor, entry_id=entry_id, rating=rating, now=clock.now(), kind=kind,
                                           meeting_id=meeting_id or None)
    await record(session, user, "console.review.vote", org_id=opened.vote.cell_id, target=f"review_entry:{entry_id}", now=clock.now())
    return back(f"/console/votes/review/cells/{opened.vote.cell_id}?ok=rating_vote#entry-{entry_id}")


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
