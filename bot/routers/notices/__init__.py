"""📢 Thông báo: a secretary (or committee member) writes a notice, previews it, sends it to every
member of an organisation, follows its progress, can stop it; members confirm «✅ Đã xem».

Callback data (every id is re-checked by core.notices.service; bot/routers/notices/common.py):
    ntm:<action>               menu: new | list
    ntp:<page>                 a page of target organisations
    ntt:<org_id>               target chosen
    ntd:<action>:<draft>       the previewed draft: send | urgent (paid, cost shown) | drop (draft = a token kept in the FSM)
    ntx:<action>:<notice_id>   stop a running notice: ask | ok | no
    ntr:<notice_id>            who has seen it
    nts:<notice_id>            a member's «Đã xem»

One small handler per button action or typed step: writing.py (the menu and the draft), running.py
(a notice on its way).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter, or_f

from bot.filters import Linked, Manager
from bot.flow import leave_flow_for_menu
from bot.routers.notices import running, writing
from core import texts
from bot.routers.notices.common import (
    HOME_LABELS,
    DraftAction,
    MenuAction,
    NoticeDraft,
    NoticeFlow,
    NoticeMenu,
    NoticeReport,
    NoticeSeen,
    NoticeStop,
    NoticeTarget,
    NoticeTargetsPage,
    StopAction,
)

__all__ = ["HOME_LABELS", "build"]


def build() -> Router:
    router = Router(name="notices")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.callback_query.register(running.seen, NoticeSeen.filter())  # every member

    manager = Manager()
    router.message.register(writing.open_menu, manager, F.text == texts.account.BTN_NOTICE)
    in_flow = StateFilter(NoticeFlow.content, NoticeFlow.preview)
    router.message.register(leave_flow_for_menu, in_flow, or_f(F.text.in_(HOME_LABELS), F.text.startswith("/")))
    router.message.register(writing.receive_content, manager, in_flow)
    router.callback_query.register(writing.new_notice, manager, NoticeMenu.filter(F.action == MenuAction.NEW))
    router.callback_query.register(writing.list_notices, manager, NoticeMenu.filter(F.action == MenuAction.LIST))
    router.callback_query.register(writing.targets_page, manager, NoticeTargetsPage.filter())
    router.callback_query.register(writing.choose_target, manager, NoticeTarget.filter())
    router.callback_query.register(writing.drop_draft, manager, NoticeDraft.filter(F.action == DraftAction.DROP))
    router.callback_query.register(writing.send_draft, manager, NoticeDraft.filter(F.action.in_({DraftAction.SEND, DraftAction.URGENT})))
    router.callback_query.register(running.ask_stop, manager, NoticeStop.filter(F.action == StopAction.ASK))
    router.callback_query.register(running.confirm_stop, manager, NoticeStop.filter(F.action == StopAction.OK))
    router.callback_query.register(running.keep_sending, manager, NoticeStop.filter(F.action == StopAction.NO))
    router.callback_query.register(running.show_seen, manager, NoticeReport.filter())
    return router
