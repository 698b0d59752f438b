"""The notices' inline keyboards."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot import keyboards as kb
from bot.routers.notices.common import (
    DraftAction,
    MenuAction,
    NoticeDraft,
    NoticeMenu,
    NoticeReport,
    NoticeStop,
    NoticeTarget,
    NoticeTargetsPage,
    StopAction,
)
from core import texts
from core.notices import service
from core.notices.paid import PaidQuote, format_stars
from core.ports import Button

TARGETS_PER_PAGE = 8


def _button(text: str, data: CallbackData) -> Button:
    return Button(text, data.pack())


def menu_keyboard() -> InlineKeyboardMarkup:
    return kb.inline(
        [
            (_button(texts.notices.BTN_NEW, NoticeMenu(action=MenuAction.NEW)),),
            (_button(texts.notices.BTN_SENT_LIST, NoticeMenu(action=MenuAction.LIST)),),
        ]
    )


def targets_keyboard(targets: list[service.Target], page: int) -> InlineKeyboardMarkup:
    pages = max(1, -(-len(targets) // TARGETS_PER_PAGE))
    page = page % pages
    rows: list[tuple[Button, ...]] = []
    for target in targets[page * TARGETS_PER_PAGE : (page + 1) * TARGETS_PER_PAGE]:
        template = texts.notices.BTN_TARGET_WHOLE if target.whole_subtree else texts.notices.BTN_TARGET_ONE
        rows.append((_button(template.format(name=target.org.name), NoticeTarget(org_id=target.org.id)),))
    last_row = [_button(texts.common.CANCEL, NoticeDraft(action=DraftAction.DROP, draft="-"))]
    if pages > 1:
        last_row.insert(0, _button(texts.notices.BTN_MORE, NoticeTargetsPage(page=(page + 1) % pages)))
    rows.append(tuple(last_row))
    return kb.inline(rows)


def cancel_keyboard() -> InlineKeyboardMarkup:
    return kb.inline([(_button(texts.common.CANCEL, NoticeDraft(action=DraftAction.DROP, draft="-")),)])


def draft_keyboard(draft: str, paid: PaidQuote | None = None) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = [
        (
            _button(texts.notices.BTN_SEND, NoticeDraft(action=DraftAction.SEND, draft=draft)),
            _button(texts.common.CANCEL, NoticeDraft(action=DraftAction.DROP, draft=draft)),
        )
    ]
    if paid is not None:  # urgent and paid: its own button, with the cost on it
        label = texts.notices.BTN_SEND_PAID.format(stars=format_stars(paid.stars))
        rows.append((_button(label, NoticeDraft(action=DraftAction.URGENT, draft=draft)),))
    return kb.inline(rows)


def stop_keyboard(notice_id: int) -> InlineKeyboardMarkup:
    return kb.inline(
        [
            (
                _button(texts.notices.BTN_STOP_CONFIRM, NoticeStop(action=StopAction.OK, notice_id=notice_id)),
                _button(texts.notices.BTN_KEEP_SENDING, NoticeStop(action=StopAction.NO, notice_id=notice_id)),
            )
        ]
    )


def list_keyboard(summaries: list[service.NoticeSummary]) -> InlineKeyboardMarkup | None:
    rows = [(_button(f"👁 #{s.notice.id} · {s.org_name}", NoticeReport(notice_id=s.notice.id)),) for s in summaries]
    return kb.inline(rows) if rows else None
