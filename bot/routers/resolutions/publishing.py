"""Publishing a document: one handler per step or button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import storage
from bot.flow import flow_data
from bot.routers.resolutions.common import (
    PubKind,
    PublishFlow,
    PubStep,
    PubTarget,
    R,
    btn,
    renderer_for,
)
from bot.routers.resolutions.publish_steps import (
    after_summary,
    ask_date,
    ask_text,
    ask_title,
    create_draft,
    preview,
    publish_draft,
    receive_text,
    step_markup,
)
from bot.routers.resolutions.voice_notes import speak
from bot.screens import plain, show
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound
from core.orgs.service import Actor
from core.resolutions import service, study
from core.resolutions.models import DocumentKind
from voice.service import VoiceRenderer


async def choose_kind(query: CallbackQuery, callback_data: PubKind, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if await flow_data(state, clock.now()) is None:
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        return
    try:
        kind = DocumentKind[callback_data.kind]
    except KeyError:
        raise SkipHandler() from None
    await state.update_data(kind=kind.name)
    await state.set_state(PublishFlow.code)
    await show(query, bot, R.PUBLISH_CODE, step_markup(btn(R.BTN_SKIP, PubStep(action="skipcode"))))
    await query.answer()


async def _flow_or_expired(target: Message | CallbackQuery, state: FSMContext, clock: Clock) -> dict[str, Any] | None:
    """The publishing flow's data, or None with «expired» said (an alert under a button, a message otherwise)."""
    data = await flow_data(state, clock.now())
    if data is None:
        if isinstance(target, CallbackQuery):
            await target.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        else:
            await target.answer(R.FLOW_EXPIRED)
    return data


async def _typed(message: Message, state: FSMContext, clock: Clock) -> tuple[dict[str, Any], str] | None:
    """The flow's data and the text typed, or None with the reason said."""
    data = await _flow_or_expired(message, state, clock)
    if data is None:
        return None
    if not message.text:
        await message.answer(R.TYPE_OR_PRESS)
        return None
    return data, message.text.strip()


async def typed_text(
    message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    files_dir: Path | None = None, settings: Any = None,
) -> None:
    """The document's text: pasted in parts, or a file."""
    data = await _flow_or_expired(message, state, clock)
    if data is not None:
        await receive_text(message, state, data, session, actor, clock, bot, storage.files_dir(files_dir, settings))


