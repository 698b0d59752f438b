"""Figures as files: CSV (UTF-8 with BOM, opens in Excel) and XLSX (openpyxl, write-only).

One row per direct sub-organisation (and the organisation's own rows, and the total); the
workbook adds a sheet per cell of the subtree and a sheet month by month.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import asyncio
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.orgs.models import Org, OrgKind
from core.orgs.service import in_subtree
from core.reporting.figures import Figures, Rollup
from core.spreadsheets import safe_cell
from core.votes import review

if TYPE_CHECKING:
    from core.reporting.annual import AnnualReport
    from core.reporting.reports import Received

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rate(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def values(name: str, f: Figures) -> list[object]:
    return [
        safe_cell(name), f.members, f.exempt, f.linked, f.meetings_held, f.invited, f.present, f.absent_excused, f.absent_unexcused,
        _rate(f.attendance_rate), f.study_assigned, f.study_done, _rate(f.study_rate), f.quiz_done,
        "" if f.average_score is None else round(f.average_score, 2), f.feedback_received, f.feedback_answered,
    ]


def summary_rows(rollup: Rollup, index: int = -1) -> list[list[object]]:
    rows = [values(ref.name, figures[index]) for ref, figures in rollup.children]
    own = rollup.own[index] if rollup.own else Figures()
    if rollup.children and any(own.to_dict().values()):
        rows.append(values(texts.reports.EXPORT_OWN.format(org=rollup.org.name), own))
    rows.append(values(texts.reports.EXPORT_TOTAL if rollup.children else rollup.org.name, rollup.totals[index]))
    return rows


def figures_csv(rollup: Rollup, index: int = -1) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(texts.reports.EXPORT_HEADERS)
    writer.writerows(summary_rows(rollup, index))
    return buffer.getvalue().encode("utf-8-sig")


def figures_xlsx(rollup: Rollup, cell_names: dict[int, str], index: int = -1, ratings: review.Figures | None = None) -> bytes:
    """The month's figures, month by month, per cell; with `ratings`, the year's ratings on a sheet of their own."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    summary = book.create_sheet(texts.reports.SHEET_SUMMARY)
    summary.append(list(texts.reports.EXPORT_HEADERS))
    for row in summary_rows(rollup, index):
        summary.append(row)
    if len(rollup.months) > 1:
        months = book.create_sheet(texts.reports.SHEET_MONTHS)
        months.append([texts.reports.EXPORT_MONTH, *texts.reports.EXPORT_HEADERS[1:]])
        for month, figures in zip(rollup.months, rollup.totals, strict=True):
            months.append([f"{month.month:02d}/{month.year}", *values("", figures)[1:]])
    if rollup.cells and len(rollup.cells) > 1:
        cells = book.create_sheet(texts.reports.SHEET_CELLS)
        cells.append(list(texts.reports.EXPORT_HEADERS))
        for name, cell_figures in sorted(_named(rollup.cells.items(), cell_names), key=lambda item: item[0]):
            cells.append(values(name, cell_figures[index]))
    if ratings is not None and ratings.totals.total:
        ratings_sheet(book, ratings)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _named(items: Iterable[tuple[int, list[Figures]]], names: dict[int, str]) -> Iterable[tuple[str, list[Figures]]]:
    for org_id, figures in items:
        yield names.get(org_id, str(org_id)), figures


# ---------------------------------------------------------------- the year's ratings


def ratings_rows(ratings: review.Figures) -> list[list[object]]:
    """Every cell reviewed, then each direct sub-organisation that is not itself a cell (its subtree
    rolled up), then the total: reviewed, each rating, not decided yet, reconsideration pending."""
    rows = [review.counts_row(line) for line in ratings.cells]
    rows += [review.counts_row(line, texts.reports.EXPORT_ROLLED.format(org=line.name))
             for line in ratings.children if line.kind != OrgKind.CELL and line.total]
    rows.append(review.counts_row(ratings.totals, texts.reports.EXPORT_TOTAL))
    return [[safe_cell(row[0]), *row[1:]] for row in rows]


def ratings_sheet(book: Any, ratings: review.Figures) -> None:
    sheet = book.create_sheet(texts.reports.SHEET_RATINGS.format(year=ratings.year))
    sheet.append(list(texts.votes.EXPORT_HEADERS))
    for row in ratings_rows(ratings):
        sheet.append(row)


# ---------------------------------------------------------------- the annual report


def _rated(line: review.RatingCounts | None) -> list[object]:
    if line is None:
        return [0] * len(texts.reports.ANNUAL_RATING_HEADERS)
    return review.counts_row(line)[1:]


