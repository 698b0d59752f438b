"""✍️ Góp ý: members send comments, reports and proposals; secretaries and committees answer.

Callback data (every id is re-checked by core.feedback.service; bot/routers/feedback/common.py):
    fbm:<action>            menu: new | mine | inbox | cancel | back
    fbk:<kind>              kind chosen: comment | report | proposal
    fbt:<org_id>            recipient chosen (own cell or the committee directly above)
    fbl:<scope>:<view>:<p>  a list page: scope mine | inbox, view w (waiting) | a (all)
    fbi:<action>:<item_id>  one item: open | reply | close | close_ok | fwd | fwd_ok

One small handler per button action or typed step: sending.py (the menu and a new item), lists.py,
items.py (one item and its reply).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter, or_f

from bot.filters import Linked
from bot.flow import leave_flow_for_menu, menu_or_command
from bot.routers.feedback import items, lists, sending
from bot.routers.feedback.common import (
    FeedbackItemAction,
    FeedbackKindChoice,
    FeedbackList,
    FeedbackMenu,
    FeedbackTo,
    ItemAction,
    MenuAction,
    ReplyFlow,
    SendFlow,
)
from core import texts

__all__ = ["FeedbackItemAction", "ItemAction", "build"]

# Handlers of different signatures (aiogram injects what each asks for).
_MENU: dict[MenuAction, Callable[..., Any]] = {
    MenuAction.NEW: sending.start_new,
    MenuAction.MINE: lists.open_mine,
    MenuAction.INBOX: lists.open_inbox,
    MenuAction.CANCEL: sending.cancel,
    MenuAction.BACK: sending.back_to_menu,
}
_ITEM: dict[ItemAction, Callable[..., Any]] = {
    ItemAction.OPEN: items.open_item,
    ItemAction.REPLY: items.ask_reply,
    ItemAction.CLOSE: items.ask_close,
    ItemAction.CLOSE_OK: items.close,
    ItemAction.FORWARD: items.ask_forward,
    ItemAction.FORWARD_OK: items.forward,
}


def build() -> Router:
    router = Router(name="feedback")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())

    router.message.register(sending.open_menu, or_f(F.text == texts.account.BTN_FEEDBACK, Command("gopy")))
    # A home button or a command is never taken as content: it ends the flow and goes to its owner.
    # (Registered last: once a handler skips, the state filters of this router have already been read.)
    menu = menu_or_command()
    router.message.register(sending.receive_content, StateFilter(SendFlow.content), ~menu)
    router.message.register(sending.after_sent, StateFilter(SendFlow.sent), ~menu)
    router.message.register(items.receive_reply, StateFilter(ReplyFlow.content), ~menu)
    router.message.register(leave_flow_for_menu, StateFilter(SendFlow.content, SendFlow.sent, ReplyFlow.content), menu)

    for menu_action, menu_handler in _MENU.items():
        router.callback_query.register(menu_handler, FeedbackMenu.filter(F.action == menu_action))
    router.callback_query.register(sending.choose_kind, FeedbackKindChoice.filter())
    router.callback_query.register(sending.choose_recipient, FeedbackTo.filter())
    router.callback_query.register(lists.show_list, FeedbackList.filter())
    for item_action, item_handler in _ITEM.items():
        router.callback_query.register(item_handler, FeedbackItemAction.filter(F.action == item_action))
    return router
