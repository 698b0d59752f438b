"""The stored monthly figures (core.reporting.figures) stay equal to a live recomputation from the
raw rows after any mix of counted changes, each settled in its own transaction; two transactions
changing the same cell at once on PostgreSQL lose neither change."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import pytest
from sqlalchemy import select, text, update

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.feedback.models import FeedbackItem, FeedbackKind
from core.meetings import service as meetings
from core.meetings.models import AbsenceReason, Answer, Attendance, Invitation, Meeting, MeetingKind, MeetingStatus
from core.orgs.membership import sync_membership
from core.orgs.models import ChannelLink, Member
from core.orgs.service import load_actor
from core.reporting import figures
from core.reporting.models import OrgMonthFigures
from core.resolutions import service, study
from core.resolutions.models import Document, DocumentKind, StudyAssignment, StudyCampaign
from tests.factories import Commune, add_member
from tests.unit.resolutions.test_figures_and_reports import seed

UTC = dt.timezone.utc


async def keep_all(session, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    while await figures.keep_months(session, now=now):
        await session.commit()
    await session.commit()


def moment(rng: random.Random, now: dt.datetime) -> dt.datetime:
    """Anywhere in the kept window (13 months back to next month), or a little before it."""
    return now + dt.timedelta(days=rng.randint(-420, 40), hours=rng.randint(0, 23))


async def pick(session, rng: random.Random, kind: type):  # type: ignore[no-untyped-def]
    rows = list((await session.execute(select(kind).order_by(kind.id))).scalars())  # the same picks on both databases
    return rng.choice(rows) if rows else None


async def one_change(session, rng: random.Random, commune: Commune, now: dt.datetime, cipher) -> str:  # type: ignore[no-untyped-def]
    """One random counted change, made the way the domains make it (ORM rows, core services)."""
    cells = [*commune.cells, commune.other_cell]
    orgs = [c.org.id for c in cells] + [commune.commune.id, commune.province.id]
    step = rng.choice(["meeting", "answer", "presence", "status", "reschedule", "move", "exempt", "leave", "link", "unlink",
                       "feedback", "answered", "studied", "quiz", "deadline", "member", "uninvite", "confirm", "campaign"])
    if step == "meeting":
        cell = rng.choice(cells)
        meeting = Meeting(cell_id=cell.org.id, kind=MeetingKind.REGULAR, starts_at=moment(rng, now), place="Hội trường",
                          status=rng.choice([MeetingStatus.HELD, MeetingStatus.HELD, MeetingStatus.CANCELLED]))
        session.add(meeting)
        await session.flush()
        for member in cell.everyone:
            session.add(Invitation(meeting_id=meeting.id, member_id=member.id, answer=rng.choice(list(Answer)),
                                   obliged=rng.random() < 0.9, invited_at=meeting.starts_at))
            if rng.random() < 0.8:
                session.add(Attendance(meeting_id=meeting.id, member_id=member.id, present=rng.random() < 0.7, recorded_at=meeting.starts_at))
    elif step == "answer" and (invitation := await pick(session, rng, Invitation)):
        invitation.answer = rng.choice(list(Answer))
    elif step == "presence" and (attendance := await pick(session, rng, Attendance)):
        attendance.present = not attendance.present
    elif step == "status" and (meeting := await pick(session, rng, Meeting)):
        meeting.status = rng.choice([MeetingStatus.HELD, MeetingStatus.CANCELLED])
    elif step == "reschedule" and (meeting := await pick(session, rng, Meeting)):
        meeting.starts_at = moment(rng, now)  # often to another month (the old and the new month change)
        if rng.random() < 0.3:
            meeting.cell_id = rng.choice(cells).org.id
    elif step in ("move", "exempt", "leave") and (member := await pick(session, rng, Member)):
        if step == "move":
            member.org_id = rng.choice(cells).org.id
        elif step == "exempt":
            member.exempt = not member.exempt
        else:
            member.active = not member.active
        await sync_membership(session, member, on=moment(rng, now).date() if rng.random() < 0.5 else now.date())
    elif step == "link" and (member := await pick(session, rng, Member)):
        if await session.scalar(select(ChannelLink.id).where(ChannelLink.member_id == member.id, ChannelLink.platform == "zalo")):
            return "link (has one)"
        session.add(ChannelLink(member_id=member.id, platform="zalo", platform_user_id=f"z{rng.random()}", chat_id="z", linked_at=moment(rng, now)))
    elif step == "unlink" and (link := await pick(session, rng, ChannelLink)):
        await session.delete(link)
    elif step == "feedback" and (member := await pick(session, rng, Member)):
        org = rng.choice(orgs)
        created = moment(rng, now)
        session.add(FeedbackItem(author_id=member.id, kind=FeedbackKind.COMMENT, addressed_org_id=org, current_org_id=org, text="Góp ý",
                                 created_at=created, answered_at=created + dt.timedelta(days=1) if rng.random() < 0.5 else None))
    elif step == "answered" and (item := await pick(session, rng, FeedbackItem)):
        item.answered_at = None if item.answered_at else moment(rng, now)
        if rng.random() < 0.3:
            item.addressed_org_id = rng.choice(orgs)
    elif step == "studied" and (assignment := await pick(session, rng, StudyAssignment)):
        assignment.studied_at = None if assignment.studied_at else moment(rng, now)
    elif step == "quiz" and (assignment := await pick(session, rng, StudyAssignment)):
        questions = await study.questions_of(session, campaign_id=assignment.campaign_id)
        member = await session.get(Member, assignment.member_id)
        campaign = await session.get(StudyCampaign, assignment.campaign_id)
        try:
            for question in questions:  # while the campaign is open
                await study.answer(session, member=member, question_id=question.id, option=rng.randint(0, 1), now=campaign.deadline - dt.timedelta(hours=1))
        except (Conflict, InvalidInput):
            pass
    elif step == "deadline" and (campaign := await pick(session, rng, StudyCampaign)):
        campaign.deadline = moment(rng, now)
    elif step == "member":
        await add_member(session, cipher, rng.choice(cells).org, "Đảng viên mới",
                         joined_on=moment(rng, now).date(), exempt=rng.random() < 0.2)
    elif step == "uninvite" and (invitation := await pick(session, rng, Invitation)):
        await session.delete(invitation)
    elif step == "confirm" and (member := await pick(session, rng, Member)):
        document = (await session.execute(select(Document))).scalars().first()
        if document is not None and member.active:
            try:
                await service.confirm_studied(session, actor=await load_actor(session, member), document_id=document.id, now=now)
            except (NotFound, PermissionDenied):  # a member of the other province may not read it: nothing changed
                pass
    elif step == "campaign":  # a new campaign over the commune: its assignments are one bulk insert
        committee = await load_actor(session, commune.committee_member)
        document = await service.create_draft(session, actor=committee, now=now, draft=service.DraftInput(
            kind=DocumentKind.KL, title=f"Kết luận {rng.random()}", full_text="Nội dung kết luận về công tác xây dựng Đảng.",
            org_id=commune.commune.id))
        await service.publish(session, actor=committee, document_id=document.id, now=now)
        await study.open_campaign(session, actor=committee, document_id=document.id, org_id=commune.commune.id,
                                  deadline_day=now.date() + dt.timedelta(days=rng.randint(1, 35)), now=now, questions=[])
    return step


@pytest.mark.parametrize("seed_value", [1, 2, 3, 4, 5])
async def test_stored_figures_equal_live_after_random_changes(session, cipher, commune, clock, seed_value) -> None:
    await seed(session, commune, clock)
    now = clock.now()
    await keep_all(session, now)
    rng = random.Random(seed_value)
    steps = []
    for _ in range(60):
        steps.append(await one_change(session, rng, commune, now, cipher))
        if rng.random() < 0.7:  # sometimes two or more changes in one transaction
            await session.commit()
            assert await figures.check(session) == [], steps
    # Read in the transaction that changed things: the committee sees its own changes already.
    window = figures.kept_window(now)
    live = await figures.collect(session, figures.Scope(commune.province), window)
    stored = await figures.rollup(session, org=commune.province, months=window)
    assert [t.to_dict() for t in stored.totals] == [sum_of(live, index) for index in range(len(window))], steps
    await session.commit()
    assert await figures.check(session) == [], steps


def sum_of(by_org: dict[int, list[figures.Figures]], index: int) -> dict[str, int]:
    total = figures.Figures()
    for row in by_org.values():
        total.add(row[index])
    return total.to_dict()


async def test_a_rolled_back_change_leaves_the_stored_figures_alone(session, commune, clock) -> None:
    await seed(session, commune, clock)
    now = clock.now()
    await keep_all(session, now)
    attendance = (await session.execute(select(Attendance).where(Attendance.present.is_(True)))).scalars().first()
    attendance.present = False
    await session.flush()
    await session.rollback()
    attendance = (await session.execute(select(Attendance).where(Attendance.present.is_(False)))).scalars().first()
    attendance.present = True  # another change, committed: only it is settled
    await session.commit()
    assert await figures.check(session) == []


async def test_two_transactions_changing_one_cell_at_once_lose_nothing(session_factory, commune, clock, require_postgres) -> None:
    async with session_factory() as session:
        await seed(session, commune, clock)
        await keep_all(session, clock.now())
    a = commune.cells[0]
    async with session_factory() as first, session_factory() as second, session_factory() as watcher:
        one = (await first.execute(select(Invitation).where(Invitation.member_id == a.members[2].id))).scalars().first()
        one.answer = Answer.EXCUSED if one.answer != Answer.EXCUSED else Answer.ATTENDING
        await first.flush()
        assert await figures.settle(first) == 1  # cell A recomputed, its lock held until `first` ends
        two = (await second.execute(select(Attendance).where(Attendance.member_id == a.members[3].id))).scalars().first()
        two.present = not two.present
        await second.flush()
        committing = asyncio.create_task(second.commit())
        # Wait until the second transaction is blocked (on the cell's lock), then let the first commit.
        for _ in range(200):
            waiting = await watcher.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"))
            await watcher.rollback()
            if waiting or committing.done():
                break
            await asyncio.sleep(0.05)
        assert waiting and not committing.done()
        await first.commit()
        await committing
        assert await figures.check(watcher) == []


async def recomputed_months(session, org_id: int, change) -> list[dt.date]:  # type: ignore[no-untyped-def]
    """Mark the organisation's stored rows (a value no source can produce), make the change and
    commit it: the months whose mark is gone are the ones `settle` recomputed."""
    mark = -999
    await session.execute(update(OrgMonthFigures).where(OrgMonthFigures.org_id == org_id).values(meetings_held=mark, members=mark))
    await session.commit()
    await change()
    await session.commit()
    rows = await session.execute(select(OrgMonthFigures.month, OrgMonthFigures.meetings_held, OrgMonthFigures.members)
                                 .where(OrgMonthFigures.org_id == org_id).order_by(OrgMonthFigures.month))
    return [month for month, held, members in rows if held != mark or members != mark]


async def test_a_change_recomputes_only_the_months_it_can_affect(session, commune, clock) -> None:
    await seed(session, commune, clock)
    now = clock.now()
    await keep_all(session, now)
    kept = await figures.kept_months(session)
    cell = commune.cells[0].org.id
    invitation = (await session.execute(
        select(Invitation).join(Meeting, Meeting.id == Invitation.meeting_id).where(Meeting.cell_id == cell).order_by(Invitation.id))).scalars().first()
    meeting = await session.get(Meeting, invitation.meeting_id)
    month = figures.local_month(meeting.starts_at)
    assert month in kept

    async def rsvp() -> None:
        invitation.answer = Answer.EXCUSED if invitation.answer != Answer.EXCUSED else Answer.ATTENDING

    assert await recomputed_months(session, cell, rsvp) == [month]  # one meeting's answer: its month only

    target = figures.add_months(month, -3 if month >= kept[3] else 3)

    async def reschedule() -> None:
        meeting.starts_at = meeting.starts_at + dt.timedelta(days=31 * ((target.year - month.year) * 12 + target.month - month.month))

    assert figures.local_month(meeting.starts_at + dt.timedelta(days=31 * ((target.year - month.year) * 12 + target.month - month.month))) == target
    assert await recomputed_months(session, cell, reschedule) == sorted({month, target})  # moved: the old and the new month

    member = commune.cells[0].members[0]

    async def move() -> None:
        member.org_id = commune.cells[1].org.id
        await sync_membership(session, member, on=now.date())

    current = figures.local_month(now)
    assert await recomputed_months(session, cell, move) == [m for m in kept if m >= current]  # from today on
    # Every value recomputed equals the live one; the months left alone still hold the mark.
    assert {d.stored for d in await figures.check(session)} == {-999}


# ---------------------------------------------------------------- a member's answers (Core writes, no ORM flush)

COMING = dt.datetime(2026, 11, 30, 12, 30, tzinfo=UTC)  # a week after the test clock's day: in the kept window


async def coming_meeting(session, commune: Commune, clock, *, cell_index: int = 0) -> Meeting:  # type: ignore[no-untyped-def]
    secretary = await load_actor(session, commune.cells[cell_index].secretary)
    created = await meetings.create_meeting(session, actor=secretary, cell_id=secretary.cell.id, kind=MeetingKind.REGULAR, starts_at=COMING,
                                            place="Nhà văn hóa", now=clock.now())
    return created.meeting


async def invitation_of(session, meeting: Meeting, member: Member) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(Invitation.id).where(Invitation.meeting_id == meeting.id, Invitation.member_id == member.id)))


async def test_answers_to_a_coming_meeting_leave_the_stored_figures_exact(session, commune, clock) -> None:
    """A member's answers are Core UPDATEs that note nothing to settle: right only because the kept
    figures count invitations of held meetings alone. If they ever count a coming meeting's answers,
    this fails."""
    await seed(session, commune, clock)
    meeting = await coming_meeting(session, commune, clock)
    await keep_all(session, clock.now())
    assert figures.local_month(COMING) in await figures.kept_months(session)
    a = commune.cells[0]
    yes, sick, excused = a.members[0], a.members[1], a.members[2]
    await meetings.answer_attending(session, actor=await load_actor(session, yes), invitation_id=await invitation_of(session, meeting, yes),
                                    now=clock.now())
    await meetings.request_absence(session, actor=await load_actor(session, sick), invitation_id=await invitation_of(session, meeting, sick),
                                   reason=AbsenceReason.SICK, now=clock.now())
    asked = await meetings.request_absence(session, actor=await load_actor(session, excused),
                                           invitation_id=await invitation_of(session, meeting, excused), reason=AbsenceReason.FAMILY, now=clock.now())
    await meetings.decide_absence(session, actor=await load_actor(session, a.secretary), invitation_id=asked.invitation.id, approve=True,
                                  revision=asked.invitation.revision, now=clock.now())
    await session.commit()
    assert await figures.check(session) == []
    # Held: now the answers count (present from «I will come», excused from the approved leave).
    await meetings.set_attendance(session, actor=await load_actor(session, a.secretary), meeting_id=meeting.id, present_member_ids=[yes.id],
                                  now=COMING)
    await session.commit()
    assert await figures.check(session) == []
    row = (await figures.stored(session, figures.Scope(a.org), [figures.local_month(COMING)]))[a.org.id][0]
    assert (row.meetings_held, row.present, row.absent_excused) == (2, 1, 1)  # the seed's November meeting (nobody came) and this one


async def test_an_answer_and_the_meeting_held_at_the_same_moment_lose_nothing(session_factory, commune, clock, require_postgres) -> None:
    """The answer's UPDATE reads the meeting FOR SHARE: recording attendance (which marks it held and
    settles its cell) waits for the answer's commit, and counts it."""
    async with session_factory() as session:
        await seed(session, commune, clock)
        meeting = await coming_meeting(session, commune, clock)
        member = commune.cells[0].members[0]
        invitation_id = await invitation_of(session, meeting, member)
        asked = await meetings.request_absence(session, actor=await load_actor(session, member), invitation_id=invitation_id,
                                               reason=AbsenceReason.FAMILY, now=clock.now())
        await meetings.decide_absence(session, actor=await load_actor(session, commune.cells[0].secretary), invitation_id=invitation_id,
                                      approve=True, revision=asked.invitation.revision, now=clock.now())
        await keep_all(session, clock.now())
    at_the_door = COMING - dt.timedelta(minutes=30)  # answers still open, attendance already open
    async with session_factory() as answering, session_factory() as holding, session_factory() as watcher:
        # Excused → coming: were it lost, the cell would keep one «absent with leave» too many.
        await meetings.answer_attending(answering, actor=await load_actor(answering, member), invitation_id=invitation_id, now=at_the_door)
        secretary = await load_actor(holding, commune.cells[0].secretary)

        async def hold() -> None:
            await meetings.set_attendance(holding, actor=secretary, meeting_id=meeting.id, present_member_ids=[], now=at_the_door)
            await holding.commit()

        held = asyncio.create_task(hold())
        for _ in range(200):
            waiting = await watcher.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"))
            await watcher.rollback()
            if waiting or held.done():
                break
            await asyncio.sleep(0.05)
        assert waiting and not held.done()
        await answering.commit()
        await held
        assert await figures.check(watcher) == []
        row = (await figures.stored(watcher, figures.Scope(commune.cells[0].org), [figures.local_month(COMING)]))[commune.cells[0].org.id][0]
        assert (row.meetings_held, row.absent_excused) == (2, 0)  # the seed's November meeting (nobody excused) and this one