def annual_rows(report: AnnualReport) -> list[list[object]]:
    """One row per direct sub-organisation (the year's figures and its ratings rolled up), the
    organisation's own rows when it has any, and the total."""
    rows = [[*values(ref.name, figures), *_rated(rated)] for ref, figures, rated in report.children]
    own = report.own
    if report.rollup.children and any(own.to_dict().values()):
        rows.append([*values(texts.reports.EXPORT_OWN.format(org=report.org.name), own), *_rated(None)])
    name = texts.reports.EXPORT_TOTAL if report.rollup.children else report.org.name
    rows.append([*values(name, report.totals), *_rated(report.ratings.totals)])
    return rows


def annual_headers() -> list[str]:
    return [*texts.reports.EXPORT_HEADERS, *texts.reports.ANNUAL_RATING_HEADERS]


def annual_csv(report: AnnualReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(annual_headers())
    writer.writerows(annual_rows(report))
    return buffer.getvalue().encode("utf-8-sig")


def annual_xlsx(report: AnnualReport, cell_names: dict[int, str]) -> bytes:
    """The year (as the CSV), month by month, per cell over the year, and the year's ratings."""
    from openpyxl import Workbook

    from core.reporting.annual import year_total

    book = Workbook(write_only=True)
    summary = book.create_sheet(texts.reports.SHEET_YEAR.format(year=report.year))
    summary.append(annual_headers())
    for row in annual_rows(report):
        summary.append(row)
    months = book.create_sheet(texts.reports.SHEET_MONTHS)
    months.append([texts.reports.EXPORT_MONTH, *texts.reports.EXPORT_HEADERS[1:]])
    for month, figures in zip(report.rollup.months, report.rollup.totals, strict=True):
        months.append([f"{month.month:02d}/{month.year}", *values("", figures)[1:]])
    if len(report.rollup.cells) > 1:
        cells = book.create_sheet(texts.reports.SHEET_CELLS)
        cells.append(list(texts.reports.EXPORT_HEADERS))
        for name, rows in sorted(_named(report.rollup.cells.items(), cell_names), key=lambda item: item[0]):
            cells.append(values(name, year_total(rows)))
    ratings_sheet(book, report.ratings)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- the monthly reports a committee received, as stored


STORED_RATINGS = ("total", "excellent", "good", "complete", "incomplete", "pending", "reconsidering")


def received_headers() -> list[str]:
    r = texts.reports
    return [*r.RECEIVED_HEADERS, *r.EXPORT_HEADERS[1:], *r.ANNUAL_RATING_HEADERS]


def received_rows(box: Received) -> list[list[object]]:
    """One row per cell below the committee: its report's state and, once sent, the figures and the year's
    ratings exactly as stored when it was sent (a report stored before reconsiderations were kept leaves
    that column blank); a cell that has not sent leaves the numbers blank."""
    from core.clock import local_tz
    from core.reporting.reports import FINAL_STATES, review_of

    r, rows = texts.reports, []
    for cell, report in box.cells:
        state = r.RECEIVED_STATES[report.state.value if report else "none"]
        if report is None or report.state not in FINAL_STATES:
            rows.append([safe_cell(cell.name), state, ""])
            continue
        sent = report.sent_at.astimezone(local_tz()).strftime("%d/%m/%Y %H:%M") if report.sent_at else ""
        rated = review_of(report.figures)
        ratings = [rated.get(key, "") for key in STORED_RATINGS] if rated else []
        rows.append([safe_cell(cell.name), state, sent, *values("", Figures.from_dict(report.figures))[1:], *ratings])
    return rows


def received_csv(box: Received) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(received_headers())
    writer.writerows(received_rows(box))
    return buffer.getvalue().encode("utf-8-sig")


def received_xlsx(box: Received) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(texts.reports.SHEET_RECEIVED.format(month=box.month.month, year=box.month.year))
    sheet.append(received_headers())
    for row in received_rows(box):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- the files, for the bot, the API and the console


async def cell_names(session: AsyncSession, org: Org) -> dict[int, str]:
    if org.kind == OrgKind.CELL:
        return {org.id: org.name}
    return dict((await session.execute(select(Org.id, Org.name).where(in_subtree(org.path)))).tuples().all())


async def monthly_workbook(session: AsyncSession, rollup: Rollup, index: int = -1) -> bytes:
    """The monthly figures' workbook, with the ratings of the shown month's year (the caller has checked
    who asks: `figures.org_figures`)."""
    ratings = await review.subtree_figures(session, org=rollup.org, year=rollup.months[index].year)
    names = await cell_names(session, rollup.org)
    return await asyncio.to_thread(figures_xlsx, rollup, names, index, ratings)


async def annual_workbook(session: AsyncSession, report: AnnualReport) -> bytes:
    return await asyncio.to_thread(annual_xlsx, report, await cell_names(session, report.org))
