"""A notice on its way: stopping it, who has seen it, and a member's «✅ Đã xem»."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.routers.notices.common import NoticeReport, NoticeSeen, NoticeStop
from bot.routers.notices.keyboards import stop_keyboard
from bot.screens import show
from core import texts
from core.clock import Clock
from core.notices import service
from core.orgs.models import Member
from core.orgs.service import Actor


async def ask_stop(query: CallbackQuery, callback_data: NoticeStop, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    # The status message keeps being edited: the question goes in a message of its own.
    await service.notice_for_manager(session, actor=actor, notice_id=callback_data.notice_id)
    await bot.send_message(query.from_user.id, texts.notices.ASK_STOP, reply_markup=stop_keyboard(callback_data.notice_id))
    await query.answer()


async def confirm_stop(query: CallbackQuery, callback_data: NoticeStop, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    await service.cancel_notice(session, actor=actor, notice_id=callback_data.notice_id, now=clock.now())
    await show(query, bot, texts.notices.STOPPED)
    await query.answer()


async def keep_sending(query: CallbackQuery, bot: Bot) -> None:
    await show(query, bot, texts.notices.KEEP_SENDING)
    await query.answer()


async def show_seen(query: CallbackQuery, callback_data: NoticeReport, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    report = await service.report_for(session, actor=actor, notice_id=callback_data.notice_id)
    await bot.send_message(query.from_user.id, service.seen_text(report))
    await query.answer()


async def seen(query: CallbackQuery, callback_data: NoticeSeen, session: AsyncSession, member: Member, clock: Clock) -> None:
    first = await service.confirm_seen(session, member=member, notice_id=callback_data.notice_id, now=clock.now())
    await query.answer(texts.notices.SEEN_THANKS if first else texts.notices.SEEN_ALREADY)
    if isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=None)
        except TelegramBadRequest:
            pass  # too old to edit, or already without the button
