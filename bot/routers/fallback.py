"""Whatever no other router took: guide the person back, never stay silent."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot import keyboards as kb
from bot.patience import answering_a_person
from core import texts
from core.errors import DomainError
from core.orgs.models import Member
from core.orgs.service import Actor

log = logging.getLogger(__name__)


async def anything_else(message: Message, member: Member | None, actor: Actor | None) -> None:
    if member is None:
        await message.answer(texts.common.NOT_LINKED, reply_markup=kb.share_phone())
        return
    await message.answer(texts.common.CHOOSE_A_BUTTON, reply_markup=kb.home(actor))


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
                    await update.callback_query.answer(text, show_alert=True)
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
    router.callback_query.register(stale_button)
    router.errors.register(on_error)
    return router
