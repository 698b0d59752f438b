"""Meeting rules at the service level: who is invited (once), answers, statistics, monthly rules, hooks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import texts
from core.delivery.models import OutboxMessage
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.meetings import events, service, stats
from core.meetings.dates import LOCAL_TZ
from core.meetings.models import AbsenceReason, Answer, Invitation, Meeting, MeetingKind, MeetingStatus, RecurrenceRule
from core.meetings.scheduled import create_recurring_meetings
from core.orgs.models import Member, OrgRole, RoleKind
from core.orgs.service import Actor, load_actor
from core.ticks import TickContext
from tests.factories import Commune, add_member, make_commune

STARTS = dt.datetime(2026, 12, 5, 12, 30, tzinfo=dt.timezone.utc)  # Saturday 19:30 in Hà Nội


@pytest.fixture
async def commune(session, cipher) -> Commune:  # type: ignore[no-untyped-def]
    return await make_commune(session, cipher, linked=True)


@pytest.fixture
def actor_of(session):  # type: ignore[no-untyped-def]
    async def load(member: Member) -> Actor:
        return await load_actor(session, member)

    return load


async def new_meeting(session, actor: Actor, clock, *, kind: MeetingKind = MeetingKind.REGULAR, starts_at: dt.datetime = STARTS,
                      repeat: bool = False) -> service.CreateResult:  # type: ignore[no-untyped-def]
    return await service.create_meeting(
        session, actor=actor, cell_id=actor.cell.id, kind=kind, starts_at=starts_at, place="Nhà văn hóa", agenda="Việc tháng 12",
        repeat_monthly=repeat, now=clock.now(),
    )


async def count(session, model, *conditions) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


async def test_who_is_invited_and_only_once(session, cipher, commune, actor_of, clock) -> None:
    cell = commune.cells[0]
    gone = await add_member(session, cipher, cell.org, "Đã chuyển đi", link_to=1190)
    gone.active = False
    silent = await add_member(session, cipher, cell.org, "Miễn, không nhận", exempt=True, link_to=1191)
    silent.exempt_receives_notices = False  # turned off in 👤 Hồ sơ (following is the default)
    opted = await add_member(session, cipher, cell.org, "Miễn, có nhận", exempt=True, link_to=1192)
    opted.exempt_receives_notices = True
    unlinked = await add_member(session, cipher, cell.org, "Chưa liên kết")
    result = await new_meeting(session, await actor_of(cell.secretary), clock)
    invited = {i.member_id: i.obliged for i in (await session.execute(select(Invitation))).scalars()}
    expected = {m.id for m in cell.everyone} | {commune.committee_member.id, opted.id, unlinked.id}
    assert set(invited) == expected and invited[opted.id] is False and invited[cell.members[0].id] is True
    assert result.invite.unlinked_member_ids == [unlinked.id] and result.unlinked_names == ["Chưa liên kết"]
    assert result.invite.queued == len(expected) - 1

    # Inviting again (a retry, an edit) invites and messages nobody twice; a newcomer is added.
    newcomer = await add_member(session, cipher, cell.org, "Đảng viên mới chuyển đến", link_to=1193)
    again = await service.invite(session, meeting=result.meeting, cell=cell.org, now=clock.now())
    assert (again.newly_invited, again.queued) == (1, 1)
    assert await count(session, Invitation) == len(expected) + 1
    assert await count(session, OutboxMessage, OutboxMessage.kind == service.KIND_INVITATION) == len(expected)  # newcomer included, unlinked not
    assert await count(session, OutboxMessage, OutboxMessage.member_id == newcomer.id) == 1


async def test_committee_meeting_invites_role_holders_only(session, cipher, commune, actor_of, clock) -> None:
    cell = commune.cells[0]
    session.add(OrgRole(member_id=cell.members[3].id, org_id=cell.org.id, role=RoleKind.COMMITTEE_MEMBER))
    await session.flush()
    await new_meeting(session, await actor_of(cell.deputy), clock, kind=MeetingKind.COMMITTEE)
    invited = set((await session.execute(select(Invitation.member_id))).scalars())
    assert invited == {cell.secretary.id, cell.deputy.id, cell.members[3].id}


async def test_creation_rules(session, commune, actor_of, clock) -> None:
    cell_a, cell_b = commune.cells
    secretary = await actor_of(cell_a.secretary)
    with pytest.raises(InvalidInput):
        await new_meeting(session, secretary, clock, starts_at=clock.now())
    with pytest.raises(InvalidInput):
        await new_meeting(session, secretary, clock, starts_at=clock.now() + dt.timedelta(days=400))
    with pytest.raises(InvalidInput, match="thường kỳ"):
        await new_meeting(session, secretary, clock, kind=MeetingKind.THEMATIC, repeat=True)
    with pytest.raises(PermissionDenied):
        await new_meeting(session, await actor_of(cell_a.members[0]), clock)
    with pytest.raises(NotFound):  # another cell: not hers to know of
        await service.create_meeting(
            session, actor=await actor_of(cell_b.secretary), cell_id=cell_a.org.id, kind=MeetingKind.REGULAR, starts_at=STARTS,
            place="X", now=clock.now(),
        )
    # The commune committee member leads the cells below.
    committee = await actor_of(commune.committee_member)
    result = await service.create_meeting(
        session, actor=committee, cell_id=cell_b.org.id, kind=MeetingKind.THEMATIC, starts_at=STARTS, place="Hội trường xã", now=clock.now()
    )
    assert result.meeting.cell_id == cell_b.org.id
    assert await count(session, Meeting) == 1


async def test_answers_absences_and_decisions(session, commune, actor_of, clock) -> None:
    cell = commune.cells[0]
    meeting = (await new_meeting(session, await actor_of(cell.secretary), clock)).meeting
    member = await actor_of(cell.members[0])
    invitation = (await session.execute(select(Invitation).where(Invitation.member_id == cell.members[0].id))).scalar_one()

    with pytest.raises(InvalidInput, match="lý do"):
        await service.request_absence(session, actor=member, invitation_id=invitation.id, reason=AbsenceReason.OTHER, text="  ", now=clock.now())
    with pytest.raises(InvalidInput):
        await service.request_absence(
            session, actor=member, invitation_id=invitation.id, reason=AbsenceReason.OTHER, text="x" * 501, now=clock.now()
        )
    with pytest.raises(InvalidInput):
        await service.request_absence(
            session, actor=member, invitation_id=invitation.id, reason=AbsenceReason.OTHER, voice_file_id="v", voice_duration=301,
            now=clock.now(),
        )
    result = await service.request_absence(session, actor=member, invitation_id=invitation.id, reason=AbsenceReason.SICK, now=clock.now())
    assert result.changed and invitation.answer == Answer.ABSENCE_REQUESTED and invitation.revision == 1

    # A member changes their mind: the pending request cannot be decided any more.
    await service.answer_attending(session, actor=member, invitation_id=invitation.id, now=clock.now())
    with pytest.raises(Conflict, match="không có đơn xin vắng"):
        await service.decide_absence(session, actor=await actor_of(cell.secretary), invitation_id=invitation.id, approve=True, now=clock.now())

    # The only leader's own request is noted as excused (nobody else to ask).
    lonely = commune.cells[1]
    await session.delete((await session.execute(select(OrgRole).where(OrgRole.member_id == lonely.deputy.id))).scalar_one())
    await session.flush()
    meeting_b = (await new_meeting(session, await actor_of(lonely.secretary), clock)).meeting
    own = (await session.execute(select(Invitation).where(Invitation.meeting_id == meeting_b.id, Invitation.member_id == lonely.secretary.id))).scalar_one()
    result = await service.request_absence(
        session, actor=await actor_of(lonely.secretary), invitation_id=own.id, reason=AbsenceReason.BUSINESS_TRIP, now=clock.now()
    )
    assert result.auto_excused and own.answer == Answer.EXCUSED
    assert await count(session, OutboxMessage, OutboxMessage.kind == service.KIND_ABSENCE_REQUEST, OutboxMessage.source == f"meeting:{meeting_b.id}") == 0
    assert meeting.status == MeetingStatus.SCHEDULED


async def test_statistics_classify_every_invitee(session, cipher, commune, actor_of, clock) -> None:
    cell = commune.cells[0]
    opted = await add_member(session, cipher, cell.org, "Cụ miễn sinh hoạt", exempt=True, link_to=1199)
    opted.exempt_receives_notices = True
    secretary = await actor_of(cell.secretary)
    meeting = (await new_meeting(session, secretary, clock)).meeting
    by_member = {i.member_id: i for i in (await session.execute(select(Invitation))).scalars()}
    a, b, c, d = cell.members
    await service.answer_attending(session, actor=await actor_of(a), invitation_id=by_member[a.id].id, now=clock.now())
    await service.answer_attending(session, actor=await actor_of(b), invitation_id=by_member[b.id].id, now=clock.now())
    await service.request_absence(session, actor=await actor_of(c), invitation_id=by_member[c.id].id, reason=AbsenceReason.FAMILY, now=clock.now())
    await service.request_absence(session, actor=await actor_of(d), invitation_id=by_member[d.id].id, reason=AbsenceReason.SICK, now=clock.now())
    await service.decide_absence(session, actor=secretary, invitation_id=by_member[c.id].id, approve=True, now=clock.now())
    await service.decide_absence(session, actor=secretary, invitation_id=by_member[d.id].id, approve=False, now=clock.now())

    before = await stats.meeting_stats(session, meeting=meeting)
    assert (before.invited, before.attending, before.excused, before.refused, before.no_answer, before.held) == (8, 2, 1, 1, 4, False)
    with pytest.raises(Conflict):
        await service.send_conclusions(session, actor=secretary, meeting_id=meeting.id, text="Kết luận", now=clock.now())

    clock.set(STARTS)
    # a said yes and came; b said yes and did not; the secretary came without answering.
    await service.set_attendance(session, actor=secretary, meeting_id=meeting.id, present_member_ids=[a.id, cell.secretary.id], now=clock.now())
    after = await stats.meeting_stats(session, meeting=meeting)
    # Absent: b (unexcused), c (excused), d (refused → unexcused), deputy and the committee member (no
    # answer → unexcused); the exempt member is invited but not expected, so counts in neither.
    assert (after.present, after.absent_excused, after.absent_unexcused, after.expected) == (2, 1, 4, 7)
    sent = await service.send_conclusions(session, actor=secretary, meeting_id=meeting.id, text="Chi bộ thống nhất.", now=clock.now())
    assert sent == 6

    period = await stats.period_stats(session, actor=secretary, org_id=cell.org.id, start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31))
    assert [m.month.month for m in period.months] == [10, 11, 12]
    assert (period.months[-1].meetings, period.months[-1].present, period.totals.rate) == (1, 2, 2 / 7)
    members = await stats.member_stats(session, actor=secretary, org_id=cell.org.id, start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31))
    first = members[0]
    assert first.present == 0 and first.months[dt.date(2026, 12, 1)].invited == 1
    assert members[-1].rate == 1.0
    with pytest.raises(PermissionDenied):
        await stats.period_stats(session, actor=await actor_of(a), org_id=cell.org.id, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    with pytest.raises(InvalidInput):
        await stats.period_stats(session, actor=secretary, org_id=cell.org.id, start=dt.date(2020, 1, 1), end=dt.date(2026, 12, 31))
    # The commune committee sees the cell within its subtree.
    committee = await stats.period_stats(
        session, actor=await actor_of(commune.committee_member), org_id=commune.commune.id, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 31)
    )
    assert [(c.name, c.present) for c in committee.cells] == [(cell.org.name, 2)]
    assert texts.meetings.STATS_CELLS_TITLE.strip() in stats.period_text(committee)


async def test_monthly_rule_replaces_the_previous_and_respects_a_hand_made_meeting(session, commune, actor_of, clock) -> None:
    cell = commune.cells[0]
    secretary = await actor_of(cell.secretary)
    first = await new_meeting(session, secretary, clock, starts_at=dt.datetime(2026, 11, 30, 12, 30, tzinfo=dt.timezone.utc), repeat=True)
    second = await new_meeting(session, secretary, clock, starts_at=dt.datetime(2026, 12, 31, 12, 30, tzinfo=dt.timezone.utc), repeat=True)
    assert first.rule is not None and second.rule is not None
    rules = list((await session.execute(select(RecurrenceRule).order_by(RecurrenceRule.id))).scalars())
    assert [r.active for r in rules] == [False, True] and rules[1].day_of_month == 31

    # Day 31 in February becomes the 28th.
    day, starts = service.next_occurrence(rules[1], dt.datetime(2027, 2, 1, tzinfo=dt.timezone.utc))
    assert day == dt.date(2027, 2, 28) and starts == dt.datetime(2027, 2, 28, 12, 30, tzinfo=dt.timezone.utc)

    # The secretary already made January's meeting by hand on the 31st: the rule does not add another.
    await new_meeting(session, secretary, clock, starts_at=dt.datetime(2027, 1, 31, 1, 0, tzinfo=dt.timezone.utc))
    context = TickContext(now=dt.datetime(2027, 1, 25, 3, 0, tzinfo=dt.timezone.utc), tz=LOCAL_TZ)
    assert await create_recurring_meetings(session, context) == 0
    context = TickContext(now=dt.datetime(2027, 2, 20, 3, 0, tzinfo=dt.timezone.utc), tz=LOCAL_TZ)
    assert await create_recurring_meetings(session, context) == 1
    february = (await session.execute(select(Meeting).order_by(Meeting.id.desc()).limit(1))).scalar_one()
    assert (february.occurrence_on, february.rule_id, february.created_by_id) == (dt.date(2027, 2, 28), rules[1].id, cell.secretary.id)
    assert await count(session, Invitation, Invitation.meeting_id == february.id) == 7


async def test_hooks_for_reminders(session, commune, actor_of, clock) -> None:
    seen: list[tuple[int, events.MeetingEvent, dt.datetime | None]] = []

    async def listener(_session, meeting, event, previous):  # type: ignore[no-untyped-def]
        seen.append((meeting.id, event, previous))

    events.subscribe(listener)
    try:
        secretary = await actor_of(commune.cells[0].secretary)
        meeting = (await new_meeting(session, secretary, clock)).meeting
        moved = STARTS + dt.timedelta(days=1)
        await service.edit_meeting(session, actor=secretary, meeting_id=meeting.id, starts_at=moved, now=clock.now())
        await service.edit_meeting(session, actor=secretary, meeting_id=meeting.id, place="Chỗ khác", now=clock.now())
        await service.cancel_meeting(session, actor=secretary, meeting_id=meeting.id, now=clock.now())
    finally:
        events._listeners.remove(listener)
    assert seen == [
        (meeting.id, events.MeetingEvent.CREATED, None),
        (meeting.id, events.MeetingEvent.MOVED, STARTS),
        (meeting.id, events.MeetingEvent.CHANGED, None),
        (meeting.id, events.MeetingEvent.CANCELLED, None),
    ]
    assert meeting.starts_at == STARTS + dt.timedelta(days=1) and meeting.version == 4


async def test_every_message_is_due_by_the_injected_clock_not_the_wall_clock(session, cipher, commune, actor_of, clock) -> None:
    # The services' clock stands years before the wall clock: every message a meeting queues
    # (invitation, document, change, cancellation, absence request and decision, conclusions, a late
    # member's invitation) is due at the service's "now", or a worker on that clock never sends it.
    from sqlalchemy import update

    from core.delivery.models import OutboxState
    from core.meetings import documents as docs

    clock.set(dt.datetime(2021, 3, 1, 2, 0, tzinfo=dt.timezone.utc))
    cell = commune.cells[0]
    secretary = await actor_of(cell.secretary)
    starts = clock.now() + dt.timedelta(days=3)
    meeting = (await new_meeting(session, secretary, clock, starts_at=starts)).meeting
    invitation = (await session.execute(select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == cell.members[0].id))).scalar_one()
    await service.request_absence(session, actor=await actor_of(cell.members[0]), invitation_id=invitation.id, reason=AbsenceReason.SICK, now=clock.now())
    await service.decide_absence(session, actor=secretary, invitation_id=invitation.id, approve=True, now=clock.now())
    upload = docs.DocumentUpload(file_id="doc-file", filename="Dự thảo.pdf", mime_type="application/pdf", size=1000)
    await service.edit_meeting(session, actor=secretary, meeting_id=meeting.id, place="Hội trường xã", documents=[upload], now=clock.now())
    late = await add_member(session, cipher, cell.org, "Đảng viên mới", link_to=1290)
    await service.invite_member(session, meeting=meeting, cell=cell.org, member_id=late.id, now=clock.now())
    other = (await new_meeting(session, secretary, clock, starts_at=starts + dt.timedelta(days=2))).meeting
    # The invitations left (a worker sent them): an edit and a cancellation then tell each invitee.
    await session.execute(update(OutboxMessage).where(OutboxMessage.kind == service.KIND_INVITATION).values(state=OutboxState.SENT))
    await service.edit_meeting(session, actor=secretary, meeting_id=other.id, place="Hội trường xã", now=clock.now())
    await service.cancel_meeting(session, actor=secretary, meeting_id=other.id, now=clock.now())
    clock.set(starts)
    await service.set_attendance(session, actor=secretary, meeting_id=meeting.id, present_member_ids=[cell.secretary.id], now=clock.now())
    await service.send_conclusions(session, actor=secretary, meeting_id=meeting.id, text="Chi bộ thống nhất.", now=clock.now())

    rows = list((await session.execute(select(OutboxMessage))).scalars())
    assert {row.kind for row in rows} == {
        service.KIND_INVITATION, service.KIND_DOCUMENT, service.KIND_CHANGED, service.KIND_CANCELLED,
        service.KIND_ABSENCE_REQUEST, service.KIND_ABSENCE_DECISION, service.KIND_CONCLUSIONS,
    }
    due_late = sorted({(row.kind, row.next_attempt_at) for row in rows if row.next_attempt_at.replace(tzinfo=dt.timezone.utc) > clock.now()})
    assert due_late == []
    conclusions = [row for row in rows if row.kind == service.KIND_CONCLUSIONS]
    assert conclusions and {row.next_attempt_at.replace(tzinfo=dt.timezone.utc) for row in conclusions} == {starts}