async def typed_code(message: Message, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if (typed := await _typed(message, state, clock)) is not None:
        await state.update_data(code=service.clean_code(typed[1]))
        await ask_date(message, state, bot)


async def typed_date(message: Message, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if (typed := await _typed(message, state, clock)) is not None:
        day = service.parse_day(typed[1], today=study.local_day(clock.now()))
        await state.update_data(issued_on=day.isoformat())
        await ask_title(message, state, bot)


async def typed_title(message: Message, state: FSMContext, clock: Clock) -> None:
    if (typed := await _typed(message, state, clock)) is not None:
        await state.update_data(title=service.clean_title(typed[1]))
        await ask_text(message, state)


async def typed_summary(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    if (typed := await _typed(message, state, clock)) is not None:
        data, summary = typed
        await service.update_draft(session, actor=actor, document_id=int(data["document_id"]), summary=summary, now=clock.now())
        await after_summary(message, state, session, actor, bot, clock.now())


async def typed_elsewhere(message: Message, state: FSMContext, clock: Clock) -> None:
    """Text where a button is expected (kind, target, preview)."""
    if await _typed(message, state, clock) is not None:
        await message.answer(R.TYPE_OR_PRESS)


async def choose_target(query: CallbackQuery, callback_data: PubTarget, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    data = await flow_data(state, clock.now())
    if data is None or not data.get("document_id"):
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        return
    await query.answer()
    await preview(query.from_user.id, state, session, actor, bot, callback_data.org_id, clock.now())


async def cancel_publishing(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    data = await flow_data(state, clock.now())
    if data and data.get("document_id"):
        try:
            await service.discard_draft(session, actor=actor, document_id=int(data["document_id"]))
        except (NotFound, Conflict):  # published meanwhile, or gone: nothing to discard
            pass
    await state.clear()
    await show(query, bot, R.PUBLISH_CANCELLED)
    await query.answer()


async def skip_code(query: CallbackQuery, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if await _flow_or_expired(query, state, clock) is not None:
        await state.update_data(code=None)
        await ask_date(query, state, bot)
        await query.answer()


async def issued_today_or_skip(query: CallbackQuery, callback_data: PubStep, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if await _flow_or_expired(query, state, clock) is not None:
        await state.update_data(issued_on=study.local_day(clock.now()).isoformat() if callback_data.action == "today" else None)
        await ask_title(query, state, bot)
        await query.answer()


async def text_done(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    data = await _flow_or_expired(query, state, clock)
    if data is None:
        return
    parts = data.get("parts") or []
    if not parts:
        raise InvalidInput(R.TEXT_EMPTY)
    assert isinstance(query.message, Message)
    await query.answer()
    await create_draft(query.message, state, data, session, actor, clock, "\n\n".join(parts), None)


async def keep_summary(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    if await _flow_or_expired(query, state, clock) is not None:
        await query.answer()
        await after_summary(query, state, session, actor, bot, clock.now())


async def edit_summary(query: CallbackQuery, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if await _flow_or_expired(query, state, clock) is not None:
        await state.set_state(PublishFlow.summary)
        await bot.send_message(query.from_user.id, R.PUBLISH_SUMMARY_EMPTY)
        await query.answer()


async def hear_preview(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    session_factory: async_sessionmaker[AsyncSession] | None = None, voice_renderer: VoiceRenderer | None = None, settings: Any = None,
) -> None:
    data = await _flow_or_expired(query, state, clock)
    if data is None:
        return
    await query.answer(plain(R.VOICE_PREPARING))
    document = await service.draft_for_author(session, actor=actor, document_id=int(data["document_id"]))
    renderer = renderer_for(voice_renderer, settings)
    speak(bot, query.from_user.id, session_factory, renderer, document, service.member_variant(actor.member), clock.now())


async def send_document(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    voice_renderer: VoiceRenderer | None = None, settings: Any = None,
) -> None:
    data = await _flow_or_expired(query, state, clock)
    if data is not None:
        await query.answer(plain(R.PUBLISH_SENDING))
        await publish_draft(query, state, session, actor, clock, bot, int(data["document_id"]), renderer_for(voice_renderer, settings))


async def stale_step(query: CallbackQuery, state: FSMContext, clock: Clock) -> None:
    """A step's button pressed at another step: «expired» if the flow is gone, else not ours."""
    if await _flow_or_expired(query, state, clock) is not None:
        raise SkipHandler()


# A step's button, the actions it carries and the step it belongs to.
_STEP_BUTTONS = (
    (skip_code, {"skipcode"}, PublishFlow.code),
    (issued_today_or_skip, {"today", "skipdate"}, PublishFlow.date),
    (text_done, {"textdone"}, PublishFlow.text),
    (keep_summary, {"keep"}, PublishFlow.summary),
    (edit_summary, {"edit"}, PublishFlow.preview),
    (hear_preview, {"hear"}, PublishFlow.preview),
    (send_document, {"send"}, PublishFlow.preview),
)
_TYPED_STEPS = (
    (typed_text, PublishFlow.text), (typed_code, PublishFlow.code), (typed_date, PublishFlow.date), (typed_title, PublishFlow.title),
    (typed_summary, PublishFlow.summary),
)


def build() -> Router:
    router = Router(name="resolutions.publishing")
    for typed, typed_step in _TYPED_STEPS:
        router.message.register(typed, StateFilter(typed_step))
    router.message.register(typed_elsewhere, StateFilter(*PublishFlow.__all_states__))
    router.callback_query.register(choose_kind, PubKind.filter(), StateFilter(PublishFlow.kind))
    router.callback_query.register(choose_target, PubTarget.filter(), StateFilter(PublishFlow.target, PublishFlow.preview))
    router.callback_query.register(cancel_publishing, PubStep.filter(F.action == "cancel"))
    for handler, actions, step in _STEP_BUTTONS:
        router.callback_query.register(handler, PubStep.filter(F.action.in_(actions)), StateFilter(step))
    router.callback_query.register(stale_step, PubStep.filter())
    return router
