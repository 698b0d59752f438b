"""A cell's monthly report (báo cáo tháng) to the committee directly above.

- Drafted automatically: `draft_reports(month)` writes a draft with the month's figures for every
  cell that has none (one grouped computation for all cells, one multi-row insert, idempotent on
  (cell, month)), and tells each cell's secretary and deputy. The scheduler calls it in the first
  days of each month for the month before (core/reporting/scheduled.py).
- Reviewed and sent by the secretary (or deputy): the figures are recomputed at sending, the
  secretary's note is kept, and the committee members of the organisation above are told through
  the outbox. A sent report is final.
- Received: a committee sees, for a month, which cells below it sent, and reads each report.
- Acted on by the committee directly above: acknowledged (final), returned with a comment (the
  cell corrects and sends again), and the cells that have not sent are reminded (a message to
  their secretaries and deputies, at most once a day per cell and month).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.clock import local_date
from core.db import insert_for
from core.delivery.outbox import enqueue_many
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.orgs.models import Org, OrgKind, OrgRole, RoleKind
from core.orgs.service import Actor, in_subtree, managed_org
from core.ports import Button, OutboundMessage
from core.reporting.figures import Figures, add_months, cell_figures, check_month, local_month, rollup
from core.reporting.models import MonthlyReport, ReportState
from core.votes import review
from core.votes.models import Rating

DRAFT_KIND = "report_draft"  # outbox: "the report of month M is ready for review"
REVIEW_KIND = "report_review"  # outbox: "the committee acknowledged / returned your report"
REMIND_KIND = "report_remind"  # outbox: "the committee is waiting for your report"
FINAL_STATES = (ReportState.SENT, ReportState.ACKNOWLEDGED)  # what the committee has in hand
SENT_KIND = "report"  # outbox: "cell C sent its report" to the committee above
MAX_NOTE_CHARS = 3000
REPORT_PREFIX = "rr"  # rr:<action>:<cell_id>:<yyyymm> (bot/routers/reports/)


# In the first days of a month, the report people are working on is last month's.
LAST_MONTH_UNTIL_DAY = 10


def default_month(now: dt.datetime) -> dt.date:
    """The one rule for which month a report screen or list opens on, in the bot and the API: the
    last month in the first ten days, the current one after."""
    current = local_month(now)
    return add_months(current, -1) if local_date(now).day <= LAST_MONTH_UNTIL_DAY else current


def report_data(action: str, cell_id: int, month: dt.date) -> str:
    return f"{REPORT_PREFIX}:{action}:{cell_id}:{month:%Y%m}"


@dataclass(frozen=True)
class ReportView:
    report: MonthlyReport
    cell: Org
    figures: Figures

    @property
    def review(self) -> dict[str, int]:
        return review_of(self.report.figures)


# The year's review (core.votes.review) rides in the report's stored figures as flat "review_*" numbers,
# so a sent report keeps the ratings it was sent with.
REVIEW_PREFIX = "review_"


def review_of(stored: dict[str, int] | None) -> dict[str, int]:
    return {k.removeprefix(REVIEW_PREFIX): int(v) for k, v in (stored or {}).items() if k.startswith(REVIEW_PREFIX)}


async def _review_figures(session: AsyncSession, cell: Org, month: dt.date) -> dict[str, int]:
    counts = await review.cell_counts(session, cell=cell, year=month.year)
    if counts is None:
        return {}
    values = {"year": month.year, "total": counts.total, "pending": counts.pending, "reconsidering": counts.reconsidering,
              **counts.by_rating}
    return {REVIEW_PREFIX + k: v for k, v in values.items()}


@dataclass(frozen=True)
class Received:
    org: Org
    month: dt.date
    cells: list[tuple[Org, MonthlyReport | None]]

    @property
    def sent(self) -> int:
        return sum(1 for _, report in self.cells if report is not None and report.state in FINAL_STATES)

    @property
    def missing(self) -> list[Org]:
        return [cell for cell, report in self.cells if report is None or report.state not in FINAL_STATES]


def _check_month(month: dt.date, now: dt.datetime) -> dt.date:
    month = check_month(month)
    if month > local_month(now):
        raise InvalidInput(texts.reports.MONTH_IN_FUTURE)
    return month


async def _cell(session: AsyncSession, actor: Actor, cell_id: int, *, to_send: bool = False) -> Org:
    """A cell the person manages; to send its report, they must be its own secretary or deputy."""
    cell = await session.get(Org, cell_id)
    if cell is None or cell.kind != OrgKind.CELL:
        raise NotFound(texts.common.NOT_FOUND)
    if not actor.manages(cell):
        raise actor.refusal(cell, texts.common.FORBIDDEN)
    if to_send and not may_send(actor, cell):
        raise PermissionDenied(texts.reports.ONLY_CELL_SENDS)
    return cell


def may_send(actor: Actor, cell: Org) -> bool:
    """Only the cell's own secretary or deputy writes and sends its report."""
    return any(org.id == cell.id and role in (RoleKind.SECRETARY, RoleKind.DEPUTY) for role, org in actor.roles)


