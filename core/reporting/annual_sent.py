"""The annual report (core.reporting.annual) sent up to the committee directly above, like a cell's
monthly report (core.reporting.reports), with the acknowledgement:

- Sent by the organisation itself: a cell's secretary or deputy, a committee's members (`may_send`).
  The year's figures and ratings are frozen as sent (`snapshot`) with the organisation's note; the
  committee members of the organisation above are told through the outbox.
- One row per (organisation, year) (`AnnualReportSent`): sending again after the figures or the note
  changed replaces the frozen figures and raises the version; the committee is told again, and what
  it had acknowledged waits for it anew. Sending again with nothing changed is refused.
- Acknowledged by a committee member of the committee directly above (`may_acknowledge`), one version
  at a time (a button of an older version is refused and points to the new one); the sender and the
  organisation's leaders are told.
- Every send and acknowledgement is audited here, whichever front end asked (bot, API, console).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.clock import local_tz
from core.db import insert_for
from core.delivery.outbox import enqueue_many
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.orgs.models import Org, OrgKind, OrgRole, RoleKind
from core.orgs.service import Actor, managed_org
from core.ports import Button, OutboundMessage
from core.reporting import annual
from core.reporting.figures import Figures
from core.reporting.models import AnnualReportSent, AnnualState
from core.votes import review

SENT_KIND = "annual_report"  # outbox: "organisation O sent its annual report of year Y (version N)"
ACK_KIND = "annual_report_ack"  # outbox: "the committee above acknowledged version N"
ANNUAL_PREFIX = "ra"  # ra:<action>:<org_id>:<year>:<version> (bot/routers/reports/annual_sent_screens.py)
MAX_NOTE_CHARS = 3000
MAX_CHILD_LINES = 15
SENDERS = {OrgKind.CELL: (RoleKind.SECRETARY, RoleKind.DEPUTY),
           OrgKind.COMMITTEE: (RoleKind.SECRETARY, RoleKind.DEPUTY, RoleKind.COMMITTEE_MEMBER)}


def annual_data(action: str, org_id: int, year: int, version: int = 0) -> str:
    return f"{ANNUAL_PREFIX}:{action}:{org_id}:{year}:{version}"


def may_send(actor: Actor, org: Org) -> bool:
    """The organisation's own leaders send its annual report: a cell's secretary or deputy, a committee's members."""
    return org.parent_id is not None and any(mine.id == org.id and role in SENDERS[org.kind] for role, mine in actor.roles)


def may_acknowledge(actor: Actor, org: Org) -> bool:
    """Only a member of the committee directly above acknowledges it."""
    return org.parent_id is not None and any(mine.id == org.parent_id and role == RoleKind.COMMITTEE_MEMBER for role, mine in actor.roles)


@dataclass(frozen=True)
class SentView:
    org: Org
    sent: AnnualReportSent

    @property
    def figures(self) -> Figures:
        return Figures.from_dict(self.sent.figures.get("figures", {}))

    @property
    def ratings(self) -> dict[str, int]:
        return dict(self.sent.figures.get("ratings", {}))

    @property
    def children(self) -> list[dict[str, Any]]:
        return list(self.sent.figures.get("children", []))

    @property
    def child_rows(self) -> list[tuple[dict[str, Any], Figures]]:
        return [(child, Figures.from_dict(child["figures"])) for child in self.children]

    @property
    def rated_rows(self) -> list[tuple[str, dict[str, int]]]:
        """(name, ratings) of each direct sub-organisation with a review, as sent."""
        return [(child["name"], child["ratings"]) for child in self.children if child["ratings"]]

    @property
    def through(self) -> dt.date:
        return dt.date.fromisoformat(self.sent.figures["through"] + "-01")


def _rated(line: review.RatingCounts | None) -> dict[str, int]:
    if line is None or not line.total:
        return {}
    return {"total": line.total, **line.by_rating, "pending": line.pending, "reconsidering": line.reconsidering}


def snapshot(report: annual.AnnualReport) -> dict[str, Any]:
    """What is frozen when sent: the period, the year's figures and ratings, each direct sub-organisation's."""
    return {
        "through": f"{report.rollup.months[-1]:%Y-%m}",
        "figures": report.totals.to_dict(),
        "ratings": _rated(report.ratings.totals),
        "children": [{"org_id": ref.id, "name": ref.name, "figures": f.to_dict(), "ratings": _rated(rated)}
                     for ref, f, rated in report.children],
    }


