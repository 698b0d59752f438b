"""Answering an invitation: attending, absent with a reason (a button, text or voice), hearing the conclusions."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards_meetings as kbm
from bot.flow import menu_or_command
from bot.keyboards_meetings import (
    InvitationAction,
    InvitationButton,
    ReasonButton,
)
from bot.messenger import send_received
from bot.flow import clear_unless_invalid
from bot.routers.meetings.flow import (
    AbsenceFlow,
    typed_target,
    text_or_voice,
)
from bot.screens import show
from core import texts
from core.clock import Clock
from core.errors import InvalidInput
from core.meetings import render, service
from core.meetings.models import AbsenceReason, MeetingStatus
from core.orgs.service import Actor


def _my_invitation_text(view: service.InvitationView) -> str:
    invitation_text = render.invitation_text(
        view.meeting, cell_name=view.cell_name, show_lunar=view.show_lunar, document_count=view.document_count,
        obliged=view.invitation.obliged,
    )
    return texts.meetings.MY_INVITATION.format(invitation=invitation_text, answer=render.answer_label(view.invitation.answer))


async def answer_yes(
    query: CallbackQuery, callback_data: InvitationButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    invitation_id = callback_data.invitation_id
    await state.clear()
    answered = await service.answer_attending(session, actor=actor, invitation_id=invitation_id, now=clock.now())
    await show(query, bot, _my_invitation_text(answered.view), kbm.answers(invitation_id))
    await query.answer(texts.meetings.TOAST_ATTENDING)


async def answer_no(query: CallbackQuery, callback_data: InvitationButton, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    invitation_id = callback_data.invitation_id
    view = await service.open_invitation(session, actor=actor, invitation_id=invitation_id, now=clock.now())
    await show(query, bot, texts.meetings.ASK_REASON.format(when=render.when(view.meeting)), kbm.reasons(invitation_id))
    await query.answer()


async def show_invitation(
    query: CallbackQuery, callback_data: InvitationButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    invitation_id = callback_data.invitation_id
    await state.clear()
    view = await service.my_invitation(session, actor=actor, invitation_id=invitation_id)
    answerable = view.meeting.status == MeetingStatus.SCHEDULED and clock.now() < view.meeting.starts_at
    await show(query, bot, _my_invitation_text(view), kbm.answers(invitation_id) if answerable else None)
    await query.answer()


async def hear_conclusions(query: CallbackQuery, callback_data: InvitationButton, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    view = await service.my_invitation(session, actor=actor, invitation_id=callback_data.invitation_id)
    if view.meeting.conclusions_voice_file_id is None:
        raise InvalidInput(texts.common.NOT_FOUND)
    caption = texts.meetings.CONCLUSIONS_NOTICE_VOICE.format(when=render.when(view.meeting), cell=render.escape(view.cell_name))
    await send_received(bot, query.from_user.id, "voice", view.meeting.conclusions_voice_file_id, caption=caption)
    await query.answer()


async def choose_reason(
    query: CallbackQuery, callback_data: ReasonButton, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    now = clock.now()
    invitation_id = callback_data.invitation_id
    if callback_data.reason == AbsenceReason.OTHER:
        await service.open_invitation(session, actor=actor, invitation_id=invitation_id, now=now)
        await state.set_state(AbsenceFlow.reason)
        await state.set_data({"invitation_id": invitation_id, "started_at": now.isoformat()})
        await show(query, bot, texts.meetings.ASK_REASON_TEXT, kbm.back_to_invitation(invitation_id))
        await query.answer()
        return
    await state.clear()
    result = await service.request_absence(session, actor=actor, invitation_id=invitation_id, reason=callback_data.reason, now=now)
    await show(query, bot, _absence_answer(result), kbm.answers(invitation_id))
    await query.answer(texts.meetings.TOAST_ABSENCE_SENT if not result.auto_excused else None)


def _absence_answer(result: service.AbsenceResult) -> str:
    """The invitation itself (date, place, agenda) stays on screen, with what was just done under it."""
    reason = render.reason_label(result.invitation)
    if result.auto_excused:
        done = texts.meetings.ABSENCE_AUTO_EXCUSED.format(when=render.when(result.meeting), reason=reason)
    else:
        done = texts.meetings.ABSENCE_SENT.format(reason=reason)
    return _my_invitation_text(result.view) + "\n\n" + done


async def typed_reason(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    """"Lý do khác": the reason as text or as a voice message."""
    now = clock.now()
    invitation_id = await typed_target(message, state, now, "invitation_id", texts.meetings.REASON_EMPTY)
    if invitation_id is None:
        return
    async with clear_unless_invalid(state, typed=message.voice is None):
        result = await service.request_absence(
            session, actor=actor, invitation_id=invitation_id, reason=AbsenceReason.OTHER, now=now, **text_or_voice(message)
        )
    await state.clear()
    await message.answer(_absence_answer(result), reply_markup=kbm.answers(invitation_id))


def build() -> Router:
    router = Router(name="meetings.invitations")
    router.callback_query.register(answer_yes, InvitationButton.filter(F.action == InvitationAction.YES))
    router.callback_query.register(answer_no, InvitationButton.filter(F.action == InvitationAction.NO))
    router.callback_query.register(show_invitation, InvitationButton.filter(F.action == InvitationAction.SHOW))
    router.callback_query.register(hear_conclusions, InvitationButton.filter(F.action == InvitationAction.HEAR))
    router.callback_query.register(choose_reason, ReasonButton.filter())
    router.message.register(typed_reason, StateFilter(AbsenceFlow.reason), ~menu_or_command())
    return router
