"""/api/v1: monthly figures of an organisation over its subtree (JSON, CSV, XLSX), and the cells'
monthly reports (read the draft, add a note, send it up; a committee lists what it received).

Figures are for those who manage the organisation: a cell's secretary or deputy, or a committee
member above it; anyone else gets 403 (another province, a sibling commune).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import AuditDep, ClockDep, CurrentActor, SessionDep
from api.errors import error_responses
from api.routes.votes import FiguresOut as RatingsOut
from api.routes.votes import figures_out
from api.schemas.common import id_path, month_path, month_query
from core import texts
from core.orgs.models import OrgKind
from core.reporting import annual, annual_sent, export, figures, reports
from core.reporting.figures import Figures
from core.reporting.models import AnnualState, ReportState

router = APIRouter(tags=["reports"])

OrgId = Annotated[int, id_path("Organisation id (a cell or a committee)")]
CellId = Annotated[int, id_path("Cell id")]
MonthPath = Annotated[str, month_path()]
MonthQuery = Annotated[str | None, month_query()]
ReportMonthQuery = Annotated[str | None, month_query("Local month YYYY-MM (default: last month in a month's first ten days, this month after)")]
FILES: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {}, "text/csv": {}, export.XLSX_MEDIA_TYPE: {}}, "description": "JSON, or the file asked for"}}


class FiguresOut(BaseModel):
    members: int = Field(description="Members on the month's last day, from the membership history (exempt included)")
    exempt: int = Field(description="Of those, exempt (miễn sinh hoạt)")
    linked: int = Field(description="Of those, members with a linked messenger account by the month's end")
    meetings_held: int
    invited: int
    present: int
    absent_excused: int
    absent_unexcused: int
    attendance_rate: float | None
    study_assigned: int
    study_done: int
    study_rate: float | None
    quiz_done: int
    average_score: float | None = Field(description="Out of 10, over finished quizzes")
    feedback_received: int
    feedback_answered: int

    @classmethod
    def of(cls, f: Figures) -> FiguresOut:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return cls.model_validate(f.to_dict() | {"attendance_rate": r(f.attendance_rate), "study_rate": r(f.study_rate), "average_score": r(f.average_score)})


class MonthFigures(BaseModel):
    month: str = Field(examples=["2026-10"])
    figures: FiguresOut


class ChildFigures(BaseModel):
    org_id: int
    name: str
    kind: OrgKind
    months: list[MonthFigures]


class RollupOut(BaseModel):
    org_id: int
    name: str
    months: list[MonthFigures] = Field(description="The organisation's whole subtree, month by month")
    children: list[ChildFigures] = Field(description="Each direct sub-organisation's subtree")
    own: list[MonthFigures] = Field(description="Rows addressed to the organisation itself (feedback sent to a committee)")
    as_of: AwareDatetime | None = Field(description="always null: the figures are exact to the last change (kept in the transaction that makes it)")


class ReportOut(BaseModel):
    cell_id: int
    cell: str
    month: str
    state: ReportState
    figures: FiguresOut
    note: str
    drafted_at: AwareDatetime
    sent_at: AwareDatetime | None
    read_at: AwareDatetime | None
    reviewed_at: AwareDatetime | None = Field(None, description="When the committee above acknowledged or returned it")
    review_comment: str = Field("", description="The committee's reason when it returned the report")
    ratings: dict[str, int] = Field(
        default_factory=dict,
        description=("The year's quality review of the cell's members (empty: none): year, total, each rating, pending, and reconsidering "
                     "(decided, a reconsideration pending; counted under its rating too; absent from reports stored before it was kept)"),
        examples=[{"year": 2026, "total": 8, "excellent": 1, "good": 5, "complete": 2, "incomplete": 0, "pending": 0, "reconsidering": 1}])

    @classmethod
    def of(cls, view: reports.ReportView) -> ReportOut:
        r = view.report
        return cls(cell_id=view.cell.id, cell=view.cell.name, month=f"{r.month:%Y-%m}", state=r.state, figures=FiguresOut.of(view.figures),
                   note=r.note, drafted_at=r.drafted_at, sent_at=r.sent_at, read_at=r.read_at, reviewed_at=r.reviewed_at,
                   review_comment=r.review_comment or "", ratings=view.review)


class AnnualChild(BaseModel):
    org_id: int
    name: str
    kind: OrgKind
    figures: FiguresOut = Field(description="The sub-organisation's subtree over the year")


class AnnualOut(BaseModel):
    org_id: int
    name: str
    year: int
    months: list[MonthFigures] = Field(description="The year's months so far (all twelve for a past year)")
    figures: FiguresOut = Field(description="The year: meetings, attendance, study and feedback summed; members as of the last month")
    children: list[AnnualChild]
    ratings: RatingsOut = Field(description="The year's quality review: per cell, per direct sub-organisation (rolled up) and in total")


class ReceivedItem(BaseModel):
    cell_id: int
    cell: str
    state: ReportState | None = Field(description="null: not drafted yet")
    sent_at: AwareDatetime | None


class ReceivedOut(BaseModel):
    org_id: int
    month: str
    sent: int
    total: int
    cells: list[ReceivedItem]


class NoteIn(BaseModel):
    note: str = Field(max_length=reports.MAX_NOTE_CHARS, examples=["Chi bộ đề nghị cấp thêm tài liệu học tập."])


class ReturnIn(BaseModel):
    comment: str = Field(min_length=1, max_length=reports.MAX_NOTE_CHARS, examples=["Số lượt dự họp chưa khớp với biên bản."])


class RemindedOut(BaseModel):
    reminded: int = Field(description="Cells whose secretary and deputy were sent a reminder now (at most once a day per cell)")


class SendIn(BaseModel):
    note: str | None = Field(None, max_length=reports.MAX_NOTE_CHARS)


def _month(value: str | None, clock_now: dt.datetime) -> dt.date:
    return figures.parse_month(value) if value else figures.local_month(clock_now)


def _months(rows: list[Figures], months: list[dt.date]) -> list[MonthFigures]:
    return [MonthFigures(month=f"{m:%Y-%m}", figures=FiguresOut.of(f)) for m, f in zip(months, rows, strict=True)]


def _file(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content=content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def figures_file(session: AsyncSession, rollup: figures.Rollup, last: dt.date, format: Literal["csv", "xlsx"]) -> Response:
    """The figures as a download (the API and the web console): CSV of the last month, XLSX of every month."""
    name = f"so-lieu-{rollup.org.id}-{last:%Y-%m}"
    if format == "csv":
        return _file(export.figures_csv(rollup), export.CSV_MEDIA_TYPE, f"{name}.csv")
    return _file(await export.monthly_workbook(session, rollup), export.XLSX_MEDIA_TYPE, f"{name}.xlsx")


@router.get("/orgs/{org_id}/figures", responses=FILES, response_model=RollupOut,
            summary="Monthly figures over the subtree, with each direct sub-organisation")
async def org_figures(
    org_id: OrgId,
    session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    month: MonthQuery = None,
    months: Annotated[int, Query(ge=1, le=figures.MAX_MONTHS, description="How many months, ending with `month`")] = 1,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a file (csv: the last month; xlsx: every month)")] = "json",
) -> Response | RollupOut:
    last = _month(month, clock.now())
    rollup = await figures.org_figures(session, actor=actor, org_id=org_id, month=last, history=months, now=clock.now(),
                                       cells=format == "xlsx")
    if format != "json":
        return await figures_file(session, rollup, last, format)
    return RollupOut(
        org_id=rollup.org.id, name=rollup.org.name, months=_months(rollup.totals, rollup.months),
        children=[ChildFigures(org_id=ref.id, name=ref.name, kind=ref.kind, months=_months(rows, rollup.months)) for ref, rows in rollup.children],
        own=_months(rollup.own, rollup.months), as_of=None,
    )


def received_file(box: reports.Received, format: Literal["csv", "xlsx"]) -> Response:
    """The received reports as stored (the API and the web console): state, figures and ratings as each cell sent them."""
    name = texts.reports.RECEIVED_FILENAME.format(org=box.org.id, month=f"{box.month:%Y-%m}")
    if format == "csv":
        return _file(export.received_csv(box), export.CSV_MEDIA_TYPE, f"{name}.csv")
    return _file(export.received_xlsx(box), export.XLSX_MEDIA_TYPE, f"{name}.xlsx")


@router.get("/orgs/{org_id}/reports", responses=FILES, response_model=ReceivedOut,
            summary="A committee's received monthly reports: every cell below it and its report's state (CSV/XLSX: with the stored figures)")
async def received_reports(
    org_id: OrgId, session: SessionDep, actor: CurrentActor, clock: ClockDep, month: ReportMonthQuery = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a file: one row per cell, the figures and ratings as sent")] = "json",
) -> Response | ReceivedOut:
    chosen = figures.parse_month(month) if month else reports.default_month(clock.now())
    box = await reports.received(session, actor=actor, org_id=org_id, month=chosen)
    if format != "json":
        return received_file(box, format)
    return ReceivedOut(
        org_id=box.org.id, month=f"{chosen:%Y-%m}", sent=box.sent, total=len(box.cells),
        cells=[ReceivedItem(cell_id=c.id, cell=c.name, state=r.state if r else None, sent_at=r.sent_at if r else None) for c, r in box.cells],
    )


@router.get("/reports/{cell_id}/{month}", summary="A cell's report for a month: the sent one, or the draft with today's figures")
async def get_report(cell_id: CellId, month: MonthPath, session: SessionDep, actor: CurrentActor, clock: ClockDep) -> ReportOut:
    chosen = figures.parse_month(month)
    view = await reports.report_for(session, actor=actor, cell_id=cell_id, month=chosen, now=clock.now())
    if view.report.state in reports.FINAL_STATES and not any(org.id == cell_id for _, org in actor.roles):
        view = await reports.read_report(session, actor=actor, cell_id=cell_id, month=chosen, now=clock.now())
    return ReportOut.of(view)


@router.patch("/reports/{cell_id}/{month}", responses=error_responses(409), summary="The cell's own words on its draft")
async def note_report(
    cell_id: CellId, month: MonthPath, body: NoteIn, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep
) -> ReportOut:
    view = await reports.save_note(session, actor=actor, cell_id=cell_id, month=figures.parse_month(month), note=body.note, now=clock.now())
    await audit_trail("api.report.note", org_id=cell_id, target=f"report:{cell_id}:{view.report.month:%Y-%m}")
    return ReportOut.of(view)


@router.post("/reports/{cell_id}/{month}/send", responses=error_responses(409), summary="Send the report to the committee above (final)")
async def send_report(
    cell_id: CellId, month: MonthPath, body: SendIn, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep
) -> ReportOut:
    view = await reports.send_report(session, actor=actor, cell_id=cell_id, month=figures.parse_month(month), now=clock.now(), note=body.note)
    await audit_trail("api.report.send", org_id=cell_id, target=f"report:{cell_id}:{view.report.month:%Y-%m}")
    return ReportOut.of(view)


@router.post("/reports/{cell_id}/{month}/acknowledge", responses=error_responses(409),
             summary="The committee directly above takes a sent report in (final); the cell is told")
async def acknowledge_report(
    cell_id: CellId, month: MonthPath, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep
) -> ReportOut:
    view = await reports.acknowledge_report(session, actor=actor, cell_id=cell_id, month=figures.parse_month(month), now=clock.now())
    await audit_trail("api.report.acknowledge", org_id=cell_id, target=f"report:{cell_id}:{view.report.month:%Y-%m}")
    return ReportOut.of(view)


@router.post("/reports/{cell_id}/{month}/return", responses=error_responses(409),
             summary="The committee directly above sends a report back with a comment; the cell corrects and sends again")
async def return_report(
    cell_id: CellId, month: MonthPath, body: ReturnIn, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep
) -> ReportOut:
    view = await reports.return_report(session, actor=actor, cell_id=cell_id, month=figures.parse_month(month), comment=body.comment,
                                       now=clock.now())
    await audit_trail("api.report.return", org_id=cell_id, target=f"report:{cell_id}:{view.report.month:%Y-%m}")
    return ReportOut.of(view)


@router.post("/orgs/{org_id}/reports/{month}/remind", summary="Remind the cells below that have not sent the month's report")
async def remind_missing_reports(
    org_id: OrgId, month: MonthPath, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep
) -> RemindedOut:
    count = await reports.remind_missing(session, actor=actor, org_id=org_id, month=figures.parse_month(month), now=clock.now())
    await audit_trail("api.report.remind", org_id=org_id, target=f"reports:{org_id}:{month}")
    return RemindedOut(reminded=count)


@router.get("/orgs/{org_id}/annual-report", responses=FILES, response_model=AnnualOut,
            summary="The annual report: the year's figures and the year's ratings over the subtree")
async def annual_report(
    org_id: OrgId, session: SessionDep, actor: CurrentActor, clock: ClockDep,
    year: Annotated[int | None, Query(ge=annual.FIRST_YEAR, le=2100, description="Default: this year (last year in January)")] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Response | AnnualOut:
    chosen = year or annual.default_year(clock.now())
    report = await annual.annual_report(session, actor=actor, org_id=org_id, year=chosen, now=clock.now(), cells=format == "xlsx")
    if format != "json":
        return await annual_file(session, report, format)
    return AnnualOut(
        org_id=report.org.id, name=report.org.name, year=chosen, months=_months(report.rollup.totals, report.rollup.months),
        figures=FiguresOut.of(report.totals), ratings=figures_out(report.ratings),
        children=[AnnualChild(org_id=ref.id, name=ref.name, kind=ref.kind, figures=FiguresOut.of(f)) for ref, f, _ in report.children],
    )


async def annual_file(session: AsyncSession, report: annual.AnnualReport, format: Literal["csv", "xlsx"]) -> Response:
    """The annual report as a download (the API and the web console)."""
    name = texts.reports.ANNUAL_FILENAME.format(org=report.org.id, year=report.year)
    if format == "csv":
        return _file(export.annual_csv(report), export.CSV_MEDIA_TYPE, f"{name}.csv")
    return _file(await export.annual_workbook(session, report), export.XLSX_MEDIA_TYPE, f"{name}.xlsx")


# ---------------------------------------------------------------- the annual report sent up (core.reporting.annual_sent)

YearQuery = Annotated[int, Query(ge=annual.FIRST_YEAR, le=2100, description="The report's year", examples=[2026])]


class AnnualSendIn(BaseModel):
    year: int = Field(ge=annual.FIRST_YEAR, le=2100, examples=[2026])
    note: str | None = Field(None, max_length=annual_sent.MAX_NOTE_CHARS, description="The organisation's words sent with it (null: keep the last ones)",
                             examples=["Chi bộ đề nghị biểu dương 2 đồng chí hoàn thành xuất sắc nhiệm vụ."])


class AnnualAckIn(BaseModel):
    year: int = Field(ge=annual.FIRST_YEAR, le=2100, examples=[2026])
    version: int = Field(0, ge=0, le=1_000_000, description="The version read (0: the current one); an older one is refused with 409")


class AnnualSentChild(BaseModel):
    org_id: int
    name: str
    figures: FiguresOut
    ratings: dict[str, int]


class AnnualSentOut(BaseModel):
    org_id: int
    name: str
    year: int
    version: int = Field(description="1 for the first sending; each sending after a change is a new version")
    state: AnnualState
    through: str = Field(description="The last month the frozen figures cover", examples=["2026-12"])
    figures: FiguresOut = Field(description="The year's figures as sent (frozen)")
    ratings: dict[str, int] = Field(description="The year's ratings as sent: total, each rating, pending, reconsidering (empty: no review)")
    children: list[AnnualSentChild]
    note: str
    sent_at: AwareDatetime
    read_at: AwareDatetime | None
    acknowledged_at: AwareDatetime | None

    @classmethod
    def of(cls, view: annual_sent.SentView) -> AnnualSentOut:
        row = view.sent
        return cls(org_id=view.org.id, name=view.org.name, year=row.year, version=row.version, state=row.state, through=row.figures["through"],
                   figures=FiguresOut.of(view.figures), ratings=view.ratings, note=row.note, sent_at=row.sent_at, read_at=row.read_at,
                   acknowledged_at=row.acknowledged_at,
                   children=[AnnualSentChild(org_id=c["org_id"], name=c["name"], figures=FiguresOut.of(Figures.from_dict(c["figures"])),
                                             ratings=c["ratings"]) for c in view.children])


class AnnualReceivedItem(BaseModel):
    org_id: int
    name: str
    version: int | None = Field(description="null: not sent")
    state: AnnualState | None
    sent_at: AwareDatetime | None


class AnnualReceivedOut(BaseModel):
    org_id: int
    year: int
    sent: int
    total: int
    children: list[AnnualReceivedItem]


@router.post("/orgs/{org_id}/annual-report/send", responses=error_responses(409),
             summary="Send the annual report to the committee directly above (frozen as sent; again after a change: a new version)")
async def send_annual_report(org_id: OrgId, body: AnnualSendIn, session: SessionDep, actor: CurrentActor, clock: ClockDep,
                             audit_trail: AuditDep) -> AnnualSentOut:
    view = await annual_sent.send(session, actor=actor, org_id=org_id, year=body.year, now=clock.now(), note=body.note)
    await audit_trail("api.annual_report.send", org_id=org_id, target=f"annual_report:{org_id}:{body.year}")
    return AnnualSentOut.of(view)


@router.get("/orgs/{org_id}/annual-report/sent", summary="The annual report as sent (its frozen figures) and where it stands")
async def sent_annual_report(org_id: OrgId, year: YearQuery, session: SessionDep, actor: CurrentActor, clock: ClockDep) -> AnnualSentOut:
    return AnnualSentOut.of(await annual_sent.sent_report(session, actor=actor, org_id=org_id, year=year, now=clock.now()))


@router.post("/orgs/{org_id}/annual-report/acknowledge", responses=error_responses(409),
             summary="The committee directly above takes the sent annual report in; the sender is told")
async def acknowledge_annual_report(org_id: OrgId, body: AnnualAckIn, session: SessionDep, actor: CurrentActor, clock: ClockDep,
                                    audit_trail: AuditDep) -> AnnualSentOut:
    view = await annual_sent.acknowledge(session, actor=actor, org_id=org_id, year=body.year, version=body.version, now=clock.now())
    await audit_trail("api.annual_report.acknowledge", org_id=org_id, target=f"annual_report:{org_id}:{body.year}")
    return AnnualSentOut.of(view)


@router.get("/orgs/{org_id}/annual-reports", summary="A committee's received annual reports: each direct sub-organisation and its report's state")
async def received_annual_reports(org_id: OrgId, year: YearQuery, session: SessionDep, actor: CurrentActor) -> AnnualReceivedOut:
    box = await annual_sent.received(session, actor=actor, org_id=org_id, year=year)
    return AnnualReceivedOut(
        org_id=box.org.id, year=year, sent=box.sent, total=len(box.children),
        children=[AnnualReceivedItem(org_id=c.id, name=c.name, version=r.version if r else None, state=r.state if r else None,
                                     sent_at=r.sent_at if r else None) for c, r in box.children],
    )
