"""✍️ Góp ý: members send comments, reports and proposals; secretaries and committees answer.

Callback data (every id is re-checked by core.feedback.service):
    fbm:<action>            menu: new | mine | inbox | cancel | back
    fbk:<kind>              kind chosen: comment | report | proposal
    fbt:<org_id>            recipient chosen (own cell or the committee directly above)
    fbl:<scope>:<view>:<p>  a list page: scope mine | inbox, view w (waiting) | a (all)
    fbi:<action>:<item_id>  one item: open | reply | close | close_ok | fwd | fwd_ok
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter, or_f
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messenger import send_received
from bot import keyboards as kb
from bot.filters import Linked
from bot.flow import leave_flow_for_menu, menu_or_command
from bot.screens import show
from core import texts
from core.clock import Clock
from core.errors import DomainError, InvalidInput, PermissionDenied
from core.feedback import render, service
from core.feedback.models import FeedbackKind
from core.orgs.models import Org
from core.orgs.service import Actor, get_org
from core.ports import Button

PAGE_SIZE = 5


class MenuAction(str, enum.Enum):
    NEW = "new"
    MINE = "mine"
    INBOX = "inbox"
    CANCEL = "cancel"
    BACK = "back"


class ListScope(str, enum.Enum):
    MINE = "mine"
    INBOX = "inbox"


class ListView(str, enum.Enum):
    WAITING = "w"
    ALL = "a"


class ItemAction(str, enum.Enum):
    OPEN = "open"
    REPLY = "reply"
    CLOSE = "close"
    CLOSE_OK = "close_ok"
    FORWARD = "fwd"
    FORWARD_OK = "fwd_ok"


class FeedbackMenu(CallbackData, prefix="fbm"):
    action: MenuAction


class FeedbackKindChoice(CallbackData, prefix="fbk"):
    kind: FeedbackKind


class FeedbackTo(CallbackData, prefix="fbt"):
    org_id: int


class FeedbackList(CallbackData, prefix="fbl"):
    scope: ListScope
    view: ListView
    page: int


class FeedbackItemAction(CallbackData, prefix=service.ITEM_CALLBACK_PREFIX):
    action: ItemAction
    item_id: int


class SendFlow(StatesGroup):
    kind = State()
    recipient = State()
    content = State()
    sent = State()  # just sent: a burst of extra messages (an album, a split text) gets one answer


class ReplyFlow(StatesGroup):
    content = State()


# ---------------------------------------------------------------- keyboards


def _button(text: str, data: CallbackData) -> Button:
    return Button(text, data.pack())


def _cancel_row() -> tuple[Button, ...]:
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
    return kb.inline([tuple(buttons[:2]), (buttons[2], *_cancel_row())])


def recipient_keyboard(actor: Actor, choices: list[Org]) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = []
    for org in choices:
        template = texts.feedback.BTN_TO_CELL if org.id == actor.cell.id else texts.feedback.BTN_TO_COMMITTEE
        rows.append((_button(template.format(name=org.name), FeedbackTo(org_id=org.id)),))
    rows.append(_cancel_row())
    return kb.inline(rows)


def list_keyboard(page: service.Page, scope: ListScope, view: ListView) -> InlineKeyboardMarkup:
    rows: list[tuple[Button, ...]] = []
    for summary in page.items:
        item = summary.item
        label = (
            texts.feedback.BTN_ITEM_MINE.format(reference=item.reference, state=render.state_label(item))
            if scope == ListScope.MINE
            else texts.feedback.BTN_ITEM.format(reference=item.reference, who=summary.author_name)
        )
        rows.append((_button(label, FeedbackItemAction(action=ItemAction.OPEN, item_id=item.id)),))
    nav = []
    if page.page > 1:
        nav.append(_button(texts.feedback.BTN_PREV, FeedbackList(scope=scope, view=view, page=page.page - 1)))
    if page.page < page.pages:
        nav.append(_button(texts.feedback.BTN_NEXT, FeedbackList(scope=scope, view=view, page=page.page + 1)))
    if nav:
        rows.append(tuple(nav))
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


# ---------------------------------------------------------------- helpers


def _moment(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


async def _in_burst(state: FSMContext, now: dt.datetime) -> tuple[bool, bool]:
    """(this message belongs to a burst, the burst was already answered). Remembers the time."""
    data = await state.get_data()
    last = _moment(data.get("last_at"))
    burst = last is not None and now - last < service.FLOOD_WINDOW
    answered = burst and bool(data.get("burst_answered"))
    await state.update_data(last_at=now.isoformat(), burst_answered=answered if burst else False)
    return burst, answered


async def _mark_burst_answered(state: FSMContext) -> None:
    await state.update_data(burst_answered=True)


def _content_of(message: Message) -> service.Content | None:
    """Text, a voice message or a photo; None for anything else."""
    if message.voice is not None:
        voice = message.voice
        return service.Content(
            text=message.caption, voice_file_id=voice.file_id, voice_duration=voice.duration, mime_type=voice.mime_type,
            file_size=voice.file_size,
        )
    if message.photo:
        largest = message.photo[-1]
        return service.Content(text=message.caption, photo_file_id=largest.file_id, mime_type="image/jpeg", file_size=largest.file_size)
    if message.text is not None:
        return service.Content(text=message.text)
    return None


def _unsupported_text(message: Message) -> str:
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return texts.feedback.UNSUPPORTED_IMAGE_FILE
    return texts.feedback.UNSUPPORTED


# ---------------------------------------------------------------- the menu


async def open_menu(message: Message, state: FSMContext, session: AsyncSession, actor: Actor) -> None:
    await state.clear()
    waiting = await service.waiting_count(session, actor=actor)
    await message.answer(texts.feedback.MENU, reply_markup=menu_keyboard(actor, waiting))


async def menu_action(
    query: CallbackQuery, callback_data: FeedbackMenu, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    action = callback_data.action
    if action == MenuAction.NEW:
        # Refuse before the member writes anything, not after.
        await service.check_rate(session, member=actor.member, now=clock.now())
        await state.set_state(SendFlow.kind)
        await state.set_data({"started_at": clock.now().isoformat()})
        await show(query, bot, texts.feedback.ASK_KIND, kind_keyboard())
    elif action == MenuAction.MINE:
        await state.clear()
        await _show_list(query, bot, session, actor, ListScope.MINE, ListView.ALL, 1)
    elif action == MenuAction.INBOX:
        await state.clear()
        if not actor.is_manager:
            raise PermissionDenied(texts.common.FORBIDDEN)
        await _show_list(query, bot, session, actor, ListScope.INBOX, ListView.WAITING, 1)
    elif action == MenuAction.CANCEL:
        await state.clear()
        await show(query, bot, texts.common.CANCELLED)
    else:
        await state.clear()
        waiting = await service.waiting_count(session, actor=actor)
        await show(query, bot, texts.feedback.MENU, menu_keyboard(actor, waiting))
    await query.answer()


# ---------------------------------------------------------------- sending


async def choose_kind(
    query: CallbackQuery, callback_data: FeedbackKindChoice, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    data = await state.get_data()
    await state.set_state(SendFlow.recipient)
    await state.set_data({"started_at": data.get("started_at") or clock.now().isoformat(), "kind": callback_data.kind.value})
    choices = await service.recipients_for(session, actor=actor)
    kind = texts.feedback.KINDS[callback_data.kind.value]
    await show(query, bot, texts.feedback.ASK_RECIPIENT.format(kind=kind), recipient_keyboard(actor, choices))
    await query.answer()


async def choose_recipient(
    query: CallbackQuery, callback_data: FeedbackTo, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    data = await state.get_data()
    if data.get("kind") not in texts.feedback.KINDS:
        await state.clear()
        await query.answer(texts.feedback.FLOW_EXPIRED, show_alert=True)
        return
    choices = {org.id: org for org in await service.recipients_for(session, actor=actor)}
    org = choices.get(callback_data.org_id)
    if org is None:
        raise PermissionDenied(texts.feedback.RECIPIENT_INVALID)
    await state.set_state(SendFlow.content)
    await state.update_data(org_id=org.id, started_at=clock.now().isoformat(), last_at=None, burst_answered=False)
    await show(
        query,
        bot,
        texts.feedback.ASK_CONTENT.format(
            kind=texts.feedback.KINDS[data["kind"]], org=render.escape(org.name), max_chars=service.MAX_TEXT_CHARS,
            max_minutes=service.MAX_VOICE_SECONDS // 60,
        ),
        kb.inline([_cancel_row()]),
    )
    await query.answer()


async def receive_content(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    data = await state.get_data()
    started = _moment(data.get("started_at"))
    if started is None or now - started > service.FLOW_TTL or data.get("kind") not in texts.feedback.KINDS or "org_id" not in data:
        await state.clear()
        await message.answer(texts.feedback.FLOW_EXPIRED)
        return
    burst, answered = await _in_burst(state, now)
    if burst:
        if not answered:
            await _mark_burst_answered(state)
            await message.answer(texts.feedback.FLOOD)
        return
    content = _content_of(message)
    if content is None:
        await message.answer(_unsupported_text(message))
        return
    try:
        item = await service.submit(
            session, actor=actor, kind=FeedbackKind(data["kind"]), org_id=int(data["org_id"]), content=content, now=now
        )
    except DomainError as refusal:
        if not isinstance(refusal, InvalidInput):  # bad content: stay, so the member can send it again
            await state.clear()
        raise
    await state.set_state(SendFlow.sent)
    await state.set_data({"reference": item.reference, "last_at": now.isoformat(), "burst_answered": False})
    org = await get_org(session, item.addressed_org_id)
    await message.answer(
        texts.feedback.SENT.format(kind=texts.feedback.KINDS[item.kind.value], org=render.escape(org.name), reference=item.reference),
        reply_markup=kb.home(actor),
    )


async def after_sent(message: Message, state: FSMContext, clock: Clock) -> None:
    """Messages right behind a sent item (the rest of an album, a split text) get one answer."""
    burst, answered = await _in_burst(state, clock.now())
    if not burst:
        await state.clear()
        raise SkipHandler()
    if not answered:
        await _mark_burst_answered(state)
        data = await state.get_data()
        await message.answer(texts.feedback.EXTRA_AFTER_SENT.format(reference=data.get("reference", "")))


# ---------------------------------------------------------------- lists


async def _show_list(
    query: CallbackQuery, bot: Bot, session: AsyncSession, actor: Actor, scope: ListScope, view: ListView, page_number: int
) -> None:
    page_number = max(1, page_number)
    waiting_only = scope == ListScope.INBOX and view == ListView.WAITING
    page = await service.list_items(
        session, actor=actor, scope=scope.value, waiting_only=waiting_only, offset=(page_number - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    if page.total and not page.items:  # a page that no longer exists (items moved on): show the last one
        page = await service.list_items(
            session, actor=actor, scope=scope.value, waiting_only=waiting_only, offset=(page.pages - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    mine = scope == ListScope.MINE
    if not page.items:
        text = texts.feedback.MINE_EMPTY if mine else (texts.feedback.INBOX_EMPTY_WAITING if waiting_only else texts.feedback.INBOX_EMPTY)
    else:
        if mine:
            title = texts.feedback.MINE_TITLE.format(page=page.page, pages=page.pages)
        else:
            label = texts.feedback.VIEW_WAITING if waiting_only else texts.feedback.VIEW_ALL
            title = texts.feedback.INBOX_TITLE.format(view=label, page=page.page, pages=page.pages)
        lines = [render.list_line(page.offset + n, s, mine=mine) for n, s in enumerate(page.items, start=1)]
        text = "\n\n".join([title, *lines])
    await show(query, bot, text, list_keyboard(page, scope, view))


async def show_list(query: CallbackQuery, callback_data: FeedbackList, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    if callback_data.scope == ListScope.INBOX and not actor.is_manager:
        raise PermissionDenied(texts.common.FORBIDDEN)
    await _show_list(query, bot, session, actor, callback_data.scope, callback_data.view, callback_data.page)
    await query.answer()


# ---------------------------------------------------------------- one item


async def _send_card(bot: Bot, chat_id: int, view: service.ItemView) -> None:
    item = view.item
    if item.voice_file_id is not None:
        await send_received(bot, chat_id, "voice", item.voice_file_id, caption=item.reference)
    if item.photo_file_id is not None:
        await send_received(bot, chat_id, "photo", item.photo_file_id, caption=item.reference)
    messages = render.pack(render.card_parts(view))
    for index, text in enumerate(messages):
        markup = item_keyboard(view) if index == len(messages) - 1 and not _voice_replies(view) else None
        await bot.send_message(chat_id, text, reply_markup=markup)
    voices = _voice_replies(view)
    for n, answer in enumerate(voices, start=1):
        markup = item_keyboard(view) if n == len(voices) else None
        caption = texts.feedback.REPLY_VOICE.format(duration=render.duration(answer.voice_duration)) + f" — {render.escape(answer.org_name)}"
        await send_received(bot, chat_id, "voice", answer.voice_file_id or "", caption=caption, reply_markup=markup)


def _voice_replies(view: service.ItemView) -> list[service.ReplyView]:
    return [r for r in view.replies if r.voice_file_id is not None]


async def item_action(
    query: CallbackQuery,
    callback_data: FeedbackItemAction,
    state: FSMContext,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    bot: Bot,
) -> None:
    item_id = callback_data.item_id
    action = callback_data.action
    if action == ItemAction.OPEN:
        await state.clear()
        view = await service.view_item(session, actor=actor, item_id=item_id)
        await query.answer()
        await _send_card(bot, query.from_user.id, view)
        return
    if action == ItemAction.REPLY:
        view = await service.actionable_view(session, actor=actor, item_id=item_id)
        await state.set_state(ReplyFlow.content)
        await state.set_data({"item_id": item_id, "started_at": clock.now().isoformat()})
        await bot.send_message(
            query.from_user.id,
            texts.feedback.ASK_REPLY.format(reference=view.item.reference, author=render.escape(view.author_name)),
            reply_markup=kb.inline([_cancel_row()]),
        )
    elif action == ItemAction.CLOSE:
        view = await service.actionable_view(session, actor=actor, item_id=item_id)
        await show(query, bot, texts.feedback.CONFIRM_CLOSE.format(reference=view.item.reference), confirm_keyboard(ItemAction.CLOSE_OK, item_id))
    elif action == ItemAction.CLOSE_OK:
        item = await service.close(session, actor=actor, item_id=item_id, now=clock.now())
        await show(query, bot, texts.feedback.CLOSED.format(reference=item.reference))
    elif action == ItemAction.FORWARD:
        view = await service.actionable_view(session, actor=actor, item_id=item_id)
        target = view.forward_to
        if target is None:
            raise PermissionDenied(texts.feedback.NO_HIGHER_LEVEL)
        await show(
            query,
            bot,
            texts.feedback.CONFIRM_FORWARD.format(reference=view.item.reference, org=render.escape(target.name), author=render.escape(view.author_name)),
            confirm_keyboard(ItemAction.FORWARD_OK, item_id),
        )
    elif action == ItemAction.FORWARD_OK:
        item, record = await service.forward(session, actor=actor, item_id=item_id, now=clock.now())
        target = await get_org(session, record.to_org_id)
        await show(query, bot, texts.feedback.FORWARDED.format(reference=item.reference, org=render.escape(target.name)))
    await query.answer()


async def receive_reply(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    data = await state.get_data()
    started = _moment(data.get("started_at"))
    if started is None or now - started > service.FLOW_TTL or "item_id" not in data:
        await state.clear()
        await message.answer(texts.feedback.FLOW_EXPIRED)
        return
    burst, answered = await _in_burst(state, now)
    if burst:
        if not answered:
            await _mark_burst_answered(state)
            await message.answer(texts.feedback.FLOOD)
        return
    content = _content_of(message)
    if content is None or content.photo_file_id is not None:
        await message.answer(texts.feedback.REPLY_UNSUPPORTED)
        return
    try:
        item, _ = await service.reply(session, actor=actor, item_id=int(data["item_id"]), content=content, now=now)
    except DomainError as refusal:
        if not isinstance(refusal, InvalidInput):
            await state.clear()
        raise
    await state.clear()
    view = await service.view_item(session, actor=actor, item_id=item.id)
    await message.answer(
        texts.feedback.REPLY_SENT.format(author=render.escape(view.author_name), reference=item.reference), reply_markup=item_keyboard(view)
    )


# ---------------------------------------------------------------- wiring


def build() -> Router:
    router = Router(name="feedback")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())

    router.message.register(open_menu, or_f(F.text == texts.account.BTN_FEEDBACK, Command("gopy")))
    # A home button or a command is never taken as content: it ends the flow and goes to its owner.
    # (Registered last: once a handler skips, the state filters of this router have already been read.)
    menu = menu_or_command()
    router.message.register(receive_content, StateFilter(SendFlow.content), ~menu)
    router.message.register(after_sent, StateFilter(SendFlow.sent), ~menu)
    router.message.register(receive_reply, StateFilter(ReplyFlow.content), ~menu)
    router.message.register(leave_flow_for_menu, StateFilter(SendFlow.content, SendFlow.sent, ReplyFlow.content), menu)

    router.callback_query.register(menu_action, FeedbackMenu.filter())
    router.callback_query.register(choose_kind, FeedbackKindChoice.filter())
    router.callback_query.register(choose_recipient, FeedbackTo.filter())
    router.callback_query.register(show_list, FeedbackList.filter())
    router.callback_query.register(item_action, FeedbackItemAction.filter())
    return router
