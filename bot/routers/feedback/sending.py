"""✍️ Góp ý: the menu, then sending an item: its kind, its recipient, its content."""

from __future__ import annotations

from aiogram import Bot
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.flow import clear_unless_invalid
from bot.routers.feedback.common import (
    FeedbackKindChoice,
    FeedbackTo,
    SendFlow,
    content_of,
    in_burst,
    mark_burst_answered,
    typed_step,
    unsupported_text,
)
from bot.routers.feedback.keyboards import cancel_row, kind_keyboard, menu_keyboard, recipient_keyboard
from bot.screens import show
from core import texts
from core.clock import Clock
from core.errors import PermissionDenied
from core.feedback import render, service
from core.feedback.models import FeedbackKind
from core.orgs.service import Actor, get_org


async def open_menu(message: Message, state: FSMContext, session: AsyncSession, actor: Actor) -> None:
    await state.clear()
    waiting = await service.waiting_count(session, actor=actor)
    await message.answer(texts.feedback.MENU, reply_markup=menu_keyboard(actor, waiting))


async def back_to_menu(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    await state.clear()
    waiting = await service.waiting_count(session, actor=actor)
    await show(query, bot, texts.feedback.MENU, menu_keyboard(actor, waiting))
    await query.answer()


async def cancel(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await show(query, bot, texts.common.CANCELLED)
    await query.answer()


async def start_new(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    # Refuse before the member writes anything, not after.
    await service.check_rate(session, member=actor.member, now=clock.now())
    await state.set_state(SendFlow.kind)
    await state.set_data({"started_at": clock.now().isoformat()})
    await show(query, bot, texts.feedback.ASK_KIND, kind_keyboard())
    await query.answer()


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


def _ask_content_text(kind: str, org_name: str) -> str:
    return texts.feedback.ASK_CONTENT.format(
        kind=texts.feedback.KINDS[kind], org=render.escape(org_name), max_chars=service.MAX_TEXT_CHARS,
        max_minutes=service.MAX_VOICE_SECONDS // 60,
    )


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
    await show(query, bot, _ask_content_text(data["kind"], org.name), kb.inline([cancel_row()]))
    await query.answer()


async def receive_content(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    data = await typed_step(message, state, now, lambda data: data.get("kind") in texts.feedback.KINDS and "org_id" in data)
    if data is None:
        return
    content = content_of(message)
    if content is None:
        await message.answer(unsupported_text(message))
        return
    async with clear_unless_invalid(state):  # bad content: stay, so the member can send it again
        item = await service.submit(session, actor=actor, kind=FeedbackKind(data["kind"]), org_id=int(data["org_id"]), content=content, now=now)
    await state.set_state(SendFlow.sent)
    await state.set_data({"reference": item.reference, "last_at": now.isoformat(), "burst_answered": False})
    org = await get_org(session, item.addressed_org_id)
    await message.answer(
        texts.feedback.SENT.format(kind=texts.feedback.KINDS[item.kind.value], org=render.escape(org.name), reference=item.reference),
        reply_markup=kb.home(actor),
    )


async def after_sent(message: Message, state: FSMContext, clock: Clock) -> None:
    """Messages right behind a sent item (the rest of an album, a split text) get one answer."""
    burst, answered = await in_burst(state, clock.now())
    if not burst:
        await state.clear()
        raise SkipHandler()
    if not answered:
        await mark_burst_answered(state)
        data = await state.get_data()
        await message.answer(texts.feedback.EXTRA_AFTER_SENT.format(reference=data.get("reference", "")))
