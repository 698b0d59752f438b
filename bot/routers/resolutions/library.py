"""The library: newest first, saved (⭐), search without diacritics; the menu under it."""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.routers.resolutions.campaigns import campaign_list
from bot.routers.resolutions.common import (
    LibraryMode,
    R,
    ResDoc,
    ResLib,
    ResMenu,
    SearchFlow,
    btn,
)
from bot.routers.resolutions.publish_steps import start_publishing
from bot.screens import show
from core.clock import Clock
from core.orgs.service import Actor
from core.ports import Button
from core.resolutions import render, service


def _library_markup(page: service.LibraryPage, mode: LibraryMode, actor: Actor) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = [
        (btn(render.item_label(d, marker="⭐ " if mode == LibraryMode.SAVED else "📜 "), ResDoc(action="open", document_id=d.id)),)
        for d in page.items
    ]
    nav: list[Button] = []
    if page.page > 1:
        nav.append(btn(R.BTN_PREV, ResLib(mode=mode, page=page.page - 1)))
    if page.page < page.pages:
        nav.append(btn(R.BTN_NEXT, ResLib(mode=mode, page=page.page + 1)))
    if nav:
        rows.append(tuple(nav))
    second = btn(R.BTN_ALL, ResLib(mode=LibraryMode.ALL, page=1)) if mode != LibraryMode.ALL else btn(R.BTN_SAVED, ResMenu(action="saved"))
    rows.append((btn(R.BTN_SEARCH, ResMenu(action="search")), second))
    if actor.is_manager:
        rows.append((btn(R.BTN_PUBLISH, ResMenu(action="publish")), btn(R.BTN_CAMPAIGNS, ResMenu(action="camps"))))
    return kb.inline(rows)


async def _library_screen(session: AsyncSession, actor: Actor, mode: LibraryMode, page: int, query: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    result = await service.library(
        session, actor=actor, page=page, query=query if mode == LibraryMode.FOUND else None, saved=mode == LibraryMode.SAVED
    )
    if mode == LibraryMode.SAVED:
        title, empty = R.SAVED_TITLE, R.SAVED_EMPTY
    elif mode == LibraryMode.FOUND:
        title = R.SEARCH_TITLE.format(query=html.escape(query or ""))
        empty = R.SEARCH_EMPTY.format(query=html.escape(query or ""))
    else:
        title, empty = R.LIBRARY_TITLE, R.LIBRARY_EMPTY
    body = R.LIBRARY_PAGE.format(page=result.page, pages=result.pages, total=result.total) if result.total else empty
    return f"{title}\n{body}", _library_markup(result, mode, actor)


async def open_library(message: Message, state: FSMContext, session: AsyncSession, actor: Actor) -> None:
    await state.clear()
    text, markup = await _library_screen(session, actor, LibraryMode.ALL, 1)
    await message.answer(text, reply_markup=markup)


async def library_page(query: CallbackQuery, callback_data: ResLib, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    search = (await state.get_data()).get("query") if callback_data.mode == LibraryMode.FOUND else None
    mode = callback_data.mode if callback_data.mode != LibraryMode.FOUND or search else LibraryMode.ALL
    text, markup = await _library_screen(session, actor, mode, callback_data.page, search)
    await show(query, bot, text, markup)
    await query.answer()


async def ask_search(query: CallbackQuery, state: FSMContext, clock: Clock, bot: Bot) -> None:
    await state.set_state(SearchFlow.query)
    await state.update_data(started_at=clock.now().isoformat())
    await bot.send_message(query.from_user.id, R.SEARCH_PROMPT)
    await query.answer()


async def saved_page(query: CallbackQuery, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    text, markup = await _library_screen(session, actor, LibraryMode.SAVED, 1)
    await show(query, bot, text, markup)
    await query.answer()


async def open_publishing(query: CallbackQuery, state: FSMContext, actor: Actor, clock: Clock, bot: Bot) -> None:
    await start_publishing(query, state, actor, clock, bot)
    await query.answer()


async def list_campaigns(query: CallbackQuery, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    await campaign_list(query, session, actor, bot)
    await query.answer()


async def typed_search(message: Message, state: FSMContext, session: AsyncSession, actor: Actor) -> None:
    if not message.text:
        await message.answer(R.SEARCH_TOO_SHORT)
        return
    search = message.text.strip()[:120]
    text, markup = await _library_screen(session, actor, LibraryMode.FOUND, 1, search)
    await state.set_state(None)
    await state.update_data(query=search)
    await message.answer(text, reply_markup=markup)


def build() -> Router:
    router = Router(name="resolutions.library")
    router.message.register(typed_search, StateFilter(SearchFlow.query))
    router.callback_query.register(library_page, ResLib.filter())
    router.callback_query.register(ask_search, ResMenu.filter(F.action == "search"))
    router.callback_query.register(saved_page, ResMenu.filter(F.action == "saved"))
    router.callback_query.register(open_publishing, ResMenu.filter(F.action == "publish"))
    router.callback_query.register(list_campaigns, ResMenu.filter(F.action == "camps"))
    return router
