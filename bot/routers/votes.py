"""🗳 Biểu quyết: members vote by one tap on their ballot; the cell's leaders open a vote (in a
meeting or not, open, secret or by hands in the room), follow how many have voted and close it.

Callback data:
    vtb:<vote>:<option>     a member's ballot button (built in core.votes.service.ballot_data)
    vto:<action>:<id>       leaders: menu (cell id), new (cell id), card / close (vote id)
    vtm:<meeting id>        the meeting the new vote belongs to (0: none)
    vtk:<kind>              open | secret | hand
    vtc:<minutes>           closing: 0 = when the secretary closes it
Typed: the question, and a hand vote's counts ("9 1 0").
"""

from __future__ import annotations

import datetime as dt

from aiogram import Bot, F, Router
from aiogram.filters import Command, or_f
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.filters import Linked
from bot.screens import plain, show
from core import texts
from core.clock import Clock
from core.crypto import FieldCipher
from core.errors import InvalidInput
from core.meetings import render
from core.meetings.service import manageable_cells
from core.orgs.models import Member
from core.orgs.service import Actor, get_org
from core.ports import Button
from core.votes import service
from core.votes.models import BallotKind, VoteStatus

T = texts.votes


class BallotButton(CallbackData, prefix=service.BALLOT_PREFIX):
    vote_id: int
    option: int


class VoteAction(CallbackData, prefix="vto"):
    action: str
    id: int


class MeetingChoice(CallbackData, prefix="vtm"):
    meeting_id: int


class KindChoice(CallbackData, prefix="vtk"):
    kind: str


class CloseChoice(CallbackData, prefix="vtc"):
    minutes: int


REVIEW_MENU = "rvm:0"  # bot/routers/review.py: the annual review's screen


class NewVote(StatesGroup):
    question = State()
    counts = State()


def _card_markup(vote_id: int, closed: bool) -> InlineKeyboardMarkup | None:
    if closed:
        return None
    return kb.inline([
        (Button(T.BTN_CLOSE_NOW, VoteAction(action="close", id=vote_id).pack()),),
        (Button(T.BTN_REFRESH, VoteAction(action="card", id=vote_id).pack()),),
    ])


async def _menu_screen(session: AsyncSession, actor: Actor, cell_id: int) -> tuple[str, InlineKeyboardMarkup]:
    cell = await get_org(session, cell_id)
    votes = await service.open_votes(session, actor=actor, cell_id=cell_id)
    lines = []
    rows: list[tuple[Button, ...]] = []
    for vote in votes:
        card = await service.vote_card(session, actor=actor, vote_id=vote.id)
        lines.append(T.MENU_LINE.format(question=render.escape(vote.question), kind=T.KINDS[vote.kind.value], voted=card.voted, eligible=card.eligible))
        rows.append((Button(T.BTN_OPEN_VOTE.format(question=vote.question[:40]), VoteAction(action="card", id=vote.id).pack()),))
    rows.append((Button(T.BTN_NEW, VoteAction(action="new", id=cell_id).pack()),))
    rows.append((Button(T.BTN_REVIEW, REVIEW_MENU),))
    return T.MENU.format(cell=render.escape(cell.name), body="\n".join(lines) or T.MENU_EMPTY), kb.inline(rows)


async def menu(message: Message, session: AsyncSession, actor: Actor, member: Member, clock: Clock, cipher: FieldCipher,
               state: FSMContext) -> None:
    await state.clear()  # the menu leaves any half-typed question or count behind
    cells = manageable_cells(actor)
    if cells:
        for cell in cells[:3]:
            text, markup = await _menu_screen(session, actor, cell.id)
            await message.answer(text, reply_markup=markup)
        return
    # A member: the ballots still open in their cell, sent again.
    open_votes = await service.member_open_votes(session, member=member, now=clock.now())
    if not open_votes:
        await message.answer(T.MENU.format(cell=render.escape(actor.cell.name), body=T.MENU_EMPTY),
                             reply_markup=kb.inline([(Button(T.BTN_REVIEW, REVIEW_MENU),)]))
        return
    for vote in open_votes:
        screen = await _ballot_screen(session, member, vote.id, cipher)
        await message.answer(screen.text, reply_markup=kb.inline(screen.buttons))


