"""Issue 17, item 17: charts drawn for a phone — portrait, large type, the current month included,
legend entries only for series with data, and "Tỷ lệ" written one way."""

from __future__ import annotations

import datetime as dt
import struct

from core import texts
from core.meetings import charts as meeting_charts
from core.meetings.stats import MonthStats, PeriodStats
from core.orgs.models import Org, OrgKind
from core.reporting import charts as figure_charts
from core.reporting.figures import Figures, Rollup

ORG = Org(id=1, name="Chi bộ thôn Khe Gầy", kind=OrgKind.CELL, path="/1/")
MONTHS = [dt.date(2026, m, 1) for m in range(7, 13)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_attendance_chart_is_portrait_large_and_lists_only_what_happened() -> None:
    months = [MonthStats(month=m) for m in MONTHS]
    months[-1] = MonthStats(month=MONTHS[-1], meetings=1, invited=8, present=6, absent_excused=2)  # nobody without leave
    stats = PeriodStats(org=ORG, start=MONTHS[0], end=dt.date(2026, 12, 7), months=months)
    width, height = png_size(meeting_charts.attendance_chart(stats))
    assert height > width >= 700
    figure = meeting_charts.attendance_figure(stats)
    (axes,) = figure.axes
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [texts.meetings.CHART_PRESENT, texts.meetings.CHART_EXCUSED]
    assert min(label.get_fontsize() for label in axes.get_xticklabels()) >= 14
    assert [label.get_text() for label in axes.get_xticklabels()][-1] == "12/26"


def test_figures_chart_has_a_panel_per_rate_with_data_and_says_ty_le() -> None:
    totals = [Figures() for _ in MONTHS]
    totals[-1] = Figures(invited=10, present=7, study_assigned=4, study_done=1)  # no feedback this half-year
    rollup = Rollup(org=ORG, months=MONTHS, totals=totals)
    width, height = png_size(figure_charts.figures_chart(rollup))
    assert height > width >= 700
    figure = figure_charts.figures_figure(rollup)
    assert figure_charts.panel_titles(figure) == [texts.reports.CHART_ATTENDANCE, texts.reports.CHART_STUDY]
    assert all(title.startswith("Tỷ lệ") for title in figure_charts.series_labels().values())
    assert all("Tỉ lệ" not in value for name, value in vars(texts.reports).items() if isinstance(value, str))
    assert all("Tỉ lệ" not in value for value in texts.reports.EXPORT_HEADERS)
