"""The figures chart: six months, ending with the current one, of the attendance rate, the study
rate and the rate of feedback answered, as PNG drawn for a phone (core.charts_style): one panel
per rate that has data, stacked in portrait, large type; every label says "Tỷ lệ".

matplotlib's object API on the Agg canvas (no pyplot, no global state): safe in a worker thread,
`await asyncio.to_thread(figures_chart, rollup)`.
"""

from __future__ import annotations

from typing import Any

from core import charts_style as style
from core import texts
from core.reporting.figures import Rollup

BLUE = "#1565c0"
GREEN = "#2e7d32"
AMBER = "#f9a825"

SERIES = (
    ("attendance_rate", GREEN),
    ("study_rate", BLUE),
    ("answer_rate", AMBER),
)


def series_labels() -> dict[str, str]:
    return {"attendance_rate": texts.reports.CHART_ATTENDANCE, "study_rate": texts.reports.CHART_STUDY, "answer_rate": texts.reports.CHART_ANSWERED}


def figures_figure(rollup: Rollup) -> Any:
    figure = style.new_figure()
    labels = [f"{m.month:02d}/{m.year % 100:02d}" for m in rollup.months]
    names = series_labels()
    with_data = [(attribute, color) for attribute, color in SERIES if any(getattr(f, attribute) is not None for f in rollup.totals)]
    figure.suptitle(texts.reports.CHART_TITLE.format(org=rollup.org.name), fontsize=style.TITLE_PT, wrap=True)
    if not with_data:
        axes = figure.add_subplot(1, 1, 1)
        axes.set_axis_off()
        axes.text(0.5, 0.5, texts.reports.CHART_EMPTY, transform=axes.transAxes, ha="center", va="center", fontsize=style.TITLE_PT,
                  color="#777777")
        return figure
    positions = list(range(len(labels)))
    for row, (attribute, color) in enumerate(with_data, start=1):
        axes = figure.add_subplot(len(with_data), 1, row)
        values = [getattr(f, attribute) for f in rollup.totals]
        heights = [0.0 if v is None else round(100 * v, 1) for v in values]
        axes.bar(positions, heights, width=0.7, color=color)
        for x, value, height in zip(positions, values, heights, strict=True):
            if value is not None:
                axes.text(x, height + 2, f"{round(height)}%", ha="center", va="bottom", fontsize=style.VALUE_PT - 2, fontweight="bold")
        axes.set_title(names[attribute], fontsize=style.LABEL_PT, loc="left")
        axes.set_ylim(0, 125)
        axes.set_yticks([0, 50, 100])
        axes.set_yticklabels(["0", "50%", "100%"], fontsize=style.TICK_PT - 2)
        axes.set_xticks(positions)
        axes.set_xticklabels(labels, fontsize=style.TICK_PT - 2)
        axes.spines[["top", "right"]].set_visible(False)
    return figure


def panel_titles(figure: Any) -> list[str]:
    return [axes.get_title(loc="left") for axes in figure.axes if axes.get_title(loc="left")]


def figures_chart(rollup: Rollup) -> bytes:
    return style.png(figures_figure(rollup))
