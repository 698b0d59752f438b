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

from sqlalchemy import ColumnElement, Table, and_, case, delete, event, func, insert, literal_column, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_session
from sqlalchemy.orm import QueryableAttribute, Session, SessionTransaction
from sqlalchemy.util import await_only

from core import counted as changes_noted
from core import texts
from core.clock import local_tz
from core.db import insert_for
from core.errors import InvalidInput
from core.feedback.models import FeedbackItem
from core.meetings.models import Attendance, Invitation, Meeting, MeetingStatus

# The meetings domain's rule for present / excused / without leave, used as is.
from core.meetings.stats import _attendance_join, _excused, _present, _unexcused, counted
from core.orgs.membership import members_on, month_last_days
from core.orgs.models import ChannelLink, Member, Membership, Org, OrgKind
from core.orgs.service import Actor, in_subtree, managed_org
from core.reporting.models import FiguresMonth, OrgMonthFigures
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
    """Which organisations' rows to read: one cell, a subtree, everything (drafting all reports,
    building a month's stored rows), or a list of organisations (those a transaction changed)."""

    org: Org | None
    ids: tuple[int, ...] | None = None

    def where(self, column: ColumnElement[int] | QueryableAttribute[int]) -> ColumnElement[bool]:
        if self.ids is not None:
            return column.in_(self.ids)
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


# Each source by the name writers use to say what they changed (core.counted), and the fields it fills.
SOURCE_BY_NAME: dict[changes_noted.Source, Source] = {
    "members": members_source, "meetings": meetings_source, "study": study_source, "feedback": feedback_source,
}
SOURCE_FIELDS: dict[changes_noted.Source, tuple[str, ...]] = {
    "members": ("members", "exempt", "linked"),
    "meetings": ("meetings_held", "invited", "present", "absent_excused", "absent_unexcused"),
    "study": ("study_assigned", "study_done", "quiz_done", "quiz_correct", "quiz_questions"),
    "feedback": ("feedback_received", "feedback_answered"),
}
SOURCES: tuple[Source, ...] = tuple(SOURCE_BY_NAME.values())


async def collect(
    session: AsyncSession, scope: Scope, months: Sequence[dt.date], sources: Sequence[Source] = SOURCES
) -> dict[int, list[Figures]]:
    """Every source (or these) for these months: organisation id → one Figures per month."""
    edges = bounds(months)
    by_org: dict[int, list[Figures]] = {}
    for source in sources:
        for (org_id, index), values in (await source(session, scope, edges)).items():
            row = by_org.setdefault(org_id, [Figures() for _ in months])
            row[index].add(values)
    return by_org


# ---------------------------------------------------------------- stored figures, kept exact
#
# `OrgMonthFigures` holds each organisation's own figures for the months listed in `FiguresMonth`
# (the kept months: the last KEPT_BEFORE months, the current one and the next). A kept month is
# built once from the raw rows (`build_month`); from then on every transaction that changes a
# counted row recomputes, before it commits, the changed organisations' rows of every kept month
# with the same sources a live report uses (`settle`), one source at a time. So a committee's
# figures are a sum over ≤ 20,000 small rows and are never older than the last commit.
#
# Concurrency on PostgreSQL (READ COMMITTED, each statement sees what was committed before it):
# a transaction settling organisation X holds an advisory lock on X until it ends, taken before it
# recomputes; a second one changing X waits, then recomputes from the raw rows including the
# first one's commit, so no change is lost. Building or dropping a month takes the kept months'
# lock exclusively; settling takes it shared, so a month being built never misses a change made
# meanwhile. SQLite has one writer at a time: the settling transaction already holds the lock.

KEPT_BEFORE = 12  # months before the current one kept exact (the next month is kept too)
BULK = 64  # more changed organisations than this: lock the kept months whole instead of each one
CHUNK = 2000  # organisations per recomputation
LOCK_CLASS = 0x5071  # advisory locks: (LOCK_CLASS, 0) the kept months, (LOCK_CLASS + 1, org id) one organisation


def kept_window(now: dt.datetime) -> list[dt.date]:
    """The months that should be kept exact at this moment."""
    current = local_month(now)
    return [add_months(current, offset) for offset in range(-KEPT_BEFORE, 2)]


async def kept_months(session: AsyncSession) -> list[dt.date]:
    return sorted((await session.execute(select(FiguresMonth.month))).scalars())


