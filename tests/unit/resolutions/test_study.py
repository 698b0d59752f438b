"""Study campaigns: assignments, quiz answers (polls and API), results by scope, reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.delivery.models import OutboxMessage
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.orgs.service import load_actor
from core.resolutions import service, study
from core.resolutions.models import DocumentKind, StudyAssignment, StudyReminder
from tests.factories import Commune, add_member, make_commune

TEXT = "Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ. Đổi mới sinh hoạt chi bộ."
QUESTIONS = [
    study.QuestionInput(text="Nghị quyết đặt mục tiêu đến năm nào?", options=["2025", "2030", "2045"], correct=1),
    study.QuestionInput(text="Tỉ lệ tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ?", options=["Trên 50%", "Trên 75%"], correct=1),
]


@pytest.fixture
async def commune(session, cipher) -> Commune:  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    await add_member(session, cipher, commune.cells[0].org, "Cụ miễn sinh hoạt", exempt=True, link_to=1999)
    await session.commit()
    return commune


async def published(session, actor, org_id: int, now: dt.datetime):  # type: ignore[no-untyped-def]
    document = await service.create_draft(
        session, actor=actor, now=now,
        draft=service.DraftInput(kind=DocumentKind.NQ, title="Về xây dựng tổ chức cơ sở đảng", full_text=TEXT, code="21-NQ/TW", org_id=org_id),
    )
    await service.publish(session, actor=actor, document_id=document.id, now=now)
    return document


async def test_campaign_quiz_results_and_scope(session, commune, clock) -> None:
    now = clock.now()
    committee = await load_actor(session, commune.committee_member)
    document = await published(session, committee, commune.commune.id, now)
    deadline = (now + dt.timedelta(days=10)).date()
    opened = await study.open_campaign(
        session, actor=committee, document_id=document.id, org_id=commune.commune.id, deadline_day=deadline, questions=QUESTIONS, now=now
    )
    obliged = len(commune.cells[0].everyone) + len(commune.cells[1].everyone) + 1  # + the committee member; not the exempt one
    assert opened.members == obliged and opened.queued == obliged
    assert opened.campaign.question_count == 2
    with pytest.raises(Conflict):
        await study.open_campaign(session, actor=committee, document_id=document.id, org_id=commune.commune.id, deadline_day=deadline, now=now)

    # Members study and answer.
    alice = await load_actor(session, commune.cells[0].members[0])
    bob = await load_actor(session, commune.cells[1].members[0])
    await service.confirm_studied(session, actor=alice, document_id=document.id, now=now)
    quiz = await study.quiz_for(session, actor=alice, document_id=document.id, now=now)
    assert [q.position for q in quiz.pending] == [0, 1]
    first = await study.answer(session, member=alice.member, question_id=quiz.pending[0].id, option=1, now=now)
    assert (first.answered, first.correct, first.finished) == (1, 1, False)
    with pytest.raises(Conflict):
        await study.answer(session, member=alice.member, question_id=quiz.pending[0].id, option=0, now=now)
    second = await study.answer(session, member=alice.member, question_id=quiz.pending[1].id, option=0, now=now)
    assert (second.answered, second.correct, second.finished) == (2, 1, True)
    with pytest.raises(InvalidInput):
        await study.quiz_for(session, actor=alice, document_id=document.id, now=now)  # already done
    with pytest.raises(InvalidInput):
        await study.answer(session, member=bob.member, question_id=quiz.pending[0].id, option=7, now=now)
    await service.confirm_studied(session, actor=bob, document_id=document.id, now=now)
    # Someone outside the campaign cannot answer.
    outsider = await load_actor(session, commune.other_cell.members[0])
    with pytest.raises(NotFound):
        await study.answer(session, member=outsider.member, question_id=quiz.pending[0].id, option=1, now=now)

    results = await study.campaign_results(session, actor=committee, campaign_id=opened.campaign.id)
    assert (results.totals.total, results.totals.studied, results.totals.quiz_done) == (obliged, 2, 1)
    assert results.totals.score(2) == pytest.approx(5.0)
    assert {org.name: line.studied for org, line in results.cells} == {commune.cells[0].org.name: 1, commune.cells[1].org.name: 1}
    # A cell secretary sees their own cell's part of the commune's campaign; nobody else's.
    secretary_b = await load_actor(session, commune.cells[1].secretary)
    part = await study.campaign_results(session, actor=secretary_b, campaign_id=opened.campaign.id)
    assert part.org.id == commune.cells[1].org.id and part.totals.total == len(commune.cells[1].everyone)
    with pytest.raises(NotFound):
        await study.campaign_results(session, actor=secretary_b, campaign_id=opened.campaign.id, org_id=commune.cells[0].org.id)
    with pytest.raises(NotFound):
        await study.campaign_results(session, actor=await load_actor(session, commune.other_cell.secretary), campaign_id=opened.campaign.id)
    assert [c.id for c, _, _ in await study.campaigns_for(session, actor=secretary_b)] == [opened.campaign.id]
    members = await study.member_results(session, actor=secretary_b, campaign_id=opened.campaign.id)
    assert {m.name for m in members if m.studied_at} == {commune.cells[1].members[0].full_name}

    # After the deadline answers are refused (API) or not counted (poll).
    late = opened.campaign.deadline + dt.timedelta(minutes=1)
    with pytest.raises(InvalidInput):
        await study.answer(session, member=bob.member, question_id=quiz.pending[0].id, option=1, now=late)
    outcome = await study.answer(session, member=bob.member, question_id=quiz.pending[0].id, option=1, now=late, strict=False)
    assert not outcome.counted


async def test_opening_is_checked(session, commune, clock) -> None:
    now = clock.now()
    secretary_a = await load_actor(session, commune.cells[0].secretary)
    committee = await load_actor(session, commune.committee_member)
    cell_doc = await published(session, secretary_a, commune.cells[0].org.id, now)
    soon = (now + dt.timedelta(days=7)).date()
    with pytest.raises(InvalidInput):  # the cell's document does not reach the whole commune
        await study.open_campaign(session, actor=committee, document_id=cell_doc.id, org_id=commune.commune.id, deadline_day=soon, now=now)
    with pytest.raises(PermissionDenied):
        await study.open_campaign(session, actor=secretary_a, document_id=cell_doc.id, org_id=commune.commune.id, deadline_day=soon, now=now)
    with pytest.raises(InvalidInput):
        await study.open_campaign(session, actor=secretary_a, document_id=cell_doc.id, org_id=commune.cells[0].org.id, deadline_day=now.date(), now=now)
    bad = [study.QuestionInput(text="Câu hỏi?", options=["A", "a"], correct=0)]
    with pytest.raises(InvalidInput):
        await study.open_campaign(session, actor=secretary_a, document_id=cell_doc.id, org_id=commune.cells[0].org.id, deadline_day=soon, questions=bad, now=now)
    with pytest.raises(InvalidInput):
        study.clean_questions([study.QuestionInput(text="?", options=["1", "2"], correct=2)])
    assert [o.id for o in await study.campaign_orgs(session, actor=committee, document_id=cell_doc.id)] == [commune.cells[0].org.id]
    assert study.parse_question("Mục tiêu đến năm nào?\nA. 2025\nB) 2030\n- 2045") == ("Mục tiêu đến năm nào?", ["2025", "2030", "2045"])
    with pytest.raises(InvalidInput):
        study.parse_question("Chỉ có câu hỏi\nmột phương án")


async def test_studying_before_the_campaign_counts(session, commune, clock) -> None:
    now = clock.now()
    secretary = await load_actor(session, commune.cells[0].secretary)
    document = await published(session, secretary, commune.cells[0].org.id, now)
    member = await load_actor(session, commune.cells[0].members[0])
    await service.confirm_studied(session, actor=member, document_id=document.id, now=now)
    opened = await study.open_campaign(
        session, actor=secretary, document_id=document.id, org_id=commune.cells[0].org.id, deadline_day=(now + dt.timedelta(days=5)).date(), now=now
    )
    results = await study.campaign_results(session, actor=secretary, campaign_id=opened.campaign.id)
    assert results.totals.studied == 1


async def test_reminders_once_per_kind_in_daytime_and_not_to_those_done(session, commune, clock) -> None:
    now = clock.now()  # 10:00 in Hà Nội
    secretary = await load_actor(session, commune.cells[0].secretary)
    document = await published(session, secretary, commune.cells[0].org.id, now)
    opened = await study.open_campaign(
        session, actor=secretary, document_id=document.id, org_id=commune.cells[0].org.id,
        deadline_day=(now + dt.timedelta(days=7)).date(), questions=QUESTIONS[:1], now=now,
    )
    cell = commune.cells[0]
    total = len(cell.everyone) + 1  # the commune committee member lives in cell A too
    assert await study.due_study_reminders(session, now=now) == []  # too early
    done = await load_actor(session, cell.members[0])
    await service.confirm_studied(session, actor=done, document_id=document.id, now=now)
    quiz = await study.quiz_for(session, actor=done, document_id=document.id, now=now)
    await study.answer(session, member=done.member, question_id=quiz.pending[0].id, option=1, now=now)
    half = await load_actor(session, cell.members[1])  # studied, quiz not done
    await service.confirm_studied(session, actor=half, document_id=document.id, now=now)

    three_days_before = opened.campaign.deadline - dt.timedelta(days=2, hours=12)  # ~12:00 in Hà Nội
    due = await study.due_study_reminders(session, now=three_days_before)
    assert {d.kind for d in due} == {"d3"} and len(due) == total - 1
    assert {d.needs_study for d in due if d.member_id == half.member.id} == {False}
    assert await study.enqueue_study_reminders(session, now=three_days_before) == total - 1
    assert await study.enqueue_study_reminders(session, now=three_days_before + dt.timedelta(hours=1)) == 0
    night = opened.campaign.deadline - dt.timedelta(hours=22)  # ~02:00 local the day before
    assert await study.due_study_reminders(session, now=night) == []
    day_before = opened.campaign.deadline - dt.timedelta(hours=14)  # ~10:00 local on the last day
    assert await study.enqueue_study_reminders(session, now=day_before) == total - 1
    assert await study.enqueue_study_reminders(session, now=day_before) == 0
    rows = (await session.execute(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == study.REMINDER_KIND))).scalar_one()
    assert rows == 2 * (total - 1)
    assert (await session.execute(select(func.count(StudyReminder.id)))).scalar_one() == 2 * (total - 1)
    # Closed campaigns and passed deadlines remind nobody.
    await study.close_campaign(session, actor=secretary, campaign_id=opened.campaign.id, now=day_before)
    assert await study.due_study_reminders(session, now=day_before + dt.timedelta(hours=1)) == []


async def test_a_short_campaign_skips_the_early_reminder(session, commune, clock) -> None:
    now = clock.now()
    secretary = await load_actor(session, commune.cells[0].secretary)
    document = await published(session, secretary, commune.cells[0].org.id, now)
    opened = await study.open_campaign(
        session, actor=secretary, document_id=document.id, org_id=commune.cells[0].org.id, deadline_day=(now + dt.timedelta(days=2)).date(), now=now
    )
    assert await study.due_study_reminders(session, now=now + dt.timedelta(hours=1)) == []
    due = await study.due_study_reminders(session, now=opened.campaign.deadline - dt.timedelta(hours=14))
    assert {d.kind for d in due} == {"d1"}
    assert (await session.execute(select(func.count(StudyAssignment.id)))).scalar_one() == len(commune.cells[0].everyone) + 1
