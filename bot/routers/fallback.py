"""Whatever no other router took: answer helpfully, never stay silent.

A question about meetings ("họp", "mấy giờ"…) shows the member's next meeting; a voice message or a
long text is offered as a góp ý to their cell (one tap sends it); anything else gets the menu with one
line of help.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ErrorEvent, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.patience import answering_a_person
from bot.screens import plain
from core import texts
from core.clock import Clock
from core.errors import DomainError
from core.feedback import service as feedback
from core.feedback.models import FeedbackKind
from core.meetings import dates, render
from core.meetings import service as meetings
from core.orgs.models import Member
from core.orgs.service import Actor
from core.ports import Button

log = logging.getLogger(__name__)
T = texts.fallback

OFFER_PREFIX = "fbo"  # fbo:send | fbo:no — the offer of a free message as a góp ý
LONG_TEXT = 80  # characters: a message this long is something to say, not a command
# Words of a question about meetings, without accents (core.meetings.dates.normalize).
_MEETING_QUESTION = re.compile(r"\b(hop|lich|may gio|bao gio|khi nao|o dau|dia diem|thu moi)\b")


class Offer(StatesGroup):
    feedback = State()


def _about_meetings(text: str) -> bool:
    return len(text) <= LONG_TEXT and _MEETING_QUESTION.search(dates.normalize(text)) is not None


async def _next_meeting(message: Message, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    upcoming = [(m, inv) for m, inv in await meetings.upcoming_for_member(session, actor=actor, now=now, limit=1) if m.starts_at > now]
    if not upcoming:
        await message.answer(T.NO_MEETING, reply_markup=kb.home(actor))
        return
    meeting, invitation = upcoming[0]
    text = T.NEXT_MEETING.format(
        title=render.title(meeting), when=render.when(meeting), place=render.escape(meeting.place), answer=render.answer_label(invitation.answer),
    )
    markup = kb.inline([(Button(T.BTN_OPEN_INVITATION, render.answer_data("show", invitation.id)),)])
    await message.answer(text, reply_markup=markup)


async def anything_else(
    message: Message, member: Member | None, actor: Actor | None, state: FSMContext,
    session: AsyncSession | None = None, clock: Clock | None = None,
) -> None:
    if member is None or actor is None:
        await message.answer(texts.common.NOT_LINKED, reply_markup=kb.share_phone())
        return
    text = (message.text or "").strip()
    if text and session is not None and clock is not None and _about_meetings(text):
        await _next_meeting(message, session, actor, clock)
        return
    if message.voice is not None or len(text) > LONG_TEXT:
        offer = {"text": text or (message.caption or None), "voice_file_id": message.voice.file_id if message.voice else None,
                 "voice_duration": message.voice.duration if message.voice else None}
        await state.set_state(Offer.feedback)
        await state.set_data({"offer": offer})
        markup = kb.inline([(Button(T.BTN_SEND_FEEDBACK, f"{OFFER_PREFIX}:send"), Button(T.BTN_DONT_SEND, f"{OFFER_PREFIX}:no"))])
        await message.answer(T.OFFER_FEEDBACK.format(cell=render.escape(actor.cell.name)), reply_markup=markup)
        return
    await message.answer(texts.common.CHOOSE_A_BUTTON, reply_markup=kb.home(actor))


async def _send_offer(session: AsyncSession, actor: Actor, offer: dict[str, Any], clock: Clock) -> str:
    """The offered words (or voice) sent as a comment to the member's cell; the confirmation to show."""
    item = await feedback.submit(
        session, actor=actor, kind=FeedbackKind.COMMENT, org_id=actor.cell.id, now=clock.now(),
        content=feedback.Content(text=offer.get("text"), voice_file_id=offer.get("voice_file_id"), voice_duration=offer.get("voice_duration")),
    )
    return texts.feedback.SENT.format(kind=texts.feedback.KINDS[item.kind.value], org=render.escape(actor.cell.name), reference=item.reference)


async def offer_answered(
    query: CallbackQuery, state: FSMContext, bot: Bot, member: Member | None, actor: Actor | None,
    session: AsyncSession, clock: Clock,
) -> None:
    if actor is None:
        await query.answer(texts.common.NOT_LINKED, show_alert=True)
        return
    data = await state.get_data()
    offer = data.get("offer") if await state.get_state() == Offer.feedback.state else None
    await state.clear()
    if query.data == f"{OFFER_PREFIX}:no" or not offer:
        await query.answer(T.NOT_SENT if offer else T.OFFER_GONE, show_alert=not offer)
        if offer and isinstance(query.message, Message):
            await query.message.edit_text(T.NOT_SENT)
        return
    sent = await _send_offer(session, actor, offer, clock)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(sent)
    else:
        await bot.send_message(query.from_user.id, sent)


async def stale_button(query: CallbackQuery, member: Member | None) -> None:
    # A forged, expired or foreign button: say so plainly and change nothing.
    await query.answer(texts.common.STALE_BUTTON if member else texts.common.NOT_LINKED, show_alert=True)


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
    exception = event.exception
    if isinstance(exception, DomainError):
        text = exception.message
    else:
        # Type and update id only: messages may carry personal data.
        log.error("update %s failed: %s", update.update_id, type(exception).__name__, exc_info=exception)
        text = texts.common.APOLOGY
    try:
        with answering_a_person():  # a short flood limit is waited out, as for any reply
            if update.callback_query is not None:
                try:
                    await update.callback_query.answer(plain(text), show_alert=True)
                except TelegramBadRequest:  # the handler answered it already, or it expired: say it in the chat
                    await bot.send_message(update.callback_query.from_user.id, text)
            elif update.message is not None:
                await update.message.answer(text)
    except Exception as reply_error:  # the apology itself failed (network): nothing more to do
        log.warning("could not send apology for update %s: %s", update.update_id, type(reply_error).__name__)
    return True


def build() -> Router:
    router = Router(name="fallback")
    router.message.register(anything_else)
    router.callback_query.register(offer_answered, F.data.in_({f"{OFFER_PREFIX}:send", f"{OFFER_PREFIX}:no"}))
    router.callback_query.register(stale_button)
    router.errors.register(on_error)
    return router
