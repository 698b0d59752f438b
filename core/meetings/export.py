"""Exports for secretaries and committees: CSV (opens in Excel, UTF-8 with BOM) and XLSX (openpyxl).

The CSV holds the detail (one row per invitation); the workbook adds a sheet per month and per member.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from core import texts
from core.meetings import dates
from core.meetings.stats import DetailRow, MemberStats, PeriodStats, month_label
from core.spreadsheets import safe_cell

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reason(row: DetailRow) -> tuple[str, str]:
    kind = texts.meetings.REASONS[row.reason_kind.value] if row.reason_kind else ""
    detail = row.reason_text or (texts.meetings.VOICE_REASON if row.has_voice_reason else "")
    return kind, detail


def _detail_values(row: DetailRow) -> list[object]:
    at = dates.local(row.starts_at)
    reason, detail = _reason(row)
    return [
        at.strftime("%d/%m/%Y"), at.strftime("%H:%M"), texts.meetings.KINDS[row.kind.value], row.cell_name, row.member_name,
        row.card_number, texts.meetings.ANSWERS_SHORT[row.answer.value], reason, detail, texts.meetings.ATTENDANCE_WORDS[row.present],
    ]


def _rate(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def detail_csv(rows: Sequence[DetailRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(texts.meetings.EXPORT_DETAIL_HEADERS)
    for row in rows:
        writer.writerow([safe_cell(v) for v in _detail_values(row)])
    return buffer.getvalue().encode("utf-8-sig")


def meeting_csv(rows: Sequence[DetailRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(texts.meetings.EXPORT_MEETING_HEADERS)
    for row in rows:
        reason, detail = _reason(row)
        writer.writerow(
            [safe_cell(v) for v in (row.member_name, row.card_number, texts.meetings.ANSWERS_SHORT[row.answer.value], reason, detail,
                                texts.meetings.ATTENDANCE_WORDS[row.present])]
        )
    return buffer.getvalue().encode("utf-8-sig")


def workbook(stats: PeriodStats, members: Sequence[MemberStats], rows: Sequence[DetailRow]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    months = book.active
    months.title = texts.meetings.SHEET_MONTHS
    months.append(list(texts.meetings.EXPORT_MONTH_HEADERS))
    for month in stats.months:
        months.append([month_label(month.month), month.meetings, month.invited, month.present, month.absent_excused,
                       month.absent_unexcused, _rate(month.rate)])
    people = book.create_sheet(texts.meetings.SHEET_MEMBERS)
    month_keys = [m.month for m in stats.months]
    people.append([*texts.meetings.EXPORT_MEMBER_HEADERS, *(month_label(m) for m in month_keys)])
    for member in members:
        by_month = [member.months.get(m) for m in month_keys]
        people.append(
            [safe_cell(member.name), member.card_number, safe_cell(member.cell_name), member.invited, member.present, member.absent_excused,
             member.absent_unexcused, _rate(member.rate),
             *(texts.meetings.EXPORT_MONTH_CELL.format(present=t.present, invited=t.invited) if t else "" for t in by_month)]
        )
    detail = book.create_sheet(texts.meetings.SHEET_DETAIL)
    detail.append(list(texts.meetings.EXPORT_DETAIL_HEADERS))
    for row in rows:
        detail.append([safe_cell(v) for v in _detail_values(row)])
    for sheet in (months, people, detail):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    for sheet, column in ((months, "G"), (people, "H")):
        for cell in sheet[column][1:]:
            cell.number_format = "0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
