"""One item: its card (with its voice, photo and voice replies), replying, closing, forwarding up."""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.flow import clear_unless_invalid
from bot.messenger import send_received
from bot.routers.feedback.common import FeedbackItemAction, ItemAction, ReplyFlow, content_of, typed_step
from bot.routers.feedback.keyboards import cancel_row, confirm_keyboard, item_keyboard
from bot.screens import show
from core import texts
from core.clock import Clock
from core.errors import PermissionDenied
from core.feedback import render, service
from core.orgs.service import Actor, get_org


def _voice_replies(view: service.ItemView) -> list[service.ReplyView]:
    return [r for r in view.replies if r.voice_file_id is not None]


async def _send_voice_replies(bot: Bot, chat_id: int, view: service.ItemView) -> None:
    """The voice replies after the card's text; the item's buttons under the last one."""
    voices = _voice_replies(view)
    for n, answer in enumerate(voices, start=1):
        markup = item_keyboard(view) if n == len(voices) else None
        caption = texts.feedback.REPLY_VOICE.format(duration=render.duration(answer.voice_duration)) + f" — {render.escape(answer.org_name)}"
        await send_received(bot, chat_id, "voice", answer.voice_file_id or "", caption=caption, reply_markup=markup)


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
    await _send_voice_replies(bot, chat_id, view)


async def open_item(query: CallbackQuery, callback_data: FeedbackItemAction, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    await state.clear()
    view = await service.view_item(session, actor=actor, item_id=callback_data.item_id)
    await query.answer()
    await _send_card(bot, query.from_user.id, view)


async def ask_reply(
    query: CallbackQuery, callback_data: FeedbackItemAction, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    view = await service.actionable_view(session, actor=actor, item_id=callback_data.item_id)
    await state.set_state(ReplyFlow.content)
    await state.set_data({"item_id": callback_data.item_id, "started_at": clock.now().isoformat()})
    text = texts.feedback.ASK_REPLY.format(reference=view.item.reference, author=render.escape(view.author_name))
    await bot.send_message(query.from_user.id, text, reply_markup=kb.inline([cancel_row()]))
    await query.answer()


async def ask_close(query: CallbackQuery, callback_data: FeedbackItemAction, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    view = await service.actionable_view(session, actor=actor, item_id=callback_data.item_id)
    text = texts.feedback.CONFIRM_CLOSE.format(reference=view.item.reference)
    await show(query, bot, text, confirm_keyboard(ItemAction.CLOSE_OK, callback_data.item_id))
    await query.answer()


async def close(query: CallbackQuery, callback_data: FeedbackItemAction, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    item = await service.close(session, actor=actor, item_id=callback_data.item_id, now=clock.now())
    await show(query, bot, texts.feedback.CLOSED.format(reference=item.reference))
    await query.answer()


async def ask_forward(query: CallbackQuery, callback_data: FeedbackItemAction, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    view = await service.actionable_view(session, actor=actor, item_id=callback_data.item_id)
    target = view.forward_to
    if target is None:
        raise PermissionDenied(texts.feedback.NO_HIGHER_LEVEL)
    text = texts.feedback.CONFIRM_FORWARD.format(
        reference=view.item.reference, org=render.escape(target.name), author=render.escape(view.author_name)
    )
    await show(query, bot, text, confirm_keyboard(ItemAction.FORWARD_OK, callback_data.item_id))
    await query.answer()


async def forward(query: CallbackQuery, callback_data: FeedbackItemAction, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    item, record = await service.forward(session, actor=actor, item_id=callback_data.item_id, now=clock.now())
    target = await get_org(session, record.to_org_id)
    await show(query, bot, texts.feedback.FORWARDED.format(reference=item.reference, org=render.escape(target.name)))
    await query.answer()


async def receive_reply(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    data = await typed_step(message, state, now, lambda data: "item_id" in data)
    if data is None:
        return
    content = content_of(message)
    if content is None or content.photo_file_id is not None:
        await message.answer(texts.feedback.REPLY_UNSUPPORTED)
        return
    async with clear_unless_invalid(state):
        item, _ = await service.reply(session, actor=actor, item_id=int(data["item_id"]), content=content, now=now)
    await state.clear()
    view = await service.view_item(session, actor=actor, item_id=item.id)
    await message.answer(
        texts.feedback.REPLY_SENT.format(author=render.escape(view.author_name), reference=item.reference), reply_markup=item_keyboard(view)
    )
