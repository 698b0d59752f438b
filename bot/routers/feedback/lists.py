"""Lists of items: the member's own, and a manager's inbox (waiting or all), a page at a time."""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.routers.feedback.common import PAGE_SIZE, FeedbackList, ListScope, ListView
from bot.routers.feedback.keyboards import list_keyboard
from bot.screens import show
from core import texts
from core.errors import PermissionDenied
from core.feedback import render, service
from core.orgs.service import Actor


async def _page(session: AsyncSession, actor: Actor, scope: ListScope, waiting_only: bool, page_number: int) -> service.Page:
    """The page asked for; one that no longer exists (items moved on) is the last one."""
    page = await service.list_items(
        session, actor=actor, scope=scope.value, waiting_only=waiting_only, offset=(max(1, page_number) - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    if page.total and not page.items:
        page = await service.list_items(
            session, actor=actor, scope=scope.value, waiting_only=waiting_only, offset=(page.pages - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    return page


def _list_text(page: service.Page, mine: bool, waiting_only: bool) -> str:
    if not page.items:
        return texts.feedback.MINE_EMPTY if mine else (texts.feedback.INBOX_EMPTY_WAITING if waiting_only else texts.feedback.INBOX_EMPTY)
    if mine:
        title = texts.feedback.MINE_TITLE.format(page=page.page, pages=page.pages)
    else:
        label = texts.feedback.VIEW_WAITING if waiting_only else texts.feedback.VIEW_ALL
        title = texts.feedback.INBOX_TITLE.format(view=label, page=page.page, pages=page.pages)
    lines = [render.list_line(page.offset + n, s, mine=mine) for n, s in enumerate(page.items, start=1)]
    return "\n\n".join([title, *lines])


async def _show_list(
    query: CallbackQuery, bot: Bot, session: AsyncSession, actor: Actor, scope: ListScope, view: ListView, page_number: int
) -> None:
    waiting_only = scope == ListScope.INBOX and view == ListView.WAITING
    page = await _page(session, actor, scope, waiting_only, page_number)
    await show(query, bot, _list_text(page, scope == ListScope.MINE, waiting_only), list_keyboard(page, scope, view))


async def open_mine(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    await state.clear()
    await _show_list(query, bot, session, actor, ListScope.MINE, ListView.ALL, 1)
    await query.answer()


async def open_inbox(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    await state.clear()
    if not actor.is_manager:
        raise PermissionDenied(texts.common.FORBIDDEN)
    await _show_list(query, bot, session, actor, ListScope.INBOX, ListView.WAITING, 1)
    await query.answer()


async def show_list(query: CallbackQuery, callback_data: FeedbackList, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    if callback_data.scope == ListScope.INBOX and not actor.is_manager:
        raise PermissionDenied(texts.common.FORBIDDEN)
    await _show_list(query, bot, session, actor, callback_data.scope, callback_data.view, callback_data.page)
    await query.answer()
