"""Study campaigns (organisers): opening one (organisation, deadline, quiz questions), its results, closing it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot.flow import flow_data
from bot.routers.resolutions.common import (
    CampaignFlow,
    CampCorrect,
    CampOrg,
    CampStep,
    CampView,
    R,
    btn,
)
from bot.screens import plain, show
from core import texts
from core.clock import Clock
from core.errors import InvalidInput, PermissionDenied
from core.orgs.models import Org
from core.orgs.service import Actor
from core.render import pack
from core.resolutions import render, service, study


async def campaign_list(query: CallbackQuery, session: AsyncSession, actor: Actor, bot: Bot, *, document_id: int | None = None) -> None:
    found = await study.campaigns_for(session, actor=actor, limit=20)
    if document_id is not None:
        found = [item for item in found if item[1].id == document_id]
    if not found:
        await bot.send_message(query.from_user.id, R.CAMPAIGNS_EMPTY)
        return
    if document_id is not None and len(found) == 1:
        await _results(query.from_user.id, session, actor, bot, found[0][0].id)
        return
    rows = []
    for campaign, document, org in found[:10]:
        status = "🟢" if campaign.closed_at is None else "🏁"
        label = R.CAMPAIGN_ITEM.format(status=status, title=render.short_name(document), org=org.name)
        rows.append((btn(label[:60], CampView(action="res", campaign_id=campaign.id)),))
    await bot.send_message(query.from_user.id, R.CAMPAIGNS_TITLE, reply_markup=kb.inline(rows))


def _score(value: float | None) -> str:
    return R.NO_SCORE if value is None else R.SCORE_FORMAT.format(score=f"{value:.1f}".replace(".", ","))


def _rate(part: int, whole: int) -> str:
    return "—" if not whole else f"{round(100 * part / whole)}%"


def _results_lines(results: study.CampaignResults) -> list[str]:
    campaign, totals = results.campaign, results.totals
    lines = [
        R.RESULTS_TITLE.format(
            title=render.escape(render.short_name(results.document)), org=render.escape(results.org.name),
            deadline=study.format_deadline(campaign), closed=R.RESULTS_CLOSED if campaign.closed_at else "",
        )
        + R.RESULTS_BODY.format(
            studied=totals.studied, total=totals.total, rate=_rate(totals.studied, totals.total), quiz_done=totals.quiz_done,
            score=_score(totals.score(campaign.question_count)),
        ),
    ]
    if len(results.cells) > 1:
        lines.append("")
        lines += [
            R.RESULTS_CELL_LINE.format(name=render.escape(org.name), studied=line.studied, total=line.total, score=_score(line.score(campaign.question_count)))
            for org, line in results.cells
        ]
    return lines


async def _results(chat_id: int, session: AsyncSession, actor: Actor, bot: Bot, campaign_id: int) -> None:
    results = await study.campaign_results(session, actor=actor, campaign_id=campaign_id)
    campaign = results.campaign
    rows = [(btn(R.BTN_RESULTS_MEMBERS, CampView(action="members", campaign_id=campaign.id)),)]
    campaign_org = await session.get(Org, campaign.org_id)
    if campaign.closed_at is None and campaign_org is not None and actor.manages(campaign_org):
        rows.append((btn(R.BTN_CLOSE_CAMPAIGN, CampView(action="close", campaign_id=campaign.id)),))
    parts = pack(_results_lines(results))
    for index, part in enumerate(parts):
        await bot.send_message(chat_id, part, reply_markup=kb.inline(rows) if index == len(parts) - 1 else None)


async def show_results(query: CallbackQuery, callback_data: CampView, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    await _results(query.from_user.id, session, actor, bot, callback_data.campaign_id)
    await query.answer()  # after the checks: a refusal must be the query's one answer


async def member_results(query: CallbackQuery, callback_data: CampView, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    members = await study.member_results(session, actor=actor, campaign_id=callback_data.campaign_id)
    await query.answer()
    campaign = await session.get(study.StudyCampaign, callback_data.campaign_id)
    questions = campaign.question_count if campaign else 0
    lines = []
    for m in members:
        done = study.is_done(m.studied_at, m.quiz_completed_at, questions)
        score = R.RESULTS_MEMBER_SCORE.format(correct=m.quiz_correct, total=questions) if m.quiz_completed_at else ""
        lines.append(R.RESULTS_MEMBER_LINE.format(mark="✅" if done else ("📖" if m.studied_at else "⬜"), name=render.escape(m.name), score=score))
    for part in pack(lines or [R.CAMPAIGNS_EMPTY]):
        await bot.send_message(query.from_user.id, part)


async def close_campaign(query: CallbackQuery, callback_data: CampView, session: AsyncSession, actor: Actor, clock: Clock) -> None:
    await study.close_campaign(session, actor=actor, campaign_id=callback_data.campaign_id, now=clock.now())
    await query.answer(R.CAMPAIGN_CLOSED_DONE, show_alert=True)


async def start_campaign(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot, document_id: int) -> None:
    orgs = await study.campaign_orgs(session, actor=actor, document_id=document_id)
    if not orgs:
        raise PermissionDenied(texts.common.FORBIDDEN)
    await state.clear()
    await state.set_data({"started_at": clock.now().isoformat(), "document_id": document_id, "questions": []})
    if len(orgs) == 1:
        await _ask_deadline(query.from_user.id, state, bot, orgs[0])
        return
    document = await service.readable(session, actor=actor, document_id=document_id)
    await state.set_state(CampaignFlow.org)
    rows = [(btn(org.name, CampOrg(document_id=document_id, org_id=org.id)),) for org in orgs]
    rows.append((btn(R.BTN_CANCEL, CampStep(action="cancel")),))
    await bot.send_message(query.from_user.id, R.CAMPAIGN_OPEN_ORG.format(title=render.escape(render.short_name(document))), reply_markup=kb.inline(rows))


async def _ask_deadline(chat_id: int, state: FSMContext, bot: Bot, org: Org) -> None:
    await state.update_data(org_id=org.id, org_name=org.name)
    await state.set_state(CampaignFlow.deadline)
    markup = kb.inline(
        [
            (btn(R.BTN_DEADLINE_WEEK, CampStep(action="w1")), btn(R.BTN_DEADLINE_2WEEKS, CampStep(action="w2"))),
            (btn(R.BTN_DEADLINE_MONTH, CampStep(action="m1")), btn(R.BTN_CANCEL, CampStep(action="cancel"))),
        ]
    )
    await bot.send_message(chat_id, R.CAMPAIGN_DEADLINE, reply_markup=markup)


async def choose_campaign_org(query: CallbackQuery, callback_data: CampOrg, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    data = await flow_data(state, clock.now())
    if data is None or data.get("document_id") != callback_data.document_id:
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        return
    orgs = {o.id: o for o in await study.campaign_orgs(session, actor=actor, document_id=callback_data.document_id)}
    org = orgs.get(callback_data.org_id)
    if org is None:
        raise PermissionDenied(texts.common.FORBIDDEN)
    await query.answer()
    await _ask_deadline(query.from_user.id, state, bot, org)


async def _ask_question(chat_id: int, state: FSMContext, bot: Bot) -> None:
    data = await state.get_data()
    await state.set_state(CampaignFlow.question)
    count = len(data.get("questions") or [])
    buttons = [btn(R.BTN_QUESTIONS_DONE if count else R.BTN_NO_QUIZ, CampStep(action="done" if count else "noquiz")), btn(R.BTN_CANCEL, CampStep(action="cancel"))]
    await bot.send_message(chat_id, R.CAMPAIGN_QUESTION.format(count=count, limit=study.MAX_QUESTIONS), reply_markup=kb.inline([tuple(buttons)]))


async def _review_campaign(chat_id: int, state: FSMContext, session: AsyncSession, actor: Actor, bot: Bot) -> None:
    data = await state.get_data()
    document = await service.readable(session, actor=actor, document_id=int(data["document_id"]))
    org = await session.get(Org, int(data["org_id"]))
    assert org is not None
    count = len(data.get("questions") or [])
    text = R.CAMPAIGN_REVIEW.format(
        title=render.escape(render.short_name(document)), org=render.escape(org.name), members=await study.obliged_count(session, org),
        deadline=dt.date.fromisoformat(data["deadline"]).strftime("%d/%m/%Y"),
        questions=R.QUESTION_COUNT.format(count=count) if count else R.NO_QUESTIONS,
    )
    await state.set_state(CampaignFlow.review)
    markup = kb.inline([(btn(R.BTN_OPEN_NOW, CampStep(action="open")), btn(R.BTN_CANCEL, CampStep(action="cancel")))])
    await bot.send_message(chat_id, text, reply_markup=markup)


async def _flow_or_expired(query: CallbackQuery, state: FSMContext, clock: Clock) -> dict[str, Any] | None:
    data = await flow_data(state, clock.now())
    if data is None:
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
    return data


async def cancel_campaign(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await show(query, bot, texts.common.CANCELLED)
    await query.answer()


async def choose_deadline(query: CallbackQuery, callback_data: CampStep, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if await _flow_or_expired(query, state, clock) is None:
        return
    days = {"w1": 7, "w2": 14, "m1": 30}[callback_data.action]
    await state.update_data(deadline=(study.local_day(clock.now()) + dt.timedelta(days=days)).isoformat())
    await query.answer()
    await _ask_question(query.from_user.id, state, bot)


async def questions_done(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    if await _flow_or_expired(query, state, clock) is not None:
        await query.answer()
        await _review_campaign(query.from_user.id, state, session, actor, bot)


async def open_now(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot) -> None:
    data = await _flow_or_expired(query, state, clock)
    if data is None:
        return
    questions = [study.QuestionInput(text=q["text"], options=q["options"], correct=q["correct"]) for q in data.get("questions") or []]
    opened = await study.open_campaign(
        session, actor=actor, document_id=int(data["document_id"]), org_id=int(data["org_id"]),
        deadline_day=dt.date.fromisoformat(data["deadline"]), questions=questions, now=clock.now(),
    )
    await state.clear()
    await show(query, bot, R.CAMPAIGN_OPENED.format(members=opened.members, org=render.escape(opened.org.name),
                                                     deadline=study.format_deadline(opened.campaign)),
                kb.inline([(btn(R.BTN_CAMPAIGN_RESULTS, CampView(action="res", campaign_id=opened.campaign.id)),)]))
    await query.answer()


async def stale_step(query: CallbackQuery, state: FSMContext, clock: Clock) -> None:
    """A step's button pressed at another step: «expired» if the flow is gone, else not ours."""
    if await _flow_or_expired(query, state, clock) is not None:
        raise SkipHandler()