async def _lock(session: AsyncSession, *, whole: bool = False, shared: bool = False, orgs: Sequence[int] = ()) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the writing transaction holds the database's one write lock
    if whole:
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        await session.execute(text(f"SELECT {function}(:c, 0)"), {"c": LOCK_CLASS})
    for org_id in sorted(orgs):  # one order everywhere: two settling transactions never deadlock
        await session.execute(text("SELECT pg_advisory_xact_lock(:c, :k)"), {"c": LOCK_CLASS + 1, "k": org_id % 2**31})


async def _changed_orgs(session: AsyncSession, changes: changes_noted.Changes) -> dict[changes_noted.Source, set[int]]:
    """The organisations whose rows changed, by source (members, meetings and campaigns resolved)."""
    orgs = {source: set(ids) for source, ids in changes.orgs.items()}
    if changes.meetings:
        orgs["meetings"] |= set((await session.execute(select(Meeting.cell_id).where(Meeting.id.in_(changes.meetings)))).scalars())
    if changes.members:
        query = select(Membership.org_id).where(Membership.member_id.in_(changes.members)).distinct()
        orgs["members"] |= set((await session.execute(query)).scalars())
    if changes.campaigns:
        query = select(StudyAssignment.cell_id).where(StudyAssignment.campaign_id.in_(changes.campaigns)).distinct()
        orgs["study"] |= set((await session.execute(query)).scalars())
    return orgs


async def _store(session: AsyncSession, source: changes_noted.Source, org_ids: Sequence[int], months: Sequence[dt.date]) -> None:
    """Recompute one source for these organisations and months, and write its fields (zero included)."""
    names = SOURCE_FIELDS[source]
    for start in range(0, len(org_ids), CHUNK):
        chunk = tuple(org_ids[start : start + CHUNK])
        by_org = await collect(session, Scope(None, ids=chunk), months, sources=(SOURCE_BY_NAME[source],))
        rows = []
        for org_id in chunk:
            values = by_org.get(org_id) or [Figures() for _ in months]
            rows += [{"month": month, "org_id": org_id, **{n: getattr(values[i], n) for n in names}} for i, month in enumerate(months)]
        statement = insert_for(session, OrgMonthFigures)
        statement = statement.on_conflict_do_update(index_elements=["month", "org_id"], set_={n: getattr(statement.excluded, n) for n in names})
        await session.execute(statement, rows)


async def settle(session: AsyncSession) -> int:
    """Bring the kept months' stored rows up to this transaction's changes (core.counted): run
    before every commit (`_settle_before_commit`) and before a committee's figures are read in a
    transaction that changed something. Returns how many organisations were recomputed."""
    changes = changes_noted.take(session.info)
    if not changes:
        return 0
    orgs = await _changed_orgs(session, changes)
    everyone = set().union(*orgs.values())
    if not everyone:
        return 0
    bulk = len(everyone) > BULK
    await _lock(session, whole=True, shared=not bulk, orgs=() if bulk else sorted(everyone))
    months = await kept_months(session)
    if not months:
        return 0
    for source, ids in orgs.items():
        if ids:
            await _store(session, source, sorted(ids), months)
    return len(everyone)


async def build_month(session: AsyncSession, *, month: dt.date, now: dt.datetime) -> int | None:
    """Start keeping a month: every organisation's own row, computed from the raw rows. None when
    it is kept already. Holds the kept months' lock, so no change made meanwhile is missed."""
    await _lock(session, whole=True)
    # The claim is the transaction's first write: on SQLite it takes the write lock before any read.
    table = FiguresMonth.__table__
    claimed = await session.execute(
        insert_for(session, table).on_conflict_do_nothing(index_elements=["month"]).returning(table.c.month), [{"month": month, "built_at": now}]
    )
    if claimed.first() is None:
        return None
    by_org = await collect(session, Scope(None), [month])
    await session.execute(delete(OrgMonthFigures).where(OrgMonthFigures.month == month))
    rows = [{"month": month, "org_id": org_id, **row[0].to_dict()} for org_id, row in by_org.items()]
    connection = await session.connection()
    for start in range(0, len(rows), 5000):
        await connection.execute(insert(cast(Table, OrgMonthFigures.__table__)), rows[start : start + 5000])
    return len(rows)


async def drop_month(session: AsyncSession, *, month: dt.date) -> None:
    """Stop keeping a month (it is computed live from then on)."""
    await _lock(session, whole=True)
    await session.execute(delete(FiguresMonth).where(FiguresMonth.month == month))
    await session.execute(delete(OrgMonthFigures).where(OrgMonthFigures.month == month))


