"""Monthly figures of any organisation over its subtree: members, linked accounts, meetings held,
attendance, absences with and without leave, study completion, average quiz score, feedback
received and answered.

Each *source* is one grouped query over its own tables — members (`core.orgs`), meetings
(`core.meetings`), study (this domain), feedback (`core.feedback`) — returning partial figures
keyed by (organisation id, month index). Nothing loops over cells: a province is the same few
queries as a cell, each `GROUP BY` the row's cell (or addressed organisation) and month bucket;
the subtree is a semi-join on `orgs.path LIKE '/1/4/%'`. The per-cell rows are then summed up the
tree in Python from the organisations' materialised paths (one pass, ~20k rows for a province).

Months are local calendar months (`core.clock.local_tz`, from SOTAY_TIMEZONE); buckets are `CASE` expressions over UTC
bounds computed here, so the same SQL runs on SQLite and PostgreSQL. "Members" and "linked" are
counted as of each month's last day from the membership history (see core.orgs.membership).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, case, delete, func, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from core import texts
from core.clock import local_tz
from core.db import rows_affected
from core.errors import InvalidInput
from core.feedback.models import FeedbackItem
from core.meetings.models import Attendance, Invitation, Meeting, MeetingStatus

# The meetings domain's rule for present / excused / without leave, used as is.
from core.meetings.stats import _attendance_join, _excused, _present, _unexcused, counted
from core.orgs.membership import members_on, month_last_days
from core.orgs.models import Membership, Org, OrgKind
from core.orgs.service import Actor, get_org, in_subtree
from core.reporting.models import FiguresRefresh, OrgMonthFigures
from core.resolutions.models import StudyAssignment, StudyCampaign

MAX_MONTHS = 24


@dataclass
class Figures:
    members: int = 0  # in the month's last day's membership history, exempt included
    exempt: int = 0  # of those, exempt (miễn sinh hoạt)
    linked: int = 0
    meetings_held: int = 0
    invited: int = 0  # obliged invitations to held meetings (exempt members' are not counted)
    present: int = 0
    absent_excused: int = 0
    absent_unexcused: int = 0
    study_assigned: int = 0  # (member, campaign) pairs whose deadline falls in the month
    study_done: int = 0  # of those, confirmed studied
    quiz_done: int = 0
    quiz_correct: int = 0  # right answers over finished quizzes
    quiz_questions: int = 0  # questions of finished quizzes
    feedback_received: int = 0
    feedback_answered: int = 0

    def add(self, other: Figures | dict[str, int]) -> None:
        if isinstance(other, Figures):  # the hot path of a rollup: tens of thousands of calls
            for name in FIELD_NAMES:
                setattr(self, name, getattr(self, name) + getattr(other, name))
            return
        for name, value in other.items():
            setattr(self, name, getattr(self, name) + int(value or 0))

    @property
    def attendance_rate(self) -> float | None:
        return self.present / self.invited if self.invited else None

    @property
    def study_rate(self) -> float | None:
        return self.study_done / self.study_assigned if self.study_assigned else None

    @property
    def average_score(self) -> float | None:
        """Out of 10, over finished quizzes."""
        return 10 * self.quiz_correct / self.quiz_questions if self.quiz_questions else None

    @property
    def answer_rate(self) -> float | None:
        return self.feedback_answered / self.feedback_received if self.feedback_received else None

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FIELD_NAMES}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Figures:
        return cls(**{k: int(v) for k, v in values.items() if k in FIELD_NAMES})


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Figures))


@dataclass(frozen=True)
class OrgRef:
    id: int
    name: str
    kind: OrgKind
    path: str


@dataclass
class Rollup:
    org: Org
    months: list[dt.date]  # first days of the local months
    totals: list[Figures]  # one per month
    children: list[tuple[OrgRef, list[Figures]]] = field(default_factory=list)  # each direct sub-organisation's subtree
    own: list[Figures] = field(default_factory=list)  # rows addressed to the organisation itself (feedback to a committee)
    cells: dict[int, list[Figures]] = field(default_factory=dict)  # every cell of the subtree with data
    as_of: dt.datetime | None = None  # computed now (None), or read from the refresh made at this time

    def month(self, index: int = -1) -> Figures:
        return self.totals[index]


# ---------------------------------------------------------------- months


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def local_month(moment: dt.datetime) -> dt.date:
    return month_start(moment.astimezone(local_tz()).date())


def months_until(last: dt.date, count: int) -> list[dt.date]:
    return [add_months(month_start(last), offset) for offset in range(-(count - 1), 1)]


def bounds(months: Sequence[dt.date]) -> list[dt.datetime]:
    """UTC instants of each month's local start, and of the month after the last one."""
    edges = [*months, add_months(months[-1], 1)]
    tz = local_tz()
    return [dt.datetime.combine(m, dt.time(0, 0), tz).astimezone(dt.timezone.utc) for m in edges]


