"""How every chart is drawn for a phone: portrait, large type, few words.

A chat shows a photo about 300–400 px wide; an 880×495 landscape image shrank its 9-point labels to
nothing. Charts are drawn 4.8 × 7.2 in at 150 dpi (720 × 1080 px, portrait) with 15–20 pt type, so
a label is still ~6 px high at 300 px. Legends list only the series that have data.
"""

from __future__ import annotations

from typing import Any

WIDTH_IN, HEIGHT_IN, DPI = 4.8, 7.2, 150
TITLE_PT, LABEL_PT, TICK_PT, VALUE_PT, LEGEND_PT = 18, 16, 15, 15, 15


def new_figure() -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def legend_with_data(axes: Any, entries: list[tuple[Any, str, bool]], *, ncols: int = 1) -> None:
    """A legend of the (handle, label, has data) entries that have data; none when nothing has."""
    shown = [(handle, label) for handle, label, has_data in entries if has_data]
    if shown:
        handles, labels = zip(*shown, strict=True)
        axes.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=LEGEND_PT, frameon=False, ncols=ncols)


def png(figure: Any) -> bytes:
    import io

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