async def _row(session: AsyncSession, org_id: int, year: int, *, for_update: bool = False) -> AnnualReportSent | None:
    query = select(AnnualReportSent).where(AnnualReportSent.org_id == org_id, AnnualReportSent.year == year)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def _locked_row(session: AsyncSession, org_id: int, year: int, now: dt.datetime) -> AnnualReportSent:
    """The (organisation, year) row, made if missing (version 0: never sent) and locked, so two senders
    at once serialise on it instead of one failing on the unique key."""
    table = AnnualReportSent.__table__
    await session.execute(insert_for(session, table).values(org_id=org_id, year=year, version=0, state=AnnualState.SENT.value,
                                                           figures={}, note="", sent_at=now).on_conflict_do_nothing(
        index_elements=["org_id", "year"]))
    row = await _row(session, org_id, year, for_update=True)
    assert row is not None
    return row


def _clean_note(note: str | None, current: str) -> str:
    if note is None:
        return current
    cleaned = note.strip()
    if len(cleaned) > MAX_NOTE_CHARS:
        raise InvalidInput(texts.reports.NOTE_TOO_LONG.format(limit=MAX_NOTE_CHARS))
    return cleaned


async def _members(session: AsyncSession, org_id: int, roles: tuple[RoleKind, ...]) -> list[int]:
    rows = await session.execute(select(OrgRole.member_id).where(OrgRole.org_id == org_id, OrgRole.role.in_(roles)).distinct())
    return list(rows.scalars())


async def send(session: AsyncSession, *, actor: Actor, org_id: int, year: int, now: dt.datetime, note: str | None = None) -> SentView:
    """Freeze the year's report as it stands and send it up (a new version if it was sent before and changed)."""
    report = await annual.annual_report(session, actor=actor, org_id=org_id, year=year, now=now)
    org = report.org
    if org.parent_id is None:
        raise InvalidInput(texts.reports.ANNUAL_NO_ABOVE)
    if not may_send(actor, org):
        raise PermissionDenied(texts.reports.ANNUAL_ONLY_SENDER)
    row = await _locked_row(session, org.id, year, now)
    frozen, cleaned = snapshot(report), _clean_note(note, row.note)
    if row.version and row.figures == frozen and row.note == cleaned:
        raise Conflict(texts.reports.ANNUAL_UNCHANGED.format(version=row.version))
    row.version += 1
    row.figures, row.note, row.state, row.sent_at, row.sent_by_id = frozen, cleaned, AnnualState.SENT, now, actor.member.id
    row.read_at = row.acknowledged_at = row.acknowledged_by_id = None
    await session.flush()
    view = SentView(org=org, sent=row)
    message = OutboundMessage(
        text=texts.reports.ANNUAL_RECEIVED_NOTICE.format(org=html.escape(org.name), year=year, version=row.version) + "\n\n" + sent_text(view),
        buttons=((Button(texts.reports.BTN_ANNUAL_ACK, annual_data("ack", org.id, year, row.version)),),),
    )
    await enqueue_many(session, member_ids=await _members(session, org.parent_id, (RoleKind.COMMITTEE_MEMBER,)), kind=SENT_KIND,
                       source=f"annual:{row.id}", key_suffix=f"v{row.version}", message=message, not_before=now)
    await audit.record(session, "annual_report.send", actor_member_id=actor.member.id, org_id=org.id, target=f"annual_report:{org.id}:{year}",
                       detail={"version": row.version}, at=now)
    return view


async def sent_report(session: AsyncSession, *, actor: Actor, org_id: int, year: int, now: dt.datetime) -> SentView:
    """The report as sent (whoever manages the organisation); the committee above opening it is remembered."""
    org = await managed_org(session, actor, org_id)
    row = await _row(session, org.id, year)
    if row is None or not row.version:
        raise NotFound(texts.reports.ANNUAL_NOT_SENT.format(year=year))
    if row.read_at is None and may_acknowledge(actor, org):
        row.read_at = now
    return SentView(org=org, sent=row)


async def status(session: AsyncSession, *, org: Org, year: int) -> AnnualReportSent | None:
    """Where the organisation's report of the year stands (None: never sent); the caller has checked who asks."""
    row = await _row(session, org.id, year)
    return row if row is not None and row.version else None


