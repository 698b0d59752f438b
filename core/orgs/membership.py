"""Membership history: who was in which cell, exempt or not, on any day.

Today's `members` row says where a member is now; figures of a past month need where they were
then. Each change of cell, of exemption, or of being active closes the open span of
`memberships` at the day of the change and (unless the member left) opens a new one.

- A new member's first span starts at the date admitted (`joined_on`): the handbook does not
  know earlier cells, and a member imported today who joined years ago was a member all along.
  It is added on flush (`core.orgs.models._first_span`), so no writer can forget it.
- A move, an exemption, a return from exemption, a deactivation or a reactivation is recorded by
  `sync_membership(session, member, on=day)`, called by every writer (core.orgs.management,
  core.orgs.importer) after changing the row.
- A month counts the spans covering its last day (`members_on`): a member moved on 15 November
  counts in the new cell for November and in the old one for October; one who left in November
  is not counted in November. The current month counts today's state (open spans).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.orgs.models import ChannelLink, Member, Membership


def covers(day: dt.date | ColumnElement[dt.date]) -> ColumnElement[bool]:
    """Spans that hold on `day`."""
    return and_(Membership.valid_from <= day, or_(Membership.valid_to.is_(None), Membership.valid_to > day))


async def sync_membership(session: AsyncSession, member: Member, *, on: dt.date) -> None:
    """Make the history end in the member's current state (cell, exemption, active) from `on`.

    Idempotent: nothing changes when the open span already says the same. A span opened and
    changed on the same day is rewritten in place (no empty spans)."""
    if member.id is None:  # pending: its first span is added when it is flushed
        return
    await session.flush()
    current = (
        await session.execute(
            select(Membership).where(Membership.member_id == member.id, Membership.valid_to.is_(None)).order_by(Membership.valid_from.desc())
        )
    ).scalars().all()
    span = current[0] if current else None
    for stale in current[1:]:  # never expected; keep one open span
        stale.valid_to = max(stale.valid_from, on)
    if span is not None and member.active and span.org_id == member.org_id and span.exempt == member.exempt:
        return
    if span is not None:
        if span.valid_from >= on:
            if member.active:  # same day: the span simply becomes the new state
                span.org_id, span.exempt = member.org_id, member.exempt
                return
            await session.delete(span)
        else:
            span.valid_to = on
    if member.active:
        session.add(Membership(member_id=member.id, org_id=member.org_id, exempt=member.exempt, valid_from=on))
    await session.flush()


# ---------------------------------------------------------------- counting


def month_last_days(months: Sequence[dt.date]) -> list[dt.date]:
    """The last local day of each month (months given by their first day)."""
    out = []
    for month in months:
        following = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        out.append(following - dt.timedelta(days=1))
    return out


async def members_on(
    session: AsyncSession, *, days: Sequence[dt.date], ends: Sequence[dt.datetime], where: ColumnElement[bool]
) -> dict[int, list[tuple[int, int, int]]]:
    """For each day: (members, exempt, linked) per organisation, from the membership history.

    `days[i]` is the local day the count is taken (a month's last day); `ends[i]` the UTC instant
    an account must have been linked before to count as linked that day. `where` filters on
    `Membership.org_id` (the scope). The one query every figure of members uses.
    """
    columns = []
    for day in days:
        columns.append(func.coalesce(func.sum(case((covers(day), 1), else_=0)), 0))
        columns.append(func.coalesce(func.sum(case((and_(covers(day), Membership.exempt), 1), else_=0)), 0))
    first, last = min(days), max(days)
    spans = and_(Membership.valid_from <= last, or_(Membership.valid_to.is_(None), Membership.valid_to > first), where)
    out: dict[int, list[tuple[int, int, int]]] = {}
    rows = await session.execute(select(Membership.org_id, *columns).where(spans).group_by(Membership.org_id))
    counts: dict[int, list[list[int]]] = {}
    for org_id, *values in rows:
        counts[int(org_id)] = [[int(values[2 * i]), int(values[2 * i + 1]), 0] for i in range(len(days))]
    # An account on any messenger counts; the first one linked says since when.
    # Only the members in scope: unrestricted, this grouped every account in the database for one
    # cell's report (168 of its 203 ms at 100,000 members); restricted, a cell reads its own few rows.
    first_link = (
        select(ChannelLink.member_id, func.min(ChannelLink.linked_at).label("at"))
        .where(ChannelLink.member_id.in_(select(Membership.member_id).where(spans)))
        .group_by(ChannelLink.member_id)
        .subquery()
    )
    linked_columns = [
        func.coalesce(func.sum(case((and_(covers(day), first_link.c.at < end), 1), else_=0)), 0) for day, end in zip(days, ends, strict=True)
    ]
    rows = await session.execute(
        select(Membership.org_id, *linked_columns)
        .join(first_link, first_link.c.member_id == Membership.member_id)
        .where(spans)
        .group_by(Membership.org_id)
    )
    for org_id, *values in rows:
        row = counts.setdefault(int(org_id), [[0, 0, 0] for _ in days])
        for index, value in enumerate(values):
            row[index][2] = int(value)
    for org_id, row in counts.items():
        out[org_id] = [(m, e, linked) for m, e, linked in row]
    return out


async def cell_of_on(session: AsyncSession, *, member_id: int, day: dt.date) -> int | None:
    """The cell a member belonged to on a day (None: not a member then)."""
    return await session.scalar(select(Membership.org_id).where(Membership.member_id == member_id, covers(day)).limit(1))
