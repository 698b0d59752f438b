"""The stored monthly figures (core.reporting.figures) stay equal to a live recomputation from the
raw rows after any mix of counted changes, each settled in its own transaction; two transactions
changing the same cell at once on PostgreSQL lose neither change."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import pytest
from sqlalchemy import select, text

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.feedback.models import FeedbackItem, FeedbackKind
from core.meetings.models import Answer, Attendance, Invitation, Meeting, MeetingKind, MeetingStatus
from core.orgs.membership import sync_membership
from core.orgs.models import ChannelLink, Member
from core.orgs.service import load_actor
from core.reporting import figures
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
        meeting.starts_at = moment(rng, now)
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


@pytest.mark.parametrize("seed_value", [1, 2, 3])
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
