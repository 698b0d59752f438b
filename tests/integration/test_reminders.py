"""Reminders through the real tick on a controllable clock: on time, exactly once, changes propagate."""

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.delivery.models import OutboxMessage
from core.meetings.models import Answer, Invitation, Meeting, MeetingKind, MeetingStatus
from core.scheduling.models import MeetingReminder, ReminderState
from sotay.scheduler import run_tick
from tests.factories import make_commune

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HANOI).astimezone(dt.timezone.utc)


async def meeting_with_invitations(session, cipher, starts_at: dt.datetime):
    commune = await make_commune(session, cipher, linked=True)
    cell = commune.cells[0]
    meeting = Meeting(cell_id=cell.org.id, kind=MeetingKind.REGULAR, starts_at=starts_at, place="Nhà văn hóa thôn")
    session.add(meeting)
    await session.flush()
    invitations = [Invitation(meeting_id=meeting.id, member_id=m.id) for m in cell.everyone]
    session.add_all(invitations)
    await session.commit()
    return meeting, invitations


async def reminders_sent(session, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.kind == "reminder")
    if kind:
        query = query.where(OutboxMessage.idempotency_key.contains(f"|{kind}:"))
    session.expire_all()
    return list((await session.execute(query)).scalars())


async def test_nudge_eve_and_before_each_once(runtime, session, cipher, clock) -> None:
    clock.set(at(2026, 12, 1, 9, 0))
    meeting, invitations = await meeting_with_invitations(session, cipher, at(2026, 12, 5, 19, 30))
    await run_tick(runtime)
    planned = await session.scalar(select(func.count(MeetingReminder.id)).where(MeetingReminder.state == ReminderState.PENDING))
    assert planned == 3 * len(invitations)
    assert await reminders_sent(session) == []

    invitations[0].answer = Answer.ATTENDING
    await session.commit()
    clock.set(at(2026, 12, 3, 19, 30, 10))  # nudge time
    await run_tick(runtime)
    await run_tick(runtime)  # a second tick changes nothing
    nudges = await reminders_sent(session, "nudge")
    assert len(nudges) == len(invitations) - 1  # the one who answered is not nudged
    assert all("chưa trả lời" in n.payload["text"] for n in nudges)
    assert all(n.payload["buttons"] for n in nudges)  # one tap to answer

    clock.set(at(2026, 12, 4, 19, 0, 5))
    await run_tick(runtime)
    assert len(await reminders_sent(session, "eve")) == len(invitations)
    clock.set(at(2026, 12, 5, 17, 30, 5))
    await run_tick(runtime)
    assert len(await reminders_sent(session, "before")) == len(invitations)
    assert len(await reminders_sent(session)) == 3 * len(invitations) - 1


async def test_excused_members_and_cancelled_meetings_get_nothing(runtime, session, cipher, clock) -> None:
    clock.set(at(2026, 12, 1, 9, 0))
    meeting, invitations = await meeting_with_invitations(session, cipher, at(2026, 12, 5, 19, 30))
    await run_tick(runtime)
    invitations[1].answer = Answer.EXCUSED
    member_ids = {i.member_id for i in invitations}
    excused = invitations[1].member_id
    await session.commit()
    clock.set(at(2026, 12, 4, 19, 0, 5))
    await run_tick(runtime)
    eve = await reminders_sent(session, "eve")
    assert {m.member_id for m in eve} == member_ids - {excused}

    await session.refresh(meeting)
    meeting.status = MeetingStatus.CANCELLED
    await session.commit()
    clock.set(at(2026, 12, 5, 17, 30, 5))
    await run_tick(runtime)
    assert await reminders_sent(session, "before") == []
    dropped = await session.scalar(select(func.count(MeetingReminder.id)).where(MeetingReminder.reason == "meeting_cancelled"))
    assert dropped == len(invitations)


