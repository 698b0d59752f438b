"""A month-by-month chart as server-rendered SVG: one row per month, a bar per rate, the value
written beside each bar. Horizontal rows keep the words at reading size on a 360 px phone (the
drawing is 420 units wide and never shown wider than 720 px); the page puts the same figures in a
table next to it, for screen readers and for anyone who prefers numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from core import texts
from core.reporting.figures import Figures
from core.reporting.reports import percent

D = texts.console_desk
WIDTH = 420
LABEL_W = 78  # the month, on the left
BAR_MAX = 270
BAR_H = 18
GAP = 4
ROW_GAP = 14
TOP = 40  # the legend
SERIES = (("attendance_rate", "#0b5d1e", D.SERIES_ATTENDANCE), ("study_rate", "#00338d", D.SERIES_STUDY))


@dataclass(frozen=True)
class Chart:
    svg: Markup
    height: int


def month_chart(org_name: str, months: Sequence[dt.date], rows: Sequence[Figures], *, ident: str = "chart") -> Chart:
    row_h = len(SERIES) * (BAR_H + GAP) + ROW_GAP
    height = TOP + row_h * len(months) + 6
    first, last = months[0], months[-1]
    title = D.CHART_TITLE.format(org=org_name)
    desc = D.CHART_DESC.format(org=org_name, first=f"{first.month:02d}/{first.year}", last=f"{last.month:02d}/{last.year}")
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="Noto Sans, DejaVu Sans, Arial, sans-serif">',
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>',
    ]
    x = 0
    for _, colour, label in SERIES:  # the legend
        parts.append(f'<rect x="{x}" y="8" width="16" height="16" fill="{colour}"/>'
                     f'<text x="{x + 22}" y="21" font-size="15" fill="#111">{escape(label)}</text>')
        x += 34 + 9 * len(label)
    y = TOP
    for month, figures in zip(months, rows, strict=True):
        parts.append(f'<text x="0" y="{y + BAR_H + 4}" font-size="15" font-weight="bold" fill="#111">{month.month:02d}/{month.year}</text>')
        for index, (field, colour, _) in enumerate(SERIES):
            value = getattr(figures, field)
            top = y + index * (BAR_H + GAP)
            parts.append(f'<rect x="{LABEL_W}" y="{top}" width="{BAR_MAX}" height="{BAR_H}" fill="#eee" stroke="#555" stroke-width="1"/>')
            width = 0 if value is None else round(BAR_MAX * max(0.0, min(1.0, value)))
            if width:
                parts.append(f'<rect x="{LABEL_W}" y="{top}" width="{width}" height="{BAR_H}" fill="{colour}"/>')
            shown = D.CHART_NO_DATA if value is None else percent(value)
            parts.append(f'<text x="{LABEL_W + BAR_MAX + 6}" y="{top + BAR_H - 4}" font-size="15" fill="#111">{escape(shown)}</text>')
        y += row_h
    parts.append("</svg>")
    return Chart(svg=Markup("".join(parts)), height=height)