async def acknowledge(session: AsyncSession, *, actor: Actor, org_id: int, year: int, version: int, now: dt.datetime) -> SentView:
    """The committee above takes version `version` in (0: whichever is current); the sender is told."""
    org = await managed_org(session, actor, org_id)
    if not may_acknowledge(actor, org):
        raise PermissionDenied(texts.reports.ANNUAL_ONLY_ABOVE_ACKS)
    row = await _row(session, org.id, year, for_update=True)
    if row is None or not row.version:
        raise NotFound(texts.reports.ANNUAL_NOT_SENT.format(year=year))
    if version and version != row.version:
        raise Conflict(texts.reports.ANNUAL_NEWER_VERSION.format(version=row.version))
    if row.state == AnnualState.ACKNOWLEDGED:
        raise Conflict(texts.reports.ANNUAL_ALREADY_ACKNOWLEDGED)
    row.state, row.acknowledged_at, row.acknowledged_by_id = AnnualState.ACKNOWLEDGED, now, actor.member.id
    row.read_at = row.read_at or now
    await session.flush()
    told = set(await _members(session, org.id, (RoleKind.SECRETARY, RoleKind.DEPUTY)))
    told |= {row.sent_by_id} if row.sent_by_id is not None else set()
    message = OutboundMessage(
        text=texts.reports.ANNUAL_ACKNOWLEDGED_NOTICE.format(year=year, org=html.escape(org.name), version=row.version),
        buttons=((Button(texts.reports.BTN_ANNUAL_OPEN_SENT, annual_data("open", org.id, year)),),),
    )
    await enqueue_many(session, member_ids=sorted(told), kind=ACK_KIND, source=f"annual:{row.id}", key_suffix=f"ack:v{row.version}",
                       message=message, not_before=now)
    await audit.record(session, "annual_report.acknowledge", actor_member_id=actor.member.id, org_id=org.id,
                       target=f"annual_report:{org.id}:{year}", detail={"version": row.version}, at=now)
    return SentView(org=org, sent=row)


@dataclass(frozen=True)
class Received:
    org: Org
    year: int
    children: list[tuple[Org, AnnualReportSent | None]]

    @property
    def sent(self) -> int:
        return sum(1 for _, row in self.children if row is not None)


async def received(session: AsyncSession, *, actor: Actor, org_id: int, year: int) -> Received:
    """The direct sub-organisations of a committee and their annual report of the year (None: not sent)."""
    org = await managed_org(session, actor, org_id)
    if org.kind == OrgKind.CELL:
        raise InvalidInput(texts.reports.NOT_A_COMMITTEE)
    children = list((await session.execute(select(Org).where(Org.parent_id == org.id).order_by(Org.name))).scalars())
    rows = {r.org_id: r for r in (await session.execute(
        select(AnnualReportSent).where(AnnualReportSent.year == year, AnnualReportSent.version > 0,
                                       AnnualReportSent.org_id.in_([c.id for c in children]))
    )).scalars()}
    return Received(org=org, year=year, children=[(c, rows.get(c.id)) for c in children])


# ---------------------------------------------------------------- words


def local_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(local_tz()).strftime("%H:%M %d/%m/%Y")


def _ratings_lines(view: SentView) -> list[str]:
    r, year = texts.reports, view.sent.year
    lines = [r.ANNUAL_RATINGS_TITLE.format(year=year)]
    if not view.ratings:
        return [*lines, r.ANNUAL_RATINGS_NONE.format(year=year)]
    lines.append(r.ANNUAL_RATINGS_TOTAL.format(**view.ratings))
    shown = [child for child in view.children if child["ratings"]]
    lines += [r.ANNUAL_RATINGS_LINE.format(name=html.escape(c["name"]), **c["ratings"]) for c in shown[:MAX_CHILD_LINES]]
    if len(shown) > MAX_CHILD_LINES:
        lines.append(r.CHILDREN_MORE.format(count=len(shown) - MAX_CHILD_LINES))
    return lines


def status_line(row: AnnualReportSent | None, year: int) -> str:
    r = texts.reports
    if row is None:
        return r.ANNUAL_NOT_SENT_STATUS.format(year=year)
    line = r.ANNUAL_SENT_VERSION.format(at=local_stamp(row.sent_at), version=row.version)
    if row.state == AnnualState.ACKNOWLEDGED and row.acknowledged_at is not None:
        return line + "\n" + r.ANNUAL_ACKNOWLEDGED_FOOTER.format(version=row.version, at=local_stamp(row.acknowledged_at))
    return line + "\n" + r.ANNUAL_WAITING_FOOTER


def sent_text(view: SentView) -> str:
    """The report as it was sent: its frozen figures, ratings and note, and where it stands."""
    from core.reporting.reports import figures_lines

    r, year = texts.reports, view.sent.year
    lines = [r.ANNUAL_TITLE.format(year=year, org=html.escape(view.org.name),
                                   period=r.ANNUAL_PERIOD.format(last=view.through.month, year=year)),
             status_line(view.sent, year), "", *figures_lines(view.figures), *_ratings_lines(view)]
    if view.sent.note:
        lines += ["", r.ANNUAL_NOTE.format(note=html.escape(view.sent.note))]
    return "\n".join(lines)
