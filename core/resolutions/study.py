"""Study campaigns (học tập nghị quyết): a committee or a cell asks its members to study a
document by a deadline, with an optional multiple-choice quiz; members confirm and answer;
organisers follow the results; the undecided are reminded before the deadline.

- Opening a campaign writes one `StudyAssignment` per obliged member of the organisation's
  subtree (active, not exempt) in one INSERT … SELECT, and tells them through the outbox.
- «✅ Tôi đã nghiên cứu» (core.resolutions.service.confirm_studied) completes the study part.
- Quiz answers arrive from Telegram quiz polls (`QuizPoll` maps poll id → question and member)
  or from the API; each question counts once per member (the first answer), and the
  assignment's counters are updated in SQL so two answers at once cannot lose one.
- Reminders: by each cell's reminder settings (core.scheduling: by default "d3" and "d1", three
  days and one day before the deadline at 19:00, never in quiet hours), to members not done;
  after downtime only the latest due one; none planned before the campaign opened; each
  (campaign, member, kind) at most once (`StudyReminder` unique key, and the outbox key). The
  scheduler calls `enqueue_study_reminders` on every tick (core/resolutions/scheduled.py).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import counted as changes_noted
from core import texts
from core.clock import local_tz
from core.db import UTCDateTime, insert_for
from core.delivery.outbox import enqueue_many
from core.errors import Conflict, InvalidInput, NotFound
from core.orgs.models import Member, Org
from core.orgs.service import Actor, in_subtree, managed_org, obliged_members
from core.ports import Button, OutboundMessage
from core.resolutions import render
from core.scheduling import study as scheduling_study
from core.scheduling.settings import ReminderSettings, chains_of, effective
from core.resolutions.models import (
    Document,
    DocumentStudy,
    QuizAnswer,
    QuizPoll,
    QuizQuestion,
    StudyAssignment,
    StudyCampaign,
    StudyReminder,
)

KIND = "study"  # outbox kind: campaign notices
REMINDER_KIND = "study_reminder"
MAX_QUESTIONS = 10
MAX_OPTIONS = 10
MAX_QUESTION_CHARS = 300
MAX_OPTION_CHARS = 100
MAX_DEADLINE = dt.timedelta(days=366)
# Campaigns whose deadline is this close are looked at for reminders (the longest lead a cell may set).
REMINDER_HORIZON_DAYS = 15
REMINDER_BATCH = 5000


@dataclass(frozen=True)
class QuestionInput:
    text: str
    options: list[str]
    correct: int  # index into options


@dataclass(frozen=True)
class Opened:
    campaign: StudyCampaign
    org: Org
    document: Document
    members: int
    queued: int


@dataclass(frozen=True)
class QuizState:
    campaign: StudyCampaign
    document: Document
    pending: list[QuizQuestion]  # not answered yet, in order
    answered: int
    correct: int
    total: int


@dataclass(frozen=True)
class AnswerOutcome:
    campaign_id: int
    answered: int
    correct: int
    total: int
    counted: bool  # False: this question was answered before, or the campaign had ended
    finished: bool  # this answer completed the quiz
    right: bool = False  # this answer was the right option (when counted)


@dataclass
class ResultLine:
    studied: int = 0
    total: int = 0
    quiz_done: int = 0
    quiz_correct: int = 0  # over completed quizzes

    def score(self, questions: int) -> float | None:
        """Average score out of 10 over members who finished the quiz."""
        if not questions or not self.quiz_done:
            return None
        return 10 * self.quiz_correct / (questions * self.quiz_done)


@dataclass(frozen=True)
class MemberResult:
    member_id: int
    name: str
    cell_name: str
    studied_at: dt.datetime | None
    quiz_answered: int
    quiz_correct: int
    quiz_completed_at: dt.datetime | None


@dataclass
class CampaignResults:
    campaign: StudyCampaign
    document: Document
    org: Org  # the scope shown (the campaign's organisation, or the part of it the viewer manages)
    totals: ResultLine
    cells: list[tuple[Org, ResultLine]] = field(default_factory=list)


@dataclass(frozen=True)
class DueReminder:
    campaign_id: int
    member_id: int
    kind: str
    needs_study: bool


# ---------------------------------------------------------------- helpers


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), local_tz()).astimezone(dt.timezone.utc)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(local_tz()).date()


def format_deadline(campaign: StudyCampaign) -> str:
    return local_day(campaign.deadline).strftime("%d/%m/%Y")


def is_open(campaign: StudyCampaign, now: dt.datetime) -> bool:
    return campaign.closed_at is None and now <= campaign.deadline


def clean_questions(questions: Sequence[QuestionInput]) -> list[QuestionInput]:
    if len(questions) > MAX_QUESTIONS:
        raise InvalidInput(texts.resolutions.TOO_MANY_QUESTIONS.format(limit=MAX_QUESTIONS))
    cleaned = []
    for question in questions:
        text = " ".join(question.text.split())
        options = [" ".join(option.split()) for option in question.options]
        options = [option for option in options if option]
        if not text:
            raise InvalidInput(texts.resolutions.QUESTION_NEEDS_OPTIONS.format(limit=MAX_OPTIONS))
        if len(text) > MAX_QUESTION_CHARS:
            raise InvalidInput(texts.resolutions.QUESTION_TOO_LONG.format(limit=MAX_QUESTION_CHARS))
        if not 2 <= len(options) <= MAX_OPTIONS:
            raise InvalidInput(texts.resolutions.QUESTION_NEEDS_OPTIONS.format(limit=MAX_OPTIONS))
        if any(len(option) > MAX_OPTION_CHARS for option in options):
            raise InvalidInput(texts.resolutions.OPTION_TOO_LONG.format(limit=MAX_OPTION_CHARS))
        if len({option.casefold() for option in options}) != len(options):
            raise InvalidInput(texts.resolutions.OPTIONS_DUPLICATE)
        if not 0 <= question.correct < len(options):
            raise InvalidInput(texts.resolutions.BAD_CORRECT_OPTION)
        cleaned.append(QuestionInput(text=text, options=options, correct=question.correct))
    return cleaned


def parse_question(message: str) -> tuple[str, list[str]]:
    """A secretary's message: the question on the first line, one option a line below it.
    Leading "A.", "b)", "-", "1." markers are dropped."""

    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if len(lines) < 3:
        raise InvalidInput(texts.resolutions.QUESTION_NEEDS_OPTIONS.format(limit=MAX_OPTIONS))
    question = lines[0]
    options = [re.sub(r"^([A-Ja-j]|\d{1,2})[.):]\s+|^[-–•*+]\s*", "", line).strip() for line in lines[1:]]
    checked = clean_questions([QuestionInput(text=question, options=options, correct=0)])[0]
    return checked.text, checked.options


def parse_quiz(text: str) -> list[QuestionInput]:
    """A whole quiz typed at a desk: questions separated by a blank line, each written as
    `parse_question` reads one, the right option marked with a leading "*"."""
    blocks = [block for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if block.strip()]
    if len(blocks) > MAX_QUESTIONS:
        raise InvalidInput(texts.resolutions.TOO_MANY_QUESTIONS.format(limit=MAX_QUESTIONS))
    questions = []
    for block in blocks:
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        marked = [index for index, line in enumerate(lines[1:]) if line.startswith("*")]
        if len(marked) != 1:
            raise InvalidInput(texts.resolutions.QUIZ_MARK_ONE_CORRECT.format(question=lines[0][:80]))
        unmarked = [lines[0], *(line.lstrip("*").strip() for line in lines[1:])]
        question, options = parse_question("\n".join(unmarked))
        questions.append(QuestionInput(text=question, options=options, correct=marked[0]))
    return questions


# ---------------------------------------------------------------- opening


async def campaign_orgs(session: AsyncSession, *, actor: Actor, document_id: int) -> list[Org]:
    """Where this person may open a campaign for this document: what they manage that the document reaches."""
    from core.resolutions.service import readable

    document = await readable(session, actor=actor, document_id=document_id)
    doc_org = await session.get(Org, document.org_id)
    assert doc_org is not None
    found: dict[int, Org] = {}
    for root in sorted(actor.managed_orgs, key=lambda o: (o.depth, o.name)):
        if root.path.startswith(doc_org.path):
            found.setdefault(root.id, root)
        elif doc_org.path.startswith(root.path):
            found.setdefault(doc_org.id, doc_org)
    return list(found.values())


async def obliged_count(session: AsyncSession, org: Org) -> int:
    query = select(func.count(Member.id)).join(Org, Org.id == Member.org_id).where(in_subtree(org.path), obliged_members())
    return int(await session.scalar(query) or 0)


async def open_campaign(
    session: AsyncSession,
    *,
    actor: Actor,
    document_id: int,
    org_id: int,
    deadline_day: dt.date,
    questions: Sequence[QuestionInput] = (),
    now: dt.datetime,
) -> Opened:
    from core.resolutions.service import readable

    document = await readable(session, actor=actor, document_id=document_id)
    org = await managed_org(session, actor, org_id)
    doc_org = await session.get(Org, document.org_id)
    assert doc_org is not None
    if not org.path.startswith(doc_org.path):
        raise InvalidInput(texts.resolutions.DOCUMENT_NOT_REACHING.format(org=html.escape(org.name)))
    today = local_day(now)
    if deadline_day <= today:
        raise InvalidInput(texts.resolutions.CAMPAIGN_DEADLINE_PAST)
    if end_of_day(deadline_day) - now > MAX_DEADLINE:
        raise InvalidInput(texts.resolutions.CAMPAIGN_DEADLINE_FAR)
    checked = clean_questions(questions)
    exists_already = await session.scalar(
        select(StudyCampaign.id).where(StudyCampaign.document_id == document.id, StudyCampaign.org_id == org.id)
    )
    if exists_already is not None:
        raise Conflict(texts.resolutions.CAMPAIGN_EXISTS.format(org=html.escape(org.name)))
    campaign = StudyCampaign(
        document_id=document.id, org_id=org.id, deadline=end_of_day(deadline_day), opened_by_id=actor.member.id,
        opened_at=now, question_count=len(checked),
    )
    try:
        async with session.begin_nested():
            session.add(campaign)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(texts.resolutions.CAMPAIGN_EXISTS.format(org=html.escape(org.name))) from exc
    for position, question in enumerate(checked):
        session.add(QuizQuestion(campaign_id=campaign.id, position=position, text=question.text, options=question.options, correct_option=question.correct))
    studied = (
        select(DocumentStudy.studied_at)
        .where(DocumentStudy.document_id == document.id, DocumentStudy.member_id == Member.id)
        .scalar_subquery()
    )
    members = (
        select(
            literal(campaign.id).label("campaign_id"), Member.id, Member.org_id, literal(now, UTCDateTime).label("assigned_at"), studied,
            literal(0), literal(0),
        )
        .join(Org, Org.id == Member.org_id)
        .where(in_subtree(org.path), obliged_members())
    )
    columns = ["campaign_id", "member_id", "cell_id", "assigned_at", "studied_at", "quiz_answered", "quiz_correct"]
    await session.execute(insert(StudyAssignment).from_select(columns, members))
    changes_noted.changed(session, source="study", campaign_ids=[campaign.id])  # a bulk insert: no ORM flush notes it
    assigned = int(await session.scalar(select(func.count(StudyAssignment.id)).where(StudyAssignment.campaign_id == campaign.id)) or 0)
    member_ids = list((await session.execute(select(StudyAssignment.member_id).where(StudyAssignment.campaign_id == campaign.id))).scalars())
    message = OutboundMessage(text=_notice_text(document, org, campaign), buttons=_notice_buttons(document, campaign))
    result = await enqueue_many(session, member_ids=member_ids, kind=KIND, source=f"campaign:{campaign.id}", message=message, key_suffix="open", not_before=now)
    await session.flush()
    return Opened(campaign=campaign, org=org, document=document, members=assigned, queued=result.queued)


def _notice_text(document: Document, org: Org, campaign: StudyCampaign) -> str:
    quiz = texts.resolutions.CAMPAIGN_NOTICE_QUIZ.format(count=campaign.question_count) if campaign.question_count else ""
    return texts.resolutions.CAMPAIGN_NOTICE.format(
        org=html.escape(org.name), kind=render.kind_word(document), code=render.code_part(document),
        title=html.escape(document.title), deadline=format_deadline(campaign), quiz=quiz,
    )


def _notice_buttons(document: Document, campaign: StudyCampaign) -> tuple[tuple[Button, ...], ...]:
    r = texts.resolutions
    rows: list[tuple[Button, ...]] = [
        (Button(r.BTN_READ, render.doc_data("open", document.id)), Button(r.BTN_LISTEN, render.doc_data("listen", document.id))),
        (Button(r.BTN_STUDIED, render.doc_data("study", document.id)),),
    ]
    if campaign.question_count:
        rows.append((Button(r.BTN_QUIZ, render.doc_data("quiz", document.id)),))
    return tuple(rows)


async def close_campaign(session: AsyncSession, *, actor: Actor, campaign_id: int, now: dt.datetime) -> StudyCampaign:
    campaign = await session.get(StudyCampaign, campaign_id)
    org = await session.get(Org, campaign.org_id) if campaign else None
    if campaign is None or org is None or not actor.manages(org):
        raise NotFound(texts.common.NOT_FOUND)
    if campaign.closed_at is None:
        campaign.closed_at = now
        await session.flush()
    return campaign


# ---------------------------------------------------------------- a member's side


async def member_assignment(
    session: AsyncSession, *, member: Member, document_id: int
) -> tuple[StudyCampaign, StudyAssignment] | None:
    """The member's most recent campaign for this document (open or not)."""
    row = (
        await session.execute(
            select(StudyCampaign, StudyAssignment)
            .join(StudyAssignment, StudyAssignment.campaign_id == StudyCampaign.id)
            .where(StudyCampaign.document_id == document_id, StudyAssignment.member_id == member.id)
            .order_by(StudyCampaign.closed_at.is_not(None), StudyCampaign.deadline.desc())
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def quiz_for(session: AsyncSession, *, actor: Actor, document_id: int, now: dt.datetime) -> QuizState:
    """The member's quiz for this document: the questions still to answer."""
    from core.resolutions.service import readable

    document = await readable(session, actor=actor, document_id=document_id)
    found = await member_assignment(session, member=actor.member, document_id=document.id)
    if found is None:
        raise InvalidInput(texts.resolutions.NOT_IN_CAMPAIGN)
    campaign, assignment = found
    if not campaign.question_count:
        raise InvalidInput(texts.resolutions.NO_QUIZ)
    if assignment.quiz_completed_at is not None:
        raise InvalidInput(texts.resolutions.QUIZ_ALREADY_DONE.format(correct=assignment.quiz_correct, total=campaign.question_count))
    if not is_open(campaign, now):
        raise InvalidInput(texts.resolutions.CAMPAIGN_CLOSED)
    answered = select(QuizAnswer.question_id).where(QuizAnswer.member_id == actor.member.id)
    pending = list(
        (
            await session.execute(
                select(QuizQuestion)
                .where(QuizQuestion.campaign_id == campaign.id, QuizQuestion.id.not_in(answered))
                .order_by(QuizQuestion.position)
            )
        ).scalars()
    )
    return QuizState(
        campaign=campaign, document=document, pending=pending, answered=assignment.quiz_answered,
        correct=assignment.quiz_correct, total=campaign.question_count,
    )


async def record_poll(
    session: AsyncSession, *, poll_id: str, question_id: int, member_id: int, chat_id: str, message_id: int | None, now: dt.datetime
) -> None:
    session.add(QuizPoll(poll_id=poll_id, question_id=question_id, member_id=member_id, chat_id=chat_id, message_id=message_id, sent_at=now))
    await session.flush()


async def answer_poll(
    session: AsyncSession, *, poll_id: str, member: Member | None, option_ids: Sequence[int], now: dt.datetime
) -> AnswerOutcome | None:
    """A `poll_answer` update. None when the poll is unknown or was sent to someone else, or the
    answer was retracted (no options)."""
    poll = (await session.execute(select(QuizPoll).where(QuizPoll.poll_id == poll_id))).scalar_one_or_none()
    if poll is None or member is None or poll.member_id != member.id or not option_ids:
        return None
    return await answer(session, member=member, question_id=poll.question_id, option=int(option_ids[0]), now=now, strict=False)


async def answer(
    session: AsyncSession, *, member: Member, question_id: int, option: int, now: dt.datetime, strict: bool = True
) -> AnswerOutcome:
    """Record one answer. `strict` (the API) refuses a late or repeated answer; a poll (not strict)
    reports it as not counted instead — Telegram has already shown the member the right answer."""
    question = await session.get(QuizQuestion, question_id)
    campaign = await session.get(StudyCampaign, question.campaign_id) if question else None
    assignment = None
    if campaign is not None:
        assignment = (
            await session.execute(
                select(StudyAssignment).where(StudyAssignment.campaign_id == campaign.id, StudyAssignment.member_id == member.id)
            )
        ).scalar_one_or_none()
    if question is None or campaign is None or assignment is None:
        raise NotFound(texts.common.NOT_FOUND)
    if not 0 <= option < len(question.options):
        raise InvalidInput(texts.resolutions.BAD_CORRECT_OPTION)

    def outcome(counted: bool, finished: bool = False, right: bool = False) -> AnswerOutcome:
        return AnswerOutcome(
            campaign_id=campaign.id, answered=assignment.quiz_answered, correct=assignment.quiz_correct,
            total=campaign.question_count, counted=counted, finished=finished, right=right,
        )

    if not is_open(campaign, now):
        if strict:
            raise InvalidInput(texts.resolutions.CAMPAIGN_CLOSED)
        return outcome(False)
    correct = option == question.correct_option
    try:
        async with session.begin_nested():
            session.add(QuizAnswer(question_id=question.id, member_id=member.id, option=option, correct=correct, answered_at=now))
            await session.flush()
    except IntegrityError:
        if strict:
            raise Conflict(texts.resolutions.QUIZ_ALREADY_DONE.format(correct=assignment.quiz_correct, total=campaign.question_count)) from None
        await session.refresh(assignment)
        return outcome(False)
    answered_after = StudyAssignment.quiz_answered + 1
    await session.execute(
        update(StudyAssignment)
        .where(StudyAssignment.id == assignment.id)
        .values(
            quiz_answered=answered_after,
            quiz_correct=StudyAssignment.quiz_correct + (1 if correct else 0),
            quiz_completed_at=case((answered_after >= campaign.question_count, now), else_=StudyAssignment.quiz_completed_at),
        )
        .execution_options(synchronize_session=False)
    )
    changes_noted.changed(session, source="study", org_ids=[assignment.cell_id])
    await session.refresh(assignment)
    finished = assignment.quiz_completed_at is not None and assignment.quiz_answered == campaign.question_count
    return outcome(True, finished, correct)


async def questions_of(session: AsyncSession, *, campaign_id: int) -> list[QuizQuestion]:
    return list((await session.execute(select(QuizQuestion).where(QuizQuestion.campaign_id == campaign_id).order_by(QuizQuestion.position))).scalars())


# ---------------------------------------------------------------- organisers' side


async def campaigns_for(
    session: AsyncSession, *, actor: Actor, limit: int = 10, within: Org | None = None
) -> list[tuple[StudyCampaign, Document, Org]]:
    """Campaigns this person follows: in what they manage, or above it (a province campaign a cell
    secretary carries out). Newest first. With `within` (an organisation they manage): only the
    campaigns that reach it, opened there, above it or in its subtree."""
    if within is not None and not actor.manages(within):
        raise NotFound(texts.common.NOT_FOUND)
    managed = [within] if within is not None else actor.managed_orgs
    if not managed:
        return []
    ancestors = {i for root in managed for i in root.ancestor_ids}
    condition = or_(StudyCampaign.org_id.in_(ancestors), Org.id.in_(select(Org.id).where(or_(*(in_subtree(r.path) for r in managed)))))
    rows = await session.execute(
        select(StudyCampaign, Document, Org)
        .join(Document, Document.id == StudyCampaign.document_id)
        .join(Org, Org.id == StudyCampaign.org_id)
        .where(condition)
        .order_by(StudyCampaign.opened_at.desc(), StudyCampaign.id.desc())
        .limit(limit)
    )
    return [(c, d, o) for c, d, o in rows]


async def _scope(session: AsyncSession, actor: Actor, campaign: StudyCampaign, org_id: int | None) -> Org:
    """The part of the campaign this person may see: the campaign's organisation if they manage it,
    else the organisation they manage inside it (or `org_id`, when they manage that)."""
    campaign_org = await session.get(Org, campaign.org_id)
    assert campaign_org is not None
    if org_id is not None:
        org = await session.get(Org, org_id)
        if org is None or not actor.manages(org) or not org.path.startswith(campaign_org.path):
            raise NotFound(texts.common.NOT_FOUND)
        return org
    if actor.manages(campaign_org):
        return campaign_org
    inside = [root for root in actor.managed_orgs if root.path.startswith(campaign_org.path)]
    if not inside:
        raise NotFound(texts.common.NOT_FOUND)
    return min(inside, key=lambda o: o.depth)


async def campaign_results(session: AsyncSession, *, actor: Actor, campaign_id: int, org_id: int | None = None) -> CampaignResults:
    campaign = await session.get(StudyCampaign, campaign_id)
    if campaign is None:
        raise NotFound(texts.common.NOT_FOUND)
    org = await _scope(session, actor, campaign, org_id)
    document = await session.get(Document, campaign.document_id)
    assert document is not None
    rows = await session.execute(
        select(
            StudyAssignment.cell_id,
            func.count(StudyAssignment.id),
            func.count(StudyAssignment.studied_at),
            func.count(StudyAssignment.quiz_completed_at),
            func.coalesce(func.sum(case((StudyAssignment.quiz_completed_at.is_not(None), StudyAssignment.quiz_correct), else_=0)), 0),
        )
        .join(Org, Org.id == StudyAssignment.cell_id)
        .where(StudyAssignment.campaign_id == campaign.id, in_subtree(org.path))
        .group_by(StudyAssignment.cell_id)
    )
    by_cell: dict[int, ResultLine] = {}
    totals = ResultLine()
    for cell_id, total, studied, quiz_done, quiz_correct in rows:
        line = ResultLine(studied=int(studied), total=int(total), quiz_done=int(quiz_done), quiz_correct=int(quiz_correct))
        by_cell[cell_id] = line
        totals.studied += line.studied
        totals.total += line.total
        totals.quiz_done += line.quiz_done
        totals.quiz_correct += line.quiz_correct
    cells: Sequence[Org] = (await session.execute(select(Org).where(Org.id.in_(list(by_cell))).order_by(Org.name))).scalars().all() if by_cell else []
    return CampaignResults(campaign=campaign, document=document, org=org, totals=totals, cells=[(c, by_cell[c.id]) for c in cells])


async def member_results(
    session: AsyncSession, *, actor: Actor, campaign_id: int, org_id: int | None = None, limit: int = 2000
) -> list[MemberResult]:
    campaign = await session.get(StudyCampaign, campaign_id)
    if campaign is None:
        raise NotFound(texts.common.NOT_FOUND)
    org = await _scope(session, actor, campaign, org_id)
    rows = await session.execute(
        select(
            Member.id, Member.full_name, Org.name, StudyAssignment.studied_at, StudyAssignment.quiz_answered,
            StudyAssignment.quiz_correct, StudyAssignment.quiz_completed_at,
        )
        .join(Member, Member.id == StudyAssignment.member_id)
        .join(Org, Org.id == StudyAssignment.cell_id)
        .where(StudyAssignment.campaign_id == campaign.id, in_subtree(org.path))
        .order_by(Org.name, Member.full_name, Member.id)
        .limit(limit)
    )
    return [MemberResult(*row) for row in rows]


def is_done(assignment_studied: dt.datetime | None, completed: dt.datetime | None, questions: int) -> bool:
    return assignment_studied is not None and (questions == 0 or completed is not None)


# ---------------------------------------------------------------- reminders


def _not_done() -> object:
    return or_(
        StudyAssignment.studied_at.is_(None),
        and_(StudyCampaign.question_count > 0, StudyAssignment.quiz_completed_at.is_(None)),
    )


def _due_kind(
    deadline: dt.datetime, opened_at: dt.datetime, *, now: dt.datetime, settings: ReminderSettings, tz: ZoneInfo
) -> str | None:
    """The reminder kind due now for a cell's members, by the scheduling rules (per-cell settings,
    quiet hours, the latest due one superseding earlier ones after downtime), among the moments
    that fall after the campaign was opened (no "three days left" right after opening it)."""
    if not settings.enabled or now >= deadline - scheduling_study.MIN_LEAD or settings.quiet.contains(now, tz):
        return None
    times = scheduling_study.study_reminder_times(deadline, settings=settings, tz=tz)
    passed = [(moment, kind) for kind, moment in times.items() if moment is not None and opened_at < moment <= now]
    return max(passed)[1] if passed else None


async def due_study_reminders(
    session: AsyncSession, *, now: dt.datetime, limit: int = REMINDER_BATCH, tz: ZoneInfo | None = None
) -> list[DueReminder]:
    """Reminders due now and not yet queued: members not done, each cell by its own reminder
    settings (core.scheduling.settings: days before, time of day, quiet hours, on/off)."""
    tz = tz or local_tz()
    horizon = now + dt.timedelta(days=max(REMINDER_HORIZON_DAYS, 1))
    campaigns = (
        await session.execute(
            select(StudyCampaign.id, StudyCampaign.opened_at, StudyCampaign.deadline).where(
                StudyCampaign.closed_at.is_(None), StudyCampaign.deadline > now, StudyCampaign.deadline <= horizon
            )
        )
    ).all()
    due: list[DueReminder] = []
    for campaign_id, opened_at, deadline in campaigns:
        cells = (
            await session.execute(
                select(Org.id, Org.path, Org.settings)
                .where(Org.id.in_(select(StudyAssignment.cell_id).where(StudyAssignment.campaign_id == campaign_id).distinct()))
            )
        ).all()
        # Each cell's settings over its committees' defaults: one more query for all of them.
        chains = await chains_of(session, cells)
        by_kind: dict[str, list[int]] = defaultdict(list)
        for cell_id, chain in chains.items():
            kind = _due_kind(deadline, opened_at, now=now, settings=effective([level for _, level in chain]), tz=tz)
            if kind is not None:
                by_kind[kind].append(cell_id)
        for kind, cell_ids in by_kind.items():
            reminded = select(StudyReminder.id).where(
                StudyReminder.campaign_id == StudyAssignment.campaign_id, StudyReminder.member_id == StudyAssignment.member_id,
                StudyReminder.kind == kind,
            )
            query = (
                select(StudyAssignment.member_id, StudyAssignment.studied_at.is_(None))
                .join(StudyCampaign, StudyCampaign.id == StudyAssignment.campaign_id)
                .join(Member, Member.id == StudyAssignment.member_id)
                .where(StudyAssignment.campaign_id == campaign_id, Member.active, _not_done(), ~reminded.exists())  # type: ignore[arg-type]
                .order_by(StudyAssignment.member_id)
            )
            if len(cell_ids) < len(cells):  # cells differ in their settings: only those due for this kind
                query = query.where(StudyAssignment.cell_id.in_(cell_ids))
            for member_id, needs_study in (await session.execute(query.limit(limit - len(due)))).all():
                due.append(DueReminder(campaign_id=campaign_id, member_id=member_id, kind=kind, needs_study=bool(needs_study)))
            if len(due) >= limit:
                return due
    return due


async def enqueue_study_reminders(
    session: AsyncSession, *, now: dt.datetime, limit: int = REMINDER_BATCH, tz: ZoneInfo | None = None
) -> int:
    """Queue the due reminders; each (campaign, member, kind) once, even across instances."""
    tz = tz or local_tz()
    due = await due_study_reminders(session, now=now, limit=limit, tz=tz)
    if not due:
        return 0
    table = StudyReminder.__table__
    statement = insert_for(session, table).on_conflict_do_nothing(index_elements=["campaign_id", "member_id", "kind"]).returning(
        table.c.campaign_id, table.c.member_id, table.c.kind
    )
    claimed: set[tuple[int, int, str]] = set()
    connection = await session.connection()
    for start in range(0, len(due), 1000):
        chunk = due[start : start + 1000]
        result = await connection.execute(
            statement, [{"campaign_id": d.campaign_id, "member_id": d.member_id, "kind": d.kind, "queued_at": now} for d in chunk]
        )
        claimed.update((row[0], row[1], row[2]) for row in result.all())
    groups: dict[tuple[int, str, bool], list[int]] = defaultdict(list)
    for d in due:
        if (d.campaign_id, d.member_id, d.kind) in claimed:
            groups[(d.campaign_id, d.kind, d.needs_study)].append(d.member_id)
    campaigns = {
        c.id: (c, doc)
        for c, doc in (
            await session.execute(
                select(StudyCampaign, Document).join(Document, Document.id == StudyCampaign.document_id).where(StudyCampaign.id.in_({k[0] for k in groups}))
            )
        ).all()
    } if groups else {}
    queued = 0
    for (campaign_id, kind, needs_study), member_ids in groups.items():
        campaign, document = campaigns[campaign_id]
        days_left = max(1, (local_day(campaign.deadline) - local_day(now)).days)
        todo = texts.resolutions.REMINDER_TODO_STUDY if needs_study else texts.resolutions.REMINDER_TODO_QUIZ
        message = OutboundMessage(
            text=texts.resolutions.REMINDER.format(
                kind=render.kind_word(document), code=render.code_part(document), title=html.escape(document.title),
                deadline=format_deadline(campaign), days=days_left, todo=todo,
            ),
            buttons=_notice_buttons(document, campaign),
        )
        enqueued = await enqueue_many(
            session, member_ids=member_ids, kind=REMINDER_KIND, source=f"campaign:{campaign_id}", message=message, key_suffix=kind, not_before=now
        )
        queued += enqueued.queued
    return queued


__all__ = [
    "AnswerOutcome",
    "CampaignResults",
    "DueReminder",
    "Opened",
    "QuestionInput",
    "QuizState",
    "answer",
    "answer_poll",
    "campaign_orgs",
    "campaign_results",
    "campaigns_for",
    "close_campaign",
    "due_study_reminders",
    "enqueue_study_reminders",
    "open_campaign",
    "quiz_for",
    "record_poll",
]
