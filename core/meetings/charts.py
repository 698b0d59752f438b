"""The attendance chart: stacked monthly bars (present, excused, absent without leave) as PNG bytes,
drawn for a phone (core.charts_style: portrait, large type, legend only for what has data).

Uses matplotlib's object API on the Agg canvas (no pyplot, no global state), so it is safe to
call from a worker thread: `await asyncio.to_thread(attendance_chart, stats)`.
"""

from __future__ import annotations

from typing import Any

from core import charts_style as style
from core import texts
from core.meetings.stats import PeriodStats

GREEN = "#2e7d32"
AMBER = "#f9a825"
RED = "#c62828"


def attendance_figure(stats: PeriodStats) -> Any:
    from matplotlib.ticker import MaxNLocator

    figure = style.new_figure()
    axes = figure.add_subplot(1, 1, 1)
    labels = [f"{m.month.month:02d}/{m.month.year % 100:02d}" for m in stats.months]
    present = [m.present for m in stats.months]
    excused = [m.absent_excused for m in stats.months]
    unexcused = [m.absent_unexcused for m in stats.months]
    positions = list(range(len(labels)))
    width = 0.7
    present_bars = axes.bar(positions, present, width=width, color=GREEN)
    excused_bars = axes.bar(positions, excused, width=width, bottom=present, color=AMBER)
    unexcused_bars = axes.bar(positions, unexcused, width=width, bottom=[p + e for p, e in zip(present, excused, strict=True)], color=RED)
    for x, month in zip(positions, stats.months, strict=True):
        if month.invited:
            axes.text(x, month.invited, f"{round(100 * month.present / month.invited)}%", ha="center", va="bottom",
                      fontsize=style.VALUE_PT, fontweight="bold")
    axes.set_xticks(positions)
    axes.set_xticklabels(labels, fontsize=style.TICK_PT, rotation=45 if len(labels) > 4 else 0)
    axes.tick_params(axis="y", labelsize=style.TICK_PT)
    axes.set_ylabel(texts.meetings.CHART_Y, fontsize=style.LABEL_PT)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(texts.meetings.CHART_TITLE.format(org=stats.org.name), fontsize=style.TITLE_PT, wrap=True)
    top = max((m.invited for m in stats.months), default=0)
    axes.set_ylim(0, max(1, top) * 1.2)
    if top == 0:
        axes.text(0.5, 0.5, texts.meetings.CHART_EMPTY, transform=axes.transAxes, ha="center", va="center", fontsize=style.TITLE_PT,
                  color="#777777")
    style.legend_with_data(axes, [
        (present_bars, texts.meetings.CHART_PRESENT, any(present)),
        (excused_bars, texts.meetings.CHART_EXCUSED, any(excused)),
        (unexcused_bars, texts.meetings.CHART_UNEXCUSED, any(unexcused)),
    ])
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def attendance_chart(stats: PeriodStats) -> bytes:
    return style.png(attendance_figure(stats))
