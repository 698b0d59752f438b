"""Attendance statistics: one meeting, a cell or committee over months, each member over months.

Only held meetings (attendance recorded) count for presence, and only obliged invitations: an
exempt member (miễn sinh hoạt) is invited "không bắt buộc" and counts neither as expected nor as
absent (`counted()`). An obliged invitee who was not present is *excused* when their absence was
approved, otherwise *absent without leave*. Sums are done by the database per meeting and per member, so a
committee's whole subtree is a handful of grouped queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.errors import InvalidInput
from core.meetings import dates
from core.meetings.models import AbsenceReason, Answer, Attendance, Invitation, Meeting, MeetingKind, MeetingStatus
from core.meetings.render import escape as _escape
from core.orgs.models import Member, Org
from core.orgs.service import Actor, in_subtree, managed_org, orgs_by_ids


@dataclass(frozen=True)
class MeetingStats:
    invited: int = 0
    attending: int = 0
    requested: int = 0
    excused: int = 0
    refused: int = 0
    no_answer: int = 0
    held: bool = False
    expected: int = 0  # obliged invitees (exempt members are invited but not expected)
    present: int = 0
    absent_excused: int = 0
    absent_unexcused: int = 0

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.held and self.expected else None


@dataclass
class Totals:
    meetings: int = 0
    invited: int = 0
    present: int = 0
    absent_excused: int = 0
    absent_unexcused: int = 0

    @property
    def rate(self) -> float | None:
        return self.present / self.invited if self.invited else None

    def add(self, other: Totals) -> None:
        self.meetings += other.meetings
        self.invited += other.invited
        self.present += other.present
        self.absent_excused += other.absent_excused
        self.absent_unexcused += other.absent_unexcused


@dataclass
class MonthStats(Totals):
    month: dt.date = dt.date(2000, 1, 1)  # the first day of the month


@dataclass
class CellStats(Totals):
    cell_id: int = 0
    name: str = ""


@dataclass
class MemberStats(Totals):
    member_id: int = 0
    name: str = ""
    card_number: str = ""
    cell_name: str = ""
    months: dict[dt.date, Totals] = field(default_factory=dict)  # by the first day of the month


@dataclass
class PeriodStats:
    org: Org
    start: dt.date
    end: dt.date  # inclusive
    totals: Totals = field(default_factory=Totals)
    months: list[MonthStats] = field(default_factory=list)
    cells: list[CellStats] = field(default_factory=list)


@dataclass(frozen=True)
class DetailRow:
    starts_at: dt.datetime
    kind: MeetingKind
    status: MeetingStatus
    cell_name: str
    member_name: str
    card_number: str
    answer: Answer
    reason_kind: AbsenceReason | None
    reason_text: str | None
    has_voice_reason: bool
    present: bool | None


# ---------------------------------------------------------------- classification


def _present() -> ColumnElement[bool]:
    return Attendance.present.is_(True)


def _absent() -> ColumnElement[bool]:
    return or_(Attendance.present.is_(False), Attendance.present.is_(None))


def counted() -> ColumnElement[bool]:
    """Invitations that count in attendance figures: the obliged ones (not exempt members')."""
    return Invitation.obliged.is_(True)


def _excused() -> ColumnElement[bool]:
    return and_(_absent(), Invitation.answer == Answer.EXCUSED)


def _unexcused() -> ColumnElement[bool]:
    return and_(_absent(), Invitation.answer != Answer.EXCUSED)


def _count_if(condition: ColumnElement[bool]):  # type: ignore[no-untyped-def]
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _attendance_join() -> ColumnElement[bool]:
    return and_(Attendance.meeting_id == Invitation.meeting_id, Attendance.member_id == Invitation.member_id)


# ---------------------------------------------------------------- one meeting


async def meeting_stats(session: AsyncSession, *, meeting: Meeting) -> MeetingStats:
    rows = (
        await session.execute(
            select(Invitation.answer, Invitation.obliged, Attendance.present)
            .outerjoin(Attendance, _attendance_join())
            .where(Invitation.meeting_id == meeting.id)
        )
    ).all()
    answers = {answer: 0 for answer in Answer}
    present = excused = unexcused = expected = 0
    for answer, obliged, was_present in rows:
        answers[answer] += 1
        if not obliged:  # an exempt member: informed, not expected
            continue
        expected += 1
        if was_present:
            present += 1
        elif answer == Answer.EXCUSED:
            excused += 1
        else:
            unexcused += 1
    held = meeting.status == MeetingStatus.HELD
    return MeetingStats(
        invited=len(rows),
        attending=answers[Answer.ATTENDING],
        requested=answers[Answer.ABSENCE_REQUESTED],
        excused=answers[Answer.EXCUSED],
        refused=answers[Answer.ABSENCE_REFUSED],
        no_answer=answers[Answer.NONE],
        held=held,
        expected=expected,
        present=present if held else 0,
        absent_excused=excused if held else 0,
        absent_unexcused=unexcused if held else 0,
    )


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def meeting_stats_text(stats: MeetingStats) -> str:
    text = texts.meetings.MEETING_STATS.format(
        invited=stats.invited, attending=stats.attending, excused=stats.excused, requested=stats.requested,
        refused=stats.refused, no_answer=stats.no_answer,
    )
    if stats.held:
        text += texts.meetings.MEETING_STATS_HELD.format(
            present=stats.present, invited=stats.expected, rate=percent(stats.rate),
            absent_excused=stats.absent_excused, absent_unexcused=stats.absent_unexcused,
        )
    return text


# ---------------------------------------------------------------- periods


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(dt.date(year, month, 1))
        year, month = dates.add_months(year, month, 1)
    return months


def default_period(now: dt.datetime, months: int = 6) -> tuple[dt.date, dt.date]:
    """The last `months` calendar months up to today (local time)."""
    today = dates.local(now).date()
    year, month = dates.add_months(today.year, today.month, -(months - 1))
    return dt.date(year, month, 1), today


MAX_PERIOD = dt.timedelta(days=3 * 366)


def check_period(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise InvalidInput(texts.meetings.PERIOD_INVALID)
    if end - start > MAX_PERIOD:
        raise InvalidInput(texts.meetings.PERIOD_TOO_LONG)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return dates.to_utc(start, dt.time(0, 0)), dates.to_utc(end + dt.timedelta(days=1), dt.time(0, 0))


async def viewable_org(session: AsyncSession, *, actor: Actor, org_id: int) -> Org:
    return await managed_org(session, actor, org_id)


async def period_stats(session: AsyncSession, *, actor: Actor, org_id: int, start: dt.date, end: dt.date) -> PeriodStats:
    """Held meetings of the organisation's subtree between two local dates: per month and per cell."""
    org = await viewable_org(session, actor=actor, org_id=org_id)
    check_period(start, end)
    low, high = _bounds(start, end)
    query = (
        select(
            Meeting.id, Meeting.cell_id, Meeting.starts_at, func.count(Invitation.id),
            _count_if(_present()), _count_if(_excused()), _count_if(_unexcused()),
        )
        .join(Org, Org.id == Meeting.cell_id)
        .join(Invitation, Invitation.meeting_id == Meeting.id)
        .outerjoin(Attendance, _attendance_join())
        .where(in_subtree(org.path), Meeting.status == MeetingStatus.HELD, Meeting.starts_at >= low, Meeting.starts_at < high, counted())
        .group_by(Meeting.id, Meeting.cell_id, Meeting.starts_at)
    )
    result = PeriodStats(org=org, start=start, end=end)
    months = {month: MonthStats(month=month) for month in month_starts(start, end)}
    cells: dict[int, CellStats] = {}
    for _, cell_id, starts_at, invited, present, excused, unexcused in (await session.execute(query)).all():
        one = Totals(meetings=1, invited=int(invited), present=int(present), absent_excused=int(excused), absent_unexcused=int(unexcused))
        local_day = dates.local(starts_at).date()
        months.setdefault(local_day.replace(day=1), MonthStats(month=local_day.replace(day=1))).add(one)
        cells.setdefault(cell_id, CellStats(cell_id=cell_id)).add(one)
        result.totals.add(one)
    names = await orgs_by_ids(session, cells)
    for cell_id, stats in cells.items():
        stats.name = names[cell_id].name if cell_id in names else str(cell_id)
    result.months = [months[key] for key in sorted(months)]
    result.cells = sorted(cells.values(), key=lambda c: c.name)
    return result


async def member_stats(session: AsyncSession, *, actor: Actor, org_id: int, start: dt.date, end: dt.date) -> list[MemberStats]:
    """Each invited member of the subtree over the period, in total and month by month, the least present first."""
    org = await viewable_org(session, actor=actor, org_id=org_id)
    check_period(start, end)
    low, high = _bounds(start, end)
    query = (
        select(
            Member.id, Member.full_name, Member.card_number, Member.org_id, Meeting.starts_at, Invitation.answer, Invitation.obliged,
            Attendance.present,
        )
        .select_from(Invitation)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .join(Org, Org.id == Meeting.cell_id)
        .join(Member, Member.id == Invitation.member_id)
        .outerjoin(Attendance, _attendance_join())
        .where(in_subtree(org.path), Meeting.status == MeetingStatus.HELD, Meeting.starts_at >= low, Meeting.starts_at < high, counted())
    )
    rows = (await session.execute(query)).all()
    cells = await orgs_by_ids(session, {row[3] for row in rows})
    found: dict[int, MemberStats] = {}
    for member_id, name, card, cell_id, starts_at, answer, _obliged, present in rows:
        member = found.get(member_id)
        if member is None:
            member = found[member_id] = MemberStats(
                member_id=member_id, name=name, card_number=card, cell_name=cells[cell_id].name if cell_id in cells else ""
            )
        one = Totals(meetings=1, invited=1)
        if present:
            one.present = 1
        elif answer == Answer.EXCUSED:
            one.absent_excused = 1
        else:
            one.absent_unexcused = 1
        member.add(one)
        month = dates.local(starts_at).date().replace(day=1)
        member.months.setdefault(month, Totals()).add(one)
    return sorted(found.values(), key=lambda m: (m.rate if m.rate is not None else 1.0, -m.absent_unexcused, m.name))


async def detail_rows(
    session: AsyncSession, *, actor: Actor, org_id: int, start: dt.date, end: dt.date, meeting_id: int | None = None
) -> list[DetailRow]:
    """One row per invitation of the period's meetings (cancelled ones left out), for exports."""
    org = await viewable_org(session, actor=actor, org_id=org_id)
    check_period(start, end)
    low, high = _bounds(start, end)
    query = (
        select(Meeting, Invitation, Member.full_name, Member.card_number, Org.name, Attendance.present)
        .select_from(Invitation)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .join(Org, Org.id == Meeting.cell_id)
        .join(Member, Member.id == Invitation.member_id)
        .outerjoin(Attendance, _attendance_join())
        .where(in_subtree(org.path), Meeting.status != MeetingStatus.CANCELLED)
        .order_by(Meeting.starts_at, Meeting.id, Member.full_name, Member.id)
    )
    if meeting_id is not None:
        query = query.where(Meeting.id == meeting_id)
    else:
        query = query.where(Meeting.starts_at >= low, Meeting.starts_at < high)
    return [
        DetailRow(
            starts_at=meeting.starts_at, kind=meeting.kind, status=meeting.status, cell_name=cell_name, member_name=name,
            card_number=card, answer=invitation.answer, reason_kind=invitation.reason_kind, reason_text=invitation.reason_text,
            has_voice_reason=invitation.reason_voice_file_id is not None,
            present=present if meeting.status == MeetingStatus.HELD else None,
        )
        for meeting, invitation, name, card, cell_name, present in (await session.execute(query)).all()
    ]


# ---------------------------------------------------------------- text


def month_label(month: dt.date) -> str:
    return month.strftime("%m/%Y")


def period_text(stats: PeriodStats) -> str:
    lines = [
        texts.meetings.STATS_TITLE.format(org=_escape(stats.org.name), start=stats.start.strftime("%d/%m/%Y"), end=stats.end.strftime("%d/%m/%Y")),
        "",
    ]
    if stats.totals.meetings == 0:
        lines.append(texts.meetings.STATS_NO_DATA)
        return "\n".join(lines)
    totals = stats.totals
    lines.append(
        texts.meetings.STATS_BODY.format(
            meetings=totals.meetings, present=totals.present, invited=totals.invited, rate=percent(totals.rate),
            absent_excused=totals.absent_excused, absent_unexcused=totals.absent_unexcused,
        )
    )
    lines.append("")
    for month in stats.months:
        if month.meetings:
            lines.append(
                texts.meetings.STATS_MONTH_LINE.format(
                    month=month_label(month.month), meetings=month.meetings, present=month.present, invited=month.invited, rate=percent(month.rate)
                )
            )
    if not stats.org.is_cell and stats.cells:
        lines.append(texts.meetings.STATS_CELLS_TITLE)
        for cell in stats.cells:
            lines.append(
                texts.meetings.STATS_CELL_LINE.format(
                    cell=_escape(cell.name), meetings=cell.meetings, present=cell.present, invited=cell.invited, rate=percent(cell.rate)
                )
            )
    return "\n".join(lines)


def member_lines(members: list[MemberStats]) -> list[str]:
    return [
        texts.meetings.STATS_MEMBER_LINE.format(
            number=n, name=_escape(m.name), present=m.present, invited=m.invited, rate=percent(m.rate),
            excused=m.absent_excused, unexcused=m.absent_unexcused,
        )
        for n, m in enumerate(members, start=1)
    ]