def may_review(actor: Actor, cell: Org) -> bool:
    """Only a member of the committee directly above acknowledges or returns a cell's report."""
    return any(org.id == cell.parent_id and role == RoleKind.COMMITTEE_MEMBER for role, org in actor.roles)


def may_remind(actor: Actor, org: Org) -> bool:
    """A committee member of this organisation or one above reminds the cells below."""
    return any(role == RoleKind.COMMITTEE_MEMBER and org.path.startswith(mine.path) for role, mine in actor.roles)


async def _figures_of(session: AsyncSession, cell: Org, month: dt.date) -> Figures:
    return (await rollup(session, org=cell, months=[month])).totals[0]


async def report_for(session: AsyncSession, *, actor: Actor, cell_id: int, month: dt.date, now: dt.datetime) -> ReportView:
    """The cell's report for the month: the sent one, or the draft (created or refreshed now)."""
    cell = await _cell(session, actor, cell_id)
    month = _check_month(month, now)
    report = await _report(session, cell.id, month)
    if report is not None and report.state in FINAL_STATES:
        return ReportView(report=report, cell=cell, figures=Figures.from_dict(report.figures))
    figures = await _figures_of(session, cell, month)
    stored = {**figures.to_dict(), **await _review_figures(session, cell, month)}
    if report is None:
        report = MonthlyReport(cell_id=cell.id, month=month, figures=stored, state=ReportState.DRAFT, drafted_at=now)
        session.add(report)
    else:
        report.figures = stored
    await session.flush()
    return ReportView(report=report, cell=cell, figures=figures)


async def _report(session: AsyncSession, cell_id: int, month: dt.date) -> MonthlyReport | None:
    return (await session.execute(select(MonthlyReport).where(MonthlyReport.cell_id == cell_id, MonthlyReport.month == month))).scalar_one_or_none()


async def send_report(
    session: AsyncSession, *, actor: Actor, cell_id: int, month: dt.date, now: dt.datetime, note: str | None = None
) -> ReportView:
    cell = await _cell(session, actor, cell_id, to_send=True)
    month = _check_month(month, now)
    view = await report_for(session, actor=actor, cell_id=cell.id, month=month, now=now)
    report = view.report
    if report.state in FINAL_STATES:
        raise Conflict(texts.reports.ALREADY_SENT)
    if note is not None:
        cleaned = note.strip()
        if len(cleaned) > MAX_NOTE_CHARS:
            raise InvalidInput(texts.reports.NOTE_TOO_LONG.format(limit=MAX_NOTE_CHARS))
        report.note = cleaned
    report.state = ReportState.SENT
    report.sent_at = now
    report.sent_by_id = actor.member.id
    await session.flush()
    if cell.parent_id is not None:
        committee = list(
            (
                await session.execute(
                    select(OrgRole.member_id).where(OrgRole.org_id == cell.parent_id, OrgRole.role == RoleKind.COMMITTEE_MEMBER).distinct()
                )
            ).scalars()
        )
        if committee:
            message = OutboundMessage(
                text=texts.reports.RECEIVED_NOTICE.format(cell=html.escape(cell.name), month=month_label(month))
                + "\n\n" + report_text(cell, month, view.figures, report.note, review=view.review),
                buttons=((Button(texts.reports.BTN_RECEIVED, report_data("list", cell.parent_id, month)),),),
            )
            await enqueue_many(session, member_ids=committee, kind=SENT_KIND, source=f"report:{report.id}", message=message, not_before=now)
    return view