# Months anyone may ask about. Outside them the UTC bounds of a month (and its history) would
# overflow `datetime`; the API's month pattern (`MONTH_RE`) says the same range.
FIRST_MONTH = dt.date(2000, 1, 1)
LAST_MONTH = dt.date(2199, 12, 1)
MONTH_RE = r"^2[01]\d\d-(0[1-9]|1[0-2])$"


def check_month(month: dt.date) -> dt.date:
    """The month's first day, or InvalidInput when it is outside FIRST_MONTH..LAST_MONTH."""
    start = month_start(month)
    if not FIRST_MONTH <= start <= LAST_MONTH:
        raise InvalidInput(texts.reports.MONTH_INVALID)
    return start


def parse_month(value: str) -> dt.date:
    """"2026-10", "10/2026" or "2026-10-01", within FIRST_MONTH..LAST_MONTH."""
    text = value.strip()
    for pattern in ("%Y-%m", "%m/%Y", "%Y-%m-%d"):
        try:
            parsed = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return check_month(parsed)
    raise InvalidInput(texts.reports.MONTH_INVALID)


def _bucket(column: ColumnElement[dt.datetime] | QueryableAttribute[dt.datetime], edges: Sequence[dt.datetime]) -> tuple[ColumnElement[int], list[ColumnElement[Any]]]:
    """The month index of a timestamp (rows are pre-filtered to [edges[0], edges[-1])), and what to
    group by for it: nothing when there is one month (a constant needs no grouping)."""
    if len(edges) == 2:
        return literal_column("0"), []
    index = case(*((column < edge, position) for position, edge in enumerate(edges[1:-1])), else_=len(edges) - 2)
    return index, [index]


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """Which organisations' rows to read: one cell, a subtree, or everything (drafting all reports)."""

    org: Org | None

    def where(self, column: ColumnElement[int] | QueryableAttribute[int]) -> ColumnElement[bool]:
        if self.org is None:
            return column.is_not(None)
        if self.org.kind == OrgKind.CELL:
            return column == self.org.id
        return column.in_(select(Org.id).where(in_subtree(self.org.path)).scalar_subquery())


Partial = dict[tuple[int, int], dict[str, int]]
Source = Callable[[AsyncSession, Scope, Sequence[dt.datetime]], Awaitable[Partial]]


def _put(out: Partial, org_id: int, index: int, values: dict[str, Any]) -> None:
    slot = out.setdefault((int(org_id), int(index)), {})
    for name, value in values.items():
        slot[name] = slot.get(name, 0) + int(value or 0)


# ---------------------------------------------------------------- sources