@dataclass(frozen=True)
class Difference:
    org_id: int
    month: dt.date
    field: str
    stored: int
    live: int


async def check(session: AsyncSession, *, months: Sequence[dt.date] | None = None, repair: bool = False) -> list[Difference]:
    """Recompute the kept months (or these of them) from the raw rows and list where the stored
    rows differ. With `repair`, rewrite the differing organisations' rows (under the kept months'
    lock). `sotay figures check [--repair]`; a difference means a writer changed counted rows
    without noting it (core.counted)."""
    await _lock(session, whole=True, shared=not repair)
    kept = await kept_months(session)
    chosen = [m for m in kept if months is None or m in months]
    if not chosen:
        return []
    live = await collect(session, Scope(None), chosen)
    have = await stored(session, Scope(None), chosen)
    out: list[Difference] = []
    for org_id in sorted(set(live) | set(have)):
        for index, month in enumerate(chosen):
            a = (have.get(org_id) or [Figures()] * len(chosen))[index].to_dict()
            b = (live.get(org_id) or [Figures()] * len(chosen))[index].to_dict()
            out += [Difference(org_id, month, name, a[name], b[name]) for name in FIELD_NAMES if a[name] != b[name]]
    if repair and out:
        wrong = sorted({d.org_id for d in out})
        for source in SOURCE_BY_NAME:
            await _store(session, source, wrong, chosen)
    return out


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


async def keep_months(session: AsyncSession, *, now: dt.datetime) -> int:
    """The tick job: drop kept months that left the window, build at most one missing month
    (newest first: the next month is ready before it begins). Returns the rows built."""
    window = kept_window(now)
    kept = await kept_months(session)
    for month in kept:
        if month not in window:
            await drop_month(session, month=month)
    missing = [month for month in reversed(window) if month not in kept]
    if not missing:
        return 0
    return await build_month(session, month=missing[0], now=now) or 0


# ---------------------------------------------------------------- noting and settling changes

# Every ORM change to a row one of the sources counts, by the source that counts it.
_COUNTED: tuple[tuple[type, changes_noted.Source], ...] = (
    (Membership, "members"), (ChannelLink, "members"), (Member, "members"), (Meeting, "meetings"), (Invitation, "meetings"),
    (Attendance, "meetings"), (StudyAssignment, "study"), (StudyCampaign, "study"), (FeedbackItem, "feedback"),
)
# The column naming the organisation a row is counted under (its old value counts too: a move).
_ORG_COLUMN = {Membership: "org_id", Member: "org_id", Meeting: "cell_id", StudyAssignment: "cell_id", FeedbackItem: "addressed_org_id"}


def _values(obj: object, name: str) -> list[int | None]:
    state = sa_inspect(obj)
    assert state is not None
    history = state.attrs[name].history
    return [getattr(obj, name), *history.deleted]


