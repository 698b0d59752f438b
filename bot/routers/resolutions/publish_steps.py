"""The publishing form's screens: kind, code, date, title, text or file, summary, target, preview; the draft behind them."""

from __future__ import annotations

import datetime as dt
import html
import logging
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.types import Document as TelegramDocument
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.progress import working
from bot.routers.resolutions.common import (
    MAX_PASTED_PARTS,
    PubKind,
    PublishFlow,
    PubStep,
    PubTarget,
    R,
    ResDoc,
    btn,
)
from bot.screens import show
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.orgs.service import Actor
from core.ports import Button
from core.render import pack
from core.recordings import service as recordings
from core.resolutions import extract, render, service
from core.resolutions.models import DocumentKind
from core.resolutions.voice import render_variants
from voice.service import VoiceRenderer

log = logging.getLogger(__name__)


def kind_markup() -> InlineKeyboardMarkup:
    buttons = [btn(R.KINDS[kind.value], PubKind(kind=kind.name)) for kind in DocumentKind]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((btn(R.BTN_CANCEL, PubStep(action="cancel")),))
    return kb.inline(rows)


def step_markup(*buttons: Button) -> InlineKeyboardMarkup:
    return kb.inline([tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)] + [(btn(R.BTN_CANCEL, PubStep(action="cancel")),)])


async def start_publishing(query: CallbackQuery, state: FSMContext, actor: Actor, clock: Clock, bot: Bot) -> None:
    if not actor.is_manager:
        raise PermissionDenied(R.NOT_PUBLISHER)
    await state.clear()
    await state.set_state(PublishFlow.kind)
    await state.set_data({"started_at": clock.now().isoformat()})
    await bot.send_message(query.from_user.id, R.PUBLISH_KIND, reply_markup=kind_markup())