async def members_source(session: AsyncSession, scope: Scope, edges: Sequence[dt.datetime]) -> Partial:
    """Members (and of them exempt, and linked) as of each month's last day, from the membership
    history (`core.orgs.membership`): where people were then, not where they are today."""
    months = [local_month(edge) for edge in edges[:-1]]
    counts = await members_on(session, days=month_last_days(months), ends=edges[1:], where=scope.where(Membership.org_id))
    out: Partial = {}
    for org_id, row in counts.items():
        for index, (members, exempt, linked) in enumerate(row):
            _put(out, org_id, index, {"members": members, "exempt": exempt, "linked": linked})
    return out


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def meetings_source(session: AsyncSession, scope: Scope, edges: Sequence[dt.datetime]) -> Partial:
    """Held meetings and their attendance (present / absent with leave / without), by month of the meeting."""
    held = and_(Meeting.status == MeetingStatus.HELD, Meeting.starts_at >= edges[0], Meeting.starts_at < edges[-1], scope.where(Meeting.cell_id))
    month, by_month = _bucket(Meeting.starts_at, edges)
    out: Partial = {}
    rows = await session.execute(select(Meeting.cell_id, month, func.count(Meeting.id)).where(held).group_by(Meeting.cell_id, *by_month))
    for cell_id, index, count in rows:
        _put(out, cell_id, index, {"meetings_held": count})
    rows = await session.execute(
        select(Meeting.cell_id, month, func.count(Invitation.id), _count_if(_present()), _count_if(_excused()), _count_if(_unexcused()))
        .select_from(Meeting)
        .join(Invitation, Invitation.meeting_id == Meeting.id)
        .outerjoin(Attendance, _attendance_join())
        .where(held, counted())
        .group_by(Meeting.cell_id, *by_month)
    )
    for cell_id, index, invited, present, excused, unexcused in rows:
        _put(out, cell_id, index, {"invited": invited, "present": present, "absent_excused": excused, "absent_unexcused": unexcused})
    return out


async def study_source(session: AsyncSession, scope: Scope, edges: Sequence[dt.datetime]) -> Partial:
    """Study assignments of campaigns whose deadline falls in the month."""
    month, by_month = _bucket(StudyCampaign.deadline, edges)
    completed = StudyAssignment.quiz_completed_at.is_not(None)
    rows = await session.execute(
        select(
            StudyAssignment.cell_id, month, func.count(StudyAssignment.id), func.count(StudyAssignment.studied_at),
            func.count(StudyAssignment.quiz_completed_at),
            func.coalesce(func.sum(case((completed, StudyAssignment.quiz_correct), else_=0)), 0),
            func.coalesce(func.sum(case((completed, StudyCampaign.question_count), else_=0)), 0),
        )
        .join(StudyCampaign, StudyCampaign.id == StudyAssignment.campaign_id)
        .where(StudyCampaign.deadline >= edges[0], StudyCampaign.deadline < edges[-1], scope.where(StudyAssignment.cell_id))
        .group_by(StudyAssignment.cell_id, *by_month)
    )
    out: Partial = {}
    for cell_id, index, assigned, done, quiz_done, correct, questions in rows:
        _put(out, cell_id, index, {
            "study_assigned": assigned, "study_done": done, "quiz_done": quiz_done, "quiz_correct": correct, "quiz_questions": questions,
        })
    return out


async def feedback_source(session: AsyncSession, scope: Scope, edges: Sequence[dt.datetime]) -> Partial:
    """Feedback items received in the month by the organisation they were addressed to, and how many got an answer."""
    month, by_month = _bucket(FeedbackItem.created_at, edges)
    rows = await session.execute(
        select(FeedbackItem.addressed_org_id, month, func.count(FeedbackItem.id), func.count(FeedbackItem.answered_at))
        .where(FeedbackItem.created_at >= edges[0], FeedbackItem.created_at < edges[-1], scope.where(FeedbackItem.addressed_org_id))
        .group_by(FeedbackItem.addressed_org_id, *by_month)
    )
    out: Partial = {}
    for org_id, index, received, answered in rows:
        _put(out, org_id, index, {"feedback_received": received, "feedback_answered": answered})
    return out


