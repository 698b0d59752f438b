"""The attendance chart: stacked monthly bars (present, excused, absent without leave) as PNG bytes.

Uses matplotlib's object API on the Agg canvas (no pyplot, no global state), so it is safe to
call from a worker thread: `await asyncio.to_thread(attendance_chart, stats)`.
"""

from __future__ import annotations

import io

from core import texts
from core.meetings.stats import PeriodStats, month_label

GREEN = "#2e7d32"
AMBER = "#f9a825"
RED = "#c62828"


def attendance_chart(stats: PeriodStats) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 4.5), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    labels = [month_label(m.month) for m in stats.months]
    present = [m.present for m in stats.months]
    excused = [m.absent_excused for m in stats.months]
    unexcused = [m.absent_unexcused for m in stats.months]
    positions = list(range(len(labels)))
    axes.bar(positions, present, color=GREEN, label=texts.meetings.CHART_PRESENT)
    axes.bar(positions, excused, bottom=present, color=AMBER, label=texts.meetings.CHART_EXCUSED)
    axes.bar(positions, unexcused, bottom=[p + e for p, e in zip(present, excused, strict=True)], color=RED, label=texts.meetings.CHART_UNEXCUSED)
    for x, month in zip(positions, stats.months, strict=True):
        if month.invited:
            axes.text(x, month.invited, f"{round(100 * month.present / month.invited)}%", ha="center", va="bottom", fontsize=10)
    axes.set_xticks(positions)
    axes.set_xticklabels(labels)
    axes.set_ylabel(texts.meetings.CHART_Y)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(texts.meetings.CHART_TITLE.format(org=stats.org.name))
    top = max((m.invited for m in stats.months), default=0)
    axes.set_ylim(0, max(1, top) * 1.18)
    if top == 0:
        axes.text(0.5, 0.5, texts.meetings.CHART_EMPTY, transform=axes.transAxes, ha="center", va="center", fontsize=14, color="#777777")
    axes.legend(loc="upper left", fontsize=9, frameon=False, ncols=3)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
