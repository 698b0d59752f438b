"""The figures chart: six months of attendance, study completion and answered feedback, as PNG.

matplotlib's object API on the Agg canvas (no pyplot, no global state): safe in a worker thread,
`await asyncio.to_thread(figures_chart, rollup)`.
"""

from __future__ import annotations

import io

from core import texts
from core.resolutions.figures import Figures, Rollup

BLUE = "#1565c0"
GREEN = "#2e7d32"
AMBER = "#f9a825"


def _percent(value: float | None) -> float:
    return 0.0 if value is None else round(100 * value, 1)


def figures_chart(rollup: Rollup) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    labels = [f"{m.month:02d}/{m.year % 100:02d}" for m in rollup.months]
    series: list[tuple[str, str, list[Figures], str]] = [
        (texts.reports.CHART_ATTENDANCE, GREEN, rollup.totals, "attendance_rate"),
        (texts.reports.CHART_STUDY, BLUE, rollup.totals, "study_rate"),
        (texts.reports.CHART_ANSWERED, AMBER, rollup.totals, "answer_rate"),
    ]
    width = 0.27
    positions = list(range(len(labels)))
    anything = False
    for offset, (label, color, values, attribute) in enumerate(series):
        heights = [_percent(getattr(f, attribute)) for f in values]
        anything = anything or any(getattr(f, attribute) is not None for f in values)
        xs = [x + (offset - 1) * width for x in positions]
        bars = axes.bar(xs, heights, width=width, color=color, label=label)
        for bar, figures in zip(bars, values, strict=True):
            if getattr(figures, attribute) is not None:
                axes.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 1, f"{round(bar.get_height())}", ha="center", va="bottom", fontsize=7)
    axes.set_xticks(positions)
    axes.set_xticklabels(labels)
    axes.set_ylim(0, 115)
    axes.set_ylabel(texts.reports.CHART_Y)
    axes.set_title(texts.reports.CHART_TITLE.format(org=rollup.org.name))
    if not anything:
        axes.text(0.5, 0.5, texts.reports.CHART_EMPTY, transform=axes.transAxes, ha="center", va="center", fontsize=14, color="#777777")
    axes.legend(loc="upper left", fontsize=9, frameon=False, ncols=3)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
