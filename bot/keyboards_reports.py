"""Buttons of the figures and reports screens that other screens show too (the 📊 Thống kê keyboard
offers «📈 Số liệu tổng hợp»): here, so a keyboard never imports a router."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from core import texts
from core.ports import Button


class FiguresButton(CallbackData, prefix="rf"):
    action: str
    org_id: int
    month: int  # yyyymm


def figures_button(org_id: int) -> Button:
    """«📈 Số liệu tổng hợp» (this month) for another screen: the 📊 Thống kê keyboard."""
    return Button(texts.reports.BTN_FIGURES, FiguresButton(action="show", org_id=org_id, month=0).pack())