async def _ballot_screen(session: AsyncSession, member: Member, vote_id: int, cipher: FieldCipher):  # type: ignore[no-untyped-def]
    vote, cell, meeting = await service.vote_for_member(session, member=member, vote_id=vote_id)
    chosen = await service.own_choice(session, member=member, vote=vote, cipher=cipher)
    suffix = None
    if chosen is not None:
        # A secret choice is not left written in the chat: only the short toast named it.
        suffix = T.YOUR_CHOICE_SECRET if vote.kind == BallotKind.SECRET else T.YOUR_CHOICE.format(option=render.escape(vote.options[chosen]))
    return service.ballot_message(vote, cell, meeting, chosen=suffix)


async def ballot(query: CallbackQuery, callback_data: BallotButton, session: AsyncSession, actor: Actor, cipher: FieldCipher,
                 clock: Clock, bot: Bot) -> None:
    cast = await service.cast(session, actor=actor, vote_id=callback_data.vote_id, option=callback_data.option, cipher=cipher, now=clock.now())
    option = cast.vote.options[cast.option]
    toast = T.CAST_SAME if cast.same else T.CAST_CHANGED if cast.changed else T.CAST_OK
    await query.answer(plain(toast.format(option=option)))
    if cast.same:
        return
    screen = await _ballot_screen(session, actor.member, cast.vote.id, cipher)
    await show(query, bot, screen.text, kb.inline(screen.buttons))


async def _open_menu(query: CallbackQuery, org_id: int, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, state: FSMContext) -> None:
    text, markup = await _menu_screen(session, actor, org_id)
    await query.answer()
    await show(query, bot, text, markup)


async def _new_vote(query: CallbackQuery, cell_id: int, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, state: FSMContext) -> None:
    meetings = await service.meetings_for_vote(session, actor=actor, cell_id=cell_id, now=clock.now())
    await state.clear()
    await state.update_data(cell_id=cell_id)
    rows = [(Button(f"📅 {render.when(m)}", MeetingChoice(meeting_id=m.id).pack()),) for m in meetings]
    rows.append((Button(T.BTN_NO_MEETING, MeetingChoice(meeting_id=0).pack()),))
    await query.answer()
    await show(query, bot, T.ASK_MEETING, kb.inline(rows))


async def _show_card(query: CallbackQuery, vote_id: int, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, state: FSMContext) -> None:
    card = await service.vote_card(session, actor=actor, vote_id=vote_id)
    await query.answer()
    await show(query, bot, service.card_text(card), _card_markup(card.vote.id, card.vote.status == VoteStatus.CLOSED))


async def _close(query: CallbackQuery, vote_id: int, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, state: FSMContext) -> None:
    vote = await service.close_vote(session, actor=actor, vote_id=vote_id, now=clock.now())
    card = await service.vote_card(session, actor=actor, vote_id=vote.id)
    await query.answer()
    await show(query, bot, service.card_text(card))


_ACTIONS = {"menu": _open_menu, "new": _new_vote, "card": _show_card, "close": _close}


async def action(query: CallbackQuery, callback_data: VoteAction, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot,
                 state: FSMContext) -> None:
    step = _ACTIONS.get(callback_data.action)
    if step is None:
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    await step(query, callback_data.id, session, actor, clock, bot, state)


async def meeting_chosen(query: CallbackQuery, callback_data: MeetingChoice, state: FSMContext, bot: Bot) -> None:
    data = await state.get_data()
    if "cell_id" not in data:
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    await state.update_data(meeting_id=callback_data.meeting_id or None)
    await state.set_state(NewVote.question)
    await query.answer()
    await show(query, bot, T.ASK_QUESTION)


