"""Writing a notice: the menu, the target organisation, the content, the preview, sending or dropping it."""

from __future__ import annotations

import html
import secrets
from decimal import Decimal
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.flow import expired
from bot.routers.notices.common import FLOW_TTL, DraftAction, NoticeDraft, NoticeFlow, NoticeTarget, NoticeTargetsPage
from bot.routers.notices.keyboards import cancel_keyboard, draft_keyboard, list_keyboard, menu_keyboard, targets_keyboard
from bot.screens import show
from core import texts
from core.clock import Clock, local_tz
from core.errors import InvalidInput
from core.notices import render, service
from core.notices.models import AttachmentKind
from core.notices.paid import PaidQuote, format_stars
from core.orgs.service import Actor, get_org


def _urgency(action: DraftAction, data: dict[str, Any], price: Decimal | None) -> dict[str, Any]:
    """«🚨 Gửi khẩn»: urgent and paid, with the cost the author was shown (core checks it is still the cost)."""
    if action != DraftAction.URGENT:
        return {}
    shown = data.get("paid_stars")
    return {"urgent": True, "paid_price": price, "confirmed_stars": Decimal(shown) if shown else None}


def _content_of(message: Message) -> tuple[str | None, service.NoticeAttachment | None] | None:
    """The words and the one file of a message; None for what a notice cannot carry."""
    if message.photo:
        return message.caption, service.NoticeAttachment(AttachmentKind.PHOTO, message.photo[-1].file_id)
    if message.document is not None:
        return message.caption, service.NoticeAttachment(AttachmentKind.DOCUMENT, message.document.file_id)
    if message.voice is not None:
        return message.caption, service.NoticeAttachment(AttachmentKind.VOICE, message.voice.file_id)
    if message.text is not None:
        return message.text, None
    return None


async def _ask_content(query: CallbackQuery, bot: Bot, state: FSMContext, org_id: int, org_name: str, clock: Clock) -> None:
    await state.set_state(NoticeFlow.content)
    await state.set_data({"org_id": org_id, "started_at": clock.now().isoformat()})
    await show(query, bot, texts.notices.ASK_CONTENT.format(org=html.escape(org_name)), cancel_keyboard())


def _list_text(summaries: list[service.NoticeSummary]) -> str:
    lines = [texts.notices.LIST_TITLE]
    for s in summaries:
        local = s.notice.created_at.astimezone(local_tz())
        item = texts.notices.LIST_ITEM.format(
            when=local.strftime("%d/%m %H:%M"), org=html.escape(s.org_name),
            state=texts.notices.STATE_LABELS[s.notice.status.value], seen=s.seen, sent=s.sent,
        )
        lines.append(f"#{s.notice.id} {item}\n<i>{render.excerpt(s.notice)}</i>")
    return "\n\n".join(lines)


