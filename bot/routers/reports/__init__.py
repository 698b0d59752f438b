"""📈 Số liệu tổng hợp and 📝 báo cáo tháng, for secretaries and committee members.

Reached from the 📊 Thống kê screen (its «📈 Số liệu tổng hợp» button), or /solieu and /baocao.
A short text with the month's figures and each direct sub-organisation, a chart of six months,
CSV and Excel files; a cell's monthly report to review, annotate and send; a committee's list of
the reports received. Every id is re-checked by core.reporting (figures / reports).

Callback data:
    rf:<action>:<org_id>:<yyyymm>    figures: show | chart | csv | xlsx | kids
    rf:<action>:<org_id>:<yyyy>      the annual report: year | ycsv | yxlsx (annual_screens.py)
    ra:<action>:<org_id>:<yyyy>:<v>  the annual report sent up: send | open | ack (annual_sent_screens.py)
    rr:<action>:<cell_id>:<yyyymm>   reports: open | note | send | read | ack | ret;  list | remind (org_id: a committee)

One small handler per button action or typed step: figure_screens.py, annual_screens.py, report_screens.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter

from bot.filters import Linked
from bot.flow import menu_or_command
from bot.keyboards_reports import FiguresButton
from bot.routers.reports import annual_screens as year
from bot.routers.reports import annual_sent_screens as sent
from bot.routers.reports import figure_screens as fig
from bot.routers.reports import report_screens as rep
from bot.routers.reports.common import NoteFlow, ReportButton

# Handlers of different signatures (aiogram injects what each asks for).
_FIGURES: dict[str, Callable[..., Any]] = {
    "show": fig.show_figures, "chart": fig.send_chart, "csv": fig.send_export, "xlsx": fig.send_export, "kids": fig.list_children,
    "year": year.show_annual, "ycsv": year.send_annual_file, "yxlsx": year.send_annual_file,
}
_REPORTS: dict[str, Callable[..., Any]] = {
    "open": rep.show_report, "send": rep.send_report, "note": rep.ask_note, "read": rep.read_report, "ack": rep.acknowledge,
    "ret": rep.ask_return, "remind": rep.remind, "list": rep.list_received,
}
_ANNUAL_SENT: dict[str, Callable[..., Any]] = {"send": sent.send_annual, "open": sent.open_sent, "ack": sent.acknowledge}


def build() -> Router:
    router = Router(name="reports")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.message.register(fig.open_figures, Command("solieu"))
    router.message.register(rep.open_report, Command("baocao"))
    router.message.register(rep.typed_note, StateFilter(NoteFlow.note), ~menu_or_command())
    router.message.register(rep.typed_return_comment, StateFilter(NoteFlow.return_comment), ~menu_or_command())
    for action, figures_handler in _FIGURES.items():
        router.callback_query.register(figures_handler, FiguresButton.filter(F.action == action))
    for action, report_handler in _REPORTS.items():
        router.callback_query.register(report_handler, ReportButton.filter(F.action == action))
    for action, sent_handler in _ANNUAL_SENT.items():
        router.callback_query.register(sent_handler, sent.AnnualButton.filter(F.action == action))
    return router