async def choose_correct(
    query: CallbackQuery, callback_data: CampCorrect, state: FSMContext, session: AsyncSession, actor: Actor, clock: Clock, bot: Bot
) -> None:
    data = await flow_data(state, clock.now())
    pending = (data or {}).get("pending")
    if data is None or not pending:
        await query.answer(plain(R.FLOW_EXPIRED), show_alert=True)
        return
    if not 0 <= callback_data.option < len(pending["options"]):
        raise SkipHandler()
    questions = list(data.get("questions") or [])
    questions.append({"text": pending["text"], "options": pending["options"], "correct": callback_data.option})
    await state.update_data(questions=questions, pending=None)
    await query.answer()
    if len(questions) >= study.MAX_QUESTIONS:  # the limit reached: straight to the review
        await _review_campaign(query.from_user.id, state, session, actor, bot)
        return
    await _ask_question(query.from_user.id, state, bot)


async def _typed(message: Message, state: FSMContext, clock: Clock) -> tuple[dict[str, Any], str] | None:
    """The flow's data and the text typed, or None with the reason said."""
    data = await flow_data(state, clock.now())
    if data is None:
        await message.answer(R.FLOW_EXPIRED)
        return None
    if not message.text:
        await message.answer(R.TYPE_OR_PRESS)
        return None
    return data, message.text