@event.listens_for(Session, "after_flush")
def _note_counted_changes(session: Session, _context: object) -> None:
    """Note (core.counted) every flushed change to a counted row: `settle` recomputes its organisation."""
    dirty = [obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    for obj in (*session.new, *dirty, *session.deleted):
        source = next((name for kind, name in _COUNTED if isinstance(obj, kind)), None)
        if source is None:
            continue
        if isinstance(obj, Member) and obj not in session.deleted:
            continue  # a member's cell and exemption are counted from the membership spans
        column = _ORG_COLUMN.get(type(obj))
        if column is not None:
            changes_noted.changed(session, source=source, org_ids=_values(obj, column))
        elif isinstance(obj, ChannelLink):
            changes_noted.changed(session, source=source, member_ids=_values(obj, "member_id"))
        elif isinstance(obj, Invitation | Attendance):
            changes_noted.changed(session, source=source, meeting_ids=_values(obj, "meeting_id"))
        elif isinstance(obj, StudyCampaign) and obj not in session.new:  # a new campaign has no assignments yet
            changes_noted.changed(session, source=source, campaign_ids=[obj.id])


@event.listens_for(Session, "before_commit")
def _settle_before_commit(session: Session) -> None:
    """The stored figures change in the transaction that changes what they count: settle before
    the final COMMIT (a savepoint's release waits for the outer commit)."""
    if session.in_nested_transaction():
        return
    owner = async_session(session)
    if owner is None:  # a plain synchronous session (migrations, scripts): nothing of ours settles there
        return
    session.flush()
    if changes_noted.is_pending(session.info):
        await_only(settle(owner))


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (settled) or rolled back: nothing is pending any more
        changes_noted.forget(session.info)


# ---------------------------------------------------------------- rolling up


async def rollup(
    session: AsyncSession, *, org: Org, months: Sequence[dt.date], now: dt.datetime | None = None, cells: bool = False
) -> Rollup:
    """The organisation's figures, and each direct sub-organisation's, summed from the per-organisation rows.

    A cell is always computed live (a handful of indexed queries: the rule itself). A committee
    reads the stored rows when every month asked for is kept (exact to the last commit, this
    transaction's own changes settled first), summed by the database per direct sub-organisation;
    it is computed live otherwise (an old month, or before the months are first built). `cells`:
    fill `Rollup.cells` from the stored rows too (the XLSX file lists every cell); computed live,
    it is always filled. `now` is accepted for the callers' sake and not needed.
    """
    del now
    if org.kind != OrgKind.CELL:
        await settle(session)
        if set(months) <= set(await kept_months(session)):
            return await _stored_rollup(session, org, months, cells=cells)
    by_org = await collect(session, Scope(org), months)
    result = Rollup(org=org, months=list(months), totals=[Figures() for _ in months], own=[Figures() for _ in months])
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


def _first_segment(session: AsyncSession, value: ColumnElement[str]) -> ColumnElement[str]:
    """The text before the first "/" ("" for ""): "12/340/" → "12"."""
    if session.get_bind().dialect.name == "postgresql":
        return func.split_part(value, "/", 1)
    return func.substr(value, 1, func.instr(value, "/") - 1)


async def _stored_rollup(session: AsyncSession, org: Org, months: Sequence[dt.date], *, cells: bool) -> Rollup:
    """The stored rows of the subtree, summed by the database per direct sub-organisation (the
    first id of each row's path below the organisation's; none: the organisation's own rows)."""
    index = {month: position for position, month in enumerate(months)}
    child = _first_segment(session, func.substr(Org.path, len(org.path) + 1)).label("child")
    rows = await session.execute(
        select(child, OrgMonthFigures.month, *(func.sum(getattr(OrgMonthFigures, name)) for name in FIELD_NAMES))
        .join(Org, Org.id == OrgMonthFigures.org_id)
        .where(OrgMonthFigures.month.in_(list(months)), in_subtree(org.path))
        .group_by(child, OrgMonthFigures.month)
    )
    result = Rollup(org=org, months=list(months), totals=[Figures() for _ in months], own=[Figures() for _ in months])
    refs = await _children(session, org)
    by_child = {ref.id: [Figures() for _ in months] for ref in refs}
    for key, month, *values in rows:
        figures = Figures(*(int(value or 0) for value in values))
        target = result.own if not key else by_child.get(int(key))
        if target is not None:  # (a row of an organisation moved away meanwhile is not in the subtree)
            target[index[month]].add(figures)
        result.totals[index[month]].add(figures)
    result.children = [(ref, by_child[ref.id]) for ref in refs]
    if cells:
        result.cells = await stored(session, Scope(org), months)
    return result


async def _children(session: AsyncSession, org: Org) -> list[OrgRef]:
    if org.kind == OrgKind.CELL:
        return []
    rows = await session.execute(select(Org.id, Org.name, Org.kind, Org.path).where(Org.parent_id == org.id).order_by(Org.name))
    return [OrgRef(id=i, name=n, kind=k, path=p) for i, n, k, p in rows]


async def viewable(session: AsyncSession, *, actor: Actor, org_id: int) -> Org:
    """Figures are for those who manage the organisation (its cell leaders, or a committee above)."""
    return await managed_org(session, actor, org_id)


def check_months(months: Sequence[dt.date]) -> None:
    if not months or len(months) > MAX_MONTHS:
        raise InvalidInput(texts.reports.PERIOD_TOO_LONG.format(limit=MAX_MONTHS))


async def org_figures(
    session: AsyncSession, *, actor: Actor, org_id: int, month: dt.date, history: int = 1, now: dt.datetime | None = None,
    cells: bool = False,
) -> Rollup:
    """`history` months ending with `month` (the chart uses 6); `cells`: every cell's own rows too (the XLSX file)."""
    org = await viewable(session, actor=actor, org_id=org_id)
    months = months_until(check_month(month), history)
    check_months(months)
    return await rollup(session, org=org, months=months, now=now, cells=cells)


async def cell_figures(session: AsyncSession, *, months: Sequence[dt.date], org: Org | None = None) -> dict[int, list[Figures]]:
    """Per-organisation figures for everything (org None) or a subtree; for drafting reports."""
    return await collect(session, Scope(org), months)
