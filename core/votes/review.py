"""The annual quality review (đánh giá, xếp loại chất lượng đảng viên).

Who may do what:
- open a year's review: a committee member of a committee (đảng bộ), for its subtree;
- self-assessment (text or voice) and the proposed rating: the member, until the self deadline,
  while the committee has not decided;
- the cell's vote on a proposed rating per member: the cell's leaders, through core.votes (a vote
  that passes becomes the cell's proposal);
- the decision: a committee member of a committee above the cell, within the cycle's limit on the
  top rating (≤ top_limit_percent of the members reviewed in the cycle, rounded down);
- reconsideration: the member, once, with a reason, after the decision; the committee decides again
  and that decision is final.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.clock import local_date, local_tz
from core.delivery.outbox import enqueue_many
from core.errors import Conflict, InvalidInput, NotFound
from core.meetings import dates, render
from core.orgs.models import Member, Org, OrgKind, OrgRole, RoleKind
from core.orgs.service import Actor, get_org, in_subtree
from core.ports import Attachment, Button, OutboundMessage
from core.votes import service as votes
from core.votes.models import BallotKind, Rating, ReviewCycle, ReviewEntry, Vote

if TYPE_CHECKING:
    from core.tick_context import TickContext

T = texts.votes
MAX_SELF_CHARS = 3000
MAX_VOICE_SECONDS = 5 * 60
MAX_REASON_CHARS = 1000
MAX_AHEAD = dt.timedelta(days=366)
DEFAULT_TOP_LIMIT = 20  # percent of the members reviewed in the cycle
KIND_REVIEW_OPENED = "review_opened"
KIND_REVIEW_RESULT = "review_result"
KIND_RECONSIDER = "review_reconsider"
SELF_PREFIX = "rvs"
RECONSIDER_PREFIX = "rvr"


def source_of(cycle_id: int) -> str:
    return f"review:{cycle_id}"


def rating_name(rating: Rating | None) -> str:
    return T.RATINGS[rating.value] if rating is not None else T.RATING_PENDING


# ---------------------------------------------------------------- opening


def _committee_roots(actor: Actor) -> list[Org]:
    return [org for role, org in actor.roles if role == RoleKind.COMMITTEE_MEMBER and org.kind == OrgKind.COMMITTEE]


def _decides_for(actor: Actor, cell: Org) -> bool:
    """A committee member of a committee above the cell."""
    return any(cell.path.startswith(root.path) and root.id != cell.id for root in _committee_roots(actor))


@dataclass(frozen=True)
class CycleOpened:
    cycle: ReviewCycle
    org: Org
    members: int


async def open_cycle(
    session: AsyncSession, *, actor: Actor, org_id: int, year: int, self_deadline: dt.datetime, cell_deadline: dt.datetime,
    decide_deadline: dt.datetime, now: dt.datetime, top_limit_percent: int = DEFAULT_TOP_LIMIT,
) -> CycleOpened:
    org = await get_org(session, org_id)
    if org.kind != OrgKind.COMMITTEE or not any(org.path.startswith(root.path) for root in _committee_roots(actor)):
        raise actor.refusal(org, T.CYCLE_NEEDS_COMMITTEE)
    if not now < self_deadline <= cell_deadline <= decide_deadline:
        raise InvalidInput(T.DEADLINES_ORDER)
    if decide_deadline - now > MAX_AHEAD:  # a review is yearly; a far date would also overflow local time
        raise InvalidInput(T.DEADLINES_TOO_FAR)
    if not 0 <= top_limit_percent <= 100:
        raise InvalidInput(T.BAD_LIMIT)
    # One review a year per member: no second cycle over, under or at an organisation already reviewed.
    paths = (await session.execute(select(Org.path).join(ReviewCycle, ReviewCycle.org_id == Org.id).where(ReviewCycle.year == year))).scalars()
    if any(org.path.startswith(path) or path.startswith(org.path) for path in paths):
        raise Conflict(T.CYCLE_EXISTS.format(year=year))
    cycle = ReviewCycle(org_id=org.id, year=year, self_deadline=self_deadline, cell_deadline=cell_deadline,
                        decide_deadline=decide_deadline, top_limit_percent=top_limit_percent, opened_by_id=actor.member.id, opened_at=now)
    session.add(cycle)
    await session.flush()
    # Exempt members are not obliged (DOMAIN: the handbook's duties apply to the others).
    rows = (await session.execute(
        select(Member.id, Member.org_id).join(Org, Org.id == Member.org_id)
        .where(in_subtree(org.path), Org.kind == OrgKind.CELL, Member.active, ~Member.exempt).order_by(Member.id)
    )).all()
    entries = [ReviewEntry(cycle_id=cycle.id, member_id=member_id, cell_id=cell_id) for member_id, cell_id in rows]
    session.add_all(entries)
    await session.flush()
    deadline = dates.format_when(self_deadline)
    for entry in entries:
        await enqueue_many(
            session, member_ids=[entry.member_id], kind=KIND_REVIEW_OPENED, source=source_of(cycle.id),
            message=OutboundMessage(
                text=T.REVIEW_OPENED_NOTICE.format(year=year, org=render.escape(org.name), deadline=deadline),
                buttons=((Button(T.BTN_SELF_ASSESS, f"{SELF_PREFIX}:{entry.id}"),),),
            ),
        )
    await audit.record(session, "review.open", actor_member_id=actor.member.id, org_id=org.id, target=source_of(cycle.id),
                       detail={"year": year, "members": len(entries), "top_limit_percent": top_limit_percent}, at=now)
    return CycleOpened(cycle=cycle, org=org, members=len(entries))


# From the chat: a committee picks one of these schedules (days from today to each deadline, the
# deadline at 17:00 local time) instead of typing three dates; the API takes any dates.
PRESETS: tuple[tuple[int, int, int], ...] = ((7, 14, 21), (14, 21, 30), (21, 30, 45))
DEADLINE_TIME = dt.time(17, 0)


def preset_deadlines(preset: int, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    if not 0 <= preset < len(PRESETS):
        raise InvalidInput(texts.common.STALE_BUTTON)
    today = local_date(now)
    at = [dt.datetime.combine(today + dt.timedelta(days=days), DEADLINE_TIME, local_tz()).astimezone(dt.timezone.utc)
          for days in PRESETS[preset]]
    return at[0], at[1], at[2]


def deadline_on(day: dt.date) -> dt.datetime:
    """A deadline picked as a day (the web console's date fields): 17:00 local time that day, like the chat's schedules."""
    return dt.datetime.combine(day, DEADLINE_TIME, local_tz()).astimezone(dt.timezone.utc)


async def openable(session: AsyncSession, *, actor: Actor, year: int) -> list[Org]:
    """The committees the actor may open this year's review for: theirs, with no cycle of the year over,
    under or at them yet."""
    paths = list((await session.execute(
        select(Org.path).join(ReviewCycle, ReviewCycle.org_id == Org.id).where(ReviewCycle.year == year)
    )).scalars())
    return [org for org in _committee_roots(actor) if not any(org.path.startswith(p) or p.startswith(org.path) for p in paths)]


async def open_cycle_preset(session: AsyncSession, *, actor: Actor, org_id: int, preset: int, now: dt.datetime) -> CycleOpened:
    self_deadline, cell_deadline, decide_deadline = preset_deadlines(preset, now=now)
    return await open_cycle(session, actor=actor, org_id=org_id, year=local_date(now).year, self_deadline=self_deadline,
                            cell_deadline=cell_deadline, decide_deadline=decide_deadline, now=now)


# ---------------------------------------------------------------- the member


async def _entry(session: AsyncSession, entry_id: int, *, for_update: bool = False) -> tuple[ReviewEntry, ReviewCycle]:
    query = select(ReviewEntry).where(ReviewEntry.id == entry_id)
    if for_update:
        query = query.with_for_update()
    entry = (await session.execute(query)).scalar_one_or_none()
    if entry is None:
        raise NotFound(texts.common.NOT_FOUND)
    cycle = await session.get(ReviewCycle, entry.cycle_id)
    assert cycle is not None
    return entry, cycle


async def own_entry(session: AsyncSession, *, actor: Actor, entry_id: int | None = None, for_update: bool = False) -> tuple[ReviewEntry, ReviewCycle]:
    """The member's own entry (a given one, or that of the newest cycle); anyone else's does not exist for them."""
    if entry_id is None:
        found = await session.scalar(
            select(ReviewEntry.id).join(ReviewCycle, ReviewCycle.id == ReviewEntry.cycle_id)
            .where(ReviewEntry.member_id == actor.member.id).order_by(ReviewCycle.year.desc(), ReviewEntry.id.desc()).limit(1)
        )
        if found is None:
            raise NotFound(T.REVIEW_NONE)
        entry_id = int(found)
    entry, cycle = await _entry(session, entry_id, for_update=for_update)
    if entry.member_id != actor.member.id:
        raise NotFound(texts.common.NOT_FOUND)
    return entry, cycle


async def submit_self(
    session: AsyncSession, *, actor: Actor, entry_id: int, rating: Rating, now: dt.datetime, text: str | None = None,
    voice_file_id: str | None = None, voice_duration: int | None = None,
) -> ReviewEntry:
    entry, cycle = await own_entry(session, actor=actor, entry_id=entry_id, for_update=True)
    if entry.final_rating is not None:
        raise Conflict(T.ALREADY_DECIDED)
    if now > cycle.self_deadline:
        raise Conflict(T.SELF_CLOSED)
    cleaned = (text or "").strip() or None
    if cleaned is None and voice_file_id is None:
        raise InvalidInput(T.SELF_EMPTY)
    if cleaned is not None and len(cleaned) > MAX_SELF_CHARS:
        raise InvalidInput(T.SELF_TOO_LONG.format(length=len(cleaned), limit=MAX_SELF_CHARS))
    if voice_duration is not None and voice_duration > MAX_VOICE_SECONDS:
        raise InvalidInput(T.VOICE_TOO_LONG.format(limit=MAX_VOICE_SECONDS // 60))
    entry.self_text = cleaned
    entry.self_voice_file_id = voice_file_id
    entry.self_voice_duration = voice_duration if voice_file_id else None
    entry.self_rating = rating
    entry.submitted_at = now
    await session.flush()
    return entry


def status_text(entry: ReviewEntry, cycle: ReviewCycle) -> str:
    self_line = T.SELF_SENT_VOICE if entry.self_voice_file_id else T.SELF_SENT_TEXT if entry.self_text else T.SELF_MISSING
    return T.REVIEW_STATUS.format(year=cycle.year, self_line=self_line, self_rating=rating_name(entry.self_rating),
                                  cell_rating=rating_name(entry.cell_rating), final_rating=rating_name(entry.final_rating))


# ---------------------------------------------------------------- the cell


@dataclass(frozen=True)
class EntryLine:
    entry: ReviewEntry
    name: str


async def cell_entries(session: AsyncSession, *, actor: Actor, cell_id: int) -> tuple[ReviewCycle, Org, list[EntryLine]]:
    """The newest cycle's entries of a cell, for its leaders and the committees above."""
    cell = await get_org(session, cell_id)
    if not actor.leads_cell(cell):
        raise actor.refusal(cell, T.NOT_LEADER)
    cycle_id = await session.scalar(
        select(ReviewEntry.cycle_id).join(ReviewCycle, ReviewCycle.id == ReviewEntry.cycle_id)
        .where(ReviewEntry.cell_id == cell.id).order_by(ReviewCycle.year.desc(), ReviewCycle.id.desc()).limit(1)
    )
    if cycle_id is None:
        raise NotFound(T.REVIEW_NONE)
    cycle = await session.get(ReviewCycle, cycle_id)
    assert cycle is not None
    rows = await session.execute(
        select(ReviewEntry, Member.full_name).join(Member, Member.id == ReviewEntry.member_id)
        .where(ReviewEntry.cycle_id == cycle.id, ReviewEntry.cell_id == cell.id).order_by(Member.full_name, Member.id)
    )
    return cycle, cell, [EntryLine(entry=e, name=n) for e, n in rows]


async def open_rating_vote(
    session: AsyncSession, *, actor: Actor, entry_id: int, rating: Rating | None, now: dt.datetime, kind: BallotKind = BallotKind.OPEN,
    meeting_id: int | None = None, closes_at: dt.datetime | None = None,
) -> votes.Opened:
    """The cell votes a proposed rating for one member (their own proposal unless another is given)."""
    entry, cycle = await _entry(session, entry_id)
    cell = await get_org(session, entry.cell_id)
    if not actor.leads_cell(cell):
        raise actor.refusal(cell, T.NOT_LEADER)
    if entry.final_rating is not None:
        raise Conflict(T.ALREADY_DECIDED)
    # The cell's proposals are due by the cell deadline: no vote opens after it, none may close after it
    # (and one closed by hand after it does not count: core.votes.service._apply_subject).
    if now > cycle.cell_deadline:
        raise Conflict(T.CELL_CLOSED.format(deadline=dates.format_when(cycle.cell_deadline)))
    if closes_at is not None and closes_at > cycle.cell_deadline:
        raise InvalidInput(T.CLOSES_AFTER_CELL_DEADLINE.format(deadline=dates.format_when(cycle.cell_deadline)))
    proposed = rating or entry.self_rating or Rating.COMPLETE
    member = await session.get(Member, entry.member_id)
    assert member is not None
    return await votes.open_vote(
        session, actor=actor, cell_id=cell.id, question=T.REVIEW_VOTE_QUESTION.format(name=member.full_name, rating=T.RATINGS[proposed.value]),
        now=now, meeting_id=meeting_id, kind=kind, closes_at=closes_at, subject=f"review:{entry.id}", subject_value=proposed.value,
    )


async def entry_voice(session: AsyncSession, *, actor: Actor, entry_id: int) -> ReviewEntry:
    """An entry as its cell's leaders and the committees above may read it (self-assessment included)."""
    entry, _ = await _entry(session, entry_id)
    cell = await get_org(session, entry.cell_id)
    if not (actor.leads_cell(cell) or _decides_for(actor, cell)):
        raise actor.refusal(cell, T.NOT_LEADER)
    return entry


# ---------------------------------------------------------------- the committee


def may_decide(actor: Actor, cell: Org) -> bool:
    """Whether the person decides the ratings of this cell's members (a committee above it)."""
    return _decides_for(actor, cell)


@dataclass(frozen=True)
class TopUsage:
    limit_percent: int
    allowed: int  # at most this many top ratings in the cycle
    total: int  # members reviewed in the cycle
    used: int  # top ratings decided so far


async def top_usage(session: AsyncSession, cycle: ReviewCycle) -> TopUsage:
    """Where the cycle stands against its limit on the top rating (what `decide` enforces)."""
    allowed, total = await _top_allowed(session, cycle)
    used = int(await session.scalar(
        select(func.count()).select_from(ReviewEntry).where(ReviewEntry.cycle_id == cycle.id, ReviewEntry.final_rating == Rating.EXCELLENT)
    ) or 0)
    return TopUsage(limit_percent=cycle.top_limit_percent, allowed=allowed, total=total, used=used)


async def _top_allowed(session: AsyncSession, cycle: ReviewCycle) -> tuple[int, int]:
    total = int(await session.scalar(select(func.count()).select_from(ReviewEntry).where(ReviewEntry.cycle_id == cycle.id)) or 0)
    return total * cycle.top_limit_percent // 100, total


async def decide(session: AsyncSession, *, actor: Actor, entry_id: int, rating: Rating, now: dt.datetime) -> ReviewEntry:
    """The committee's decision (or its decision on a reconsideration). The member is told."""
    entry, cycle = await _entry(session, entry_id, for_update=True)
    cell = await get_org(session, entry.cell_id)
    if not _decides_for(actor, cell):
        raise actor.refusal(cell, T.NOT_DECIDER)
    reconsidering = entry.reconsider_requested_at is not None and entry.reconsidered_at is None
    if entry.final_rating is not None and not reconsidering:
        raise Conflict(T.ALREADY_DECIDED)
    if now > cycle.decide_deadline and not reconsidering:  # a reconsideration may come after it, and is decided then
        raise Conflict(T.DECIDE_CLOSED.format(deadline=dates.format_when(cycle.decide_deadline)))
    if rating == Rating.EXCELLENT and entry.final_rating != Rating.EXCELLENT:
        # Serialise decisions of one cycle so two committee members cannot both take the last place.
        await session.execute(select(ReviewCycle.id).where(ReviewCycle.id == cycle.id).with_for_update())
        allowed, total = await _top_allowed(session, cycle)
        already = int(await session.scalar(
            select(func.count()).select_from(ReviewEntry)
            .where(ReviewEntry.cycle_id == cycle.id, ReviewEntry.final_rating == Rating.EXCELLENT, ReviewEntry.id != entry.id)
        ) or 0)
        if already + 1 > allowed:
            raise Conflict(T.OVER_TOP_LIMIT.format(limit=cycle.top_limit_percent, allowed=allowed, total=total, already=already))
    entry.final_rating = rating
    entry.decided_by_id = actor.member.id
    entry.decided_at = now
    entry.revision += 1
    if reconsidering:
        entry.reconsidered_at = now
    await session.flush()
    org = await get_org(session, cycle.org_id)
    if reconsidering:
        message = OutboundMessage(text=T.RESULT_NOTICE_FINAL.format(year=cycle.year, org=render.escape(org.name), rating=T.RATINGS[rating.value]))
    else:
        message = OutboundMessage(
            text=T.RESULT_NOTICE.format(year=cycle.year, org=render.escape(org.name), rating=T.RATINGS[rating.value]),
            buttons=((Button(T.BTN_RECONSIDER, f"{RECONSIDER_PREFIX}:{entry.id}"),),),
        )
    await enqueue_many(session, member_ids=[entry.member_id], kind=KIND_REVIEW_RESULT, source=source_of(cycle.id), message=message,
                       key_suffix=f"r{entry.revision}")
    await audit.record(session, "review.decide", actor_member_id=actor.member.id, org_id=cell.id, target=f"review_entry:{entry.id}",
                       detail={"rating": rating.value, "reconsideration": reconsidering}, at=now)
    return entry


async def request_reconsideration(session: AsyncSession, *, actor: Actor, entry_id: int, reason: str, now: dt.datetime) -> ReviewEntry:
    entry, cycle = await own_entry(session, actor=actor, entry_id=entry_id, for_update=True)
    if entry.final_rating is None:
        raise Conflict(T.RECONSIDER_NOT_YET)
    if entry.reconsider_requested_at is not None:
        raise Conflict(T.RECONSIDER_ONCE)
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise InvalidInput(T.RECONSIDER_REASON_EMPTY)
    if len(cleaned) > MAX_REASON_CHARS:
        raise InvalidInput(T.SELF_TOO_LONG.format(length=len(cleaned), limit=MAX_REASON_CHARS))
    entry.reconsider_reason = cleaned
    entry.reconsider_requested_at = now
    await session.flush()
    cell = await get_org(session, entry.cell_id)
    committee = list((await session.execute(
        select(OrgRole.member_id).where(OrgRole.org_id == cycle.org_id, OrgRole.role == RoleKind.COMMITTEE_MEMBER).distinct()
    )).scalars())
    await enqueue_many(
        session, member_ids=committee, kind=KIND_RECONSIDER, source=source_of(cycle.id), key_suffix=f"e{entry.id}",
        message=OutboundMessage(text=T.RECONSIDER_NOTICE.format(
            name=render.escape(actor.member.full_name), cell=render.escape(cell.name), rating=rating_name(entry.final_rating),
            reason=render.escape(cleaned),
        )),
    )
    return entry


# ---------------------------------------------------------------- figures


@dataclass
class RatingCounts:
    org_id: int
    name: str
    total: int = 0
    by_rating: dict[str, int] = field(default_factory=lambda: {r.value: 0 for r in Rating})
    reconsidering: int = 0  # decided, and a reconsideration asked for and not yet decided (counted in by_rating too)
    kind: OrgKind | None = None  # a cell's or a direct sub-organisation's line; None: a total

    @property
    def pending(self) -> int:
        """Not decided yet."""
        return self.total - sum(self.by_rating.values())


@dataclass(frozen=True)
class Figures:
    year: int
    org: Org
    totals: RatingCounts
    cells: list[RatingCounts]
    children: list[RatingCounts]  # the direct sub-organisations, each the roll-up of its subtree


async def figures(session: AsyncSession, *, actor: Actor, org_id: int, year: int) -> Figures:
    """Final ratings per cell, per direct sub-organisation (rolled up) and in total, over the subtree at `org_id`."""
    org = await get_org(session, org_id)
    if not actor.manages(org):
        raise actor.refusal(org, texts.common.FORBIDDEN)
    return await subtree_figures(session, org=org, year=year)


async def subtree_figures(session: AsyncSession, *, org: Org, year: int) -> Figures:
    """The one rule for the year's rating figures (the review screens, the monthly figures' workbook and
    the annual report in core.reporting); the caller has checked who asks."""
    reconsidering = and_(ReviewEntry.reconsider_requested_at.is_not(None), ReviewEntry.reconsidered_at.is_(None))
    waiting = case((reconsidering, 1), else_=0)
    rows = (await session.execute(
        select(Org.id, Org.name, Org.path, ReviewEntry.final_rating, func.count(), func.sum(waiting))
        .join(ReviewEntry, ReviewEntry.cell_id == Org.id)
        .join(ReviewCycle, ReviewCycle.id == ReviewEntry.cycle_id)
        .where(in_subtree(org.path), ReviewCycle.year == year)
        .group_by(Org.id, Org.name, Org.path, ReviewEntry.final_rating)
    )).all()
    children = {c.id: c for c in (await session.execute(select(Org).where(Org.parent_id == org.id))).scalars()}
    totals = RatingCounts(org_id=org.id, name=org.name)
    cells: dict[int, RatingCounts] = {}
    rolled: dict[int, RatingCounts] = {cid: RatingCounts(org_id=cid, name=c.name, kind=c.kind) for cid, c in children.items()}
    for cell_id, name, path, rating, count, asked in rows:
        line = cells.setdefault(cell_id, RatingCounts(org_id=cell_id, name=name, kind=OrgKind.CELL))
        ids = [int(p) for p in path.strip("/").split("/")]
        child = next((rolled[i] for i in ids if i in rolled), None)
        for target in (line, totals, child):
            if target is None:
                continue
            target.total += count
            target.reconsidering += int(asked or 0)
            if rating is not None:
                target.by_rating[Rating(rating).value] += count
    return Figures(year=year, org=org, totals=totals, cells=sorted(cells.values(), key=lambda c: c.name),
                   children=sorted(rolled.values(), key=lambda c: c.name))


async def cell_counts(session: AsyncSession, *, cell: Org, year: int) -> RatingCounts | None:
    """One cell's ratings of a year's review (None: no review of that year covers the cell), for its monthly
    report: `subtree_figures` over the cell, so the report counts what the live figures count (those whose
    reconsideration is pending included); the caller has checked who asks."""
    counts = (await subtree_figures(session, org=cell, year=year)).totals
    return counts if counts.total else None


def counts_row(line: RatingCounts, name: str | None = None) -> list[object]:
    """One line of every ratings table (EXPORT_HEADERS): name, reviewed, each rating, not decided, reconsidering."""
    return [line.name if name is None else name, line.total, *(line.by_rating[r.value] for r in Rating), line.pending, line.reconsidering]


def figures_rows(result: Figures) -> list[list[object]]:
    return [counts_row(line) for line in [*result.cells, result.totals]]


def figures_text(result: Figures) -> str:
    lines = "\n".join(
        T.FIGURES_LINE.format(name=render.escape(c.name), total=c.total, pending=c.pending, **c.by_rating)
        + (T.FIGURES_RECONSIDERING.format(count=c.reconsidering) if c.reconsidering else "")
        for c in [*result.cells, result.totals]
    )
    return T.FIGURES.format(year=result.year, org=render.escape(result.org.name), lines=lines)


def figures_csv(result: Figures) -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(T.EXPORT_HEADERS)
    for row in figures_rows(result):
        writer.writerow([_safe(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def figures_xlsx(result: Figures) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = str(result.year)
    sheet.append(list(T.EXPORT_HEADERS))
    for row in figures_rows(result):
        sheet.append([_safe(v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def self_voice_message(entry: ReviewEntry, name: str) -> OutboundMessage | None:
    if entry.self_voice_file_id is None:
        return None
    return OutboundMessage(text=render.escape(name), attachment=Attachment(kind="voice", file_id=entry.self_voice_file_id,
                                                                         duration=entry.self_voice_duration))


async def vote_of_entry(session: AsyncSession, entry: ReviewEntry) -> Vote | None:
    return None if entry.cell_vote_id is None else await session.get(Vote, entry.cell_vote_id)





async def latest_year(session: AsyncSession, *, org_id: int) -> int | None:
    """The newest year reviewed anywhere in the organisation's subtree."""
    org = await get_org(session, org_id)
    found = await session.scalar(
        select(func.max(ReviewCycle.year)).join(ReviewEntry, ReviewEntry.cycle_id == ReviewCycle.id)
        .join(Org, Org.id == ReviewEntry.cell_id).where(in_subtree(org.path))
    )
    return None if found is None else int(found)


# ---------------------------------------------------------------- periodic work

KIND_SELF_REMINDER = "review_self_reminder"
REMIND_BEFORE = dt.timedelta(days=1)
REMIND_HOURS = range(8, 20)  # local: no reminder at night


async def remind_self_assessment(session: AsyncSession, context: TickContext) -> int:
    """Tick job: a day before the self-assessment deadline, one reminder to each member who has not sent it
    (keyed per entry, so a second tick or instance sends nothing more)."""
    if context.now.astimezone(context.tz).hour not in REMIND_HOURS:
        return 0
    cycles = (await session.execute(
        select(ReviewCycle).where(ReviewCycle.self_deadline > context.now, ReviewCycle.self_deadline <= context.now + REMIND_BEFORE)
    )).scalars().all()
    queued = 0
    for cycle in cycles:
        rows = (await session.execute(
            select(ReviewEntry.id, ReviewEntry.member_id).where(ReviewEntry.cycle_id == cycle.id, ReviewEntry.submitted_at.is_(None),
                                                              ReviewEntry.final_rating.is_(None))
        )).all()
        deadline = dates.format_when(cycle.self_deadline)
        for entry_id, member_id in rows:
            result = await enqueue_many(
                session, member_ids=[member_id], kind=KIND_SELF_REMINDER, source=source_of(cycle.id), key_suffix=f"e{entry_id}",
                message=OutboundMessage(text=T.SELF_REMINDER.format(year=cycle.year, deadline=deadline),
                                        buttons=((Button(T.BTN_SELF_ASSESS, f"{SELF_PREFIX}:{entry_id}"),),)),
            )
            queued += result.queued
    return queued