async def ask_date(target: Message | CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.set_state(PublishFlow.date)
    markup = step_markup(btn(R.BTN_TODAY, PubStep(action="today")), btn(R.BTN_SKIP, PubStep(action="skipdate")))
    if isinstance(target, CallbackQuery):
        await show(target, bot, R.PUBLISH_DATE, markup)
    else:
        await target.answer(R.PUBLISH_DATE, reply_markup=markup)


async def ask_title(target: Message | CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.set_state(PublishFlow.title)
    markup = step_markup()
    if isinstance(target, CallbackQuery):
        await show(target, bot, R.PUBLISH_TITLE, markup)
    else:
        await target.answer(R.PUBLISH_TITLE, reply_markup=markup)


async def ask_text(message: Message, state: FSMContext) -> None:
    await state.set_state(PublishFlow.text)
    await state.update_data(parts=[])
    await message.answer(
        R.PUBLISH_TEXT.format(pages=extract.MAX_PAGES, megabytes=extract.MAX_FILE_BYTES // (1024 * 1024)), reply_markup=step_markup()
    )


async def receive_text(
    message: Message, state: FSMContext, data: dict[str, Any], session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, files_dir: Path
) -> None:
    if message.document is not None:
        extracted, stored = await _read_file(message, message.document, bot, files_dir)
        await create_draft(message, state, data, session, actor, clock, extracted.text, stored)
    elif message.text:
        await _add_pasted(message, state, data, message.text)
    else:
        await message.answer(R.SEND_FILE_OR_TEXT)


async def _read_file(message: Message, document: TelegramDocument, bot: Bot, files_dir: Path) -> tuple[extract.Extracted, service.StoredFile]:
    """Downloaded (within the size limit), its text extracted, the original kept."""
    if document.file_size and document.file_size > extract.MAX_FILE_BYTES:
        raise InvalidInput(R.FILE_TOO_LARGE.format(megabytes=extract.MAX_FILE_BYTES // (1024 * 1024)))
    await message.answer(R.PUBLISH_READING_FILE.format(name=html.escape(document.file_name or "")))
    try:
        buffer = await bot.download(document.file_id)
    except Exception as exc:  # network, or Telegram refused (file too big for bots)
        log.warning("could not download a document: %s", type(exc).__name__)
        raise InvalidInput(R.FILE_DOWNLOAD_FAILED) from exc
    raw = buffer.read() if buffer is not None else b""
    return await service.read_original(files_dir, raw, filename=document.file_name or "")


async def _add_pasted(message: Message, state: FSMContext, data: dict[str, Any], text: str) -> None:
    """One more pasted part of the text, within the limits of parts and characters."""
    parts = list(data.get("parts") or [])
    if len(parts) >= MAX_PASTED_PARTS:
        raise InvalidInput(R.TEXT_TOO_LONG.format(limit=f"{extract.MAX_TEXT_CHARS:,}".replace(",", ".")))
    parts.append(text)
    chars = sum(len(p) for p in parts)
    if chars > extract.MAX_TEXT_CHARS:
        raise InvalidInput(R.TEXT_TOO_LONG.format(limit=f"{extract.MAX_TEXT_CHARS:,}".replace(",", ".")))
    await state.update_data(parts=parts)
    await message.answer(R.PUBLISH_TEXT_MORE.format(chars=f"{chars:,}".replace(",", ".")),
                         reply_markup=step_markup(btn(R.BTN_DONE_TEXT, PubStep(action="textdone"))))


async def create_draft(
    target: Message, state: FSMContext, data: dict[str, Any], session: AsyncSession, actor: Actor, clock: Clock,
    full_text: str, stored: service.StoredFile | None,
) -> None:
    if data.get("document_id"):  # a new text replaces the draft made from the previous one
        try:
            await service.discard_draft(session, actor=actor, document_id=int(data["document_id"]))
        except (NotFound, Conflict):  # already gone, or published meanwhile
            pass
    issued = data.get("issued_on")
    document = await service.create_draft(
        session, actor=actor, now=clock.now(), original=stored,
        draft=service.DraftInput(
            kind=DocumentKind[data["kind"]], title=data["title"], full_text=full_text, code=data.get("code"),
            issued_on=dt.date.fromisoformat(issued) if issued else None,
        ),
    )
    await state.update_data(document_id=document.id, parts=[])
    await state.set_state(PublishFlow.summary)
    if document.summary.strip():
        text = R.PUBLISH_SUMMARY.format(sentences=len(document.summary.split("\n")), summary=render.summary_html(document.summary))
        await target.answer(text, reply_markup=step_markup(btn(R.BTN_KEEP_SUMMARY, PubStep(action="keep"))))
    else:
        await target.answer(R.PUBLISH_SUMMARY_EMPTY, reply_markup=step_markup())


async def after_summary(
    target: Message | CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot, now: dt.datetime
) -> None:
    targets = await service.publish_targets(session, actor=actor)
    chat_id = target.from_user.id if target.from_user else 0
    if len(targets) == 1:
        await preview(chat_id, state, session, actor, bot, targets[0].id, now)
        return
    await state.set_state(PublishFlow.target)
    rows = []
    for org in targets:
        label = R.TARGET_BUTTON_CELL if org.is_cell else R.TARGET_BUTTON_SUBTREE
        rows.append((btn(label.format(name=org.name), PubTarget(org_id=org.id)),))
    rows.append((btn(R.BTN_CANCEL, PubStep(action="cancel")),))
    await bot.send_message(chat_id, R.PUBLISH_TARGET, reply_markup=kb.inline(rows))


def _preview_text(document: Any, audience: service.Audience) -> str:
    full_text = (
        R.FULL_TEXT_FROM_FILE.format(name=html.escape(document.file_name or ""))
        if document.file_name
        else R.FULL_TEXT_PASTED.format(chars=f"{len(document.full_text):,}".replace(",", "."))
    )
    text = R.PUBLISH_PREVIEW.format(
        kind=render.kind_word(document), code=render.code_part(document), issued=render.issued_part(document),
        title=render.escape(document.title), summary=render.summary_html(document.summary), org=render.escape(audience.org.name),
        recipients=audience.recipients, unlinked=audience.unlinked, full_text=full_text,
    )
    if audience.unlinked_names:  # named, so the publisher can tell them in person
        text += R.UNLINKED_NAMES.format(names=_names(audience.unlinked_names))
    return text


def _preview_markup() -> InlineKeyboardMarkup:
    return kb.inline(
        [
            (btn(R.BTN_SEND, PubStep(action="send")),),
            (btn(R.BTN_PREVIEW_VOICE, PubStep(action="hear")), btn(R.BTN_EDIT_SUMMARY, PubStep(action="edit"))),
            (btn(R.BTN_CANCEL, PubStep(action="cancel")),),
        ]
    )


async def preview(chat_id: int, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot, org_id: int, now: dt.datetime) -> None:
    data = await state.get_data()
    audience = await service.audience(session, actor=actor, org_id=org_id)
    document = await service.update_draft(session, actor=actor, document_id=int(data["document_id"]), org_id=org_id, now=now)
    text = _preview_text(document, audience)
    await state.set_state(PublishFlow.preview)
    markup = _preview_markup()
    parts = pack(text.split("\n"))
    for index, part in enumerate(parts):
        await bot.send_message(chat_id, part, reply_markup=markup if index == len(parts) - 1 else None)


def _names(names: tuple[str, ...], shown: int = 10) -> str:
    listed = ", ".join(render.escape(name) for name in names[:shown])
    return listed + (f" {R.AND_MORE.format(count=len(names) - shown)}" if len(names) > shown else "")


async def publish_draft(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, document_id: int,
    renderer: VoiceRenderer | None,
) -> None:
    # Synthesis first (cached on disk; no rows written yet), then one short writing transaction.
    document = await service.draft_for_author(session, actor=actor, document_id=document_id)
    variants = await service.voice_variants(session, actor=actor, document_id=document_id)
    async with working(bot, query.from_user.id, "record_voice", R.PUBLISH_PREPARING):
        notes = await render_variants(renderer, document.summary, variants) if renderer is not None else {}
        result = await service.publish(session, actor=actor, document_id=document_id, now=clock.now(), voices=notes)
    await state.clear()
    unlinked = R.PUBLISHED_UNLINKED.format(count=result.unlinked, names=_names(result.unlinked_names)) if result.unlinked else ""
    text = R.PUBLISHED_DONE.format(title=render.escape(result.document.title), queued=result.queued, org=render.escape(result.org.name),
                                   unlinked_line=unlinked)
    markup = kb.inline([(btn(R.BTN_OPEN_CAMPAIGN, ResDoc(action="camp", document_id=document_id)),), (recordings.record_button(document_id),)])
    await show(query, bot, text, markup)

