"""A member's answer is written by one guarded UPDATE: a change made between the read and the write
(another process, the API) is never overwritten — the press is judged again on what is there now —
and the cell's leaders are read with the chat each is reached on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from core import texts
from core.audit import AuditEvent
from core.delivery.models import OutboxMessage
from core.errors import Conflict
from core.meetings import access, answering, service
from core.meetings.models import AbsenceReason, Answer, Invitation, Meeting, MeetingKind, MeetingStatus
from core.orgs.models import ChannelLink, Member
from core.orgs.service import Actor, load_actor
from tests.factories import Commune

STARTS = dt.datetime(2026, 12, 5, 12, 30, tzinfo=dt.timezone.utc)


async def setup(session, commune: Commune, clock) -> tuple[Actor, int, Meeting]:  # type: ignore[no-untyped-def]
    cell = commune.cells[0]
    secretary = await load_actor(session, cell.secretary)
    meeting = (await service.create_meeting(session, actor=secretary, cell_id=cell.org.id, kind=MeetingKind.REGULAR, starts_at=STARTS,
                                            place="Nhà văn hóa", now=clock.now())).meeting
    member = cell.members[0]
    invitation_id = await session.scalar(select(Invitation.id).where(Invitation.meeting_id == meeting.id, Invitation.member_id == member.id))
    return await load_actor(session, member), int(invitation_id), meeting


def meanwhile(monkeypatch: pytest.MonkeyPatch, change: Callable[[Any], Awaitable[None]]) -> list[int]:
    """Run `change` once, right after the press's first read (as if another writer got in between)."""
    reads: list[int] = []
    read = access.own_invitation_view

    async def reading(session: Any, **kwargs: Any) -> Any:
        view = await read(session, **kwargs)
        reads.append(view.invitation.revision)
        if len(reads) == 1:
            await change(session)
        return view

    monkeypatch.setattr(answering, "own_invitation_view", reading)
    return reads


async def answered_events(session, invitation_id: int) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "meeting.answered", AuditEvent.target == f"invitation:{invitation_id}")) or 0)


async def test_an_answer_changed_meanwhile_is_not_overwritten_but_judged_again(session, commune, clock, monkeypatch) -> None:
    actor, invitation_id, _ = await setup(session, commune, clock)

    async def asked_leave_elsewhere(s: Any) -> None:  # e.g. through the API, in another process
        await s.execute(update(Invitation).where(Invitation.id == invitation_id).values(
            answer=Answer.ABSENCE_REQUESTED, reason_kind=AbsenceReason.SICK, revision=Invitation.revision + 1))

    reads = meanwhile(monkeypatch, asked_leave_elsewhere)
    result = await service.answer_attending(session, actor=actor, invitation_id=invitation_id, now=clock.now())
    assert reads == [0, 1]  # read, write refused (revision moved), read again, written
    assert result.changed and result.invitation.answer == Answer.ATTENDING and result.invitation.revision == 2
    row = (await session.execute(select(Invitation.answer, Invitation.reason_kind, Invitation.revision).where(Invitation.id == invitation_id))).one()
    assert tuple(row) == (Answer.ATTENDING, None, 2)
    assert await answered_events(session, invitation_id) == 1  # the refused write recorded nothing


async def test_a_meeting_cancelled_between_the_read_and_the_write_takes_no_answer(session, commune, clock, monkeypatch) -> None:
    actor, invitation_id, meeting = await setup(session, commune, clock)

    async def cancelled(s: Any) -> None:
        await s.execute(update(Meeting).where(Meeting.id == meeting.id).values(status=MeetingStatus.CANCELLED))

    meanwhile(monkeypatch, cancelled)
    with pytest.raises(Conflict) as refusal:
        await service.request_absence(session, actor=actor, invitation_id=invitation_id, reason=AbsenceReason.SICK, now=clock.now())
    assert str(refusal.value) == texts.meetings.MEETING_CANCELLED
    assert await session.scalar(select(Invitation.answer).where(Invitation.id == invitation_id)) == Answer.NONE
    assert await answered_events(session, invitation_id) == 0
    assert await session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == service.KIND_ABSENCE_REQUEST)) == 0


async def test_a_request_reaches_each_leader_on_their_channel_and_a_leader_without_an_account_still_counts(session, commune, clock) -> None:
    actor, invitation_id, meeting = await setup(session, commune, clock)
    cell = commune.cells[0]
    # The deputy has no account any more; the secretary chose Zalo, where they are linked too.
    await session.execute(delete(ChannelLink).where(ChannelLink.member_id == cell.deputy.id))
    session.add(ChannelLink(member_id=cell.secretary.id, platform="zalo", platform_user_id="z-secretary", chat_id="z-secretary"))
    await session.execute(update(Member).where(Member.id == cell.secretary.id).values(preferred_channel="zalo"))
    result = await service.request_absence(session, actor=actor, invitation_id=invitation_id, reason=AbsenceReason.FAMILY, now=clock.now())
    assert result.changed and not result.auto_excused  # the deputy still decides, in the console or the API
    assert result.invitation.answer == Answer.ABSENCE_REQUESTED
    rows = (await session.execute(select(OutboxMessage.member_id, OutboxMessage.platform, OutboxMessage.chat_id, OutboxMessage.idempotency_key)
                                  .where(OutboxMessage.kind == service.KIND_ABSENCE_REQUEST))).all()
    assert [tuple(r) for r in rows] == [
        (cell.secretary.id, "zalo", "z-secretary", f"absence_request|meeting:{meeting.id}|{cell.secretary.id}|{invitation_id}r1"),
    ]