async def test_catch_up_after_downtime_and_stale_ones_dropped(runtime, session, cipher, clock) -> None:
    clock.set(at(2026, 12, 1, 9, 0))
    meeting, invitations = await meeting_with_invitations(session, cipher, at(2026, 12, 5, 19, 30))
    await run_tick(runtime)
    clock.set(at(2026, 12, 5, 18, 0))  # down since before the nudge; the meeting has not started
    await run_tick(runtime)
    sent = await reminders_sent(session)
    # Every reminder missed while down is still meaningful until the meeting starts: all are caught up.
    assert sorted(m.idempotency_key.split("|")[3].split(":")[0] for m in sent) == sorted(["nudge", "eve", "before"] * len(invitations))


async def test_everything_after_the_start_is_stale(runtime, session, cipher, clock) -> None:
    clock.set(at(2026, 12, 1, 9, 0))
    meeting, invitations = await meeting_with_invitations(session, cipher, at(2026, 12, 5, 19, 30))
    await run_tick(runtime)
    clock.set(at(2026, 12, 5, 20, 0))  # the whole evening was missed
    await run_tick(runtime)
    assert await reminders_sent(session) == []
    stale = await session.scalar(select(func.count(MeetingReminder.id)).where(MeetingReminder.reason == "stale"))
    assert stale == 3 * len(invitations)


async def test_night_catch_up_waits_for_morning(runtime, session, cipher, clock) -> None:
    clock.set(at(2026, 12, 1, 9, 0))
    meeting, invitations = await meeting_with_invitations(session, cipher, at(2026, 12, 5, 19, 30))
    count = len(invitations)
    await run_tick(runtime)
    clock.set(at(2026, 12, 4, 23, 0))  # the eve reminder was due at 19:00; it is now quiet time
    await run_tick(runtime)
    assert await reminders_sent(session, "eve") == []
    clock.set(at(2026, 12, 5, 6, 30, 5))
    await run_tick(runtime)
    assert len(await reminders_sent(session, "eve")) == count


async def test_a_moved_meeting_reminds_at_its_new_time(runtime, session, cipher, clock) -> None:
    clock.set(at(2026, 12, 1, 9, 0))
    meeting, invitations = await meeting_with_invitations(session, cipher, at(2026, 12, 5, 19, 30))
    await run_tick(runtime)
    clock.set(at(2026, 12, 4, 19, 0, 5))
    await run_tick(runtime)
    assert len(await reminders_sent(session, "eve")) == len(invitations)

    await session.refresh(meeting)
    meeting.starts_at = at(2026, 12, 6, 19, 30)  # moved a day later
    new_start = meeting.starts_at
    await session.commit()
    clock.set(at(2026, 12, 5, 17, 30, 5))  # the old "before" time: nothing must go out
    await run_tick(runtime)
    assert await reminders_sent(session, "before") == []
    pending = (await session.execute(select(MeetingReminder).where(MeetingReminder.kind == "before"))).scalars().all()
    assert {r.planned_for for r in pending} == {new_start} and {r.state for r in pending} == {ReminderState.PENDING}

    clock.set(at(2026, 12, 5, 19, 0, 5))  # the new eve
    await run_tick(runtime)
    eve = await reminders_sent(session, "eve")
    assert len(eve) == 2 * len(invitations)  # once for each meeting time, never twice for one
    assert len({m.idempotency_key for m in eve}) == len(eve)


async def test_two_schedulers_on_postgres_send_each_reminder_once(require_postgres, runtime, session, cipher, clock) -> None:
    from core.db import create_engine, create_session_factory

    clock.set(at(2026, 12, 1, 9, 0))
    meeting, invitations = await meeting_with_invitations(session, cipher, at(2026, 12, 5, 19, 30))
    await run_tick(runtime)
    clock.set(at(2026, 12, 5, 17, 30, 5))  # nudge, eve and before are all due at once
    other_engine = create_engine(require_postgres)
    other = type(runtime)(settings=runtime.settings, engine=other_engine, session_factory=create_session_factory(other_engine),
                          cipher=runtime.cipher, clock=runtime.clock)
    for _ in range(3):
        await asyncio.gather(run_tick(runtime), run_tick(other))
    await other_engine.dispose()
    sent = await reminders_sent(session)
    keys = [m.idempotency_key for m in sent]
    assert len(keys) == len(set(keys)) == 3 * len(invitations)
    states = (await session.execute(select(MeetingReminder.state))).scalars().all()
    assert set(states) == {ReminderState.SENT}
