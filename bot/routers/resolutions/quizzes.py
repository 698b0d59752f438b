"""Quizzes as Telegram quiz polls: sending the questions, counting the answers."""

from __future__ import annotations

import datetime as dt
import html
import logging

from aiogram import Bot, Router
from aiogram.types import PollAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.routers.resolutions.common import (
    R,
)
from core.clock import Clock
from core.orgs.models import Member
from core.orgs.service import Actor
from core.resolutions import study

log = logging.getLogger(__name__)


async def send_quiz(bot: Bot, chat_id: int, session: AsyncSession, actor: Actor, quiz: study.QuizState, now: dt.datetime) -> None:
    await bot.send_message(chat_id, R.QUIZ_INTRO.format(title=html.escape(quiz.document.title), count=len(quiz.pending)))
    for question in quiz.pending:
        sent = await bot.send_poll(
            chat_id, question=question.text, options=list(question.options), type="quiz",
            correct_option_id=question.correct_option, is_anonymous=False,
            # Shown to whoever picks a wrong option.
            explanation=R.QUIZ_EXPLANATION.format(answer=html.escape(question.options[question.correct_option])),
        )
        if sent.poll is None:
            log.warning("quiz poll for question %s came back without a poll", question.id)
            continue
        await study.record_poll(
            session, poll_id=sent.poll.id, question_id=question.id, member_id=actor.member.id, chat_id=str(chat_id),
            message_id=sent.message_id, now=now,
        )


async def poll_answer(poll: PollAnswer, session: AsyncSession, member: Member | None, clock: Clock, bot: Bot) -> None:
    """A member chose an option in a quiz poll: count it once; on the last question, say the score."""
    outcome = await study.answer_poll(session, poll_id=poll.poll_id, member=member, option_ids=poll.option_ids, now=clock.now())
    if outcome is None or poll.user is None:
        return
    if outcome.finished:
        score = f"{10 * outcome.correct / outcome.total:.1f}".replace(".", ",") if outcome.total else "—"
        await bot.send_message(poll.user.id, R.QUIZ_FINISHED.format(correct=outcome.correct, total=outcome.total, score=score))
    elif not outcome.counted and outcome.answered < outcome.total:
        await bot.send_message(poll.user.id, R.QUIZ_ANSWER_LATE)


def build() -> Router:
    router = Router(name="resolutions.quizzes")
    router.poll_answer.register(poll_answer)
    return router