async def typed_deadline(message: Message, state: FSMContext, clock: Clock, bot: Bot) -> None:
    if (typed := await _typed(message, state, clock)) is not None:
        day = parse_future_day(typed[1], today=study.local_day(clock.now()))
        await state.update_data(deadline=day.isoformat())
        await _ask_question(message.chat.id, state, bot)


async def typed_question(message: Message, state: FSMContext, clock: Clock) -> None:
    if (typed := await _typed(message, state, clock)) is None:
        return
    data, text = typed
    if len(data.get("questions") or []) >= study.MAX_QUESTIONS:
        raise InvalidInput(R.TOO_MANY_QUESTIONS.format(limit=study.MAX_QUESTIONS))
    question, options = study.parse_question(text)
    await state.update_data(pending={"text": question, "options": options})
    await state.set_state(CampaignFlow.correct)
    letters = "ABCDEFGHIJ"
    buttons = [btn(f"{letters[i]}. {option}"[:60], CampCorrect(option=i)) for i, option in enumerate(options)]
    listing = "\n".join(f"{letters[i]}. {render.escape(o)}" for i, o in enumerate(options))
    await message.answer(R.CAMPAIGN_CORRECT.format(question=f"<b>{render.escape(question)}</b>\n{listing}"),
                         reply_markup=kb.inline([(b,) for b in buttons]))