async def save_note(session: AsyncSession, *, actor: Actor, cell_id: int, month: dt.date, note: str, now: dt.datetime) -> ReportView:
    """The secretary's own words on the draft (sent along with the figures)."""
    await _cell(session, actor, cell_id, to_send=True)
    view = await report_for(session, actor=actor, cell_id=cell_id, month=month, now=now)
    if view.report.state in FINAL_STATES:
        raise Conflict(texts.reports.ALREADY_SENT)
    cleaned = note.strip()
    if len(cleaned) > MAX_NOTE_CHARS:
        raise InvalidInput(texts.reports.NOTE_TOO_LONG.format(limit=MAX_NOTE_CHARS))
    view.report.note = cleaned
    await session.flush()
    return view


async def received(session: AsyncSession, *, actor: Actor, org_id: int, month: dt.date, limit: int = 500) -> Received:
    """The cells below a committee and their report for the month (None: not drafted yet)."""
    month = check_month(month)
    org = await managed_org(session, actor, org_id)
    if org.kind == OrgKind.CELL:
        raise InvalidInput(texts.reports.NOT_A_COMMITTEE)
    cells = list(
        (await session.execute(select(Org).where(in_subtree(org.path), Org.kind == OrgKind.CELL).order_by(Org.name).limit(limit))).scalars()
    )
    reports = {
        r.cell_id: r
        for r in (
            await session.execute(
                select(MonthlyReport).where(MonthlyReport.month == month, MonthlyReport.cell_id.in_(select(Org.id).where(in_subtree(org.path))))
            )
        ).scalars()
    }
    return Received(org=org, month=month, cells=[(cell, reports.get(cell.id)) for cell in cells])


async def read_report(session: AsyncSession, *, actor: Actor, cell_id: int, month: dt.date, now: dt.datetime) -> ReportView:
    """A committee member opens a sent report (the first opening is remembered)."""
    cell = await _cell(session, actor, cell_id)
    report = await _report(session, cell.id, month)
    if report is None or report.state not in FINAL_STATES:
        raise NotFound(texts.reports.NOT_SENT_YET)
    if report.read_at is None and not any(org.id == cell.id for _, org in actor.roles):
        report.read_at = now
    return ReportView(report=report, cell=cell, figures=Figures.from_dict(report.figures))


# ---------------------------------------------------------------- the committee acts


async def _reviewable(session: AsyncSession, actor: Actor, cell_id: int, month: dt.date) -> tuple[Org, MonthlyReport]:
    """A sent report of a cell directly below a committee the person sits on."""
    cell = await _cell(session, actor, cell_id)
    if not may_review(actor, cell):
        raise PermissionDenied(texts.reports.ONLY_COMMITTEE_REVIEWS)
    report = await _report(session, cell.id, check_month(month))
    if report is None or report.state not in FINAL_STATES:
        raise NotFound(texts.reports.NOT_SENT_YET)
    if report.state == ReportState.ACKNOWLEDGED:
        raise Conflict(texts.reports.ALREADY_ACKNOWLEDGED)
    return cell, report


async def _leaders(session: AsyncSession, cell_id: int) -> list[int]:
    rows = await session.execute(
        select(OrgRole.member_id).where(OrgRole.org_id == cell_id, OrgRole.role.in_([RoleKind.SECRETARY, RoleKind.DEPUTY])).distinct()
    )
    return list(rows.scalars())


