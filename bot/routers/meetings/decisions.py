"""The secretary decides an absence request."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_meetings as kbm
from bot.keyboards_meetings import (
    DecisionAction,
    DecisionButton,
)
from bot.messenger import send_received
from bot.screens import show
from core import texts
from core.clock import Clock
from core.meetings import render, service
from core.meetings.models import Answer
from core.orgs.service import Actor


async def send_request(bot: Bot, chat_id: int, name: str, meeting: Any, invitation: Any) -> None:
    """One absence request as the secretary reads it, with buttons for this revision of it."""
    text = render.absence_request_text(name, meeting, invitation)
    if invitation.reason_voice_file_id:  # kept on Telegram only: if the id is refused, the request stands without it
        await send_received(bot, chat_id, "voice", invitation.reason_voice_file_id, caption=text, reply_markup=kbm.decision(invitation))
    else:
        await bot.send_message(chat_id, text, reply_markup=kbm.decision(invitation))


async def _show_current_request(query: CallbackQuery, session: AsyncSession, actor: Actor, bot: Bot, invitation_id: int) -> None:
    """An old card was pressed: decide nothing, say the request changed, and show it as it is now."""
    invitation, meeting, name = await service.absence_request_of(session, actor=actor, invitation_id=invitation_id)
    await query.answer(texts.meetings.ABSENCE_CHANGED_TOAST)
    if isinstance(query.message, Message) and query.message.text is not None:
        try:  # the old card no longer offers buttons for a request that is gone
            await query.message.edit_text(texts.meetings.ABSENCE_CHANGED, reply_markup=None)
        except TelegramBadRequest:
            pass
    else:
        await bot.send_message(query.from_user.id, texts.meetings.ABSENCE_CHANGED)
    if invitation.answer == Answer.ABSENCE_REQUESTED:
        await send_request(bot, query.from_user.id, name, meeting, invitation)
    else:
        await bot.send_message(
            query.from_user.id,
            texts.meetings.NO_PENDING_REQUEST.format(name=render.escape(name), state=texts.meetings.ANSWERS_SHORT[invitation.answer.value]),
            reply_markup=kbm.back_to(meeting.id),
        )


async def decide_without_revision(query: CallbackQuery, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    """A card made before decisions carried the request's revision: which version it showed is unknown."""
    _, _, invitation_id = (query.data or "").split(":")
    await _show_current_request(query, session, actor, bot, int(invitation_id))


async def decide(query: CallbackQuery, callback_data: DecisionButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    approve = callback_data.action == DecisionAction.APPROVE
    try:
        invitation, meeting, name = await service.decide_absence(
            session, actor=actor, invitation_id=callback_data.invitation_id, approve=approve, revision=callback_data.revision,
            now=clock.now(),
        )
    except service.AbsenceRequestChanged:
        await _show_current_request(query, session, actor, bot, callback_data.invitation_id)
        return
    template = texts.meetings.DECIDED_APPROVED if approve else texts.meetings.DECIDED_REFUSED
    await show(query, bot, template.format(name=render.escape(name), when=render.when(meeting)), kbm.back_to(meeting.id))
    await query.answer()


def build() -> Router:
    router = Router(name="meetings.decisions")
    router.callback_query.register(decide, DecisionButton.filter())
    router.callback_query.register(decide_without_revision, F.data.regexp(rf"^{render.DECISION_PREFIX}:(ok|no):\d{{1,18}}$"))
    return router