async def typed_elsewhere(message: Message, state: FSMContext, clock: Clock) -> None:
    """Text where a button is expected."""
    if await _typed(message, state, clock) is not None:
        await message.answer(R.TYPE_OR_PRESS)


def parse_future_day(text: str, *, today: dt.date) -> dt.date:
    """A deadline typed as "15/12/2026" or "15/12" (this year, or next year if already past)."""
    value = text.strip()
    short = re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})", value)
    if short:
        try:
            day = dt.date(today.year, int(short.group(2)), int(short.group(1)))
            return day if day > today else dt.date(today.year + 1, day.month, day.day)
        except ValueError as exc:
            raise InvalidInput(R.DATE_INVALID) from exc
    return service.parse_day(value, today=today, allow_future=True)


def build() -> Router:
    router = Router(name="resolutions.campaigns")
    router.message.register(typed_deadline, StateFilter(CampaignFlow.deadline))
    router.message.register(typed_question, StateFilter(CampaignFlow.question))
    router.message.register(typed_elsewhere, StateFilter(*CampaignFlow.__all_states__))
    router.callback_query.register(choose_campaign_org, CampOrg.filter(), StateFilter(CampaignFlow.org))
    router.callback_query.register(cancel_campaign, CampStep.filter(F.action == "cancel"))
    router.callback_query.register(choose_deadline, CampStep.filter(F.action.in_({"w1", "w2", "m1"})), StateFilter(CampaignFlow.deadline))
    router.callback_query.register(questions_done, CampStep.filter(F.action.in_({"noquiz", "done"})), StateFilter(CampaignFlow.question))
    router.callback_query.register(open_now, CampStep.filter(F.action == "open"), StateFilter(CampaignFlow.review))
    router.callback_query.register(stale_step, CampStep.filter())
    router.callback_query.register(choose_correct, CampCorrect.filter(), StateFilter(CampaignFlow.correct))
    router.callback_query.register(show_results, CampView.filter(F.action == "res"))
    router.callback_query.register(member_results, CampView.filter(F.action == "members"))
    router.callback_query.register(close_campaign, CampView.filter(F.action == "close"))
    return router