async def acknowledge_report(session: AsyncSession, *, actor: Actor, cell_id: int, month: dt.date, now: dt.datetime) -> ReportView:
    """The committee took the report in: final; the cell's secretary and deputy are told."""
    cell, report = await _reviewable(session, actor, cell_id, month)
    report.state, report.reviewed_at, report.reviewed_by_id, report.review_comment = ReportState.ACKNOWLEDGED, now, actor.member.id, ""
    report.read_at = report.read_at or now
    await session.flush()
    message = OutboundMessage(
        text=texts.reports.ACKNOWLEDGED_NOTICE.format(month=month_label(report.month), cell=html.escape(cell.name)),
        buttons=((Button(texts.reports.BTN_REVIEW_OPEN, report_data("open", cell.id, report.month)),),),
    )
    await enqueue_many(session, member_ids=await _leaders(session, cell.id), kind=REVIEW_KIND, source=f"report:{report.id}",
                       key_suffix="ack", message=message, not_before=now)
    return ReportView(report=report, cell=cell, figures=Figures.from_dict(report.figures))


async def return_report(
    session: AsyncSession, *, actor: Actor, cell_id: int, month: dt.date, comment: str, now: dt.datetime
) -> ReportView:
    """Sent back with the committee's comment: the cell corrects it (figures are recomputed) and sends again."""
    cleaned = (comment or "").strip()
    if not cleaned:
        raise InvalidInput(texts.reports.RETURN_NEEDS_COMMENT)
    if len(cleaned) > MAX_NOTE_CHARS:
        raise InvalidInput(texts.reports.NOTE_TOO_LONG.format(limit=MAX_NOTE_CHARS))
    cell, report = await _reviewable(session, actor, cell_id, month)
    report.state, report.reviewed_at, report.reviewed_by_id, report.review_comment = ReportState.RETURNED, now, actor.member.id, cleaned
    report.sent_at = None
    await session.flush()
    message = OutboundMessage(
        text=texts.reports.RETURNED_NOTICE.format(month=month_label(report.month), cell=html.escape(cell.name), comment=html.escape(cleaned)),
        buttons=((Button(texts.reports.BTN_REVIEW, report_data("open", cell.id, report.month)),),),
    )
    await enqueue_many(session, member_ids=await _leaders(session, cell.id), kind=REVIEW_KIND, source=f"report:{report.id}",
                       key_suffix=f"return:{now:%Y%m%d%H%M%S}", message=message, not_before=now)
    return ReportView(report=report, cell=cell, figures=Figures.from_dict(report.figures))


async def remind_missing(session: AsyncSession, *, actor: Actor, org_id: int, month: dt.date, now: dt.datetime) -> int:
    """Queue a reminder to the secretary and deputy of every cell below that has not sent the month's
    report (or had it returned). Once a day per cell and month: a second tap the same day queues
    nothing new. Returns the cells reminded."""
    box = await received(session, actor=actor, org_id=org_id, month=month)
    if not may_remind(actor, box.org):
        raise PermissionDenied(texts.reports.ONLY_COMMITTEE_REVIEWS)
    reminded = 0
    day = f"{now:%Y%m%d}"
    for cell in box.missing:
        leaders = await _leaders(session, cell.id)
        if not leaders:
            continue
        message = OutboundMessage(
            text=texts.reports.REMIND_NOTICE.format(org=html.escape(box.org.name), month=month_label(box.month)),
            buttons=((Button(texts.reports.BTN_REVIEW, report_data("open", cell.id, box.month)),),),
        )
        result = await enqueue_many(session, member_ids=leaders, kind=REMIND_KIND, source=f"report:{cell.id}:{box.month:%Y%m}",
                                    key_suffix=day, message=message, not_before=now)
        if result.queued:
            reminded += 1
    return reminded


# ---------------------------------------------------------------- drafting for every cell


async def draft_reports(session: AsyncSession, *, month: dt.date, now: dt.datetime) -> int:
    """A draft for every cell without a report for the month; the secretaries are told. Returns drafts made."""
    month = month.replace(day=1)
    missing = select(Org.id).where(
        Org.kind == OrgKind.CELL, ~select(MonthlyReport.id).where(MonthlyReport.cell_id == Org.id, MonthlyReport.month == month).exists()
    )
    missing_ids = set((await session.execute(missing)).scalars())
    if not missing_ids:
        return 0
    figures = await cell_figures(session, months=[month])
    rows = [
        {"cell_id": cell_id, "month": month, "figures": (figures.get(cell_id) or [Figures()])[0].to_dict(), "note": "",
         "state": ReportState.DRAFT.value, "drafted_at": now}
        for cell_id in sorted(missing_ids)
    ]
    table = MonthlyReport.__table__
    statement = insert_for(session, table).on_conflict_do_nothing(index_elements=["cell_id", "month"]).returning(table.c.cell_id)
    connection = await session.connection()
    made: list[int] = []
    for start in range(0, len(rows), 1000):
        result = await connection.execute(statement, rows[start : start + 1000])
        made += [row[0] for row in result.all()]
    await _tell_secretaries(session, made, month, now)
    return len(made)