SOURCES: tuple[Source, ...] = (members_source, meetings_source, study_source, feedback_source)


async def collect(session: AsyncSession, scope: Scope, months: Sequence[dt.date]) -> dict[int, list[Figures]]:
    """Every source for these months: organisation id → one Figures per month."""
    edges = bounds(months)
    by_org: dict[int, list[Figures]] = {}
    for source in SOURCES:
        for (org_id, index), values in (await source(session, scope, edges)).items():
            row = by_org.setdefault(org_id, [Figures() for _ in months])
            row[index].add(values)
    return by_org


# ---------------------------------------------------------------- stored figures

# The current month's stored rows serve for this long after a refresh; a closed month's serve for
# good once refreshed this long after its end (late attendance and answers have come in by then).
MAX_AGE = dt.timedelta(minutes=20)
SETTLE = dt.timedelta(days=10)
REFRESH_EVERY = dt.timedelta(minutes=10)


async def snapshot_time(session: AsyncSession, months: Sequence[dt.date], *, now: dt.datetime) -> dt.datetime | None:
    """When the stored rows of all these months were computed, if they may be used now; else None."""
    rows = dict((await session.execute(select(FiguresRefresh.month, FiguresRefresh.refreshed_at).where(FiguresRefresh.month.in_(list(months))))).tuples().all())
    if len(rows) < len(set(months)):
        return None
    for month in months:
        refreshed = rows[month]
        settled = refreshed >= bounds([month])[-1] + SETTLE
        if not settled and now - refreshed > MAX_AGE:
            return None
    return min(rows.values())


async def is_settled(session: AsyncSession, month: dt.date) -> bool:
    refreshed = await session.scalar(select(FiguresRefresh.refreshed_at).where(FiguresRefresh.month == month))
    return refreshed is not None and refreshed >= bounds([month])[-1] + SETTLE


async def stored(session: AsyncSession, scope: Scope, months: Sequence[dt.date]) -> dict[int, list[Figures]]:
    index = {month: position for position, month in enumerate(months)}
    columns = [getattr(OrgMonthFigures, name) for name in FIELD_NAMES]
    rows = await session.execute(
        select(OrgMonthFigures.org_id, OrgMonthFigures.month, *columns)
        .where(OrgMonthFigures.month.in_(list(months)), scope.where(OrgMonthFigures.org_id))
    )
    by_org: dict[int, list[Figures]] = {}
    for org_id, month, *values in rows:
        row = by_org.setdefault(org_id, [Figures() for _ in months])
        row[index[month]] = Figures(*values)
    return by_org


async def refresh_month(session: AsyncSession, *, month: dt.date, now: dt.datetime, force: bool = False) -> int | None:
    """Recompute and store every organisation's own figures for the month (the whole database).

    Claims the month first (one instance at a time: the claim is an UPDATE guarded by the last
    start, or the first INSERT), so two schedulers never compute it twice at once. Returns the
    rows stored, or None when another instance has it or it is fresh enough."""
    table = FiguresRefresh.__table__
    stale = now - REFRESH_EVERY
    claimed = await session.execute(
        update(FiguresRefresh).where(FiguresRefresh.month == month, FiguresRefresh.started_at <= (now if force else stale)).values(started_at=now)
    )
    if not rows_affected(claimed):
        dialect = session.get_bind().dialect.name
        module = postgresql if dialect == "postgresql" else sqlite
        inserted = await session.execute(
            module.insert(table).on_conflict_do_nothing(index_elements=["month"]).returning(table.c.month),
            [{"month": month, "started_at": now, "refreshed_at": now - dt.timedelta(days=3650)}],
        )
        if inserted.first() is None:
            return None
    by_org = await collect(session, Scope(None), [month])
    await session.execute(delete(OrgMonthFigures).where(OrgMonthFigures.month == month))
    rows = [{"month": month, "org_id": org_id, **row[0].to_dict()} for org_id, row in by_org.items()]
    connection = await session.connection()
    for start in range(0, len(rows), 5000):
        await connection.execute(insert(cast(Table, OrgMonthFigures.__table__)), rows[start : start + 5000])
    await session.execute(update(FiguresRefresh).where(FiguresRefresh.month == month).values(refreshed_at=now))
    return len(rows)


