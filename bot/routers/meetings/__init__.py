"""📅 Lịch họp and 📊 Thống kê: creating meetings with big buttons, answering invitations, absence
requests and decisions, attendance, conclusions for the absent, statistics with a chart.

One small router per part of the conversation, in the order they must match; each handler serves
one button action or one typed step. Handlers are thin: they read the button or the text, call one
core service (which re-checks who may do it) and show the result. Callback data is documented in
bot/keyboards_meetings.py.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter, or_f

from bot.filters import Linked
from bot.flow import leave_flow_for_menu, menu_or_command
from bot.routers.meetings import card, decisions, form_actions, form_details, form_when, invitations, menu, statistics
from bot.routers.meetings.flow import AbsenceFlow, ConclusionsFlow, MeetingForm
from core import texts


def _entries() -> Router:
    """The home keyboard's entries first, then a home button or a command in a flow: it is never
    taken as input, it ends the flow and goes to its owner."""
    router = Router(name="meetings.entries")
    router.message.register(menu.open_menu, or_f(F.text == texts.account.BTN_MEETINGS, Command("lichhop")))
    router.message.register(statistics.open_stats, or_f(F.text == texts.account.BTN_STATS, Command("thongke")))
    in_a_flow = StateFilter(*MeetingForm.__all_states__, AbsenceFlow.reason, ConclusionsFlow.content)
    router.message.register(leave_flow_for_menu, in_a_flow, menu_or_command())
    return router


def build() -> Router:
    """Members only (the parent's filters gate every sub-router); a fresh tree for each dispatcher."""
    router = Router(name="meetings")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.include_routers(
        _entries(), menu.build(), form_when.build(), form_details.build(), form_actions.build(), invitations.build(), decisions.build(),
        card.build(), statistics.build(),
    )
    return router