async def _tell_secretaries(session: AsyncSession, cell_ids: Sequence[int], month: dt.date, now: dt.datetime) -> None:
    if not cell_ids:
        return
    leaders: dict[int, list[int]] = {}
    for start in range(0, len(cell_ids), 5000):
        rows = await session.execute(
            select(OrgRole.org_id, OrgRole.member_id).where(
                OrgRole.org_id.in_(cell_ids[start : start + 5000]), OrgRole.role.in_([RoleKind.SECRETARY, RoleKind.DEPUTY])
            )
        )
        for cell_id, member_id in rows:
            leaders.setdefault(cell_id, []).append(member_id)
    for cell_id, member_ids in leaders.items():
        message = OutboundMessage(
            text=texts.reports.DRAFT_READY.format(month=month_label(month)),
            buttons=((Button(texts.reports.BTN_REVIEW, report_data("open", cell_id, month)),),),
        )
        await enqueue_many(session, member_ids=member_ids, kind=DRAFT_KIND, source=f"report:{cell_id}:{month:%Y%m}", message=message, not_before=now)


async def count_missing(session: AsyncSession, *, month: dt.date) -> int:
    query = select(func.count(Org.id)).where(
        Org.kind == OrgKind.CELL, ~select(MonthlyReport.id).where(MonthlyReport.cell_id == Org.id, MonthlyReport.month == month).exists()
    )
    return int(await session.scalar(query) or 0)


# ---------------------------------------------------------------- words


def month_label(month: dt.date) -> str:
    return texts.reports.MONTH_LABEL.format(month=month.month, year=month.year)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + "/10"


def figures_lines(figures: Figures) -> list[str]:
    r = texts.reports
    return [
        r.LINE_MEMBERS.format(members=figures.members, exempt=figures.exempt, linked=figures.linked),
        r.LINE_MEETINGS.format(meetings=figures.meetings_held, present=figures.present, invited=figures.invited,
                               rate=percent(figures.attendance_rate)),
        r.LINE_ABSENCES.format(excused=figures.absent_excused, unexcused=figures.absent_unexcused),
        r.LINE_STUDY.format(done=figures.study_done, assigned=figures.study_assigned, rate=percent(figures.study_rate),
                            score=score(figures.average_score)),
        r.LINE_FEEDBACK.format(received=figures.feedback_received, answered=figures.feedback_answered),
    ]


def review_line(values: dict[str, int]) -> str | None:
    """The report's ratings line; a report stored before reconsiderations were counted has no `reconsidering` and
    shows none."""
    if not values:
        return None
    line = texts.reports.LINE_REVIEW.format(**{r.value: values.get(r.value, 0) for r in Rating}, year=values.get("year", ""),
                                            total=values.get("total", 0), pending=values.get("pending", 0))
    waiting = values.get("reconsidering", 0)
    return line + texts.reports.LINE_REVIEW_RECONSIDERING.format(count=waiting) if waiting else line


def report_text(cell: Org, month: dt.date, figures: Figures, note: str, review_comment: str = "", *, review: dict[str, int] | None = None) -> str:
    lines = [texts.reports.REPORT_TITLE.format(cell=html.escape(cell.name), month=month_label(month)), "", *figures_lines(figures)]
    rated = review_line(review or {})
    if rated:
        lines.append(rated)
    if note:
        lines += ["", texts.reports.REPORT_NOTE.format(note=html.escape(note))]
    if review_comment:
        lines += ["", texts.reports.REPORT_RETURNED_COMMENT.format(comment=html.escape(review_comment))]
    return "\n".join(lines)
