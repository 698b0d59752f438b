"""A study campaign's results as a file: CSV (UTF-8 with BOM, opens in Excel), one row per member."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from core import texts
from core.resolutions.study import MemberResult, is_done, local_day
from core.spreadsheets import safe_cell

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def member_score(result: MemberResult, questions: int) -> float | None:
    """A member's score out of 10, once their quiz is complete."""
    if not questions or result.quiz_completed_at is None:
        return None
    return round(10 * result.quiz_correct / questions, 1)


def results_csv(rows: Sequence[MemberResult], *, questions: int) -> bytes:
    r = texts.resolutions
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(r.RESULTS_CSV_HEADERS)
    for row in rows:
        score = member_score(row, questions)
        writer.writerow([
            safe_cell(row.name), safe_cell(row.cell_name), r.RESULTS_CSV_YES if row.studied_at else r.RESULTS_CSV_NO,
            f"{local_day(row.studied_at):%d/%m/%Y}" if row.studied_at else "", row.quiz_answered, row.quiz_correct, questions,
            "" if score is None else f"{score:.1f}".replace(".", ","),
            (r.RESULTS_CSV_YES if row.quiz_completed_at else r.RESULTS_CSV_NO) if questions else "",
            r.RESULTS_CSV_YES if is_done(row.studied_at, row.quiz_completed_at, questions) else r.RESULTS_CSV_NO,
        ])
    return buffer.getvalue().encode("utf-8-sig")
