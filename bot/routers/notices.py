"""📢 Thông báo: a secretary (or committee member) writes a notice, previews it, sends it to every
member of an organisation, follows its progress, can stop it; members confirm «✅ Đã xem».

Callback data (every id is re-checked by core.notices.service):
    ntm:<action>               menu: new | list
    ntp:<page>                 a page of target organisations
    ntt:<org_id>               target chosen
    ntd:<action>:<draft>       the previewed draft: send | drop (draft = a token kept in the FSM)
    ntx:<action>:<notice_id>   stop a running notice: ask | ok | no
    ntr:<notice_id>            who has seen it
    nts:<notice_id>            a member's «Đã xem»
"""

from __future__ import annotations

import datetime as dt
import enum
import html
import secrets
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter, or_f
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.filters import Linked, Manager
from bot.flow import expired, leave_flow_for_menu
from bot.screens import show
from core import texts
from core.clock import Clock, local_tz
from core.errors import InvalidInput
from core.notices import render, service
from core.notices.models import AttachmentKind
from core.orgs.models import Member
from core.orgs.service import Actor, get_org
from core.ports import Button

TARGETS_PER_PAGE = 8
FLOW_TTL = dt.timedelta(minutes=30)
HOME_LABELS = frozenset(
    {
        texts.account.BTN_MEETINGS,
        texts.account.BTN_RESOLUTIONS,
        texts.account.BTN_FEEDBACK,
        texts.account.BTN_PROFILE,
        texts.account.BTN_HELP,
        texts.account.BTN_NOTICE,
        texts.account.BTN_STATS,
        texts.console.BTN_OPEN_CONSOLE,
    }
)


class MenuAction(str, enum.Enum):
    NEW = "new"
    LIST = "list"


class DraftAction(str, enum.Enum):
    SEND = "send"
    DROP = "drop"


class StopAction(str, enum.Enum):
    ASK = "ask"
    OK = "ok"
    NO = "no"


class NoticeMenu(CallbackData, prefix="ntm"):
    action: MenuAction


class NoticeTargetsPage(CallbackData, prefix="ntp"):
    page: int


class NoticeTarget(CallbackData, prefix="ntt"):
    org_id: int


class NoticeDraft(CallbackData, prefix="ntd"):
    action: DraftAction
    draft: str


class NoticeStop(CallbackData, prefix=render.STOP_PREFIX):
    action: StopAction
    notice_id: int


class NoticeReport(CallbackData, prefix=render.REPORT_PREFIX):
    notice_id: int


class NoticeSeen(CallbackData, prefix=render.SEEN_PREFIX):
    notice_id: int


class NoticeFlow(StatesGroup):
    content = State()
    preview = State()


# ---------------------------------------------------------------- keyboards


def _button(text: str, data: CallbackData) -> Button:
    return Button(text, data.pack())


def menu_keyboard() -> InlineKeyboardMarkup:
    return kb.inline(
        [
            (_button(texts.notices.BTN_NEW, NoticeMenu(action=MenuAction.NEW)),),
            (_button(texts.notices.BTN_SENT_LIST, NoticeMenu(action=MenuAction.LIST)),),
        ]
    )