async def open_menu(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(texts.notices.MENU, reply_markup=menu_keyboard())


async def new_notice(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    await state.clear()
    targets = await service.targets_for(session, actor=actor)
    if len(targets) == 1:
        await _ask_content(query, bot, state, targets[0].org.id, targets[0].org.name, clock)
    else:
        await show(query, bot, texts.notices.ASK_TARGET, targets_keyboard(targets, 0))
    await query.answer()


async def list_notices(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    await state.clear()
    summaries = await service.recent_notices(session, actor=actor)
    if not summaries:
        await show(query, bot, texts.notices.LIST_EMPTY)
    else:
        await show(query, bot, _list_text(summaries), list_keyboard(summaries))
    await query.answer()


async def targets_page(query: CallbackQuery, callback_data: NoticeTargetsPage, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    targets = await service.targets_for(session, actor=actor)
    await show(query, bot, texts.notices.ASK_TARGET, targets_keyboard(targets, callback_data.page))
    await query.answer()


async def choose_target(
    query: CallbackQuery, callback_data: NoticeTarget, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    choice = await service.preview(session, actor=actor, org_id=callback_data.org_id)  # refuses a forged organisation
    await _ask_content(query, bot, state, choice.org.id, choice.org.name, clock)
    await query.answer()


async def _show_preview(message: Message, choice: service.Preview, cleaned: str, attachment: service.NoticeAttachment | None,
                        author_name: str, draft: str) -> None:
    """The notice as members will get it, then how many will get it and the «Gửi đi» button."""
    await message.answer(texts.notices.PREVIEW_TITLE)
    body = render.body(org_name=choice.org.name, text=cleaned, author_name=author_name)
    if attachment is None or attachment.file_id is None:  # a file received by the bot always has its id
        await message.answer(body)
    elif attachment.kind == AttachmentKind.PHOTO:
        await message.answer_photo(attachment.file_id, caption=body)
    elif attachment.kind == AttachmentKind.DOCUMENT:
        await message.answer_document(attachment.file_id, caption=body)
    else:
        await message.answer_voice(attachment.file_id, caption=body)
    summary = texts.notices.PREVIEW.format(count=choice.total, org=html.escape(choice.org.name))
    if choice.unlinked:
        summary += texts.notices.PREVIEW_UNLINKED.format(unlinked=choice.unlinked)
    summary += paid_line(choice.paid)
    await message.answer(summary + texts.notices.PREVIEW_REPLACE, reply_markup=draft_keyboard(draft, choice.paid))


def paid_line(cost: PaidQuote | None) -> str:
    """The cost of sending it urgent and paid, before the author confirms (nothing when it cannot be)."""
    if cost is None:
        return ""
    return texts.notices.PREVIEW_PAID.format(stars=format_stars(cost.stars), messages=cost.messages, price=format_stars(cost.price))


async def _flow_or_expired(message: Message, state: FSMContext, clock: Clock) -> dict[str, Any] | None:
    data = await state.get_data()
    if expired(data, clock.now(), FLOW_TTL) or "org_id" not in data:
        await state.clear()
        await message.answer(texts.notices.FLOW_EXPIRED)
        return None
    return data


async def receive_content(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock,
                          paid_broadcast_price: Decimal | None = None) -> None:
    data = await _flow_or_expired(message, state, clock)
    if data is None:
        return
    content = _content_of(message)
    if content is None:
        await message.answer(texts.notices.UNSUPPORTED)
        return
    text, attachment = content
    choice = await service.preview(session, actor=actor, org_id=int(data["org_id"]), paid_price=paid_broadcast_price)
    author = actor.member.full_name
    try:
        cleaned = service.clean_text(text, with_attachment=attachment is not None, org_name=choice.org.name, author_name=author)
    except InvalidInput as refusal:  # stay in the flow: the secretary sends it again
        await message.answer(refusal.message)
        return
    draft = secrets.token_hex(4)
    await state.set_state(NoticeFlow.preview)
    await state.update_data(draft=draft, text=cleaned, kind=attachment and attachment.kind.value, file_id=attachment and attachment.file_id,
                            paid_stars=str(choice.paid.stars) if choice.paid else None)  # the cost shown: what «Gửi khẩn» confirms
    await _show_preview(message, choice, cleaned, attachment, author, draft)


async def drop_draft(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await show(query, bot, texts.notices.DRAFT_DROPPED)
    await query.answer()


async def send_draft(
    query: CallbackQuery, callback_data: NoticeDraft, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    platform_chat_id: str | None = None, paid_broadcast_price: Decimal | None = None,
) -> None:
    data = await state.get_data()
    if await state.get_state() != NoticeFlow.preview.state or data.get("draft") != callback_data.draft or expired(data, clock.now(), FLOW_TTL):
        await state.clear()
        await query.answer(texts.notices.FLOW_EXPIRED, show_alert=True)
        return
    attachment = service.NoticeAttachment(AttachmentKind(data["kind"]), data["file_id"]) if data.get("kind") else None
    status_message_id = query.message.message_id if query.message is not None else None
    notice = await service.create_notice(
        session, actor=actor, org_id=int(data["org_id"]), text=data.get("text"), attachment=attachment, now=clock.now(),
        request_key=f"tg:{actor.member.id}:{callback_data.draft}",
        status_chat_id=platform_chat_id or str(query.from_user.id),  # the messenger's own chat id (Zalo's are strings)
        status_message_id=str(status_message_id) if status_message_id is not None else None,
        **_urgency(callback_data.action, data, paid_broadcast_price),
    )
    await state.clear()
    status = render.status_message(notice, org_name=(await get_org(session, notice.org_id)).name, sent=0)
    await show(query, bot, status.text, kb.inline(status.buttons))
    await query.answer()