async def question_typed(message: Message, state: FSMContext) -> None:
    question = " ".join((message.text or "").split())
    if not question:
        await message.answer(T.QUESTION_EMPTY)
        return
    if len(question) > service.MAX_QUESTION_CHARS:
        await message.answer(T.QUESTION_TOO_LONG.format(length=len(question), limit=service.MAX_QUESTION_CHARS))
        return
    await state.update_data(question=question)
    await state.set_state(None)
    await message.answer(T.ASK_KIND, reply_markup=kb.inline([
        (Button(T.BTN_KIND_OPEN, KindChoice(kind="open").pack()),),
        (Button(T.BTN_KIND_SECRET, KindChoice(kind="secret").pack()),),
        (Button(T.BTN_KIND_HAND, KindChoice(kind="hand").pack()),),
    ]))


async def kind_chosen(query: CallbackQuery, callback_data: KindChoice, state: FSMContext, session: AsyncSession, actor: Actor,
                      clock: Clock, bot: Bot) -> None:
    data = await state.get_data()
    if "question" not in data or callback_data.kind not in ("open", "secret", "hand"):
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    await state.update_data(kind=callback_data.kind)
    if callback_data.kind == "hand":
        opened = await service.open_vote(session, actor=actor, cell_id=data["cell_id"], question=data["question"], now=clock.now(),
                                         meeting_id=data.get("meeting_id"), kind=BallotKind.HAND)
        await state.clear()
        await state.set_state(NewVote.counts)
        await state.update_data(vote_id=opened.vote.id)
        await query.answer()
        await show(query, bot, T.ASK_HAND_COUNTS)
        return
    rows = [(Button(label, CloseChoice(minutes=int(minutes)).pack()),) for minutes, label in T.CLOSE_CHOICES.items()]
    await query.answer()
    await show(query, bot, T.ASK_CLOSE, kb.inline(rows))


async def close_chosen(query: CallbackQuery, callback_data: CloseChoice, state: FSMContext, session: AsyncSession, actor: Actor,
                       clock: Clock, bot: Bot) -> None:
    data = await state.get_data()
    if "question" not in data or data.get("kind") not in ("open", "secret") or str(callback_data.minutes) not in T.CLOSE_CHOICES:
        await query.answer(texts.common.STALE_BUTTON, show_alert=True)
        return
    now = clock.now()
    closes_at = now + dt.timedelta(minutes=callback_data.minutes) if callback_data.minutes else None
    opened = await service.open_vote(session, actor=actor, cell_id=data["cell_id"], question=data["question"], now=now,
                                     meeting_id=data.get("meeting_id"), kind=BallotKind(data["kind"]), closes_at=closes_at)
    await state.clear()
    await query.answer()
    await show(query, bot, T.OPENED.format(question=render.escape(opened.vote.question), sent=opened.sent))
    card = await service.vote_card(session, actor=actor, vote_id=opened.vote.id)
    await bot.send_message(query.from_user.id, service.card_text(card), reply_markup=_card_markup(opened.vote.id, False))


async def counts_typed(message: Message, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    data = await state.get_data()
    parts = (message.text or "").replace(",", " ").split()
    if not parts or not all(p.isdigit() for p in parts):
        await message.answer(T.HAND_COUNTS_INVALID.format(count=len(T.DEFAULT_OPTIONS)))
        return
    try:
        vote = await service.record_hand_counts(session, actor=actor, vote_id=data["vote_id"], counts=[int(p) for p in parts], now=clock.now())
    except InvalidInput as refusal:
        await message.answer(refusal.message)  # stay in the state: the secretary types again
        return
    await state.clear()
    card = await service.vote_card(session, actor=actor, vote_id=vote.id)
    await message.answer(service.card_text(card))


def build() -> Router:
    router = Router(name="votes")
    router.message.filter(Linked())
    router.callback_query.filter(Linked())
    router.message.register(menu, or_f(F.text == T.BTN_VOTES, Command("bieuquyet")))
    router.message.register(question_typed, NewVote.question, F.text)
    router.message.register(counts_typed, NewVote.counts, F.text)
    router.callback_query.register(ballot, BallotButton.filter())
    router.callback_query.register(action, VoteAction.filter())
    router.callback_query.register(meeting_chosen, MeetingChoice.filter())
    router.callback_query.register(kind_chosen, KindChoice.filter())
    router.callback_query.register(close_chosen, CloseChoice.filter())
    return router