def targets_keyboard(targets: list[service.Target], page: int) -> InlineKeyboardMarkup:
    pages = max(1, -(-len(targets) // TARGETS_PER_PAGE))
    page = page % pages
    rows: list[tuple[Button, ...]] = []
    for target in targets[page * TARGETS_PER_PAGE : (page + 1) * TARGETS_PER_PAGE]:
        template = texts.notices.BTN_TARGET_WHOLE if target.whole_subtree else texts.notices.BTN_TARGET_ONE
        rows.append((_button(template.format(name=target.org.name), NoticeTarget(org_id=target.org.id)),))
    last_row = [_button(texts.common.CANCEL, NoticeDraft(action=DraftAction.DROP, draft="-"))]
    if pages > 1:
        last_row.insert(0, _button(texts.notices.BTN_MORE, NoticeTargetsPage(page=(page + 1) % pages)))
    rows.append(tuple(last_row))
    return kb.inline(rows)


def draft_keyboard(draft: str) -> InlineKeyboardMarkup:
    return kb.inline(
        [
            (
                _button(texts.notices.BTN_SEND, NoticeDraft(action=DraftAction.SEND, draft=draft)),
                _button(texts.common.CANCEL, NoticeDraft(action=DraftAction.DROP, draft=draft)),
            )
        ]
    )


def stop_keyboard(notice_id: int) -> InlineKeyboardMarkup:
    return kb.inline(
        [
            (
                _button(texts.notices.BTN_STOP_CONFIRM, NoticeStop(action=StopAction.OK, notice_id=notice_id)),
                _button(texts.notices.BTN_KEEP_SENDING, NoticeStop(action=StopAction.NO, notice_id=notice_id)),
            )
        ]
    )


def list_keyboard(summaries: list[service.NoticeSummary]) -> InlineKeyboardMarkup | None:
    rows = [(_button(f"👁 #{s.notice.id} · {s.org_name}", NoticeReport(notice_id=s.notice.id)),) for s in summaries]
    return kb.inline(rows) if rows else None


# ---------------------------------------------------------------- helpers


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


def _expired(data: dict[str, Any], now: dt.datetime) -> bool:
    return expired(data, now, FLOW_TTL)


async def _ask_content(query: CallbackQuery, bot: Bot, state: FSMContext, org_id: int, org_name: str, clock: Clock) -> None:
    await state.set_state(NoticeFlow.content)
    await state.set_data({"org_id": org_id, "started_at": clock.now().isoformat()})
    cancel = kb.inline([(_button(texts.common.CANCEL, NoticeDraft(action=DraftAction.DROP, draft="-")),)])
    await show(query, bot, texts.notices.ASK_CONTENT.format(org=html.escape(org_name)), cancel)


# ---------------------------------------------------------------- writing a notice


async def open_menu(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(texts.notices.MENU, reply_markup=menu_keyboard())


async def menu_action(
    query: CallbackQuery, callback_data: NoticeMenu, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    await state.clear()
    if callback_data.action == MenuAction.NEW:
        targets = await service.targets_for(session, actor=actor)
        if len(targets) == 1:
            await _ask_content(query, bot, state, targets[0].org.id, targets[0].org.name, clock)
        else:
            await show(query, bot, texts.notices.ASK_TARGET, targets_keyboard(targets, 0))
    else:
        summaries = await service.recent_notices(session, actor=actor)
        if not summaries:
            await show(query, bot, texts.notices.LIST_EMPTY)
        else:
            lines = [texts.notices.LIST_TITLE]
            for s in summaries:
                local = s.notice.created_at.astimezone(local_tz())
                lines.append(
                    f"#{s.notice.id} "
                    + texts.notices.LIST_ITEM.format(
                        when=local.strftime("%d/%m %H:%M"), org=html.escape(s.org_name),
                        state=texts.notices.STATE_LABELS[s.notice.status.value], seen=s.seen, sent=s.sent,
                    )
                    + f"\n<i>{render.excerpt(s.notice)}</i>"
                )
            await show(query, bot, "\n\n".join(lines), list_keyboard(summaries))
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


async def receive_content(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    data = await state.get_data()
    if _expired(data, clock.now()) or "org_id" not in data:
        await state.clear()
        await message.answer(texts.notices.FLOW_EXPIRED)
        return
    content = _content_of(message)
    if content is None:
        await message.answer(texts.notices.UNSUPPORTED)
        return
    text, attachment = content
    choice = await service.preview(session, actor=actor, org_id=int(data["org_id"]))
    try:
        cleaned = service.clean_text(
            text, with_attachment=attachment is not None, org_name=choice.org.name, author_name=actor.member.full_name
        )
    except InvalidInput as refusal:  # stay in the flow: the secretary sends it again
        await message.answer(refusal.message)
        return
    draft = secrets.token_hex(4)
    await state.set_state(NoticeFlow.preview)
    await state.update_data(
        draft=draft, text=cleaned, kind=attachment.kind.value if attachment else None, file_id=attachment.file_id if attachment else None
    )
    await message.answer(texts.notices.PREVIEW_TITLE)
    body = render.body(org_name=choice.org.name, text=cleaned, author_name=actor.member.full_name)
    if attachment is None:
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
    summary += texts.notices.PREVIEW_REPLACE
    await message.answer(summary, reply_markup=draft_keyboard(draft))


async def draft_action(
    query: CallbackQuery, callback_data: NoticeDraft, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
    platform_chat_id: str | None = None,
) -> None:
    if callback_data.action == DraftAction.DROP:
        await state.clear()
        await show(query, bot, texts.notices.DRAFT_DROPPED)
        await query.answer()
        return
    data = await state.get_data()
    if await state.get_state() != NoticeFlow.preview.state or data.get("draft") != callback_data.draft or _expired(data, clock.now()):
        await state.clear()
        await query.answer(texts.notices.FLOW_EXPIRED, show_alert=True)
        return
    attachment = service.NoticeAttachment(AttachmentKind(data["kind"]), data["file_id"]) if data.get("kind") else None
    status_message_id = query.message.message_id if query.message is not None else None
    notice = await service.create_notice(
        session,
        actor=actor,
        org_id=int(data["org_id"]),
        text=data.get("text"),
        attachment=attachment,
        now=clock.now(),
        request_key=f"tg:{actor.member.id}:{callback_data.draft}",
        status_chat_id=platform_chat_id or str(query.from_user.id),  # the messenger's own chat id (Zalo's are strings)
        status_message_id=str(status_message_id) if status_message_id is not None else None,
    )
    await state.clear()
    org = await get_org(session, notice.org_id)
    status = render.status_message(notice, org_name=org.name, sent=0)
    await show(query, bot, status.text, kb.inline(status.buttons))
    await query.answer()


# ---------------------------------------------------------------- a running notice


async def stop_action(query: CallbackQuery, callback_data: NoticeStop, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    notice_id = callback_data.notice_id
    if callback_data.action == StopAction.ASK:
        # The status message keeps being edited: the question goes in a message of its own.
        await service.notice_for_manager(session, actor=actor, notice_id=notice_id)
        await bot.send_message(query.from_user.id, texts.notices.ASK_STOP, reply_markup=stop_keyboard(notice_id))
    elif callback_data.action == StopAction.OK:
        await service.cancel_notice(session, actor=actor, notice_id=notice_id, now=clock.now())
        await show(query, bot, texts.notices.STOPPED)
    else:
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


# ---------------------------------------------------------------- wiring


def build() -> Router:
    router = Router(name="notices")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())

    router.callback_query.register(seen, NoticeSeen.filter())  # every member

    manager = Manager()
    router.message.register(open_menu, manager, F.text == texts.account.BTN_NOTICE)
    in_flow = StateFilter(NoticeFlow.content, NoticeFlow.preview)
    router.message.register(leave_flow_for_menu, in_flow, or_f(F.text.in_(HOME_LABELS), F.text.startswith("/")))
    router.message.register(receive_content, manager, in_flow)
    router.callback_query.register(menu_action, manager, NoticeMenu.filter())
    router.callback_query.register(targets_page, manager, NoticeTargetsPage.filter())
    router.callback_query.register(choose_target, manager, NoticeTarget.filter())
    router.callback_query.register(draft_action, manager, NoticeDraft.filter())
    router.callback_query.register(stop_action, manager, NoticeStop.filter())
    router.callback_query.register(show_seen, manager, NoticeReport.filter())
    return router