# ---------------------------------------------------------------- rolling up


async def rollup(session: AsyncSession, *, org: Org, months: Sequence[dt.date], now: dt.datetime | None = None) -> Rollup:
    """The organisation's figures, and each direct sub-organisation's, summed from the per-organisation rows.

    A cell is always computed live (a handful of indexed queries). A committee reads the stored
    per-organisation rows when every month asked for has a usable refresh (see `snapshot_time`),
    and is computed live otherwise (a small deployment, or before the first refresh).
    """
    as_of = None if org.kind == OrgKind.CELL or now is None else await snapshot_time(session, months, now=now)
    by_org = await collect(session, Scope(org), months) if as_of is None else await stored(session, Scope(org), months)
    result = Rollup(org=org, months=list(months), totals=[Figures() for _ in months], own=[Figures() for _ in months], as_of=as_of)
    if not by_org:
        result.children = [(child, [Figures() for _ in months]) for child in await _children(session, org)]
        return result
    children = {child.id: child for child in await _children(session, org)}
    child_rows: dict[int, list[Figures]] = {child_id: [Figures() for _ in months] for child_id in children}
    if org.kind == OrgKind.CELL:
        paths = {org.id: org.path}
    else:
        paths = dict((await session.execute(select(Org.id, Org.path).where(in_subtree(org.path)))).tuples().all())
    depth = org.depth
    for org_id, row in by_org.items():
        path = paths.get(org_id)
        if path is None:
            continue
        ids = [int(part) for part in path.strip("/").split("/")]
        target = result.own if len(ids) <= depth + 1 else child_rows.setdefault(ids[depth + 1], [Figures() for _ in months])
        for index, figures in enumerate(row):
            target[index].add(figures)
            result.totals[index].add(figures)
        result.cells[org_id] = row
    result.children = [(children[cid], rows) for cid, rows in child_rows.items() if cid in children]
    result.children.sort(key=lambda item: item[0].name)
    return result


async def _children(session: AsyncSession, org: Org) -> list[OrgRef]:
    if org.kind == OrgKind.CELL:
        return []
    rows = await session.execute(select(Org.id, Org.name, Org.kind, Org.path).where(Org.parent_id == org.id).order_by(Org.name))
    return [OrgRef(id=i, name=n, kind=k, path=p) for i, n, k, p in rows]


async def viewable(session: AsyncSession, *, actor: Actor, org_id: int) -> Org:
    """Figures are for those who manage the organisation (its cell leaders, or a committee above)."""
    org = await get_org(session, org_id)
    actor.require_manages(org)
    return org


def check_months(months: Sequence[dt.date]) -> None:
    if not months or len(months) > MAX_MONTHS:
        raise InvalidInput(texts.reports.PERIOD_TOO_LONG.format(limit=MAX_MONTHS))


async def org_figures(
    session: AsyncSession, *, actor: Actor, org_id: int, month: dt.date, history: int = 1, now: dt.datetime | None = None
) -> Rollup:
    """`history` months ending with `month` (the chart uses 6). With `now`, a committee's figures may
    come from the stored rows of a recent refresh (`Rollup.as_of` says when)."""
    org = await viewable(session, actor=actor, org_id=org_id)
    months = months_until(check_month(month), history)
    check_months(months)
    return await rollup(session, org=org, months=months, now=now)


async def cell_figures(session: AsyncSession, *, months: Sequence[dt.date], org: Org | None = None) -> dict[int, list[Figures]]:
    """Per-organisation figures for everything (org None) or a subtree; for drafting reports."""
    return await collect(session, Scope(org), months)
