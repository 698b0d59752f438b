"""The feedback inline keyboards."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot import keyboards as kb
from bot.routers.feedback.common import (
    FeedbackItemAction,
    FeedbackKindChoice,
    FeedbackList,
    FeedbackMenu,
    FeedbackTo,
    ItemAction,
    ListScope,
    ListView,
    MenuAction,
)
from core import texts
from core.feedback import render, service
from core.feedback.models import FeedbackKind
from core.orgs.models import Org
from core.orgs.service import Actor
from core.ports import Button


def _button(text: str, data: CallbackData) -> Button:
    return Button(text, data.pack())


def cancel_row() -> tuple[Button, ...]:
    return (_button(texts.common.CANCEL, FeedbackMenu(action=MenuAction.CANCEL)),)


def menu_keyboard(actor: Actor, waiting: int) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = [
        (_button(texts.feedback.BTN_NEW, FeedbackMenu(action=MenuAction.NEW)), _button(texts.feedback.BTN_MINE, FeedbackMenu(action=MenuAction.MINE))),
    ]
    if actor.is_manager:
        label = texts.feedback.BTN_INBOX_WAITING.format(count=waiting) if waiting else texts.feedback.BTN_INBOX
        rows.append((_button(label, FeedbackMenu(action=MenuAction.INBOX)),))
    return kb.inline(rows)


def kind_keyboard() -> InlineKeyboardMarkup:
    buttons = [_button(texts.feedback.KIND_BUTTONS[kind.value], FeedbackKindChoice(kind=kind)) for kind in FeedbackKind]
    return kb.inline([tuple(buttons[:2]), (buttons[2], *cancel_row())])


def recipient_keyboard(actor: Actor, choices: list[Org]) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = []
    for org in choices:
        template = texts.feedback.BTN_TO_CELL if org.id == actor.cell.id else texts.feedback.BTN_TO_COMMITTEE
        rows.append((_button(template.format(name=org.name), FeedbackTo(org_id=org.id)),))
    rows.append(cancel_row())
    return kb.inline(rows)


def _item_row(summary: service.ItemSummary, scope: ListScope) -> tuple[Button, ...]:
    item = summary.item
    label = (
        texts.feedback.BTN_ITEM_MINE.format(reference=item.reference, state=render.state_label(item))
        if scope == ListScope.MINE
        else texts.feedback.BTN_ITEM.format(reference=item.reference, who=summary.author_name)
    )
    return (_button(label, FeedbackItemAction(action=ItemAction.OPEN, item_id=item.id)),)


def _page_rows(page: service.Page, scope: ListScope, view: ListView) -> list[tuple[Button, ...]]:
    """«‹ Trước» / «Sau ›» when there are pages either side."""
    nav = []
    if page.page > 1:
        nav.append(_button(texts.feedback.BTN_PREV, FeedbackList(scope=scope, view=view, page=page.page - 1)))
    if page.page < page.pages:
        nav.append(_button(texts.feedback.BTN_NEXT, FeedbackList(scope=scope, view=view, page=page.page + 1)))
    return [tuple(nav)] if nav else []


def list_keyboard(page: service.Page, scope: ListScope, view: ListView) -> InlineKeyboardMarkup:
    rows = [_item_row(summary, scope) for summary in page.items] + _page_rows(page, scope, view)
    if scope == ListScope.MINE and not page.items:
        rows.append((_button(texts.feedback.BTN_NEW, FeedbackMenu(action=MenuAction.NEW)),))
    if scope == ListScope.INBOX:
        other = ListView.ALL if view == ListView.WAITING else ListView.WAITING
        label = texts.feedback.BTN_VIEW_ALL if other == ListView.ALL else texts.feedback.BTN_VIEW_WAITING
        rows.append((_button(label, FeedbackList(scope=scope, view=other, page=1)),))
    rows.append((_button(texts.feedback.BTN_BACK_MENU, FeedbackMenu(action=MenuAction.BACK)),))
    return kb.inline(rows)


def item_keyboard(view: service.ItemView) -> InlineKeyboardMarkup:
    item_id = view.item.id
    rows: list[tuple[Button, ...]] = []
    if view.can_act:
        rows.append(
            (
                _button(texts.feedback.BTN_REPLY, FeedbackItemAction(action=ItemAction.REPLY, item_id=item_id)),
                _button(texts.feedback.BTN_CLOSE, FeedbackItemAction(action=ItemAction.CLOSE, item_id=item_id)),
            )
        )
        if view.forward_to is not None:
            rows.append((_button(texts.feedback.BTN_FORWARD, FeedbackItemAction(action=ItemAction.FORWARD, item_id=item_id)),))
    if view.is_author:
        rows.append((_button(texts.feedback.BTN_BACK_MINE, FeedbackList(scope=ListScope.MINE, view=ListView.ALL, page=1)),))
    else:
        rows.append((_button(texts.feedback.BTN_BACK_INBOX, FeedbackList(scope=ListScope.INBOX, view=ListView.WAITING, page=1)),))
    return kb.inline(rows)


def confirm_keyboard(action: ItemAction, item_id: int) -> InlineKeyboardMarkup:
    return kb.inline(
        [
            (
                _button(texts.common.CONFIRM, FeedbackItemAction(action=action, item_id=item_id)),
                _button(texts.common.CANCEL, FeedbackItemAction(action=ItemAction.OPEN, item_id=item_id)),
            )
        ]
    )
