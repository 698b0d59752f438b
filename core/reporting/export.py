"""Figures as files: CSV (UTF-8 with BOM, opens in Excel) and XLSX (openpyxl, write-only).

One row per direct sub-organisation (and the organisation's own rows, and the total); the
workbook adds a sheet per cell of the subtree and a sheet month by month.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from core import texts
from core.reporting.figures import Figures, Rollup

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rate(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def _safe(value: object) -> object:
    """Neutralise spreadsheet formulas in names people typed (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def values(name: str, f: Figures) -> list[object]:
    return [
        _safe(name), f.members, f.exempt, f.linked, f.meetings_held, f.invited, f.present, f.absent_excused, f.absent_unexcused,
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


def figures_xlsx(rollup: Rollup, cell_names: dict[int, str], index: int = -1) -> bytes:
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
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _named(items: Iterable[tuple[int, list[Figures]]], names: dict[int, str]) -> Iterable[tuple[str, list[Figures]]]:
    for org_id, figures in items:
        yield names.get(org_id, str(org_id)), figures
