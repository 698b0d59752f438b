"""Monthly figures rolled up the tree (cell → commune → province) from every source, access
limits, and the cells' monthly reports: drafted for all, reviewed, sent, received above."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from core.clock import local_tz
from core.delivery.models import OutboxMessage
from core.errors import Conflict, NotFound, PermissionDenied
from core.feedback.models import FeedbackItem, FeedbackKind
from core.meetings.models import Answer, Attendance, Invitation, Meeting, MeetingKind, MeetingStatus
from core.orgs.models import ChannelLink, Member, OrgKind, OrgRole, RoleKind
from core.orgs.service import create_org, load_actor
from core.reporting import annual, figures, reports
from core.reporting.models import MonthlyReport, ReportState
from core.resolutions import service, study
from core.resolutions.models import DocumentKind
from tests.factories import Commune, add_member, make_cell

OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)



async def held_meeting(session, cell, members, *, at: dt.datetime, present: set[int], excused: set[int]) -> None:  # type: ignore[no-untyped-def]
    meeting = Meeting(cell_id=cell.id, kind=MeetingKind.REGULAR, starts_at=at, place="Nhà văn hóa", status=MeetingStatus.HELD)
    session.add(meeting)
    await session.flush()
    for member in members:
        answer = Answer.EXCUSED if member.id in excused else Answer.ATTENDING
        session.add(Invitation(meeting_id=meeting.id, member_id=member.id, answer=answer, invited_at=at))
        session.add(Attendance(meeting_id=meeting.id, member_id=member.id, present=member.id in present, recorded_at=at))
    await session.flush()


async def seed(session, commune: Commune, clock) -> None:  # type: ignore[no-untyped-def]
    """October: cell A held a meeting (4 of 6 present, 1 excused, 1 without leave); cell B held one (all 6);
    a study campaign of the commune with its deadline in October; two feedback items."""
    a, b = commune.cells
    long_ago = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    await session.execute(update(Member).values(created_at=long_ago))
    await session.execute(update(ChannelLink).values(linked_at=long_ago))
    october_evening = dt.datetime(2026, 10, 4, 12, 30, tzinfo=dt.timezone.utc)
    a_members = a.everyone
    await held_meeting(session, a.org, a_members, at=october_evening,
                       present={m.id for m in a_members[:4]}, excused={a_members[4].id})
    await held_meeting(session, b.org, b.everyone, at=october_evening, present={m.id for m in b.everyone}, excused=set())
    # A cancelled meeting and a November one do not count for October.
    session.add(Meeting(cell_id=a.org.id, kind=MeetingKind.REGULAR, starts_at=october_evening, place="x", status=MeetingStatus.CANCELLED))
    await held_meeting(session, a.org, a_members, at=dt.datetime(2026, 11, 4, 12, 30, tzinfo=dt.timezone.utc), present=set(), excused=set())
    # Feedback: one to cell A answered, one to the commune committee not answered.
    session.add(FeedbackItem(author_id=a.members[0].id, kind=FeedbackKind.COMMENT, addressed_org_id=a.org.id, current_org_id=a.org.id,
                             text="Góp ý", created_at=october_evening, answered_at=october_evening + dt.timedelta(days=1)))
    session.add(FeedbackItem(author_id=b.members[0].id, kind=FeedbackKind.PROPOSAL, addressed_org_id=commune.commune.id,
                             current_org_id=commune.commune.id, text="Đề xuất", created_at=october_evening))
    await session.flush()
    # A study campaign opened in September, deadline 20 October, quiz of 2; two members of A finish.
    committee = await load_actor(session, commune.committee_member)
    opened_at = dt.datetime(2026, 9, 25, 3, 0, tzinfo=dt.timezone.utc)
    document = await service.create_draft(session, actor=committee, now=opened_at, draft=service.DraftInput(
        kind=DocumentKind.NQ, title="Về xây dựng Đảng", full_text="Nội dung nghị quyết về xây dựng Đảng trong sạch vững mạnh.", org_id=commune.commune.id))
    await service.publish(session, actor=committee, document_id=document.id, now=opened_at)
    opened = await study.open_campaign(session, actor=committee, document_id=document.id, org_id=commune.commune.id,
                                       deadline_day=dt.date(2026, 10, 20), now=opened_at, questions=[
                                           study.QuestionInput(text="Câu 1?", options=["a", "b"], correct=0),
                                           study.QuestionInput(text="Câu 2?", options=["a", "b"], correct=1)])
    questions = await study.questions_of(session, campaign_id=opened.campaign.id)
    for member, answers in ((a.members[0], (0, 1)), (a.members[1], (0, 0))):
        actor = await load_actor(session, member)
        await service.confirm_studied(session, actor=actor, document_id=document.id, now=opened_at)
        for question, option in zip(questions, answers, strict=True):
            await study.answer(session, member=member, question_id=question.id, option=option, now=opened_at)
    await session.commit()


async def test_figures_roll_up_two_levels(session, cipher, commune, clock) -> None:
    await seed(session, commune, clock)
    a, b = commune.cells
    committee = await load_actor(session, commune.committee_member)
    rollup = await figures.org_figures(session, actor=committee, org_id=commune.commune.id, month=OCTOBER)
    total = rollup.totals[0]
    members_total = len(a.everyone) + len(b.everyone) + 1  # + the committee member, living in cell A
    assert (total.members, total.linked) == (members_total, members_total)
    assert (total.meetings_held, total.invited, total.present, total.absent_excused, total.absent_unexcused) == (2, 12, 10, 1, 1)
    assert total.attendance_rate == pytest.approx(10 / 12)
    assert (total.study_assigned, total.study_done, total.quiz_done) == (members_total, 2, 2)
    assert total.average_score == pytest.approx(10 * 3 / 4)
    assert (total.feedback_received, total.feedback_answered) == (2, 1)
    by_child = {ref.name: rows[0] for ref, rows in rollup.children}
    assert by_child[a.org.name].present == 4 and by_child[a.org.name].absent_unexcused == 1 and by_child[a.org.name].study_done == 2
    assert by_child[b.org.name].present == 6 and by_child[b.org.name].feedback_received == 0
    assert rollup.own[0].feedback_received == 1  # addressed to the commune committee itself

    # Two levels up: the province sees the commune as one child with the same totals.
    province_admin = await add_member(session, cipher, a.org, "Tỉnh ủy viên", joined_on=dt.date(2026, 11, 3))  # admitted in November
    session.add(OrgRole(member_id=province_admin.id, org_id=commune.province.id, role=RoleKind.COMMITTEE_MEMBER))
    await session.commit()
    province = await figures.org_figures(session, actor=await load_actor(session, province_admin), org_id=commune.province.id, month=OCTOBER)
    assert [ref.name for ref, _ in province.children] == [commune.commune.name]
    assert province.children[0][1][0].present == total.present and province.totals[0].members == total.members  # the new one joined in November

    # Six months for the chart: November has its own meeting, nobody present.
    history = await figures.org_figures(session, actor=committee, org_id=commune.commune.id, month=NOVEMBER, history=6)
    assert [m.month for m in history.months] == [6, 7, 8, 9, 10, 11]
    assert history.totals[-1].meetings_held == 1 and history.totals[-1].present == 0 and history.totals[-2].present == 10
    assert history.totals[0].members == members_total and history.totals[-1].members == members_total + 1  # + the new one


async def test_access_to_figures(session, cipher, commune, clock) -> None:
    sibling = await create_org(session, name="Đảng bộ xã Bên cạnh", kind=OrgKind.COMMITTEE, parent=commune.province)
    sibling_cell = await make_cell(session, cipher, sibling, "Chi bộ bên cạnh", user_id_base=7001)
    sibling_member = await add_member(session, cipher, sibling_cell.org, "Ủy viên xã bên", link_to=7999)
    session.add(OrgRole(member_id=sibling_member.id, org_id=sibling.id, role=RoleKind.COMMITTEE_MEMBER))
    await session.commit()
    committee = await load_actor(session, commune.committee_member)
    sibling_committee = await load_actor(session, sibling_member)
    secretary_b = await load_actor(session, commune.cells[1].secretary)
    member = await load_actor(session, commune.cells[0].members[0])
    # Refused: with a reason where the actor knows the organisation (theirs, those above), as not found elsewhere.
    for actor, org_id, refused in (
        (committee, sibling.id, NotFound), (committee, commune.province.id, PermissionDenied), (committee, commune.other_province.id, NotFound),
        (sibling_committee, commune.commune.id, NotFound), (sibling_committee, commune.cells[0].org.id, NotFound),
        (secretary_b, commune.cells[0].org.id, NotFound), (secretary_b, commune.commune.id, PermissionDenied),
        (member, commune.cells[0].org.id, PermissionDenied),
    ):
        with pytest.raises(refused):
            await figures.org_figures(session, actor=actor, org_id=org_id, month=OCTOBER)
    assert (await figures.org_figures(session, actor=secretary_b, org_id=commune.cells[1].org.id, month=OCTOBER)).org.id == commune.cells[1].org.id


async def test_reports_drafted_sent_and_received(session, commune, clock) -> None:
    await seed(session, commune, clock)
    now = clock.now()
    assert await reports.draft_reports(session, month=OCTOBER, now=now) == 3  # every cell, the other province's too
    assert await reports.draft_reports(session, month=OCTOBER, now=now) == 0
    await session.commit()
    drafts = {r.cell_id: r for r in (await session.execute(select(MonthlyReport))).scalars()}
    assert drafts[commune.cells[0].org.id].figures["present"] == 4 and drafts[commune.cells[0].org.id].state == ReportState.DRAFT
    told = (await session.execute(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == reports.DRAFT_KIND))).scalar_one()
    assert told == 6  # secretary and deputy of each of the three cells

    secretary_a = await load_actor(session, commune.cells[0].secretary)
    committee = await load_actor(session, commune.committee_member)
    with pytest.raises(PermissionDenied):  # a committee reads; the cell sends its own
        await reports.send_report(session, actor=committee, cell_id=commune.cells[0].org.id, month=OCTOBER, now=now)
    with pytest.raises(NotFound):
        await reports.send_report(session, actor=await load_actor(session, commune.cells[1].secretary), cell_id=commune.cells[0].org.id, month=OCTOBER, now=now)
    view = await reports.send_report(session, actor=secretary_a, cell_id=commune.cells[0].org.id, month=OCTOBER, now=now, note="Đề nghị hỗ trợ tài liệu.")
    assert view.report.state == ReportState.SENT and view.report.note == "Đề nghị hỗ trợ tài liệu."
    with pytest.raises(Conflict):
        await reports.send_report(session, actor=secretary_a, cell_id=commune.cells[0].org.id, month=OCTOBER, now=now)
    notified = list((await session.execute(select(OutboxMessage).where(OutboxMessage.kind == reports.SENT_KIND))).scalars())
    assert [row.member_id for row in notified] == [commune.committee_member.id]
    assert "Đề nghị hỗ trợ tài liệu." in notified[0].payload["text"]

    box = await reports.received(session, actor=committee, org_id=commune.commune.id, month=OCTOBER)
    assert box.sent == 1 and len(box.cells) == 2
    read = await reports.read_report(session, actor=committee, cell_id=commune.cells[0].org.id, month=OCTOBER, now=now)
    assert read.report.read_at == now and read.figures.present == 4
    with pytest.raises(NotFound):
        await reports.received(session, actor=await load_actor(session, commune.other_cell.secretary), org_id=commune.commune.id, month=OCTOBER)
    # The secretary's own view of a sent report does not change; a draft of this month is refreshed.
    again = await reports.report_for(session, actor=secretary_a, cell_id=commune.cells[0].org.id, month=OCTOBER, now=now)
    assert again.report.state == ReportState.SENT
    current = await reports.report_for(session, actor=secretary_a, cell_id=commune.cells[0].org.id, month=NOVEMBER, now=now)
    assert current.report.state == ReportState.DRAFT and current.figures.meetings_held == 1


async def test_kept_figures_are_the_live_ones_and_follow_each_change(session, commune, clock) -> None:
    from core.reporting import scheduled
    from core.reporting.models import FiguresMonth, OrgMonthFigures
    from core.ticks import TickContext, tick_jobs

    await seed(session, commune, clock)
    committee = await load_actor(session, commune.committee_member)
    now = clock.now()  # 23 November
    live = await figures.org_figures(session, actor=committee, org_id=commune.commune.id, month=NOVEMBER, history=2, now=now)
    job = dict(tick_jobs())["keep_figures"]
    assert job is scheduled.keep_figures
    built = [await job(session, TickContext(now=now, tz=local_tz())) for _ in range(len(figures.kept_window(now)) + 1)]
    await session.commit()
    assert built[-1] == 0 and sum(built) > 0  # one month per tick, then nothing more to build
    kept = {r.month for r in (await session.execute(select(FiguresMonth))).scalars()}
    assert kept == set(figures.kept_window(now)) and {OCTOBER, NOVEMBER, dt.date(2026, 12, 1), dt.date(2025, 11, 1)} <= kept
    stored = await figures.org_figures(session, actor=committee, org_id=commune.commune.id, month=NOVEMBER, history=2, now=now)
    assert [t.to_dict() for t in stored.totals] == [t.to_dict() for t in live.totals]
    assert [(ref.id, [f.to_dict() for f in rows]) for ref, rows in stored.children] == [(ref.id, [f.to_dict() for f in rows]) for ref, rows in live.children]
    assert stored.own[0].feedback_received == 1  # October's feedback to the commune committee
    # Every cell's own rows (the XLSX files' sheet of cells) come from the kept rows only when asked for.
    assert stored.cells == {}
    with_cells = await figures.org_figures(session, actor=committee, org_id=commune.commune.id, month=NOVEMBER, history=2, now=now, cells=True)
    assert {k: [f.to_dict() for f in v] for k, v in with_cells.cells.items()} == {k: [f.to_dict() for f in v] for k, v in live.cells.items()}
    year = await annual.annual_report(session, actor=committee, org_id=commune.commune.id, year=2026, now=now, cells=True)
    assert set(year.rollup.cells) == set(live.cells) and year.totals.meetings_held == 3
    assert (await session.execute(select(func.count(OrgMonthFigures.id)).where(OrgMonthFigures.month == OCTOBER))).scalar_one() == 4  # 3 cells + the commune (its feedback)

    # An absence accepted for October's meeting: the committee sees it at once, no refresh.
    a = commune.cells[0]
    present = (await session.execute(select(Attendance).where(Attendance.member_id == a.members[0].id))).scalars().first()
    assert present is not None and present.present
    present.present = False
    await session.commit()
    after = await figures.org_figures(session, actor=committee, org_id=commune.commune.id, month=OCTOBER, now=now)
    assert after.totals[0].present == live.totals[0].present - 1 and after.totals[0].absent_unexcused == live.totals[0].absent_unexcused + 1
    # The committee's figures come from the stored rows: a row spoilt by hand shows, and `check` finds and repairs it.
    await session.execute(update(OrgMonthFigures).where(OrgMonthFigures.org_id == a.org.id, OrgMonthFigures.month == OCTOBER).values(present=99))
    await session.commit()
    spoilt = await figures.org_figures(session, actor=committee, org_id=commune.commune.id, month=OCTOBER, now=now)
    assert [rows[0].present for ref, rows in spoilt.children if ref.id == a.org.id] == [99]
    differences = await figures.check(session, repair=True)
    assert [(d.org_id, d.month, d.field, d.stored) for d in differences] == [(a.org.id, OCTOBER, "present", 99)]
    await session.commit()
    assert await figures.check(session) == []
    # A month that is not kept (two years ago) is computed live; a cell always is.
    old = dt.date(2024, 10, 1)
    assert old not in kept
    assert (await figures.org_figures(session, actor=committee, org_id=commune.commune.id, month=old, now=now)).totals[0].meetings_held == 0
    # The window moves: a month later, the oldest kept month is dropped and the new next month built.
    later = dt.datetime(2026, 12, 23, 3, 0, tzinfo=dt.timezone.utc)
    await job(session, TickContext(now=later, tz=local_tz()))
    await session.commit()
    assert {r.month for r in (await session.execute(select(FiguresMonth))).scalars()} == set(figures.kept_window(later))


async def test_members_linked_on_zalo_count_once(session, cipher, commune, clock) -> None:
    """A member linked on Telegram and Zalo is one linked member; one linked on Zalo only is linked too."""
    await seed(session, commune, clock)
    a, b = commune.cells
    long_ago = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    both, zalo_only = a.members[0], b.members[0]
    session.add(ChannelLink(member_id=both.id, platform="zalo", platform_user_id="z-both", chat_id="z-both", linked_at=long_ago))
    await session.execute(update(ChannelLink).where(ChannelLink.member_id == zalo_only.id).values(platform="zalo"))
    await session.commit()
    committee = await load_actor(session, commune.committee_member)
    total = (await figures.org_figures(session, actor=committee, org_id=commune.commune.id, month=OCTOBER)).totals[0]
    assert total.linked == total.members == len(a.everyone) + len(b.everyone) + 1
