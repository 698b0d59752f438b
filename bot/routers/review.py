"""📋 Đánh giá, xếp loại: the annual quality review in the chat.

A member sends a short self-assessment (typed, or a voice note) and picks the rating they propose;
the cell's leaders open a vote on a proposed rating per member (core.votes); a committee member
above the cell decides each member's rating; a member told the result may ask once for a
reconsideration, with a reason.

Callback data:
    rvm:0                      the review screen (from 🗳 Biểu quyết, or /danhgia)
    rvs:<entry>                start the self-assessment (also on the notice that opens the review)
    rvp:<entry>:<rating>       the proposed rating, which submits it
    rvc:<cell>                 leaders: the cell's list; rvv:<entry> → rvq:<entry>:<rating> opens the cell's vote
    rvd:<cell>                 committee: the cell's list to decide; rvx:<entry> → rvy:<entry>:<rating> decides
    rvr:<entry>                ask for reconsideration (on the result notice) → type the reason
    rvf:<org>                  the figures of an organisation's subtree
    rvn:<org>                  committee: open this year's review → rvk:<org>:<preset> (the deadlines) → rvz:<org>:<preset> opens it
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, or_f
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.filters import Linked
from bot.routers.votes import VoteAction
from bot.screens import show
from core import texts
from core.clock import Clock, local_date
from core.errors import DomainError
from core.meetings import render
from core.meetings.dates import format_when
from core.meetings.service import manageable_cells
from core.orgs.models import Member, OrgKind, RoleKind
from core.orgs.service import Actor, get_org
from core.ports import Button
from core.votes import review
from core.votes.models import Rating

T = texts.votes
RATINGS = [r.value for r in Rating]


class ReviewMenu(CallbackData, prefix="rvm"):
    id: int


class SelfStart(CallbackData, prefix=review.SELF_PREFIX):
    entry_id: int


class SelfRating(CallbackData, prefix="rvp"):
    entry_id: int
    rating: str


class CellList(CallbackData, prefix="rvc"):
    cell_id: int


class ProposeFor(CallbackData, prefix="rvv"):
    entry_id: int


class ProposeRating(CallbackData, prefix="rvq"):
    entry_id: int
    rating: str


class DecideList(CallbackData, prefix="rvd"):
    cell_id: int


class DecideFor(CallbackData, prefix="rvx"):
    entry_id: int


class DecideRating(CallbackData, prefix="rvy"):
    entry_id: int
    rating: str


class Reconsider(CallbackData, prefix=review.RECONSIDER_PREFIX):
    entry_id: int


class Figures(CallbackData, prefix="rvf"):
    org_id: int


class OpenCycle(CallbackData, prefix="rvn"):
    org_id: int


class OpenPreset(CallbackData, prefix="rvk"):
    org_id: int
    preset: int


class OpenConfirm(CallbackData, prefix="rvz"):
    org_id: int
    preset: int


class ReviewFlow(StatesGroup):
    self_assessment = State()
    reason = State()


def _rating_rows(factory, entry_id: int) -> list[tuple[Button, ...]]:  # type: ignore[no-untyped-def]
    return [(Button(T.RATINGS[r], factory(entry_id=entry_id, rating=r).pack()),) for r in RATINGS]


def _committees(actor: Actor) -> list:  # type: ignore[type-arg]
    return [org for role, org in actor.roles if role == RoleKind.COMMITTEE_MEMBER and org.kind == OrgKind.COMMITTEE]


async def _home(session: AsyncSession, actor: Actor, year: int) -> tuple[str, list[tuple[Button, ...]]]:
    rows: list[tuple[Button, ...]] = [
        (Button(T.BTN_OPEN_CYCLE.format(year=year, org=org.name[:40]), OpenCycle(org_id=org.id).pack()),)
        for org in await review.openable(session, actor=actor, year=year)
    ]
    try:
        entry, cycle = await review.own_entry(session, actor=actor)
        text = review.status_text(entry, cycle)
        if entry.final_rating is None:
            rows.append((Button(T.BTN_SELF_ASSESS, SelfStart(entry_id=entry.id).pack()),))
    except DomainError:
        text = T.REVIEW_NONE
    for cell in manageable_cells(actor):
        rows.append((Button(f"📋 {cell.name}", CellList(cell_id=cell.id).pack()),))
    for committee in _committees(actor):
        rows.append((Button(f"📊 {committee.name}", Figures(org_id=committee.id).pack()),))
    return text, rows


async def home(message: Message, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    text, rows = await _home(session, actor, local_date(clock.now()).year)
    await message.answer(text, reply_markup=kb.inline(rows) if rows else None)


async def home_pressed(query: CallbackQuery, session: AsyncSession, actor: Actor, bot: Bot, clock: Clock) -> None:
    text, rows = await _home(session, actor, local_date(clock.now()).year)
    await query.answer()
    await show(query, bot, text, kb.inline(rows) if rows else None)


async def open_cycle(query: CallbackQuery, callback_data: OpenCycle, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    org = await get_org(session, callback_data.org_id)
    year = local_date(clock.now()).year
    rows = [(Button(T.BTN_PRESET.format(first=a, second=b, third=c), OpenPreset(org_id=org.id, preset=i).pack()),)
            for i, (a, b, c) in enumerate(review.PRESETS)]
    await query.answer()
    await show(query, bot, T.OPEN_CYCLE_ASK.format(year=year, org=render.escape(org.name)), kb.inline([*rows, (Button(T.BTN_BACK, "rvm:0"),)]))


async def open_preset(query: CallbackQuery, callback_data: OpenPreset, session: AsyncSession, clock: Clock, bot: Bot) -> None:
    org = await get_org(session, callback_data.org_id)
    first, second, third = review.preset_deadlines(callback_data.preset, now=clock.now())
    text = T.OPEN_CYCLE_CONFIRM.format(year=local_date(clock.now()).year, org=render.escape(org.name), self_deadline=format_when(first),
                                       cell_deadline=format_when(second), decide_deadline=format_when(third), limit=review.DEFAULT_TOP_LIMIT)
    confirm = Button(T.BTN_OPEN_CONFIRM, OpenConfirm(org_id=org.id, preset=callback_data.preset).pack())
    await query.answer()
    await show(query, bot, text, kb.inline([(confirm,), (Button(T.BTN_BACK, OpenCycle(org_id=org.id).pack()),)]))


async def open_confirm(query: CallbackQuery, callback_data: OpenConfirm, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    opened = await review.open_cycle_preset(session, actor=actor, org_id=callback_data.org_id, preset=callback_data.preset, now=clock.now())
    await query.answer()
    await show(query, bot, T.CYCLE_OPENED.format(year=opened.cycle.year, members=opened.members, org=render.escape(opened.org.name)))


async def self_start(query: CallbackQuery, callback_data: SelfStart, session: AsyncSession, actor: Actor, state: FSMContext, bot: Bot) -> None:
    entry, _ = await review.own_entry(session, actor=actor, entry_id=callback_data.entry_id)
    await state.set_state(ReviewFlow.self_assessment)
    await state.update_data(entry_id=entry.id)
    await query.answer()
    await bot.send_message(query.from_user.id, T.ASK_SELF_TEXT)


async def self_text(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    if message.voice is not None:
        if message.voice.duration > review.MAX_VOICE_SECONDS:
            await message.answer(T.VOICE_TOO_LONG.format(limit=review.MAX_VOICE_SECONDS // 60))
            return
        await state.update_data(text=None, voice_file_id=message.voice.file_id, voice_duration=message.voice.duration)
    else:
        text = (message.text or "").strip()
        if len(text) > review.MAX_SELF_CHARS:
            await message.answer(T.SELF_TOO_LONG.format(length=len(text), limit=review.MAX_SELF_CHARS))
            return
        await state.update_data(text=text, voice_file_id=None, voice_duration=None)
    await state.set_state(None)
    await message.answer(T.ASK_SELF_RATING, reply_markup=kb.inline(_rating_rows(SelfRating, int(data["entry_id"]))))


async def self_rating(query: CallbackQuery, callback_data: SelfRating, session: AsyncSession, actor: Actor, state: FSMContext,
                      clock: Clock, bot: Bot) -> None:
    data = await state.get_data()
    if data.get("entry_id") != callback_data.entry_id or callback_data.rating not in RATINGS:
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    await review.submit_self(
        session, actor=actor, entry_id=callback_data.entry_id, rating=Rating(callback_data.rating), now=clock.now(),
        text=data.get("text"), voice_file_id=data.get("voice_file_id"), voice_duration=data.get("voice_duration"),
    )
    await state.clear()
    await query.answer()
    await show(query, bot, T.SELF_SUBMITTED.format(rating=T.RATINGS[callback_data.rating]))


async def _cell_screen(session: AsyncSession, actor: Actor, cell_id: int, *, deciding: bool) -> tuple[str, list[tuple[Button, ...]]]:
    cycle, cell, lines = await review.cell_entries(session, actor=actor, cell_id=cell_id)
    body = "\n".join(
        T.REVIEW_CELL_LINE.format(name=render.escape(line.name), self_rating=review.rating_name(line.entry.self_rating),
                                  cell_rating=review.rating_name(line.entry.cell_rating), final_rating=review.rating_name(line.entry.final_rating))
        for line in lines
    )
    rows: list[tuple[Button, ...]] = []
    for line in lines:
        pending_reconsideration = line.entry.reconsider_requested_at is not None and line.entry.reconsidered_at is None
        if deciding and (line.entry.final_rating is None or pending_reconsideration):
            rows.append((Button(T.BTN_VOTE_RATING.format(name=line.name[:40]), DecideFor(entry_id=line.entry.id).pack()),))
        elif not deciding and line.entry.final_rating is None:
            rows.append((Button(T.BTN_VOTE_RATING.format(name=line.name[:40]), ProposeFor(entry_id=line.entry.id).pack()),))
    if not deciding and any(cell.path.startswith(c.path) and c.id != cell.id for c in _committees(actor)):
        rows.append((Button("⚖️ " + T.BTN_REVIEW, DecideList(cell_id=cell.id).pack()),))
    return T.REVIEW_CELL_MENU.format(year=cycle.year, cell=render.escape(cell.name), lines=body), rows


async def cell_list(query: CallbackQuery, callback_data: CellList, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    text, rows = await _cell_screen(session, actor, callback_data.cell_id, deciding=False)
    await query.answer()
    await show(query, bot, text, kb.inline(rows))


async def propose_for(query: CallbackQuery, callback_data: ProposeFor, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    entry = await review.entry_voice(session, actor=actor, entry_id=callback_data.entry_id)
    await query.answer()
    voice = review.self_voice_message(entry, texts.votes.SELF_SENT_VOICE)
    if voice is not None and voice.attachment is not None and voice.attachment.file_id:
        await bot.send_voice(query.from_user.id, voice.attachment.file_id, caption=voice.text)
    member = await session.get(Member, entry.member_id)
    text = T.ASK_PROPOSE.format(name=render.escape(member.full_name if member else "")) + (f"\n\n{render.escape(entry.self_text)}" if entry.self_text else "")
    await bot.send_message(query.from_user.id, text, reply_markup=kb.inline(_rating_rows(ProposeRating, entry.id)))


async def propose_rating(query: CallbackQuery, callback_data: ProposeRating, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    if callback_data.rating not in RATINGS:
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    opened = await review.open_rating_vote(session, actor=actor, entry_id=callback_data.entry_id, rating=Rating(callback_data.rating), now=clock.now())
    await query.answer()
    await show(query, bot, T.OPENED.format(question=render.escape(opened.vote.question), sent=opened.sent),
               kb.inline([(Button(T.BTN_CLOSE_NOW, VoteAction(action="close", id=opened.vote.id).pack()),)]))


async def decide_list(query: CallbackQuery, callback_data: DecideList, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    text, rows = await _cell_screen(session, actor, callback_data.cell_id, deciding=True)
    await query.answer()
    await show(query, bot, text, kb.inline(rows))


async def decide_for(query: CallbackQuery, callback_data: DecideFor, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    entry = await review.entry_voice(session, actor=actor, entry_id=callback_data.entry_id)
    await query.answer()
    member = await session.get(Member, entry.member_id)
    lines = [T.DECIDE_CARD.format(name=render.escape(member.full_name if member else ""), self_rating=review.rating_name(entry.self_rating),
                                  cell_rating=review.rating_name(entry.cell_rating), final_rating=review.rating_name(entry.final_rating))]
    if entry.self_text:
        lines.append(render.escape(entry.self_text[:500]))
    if entry.reconsider_reason:
        lines.append(T.DECIDE_RECONSIDER.format(reason=render.escape(entry.reconsider_reason)))
    await bot.send_message(query.from_user.id, "\n".join(lines), reply_markup=kb.inline(_rating_rows(DecideRating, entry.id)))


async def decide_rating(query: CallbackQuery, callback_data: DecideRating, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    if callback_data.rating not in RATINGS:
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    entry = await review.decide(session, actor=actor, entry_id=callback_data.entry_id, rating=Rating(callback_data.rating), now=clock.now())
    text, rows = await _cell_screen(session, actor, entry.cell_id, deciding=True)
    await query.answer()
    await show(query, bot, text, kb.inline(rows))


async def reconsider(query: CallbackQuery, callback_data: Reconsider, session: AsyncSession, actor: Actor, state: FSMContext, bot: Bot) -> None:
    entry, _ = await review.own_entry(session, actor=actor, entry_id=callback_data.entry_id)
    if entry.reconsider_requested_at is not None:
        await query.answer(T.RECONSIDER_ONCE, show_alert=True)
        return
    await state.set_state(ReviewFlow.reason)
    await state.update_data(entry_id=entry.id)
    await query.answer()
    await bot.send_message(query.from_user.id, T.ASK_RECONSIDER_REASON)


async def reason_typed(message: Message, session: AsyncSession, actor: Actor, state: FSMContext, clock: Clock) -> None:
    data = await state.get_data()
    await review.request_reconsideration(session, actor=actor, entry_id=int(data["entry_id"]), reason=message.text or "", now=clock.now())
    await state.clear()
    await message.answer(T.RECONSIDER_SENT)


async def figures(query: CallbackQuery, callback_data: Figures, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    year = await review.latest_year(session, org_id=callback_data.org_id) or clock.now().year
    result = await review.figures(session, actor=actor, org_id=callback_data.org_id, year=year)
    rows = [(Button(f"⚖️ {c.name}", DecideList(cell_id=c.org_id).pack()),) for c in result.cells if c.pending]
    await query.answer()
    await show(query, bot, review.figures_text(result), kb.inline(rows) if rows else None)


def build() -> Router:
    router = Router(name="review")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.message.register(home, or_f(F.text == T.BTN_REVIEW, Command("danhgia")))
    router.message.register(self_text, ReviewFlow.self_assessment, or_f(F.text, F.voice))
    router.message.register(reason_typed, ReviewFlow.reason, F.text)
    buttons: list[tuple[Any, type[CallbackData]]] = [
        (home_pressed, ReviewMenu), (open_cycle, OpenCycle), (open_preset, OpenPreset), (open_confirm, OpenConfirm),
        (self_start, SelfStart), (self_rating, SelfRating), (cell_list, CellList), (propose_for, ProposeFor),
        (propose_rating, ProposeRating), (decide_list, DecideList), (decide_for, DecideFor), (decide_rating, DecideRating),
        (reconsider, Reconsider), (figures, Figures),
    ]
    for handler, pressed in buttons:
        router.callback_query.register(handler, pressed.filter())
    return router
