"""Each action leaves one audit row, written by core, whichever channel asked: the bot's rows name
the Telegram account, the API's the token — and the API writes no second row of its own."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.meetings import service as meetings
from core.meetings.models import Invitation, Meeting
from core.orgs.tokens import create_token
from tests.factories import Commune, make_commune
from tests.integration.test_meetings_bot import MEMBER_A, SECRETARY_A, create_via_buttons


@pytest.fixture
async def commune(session, cipher) -> Commune:  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    await session.commit()
    return commune


async def audit_rows(session) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    rows = (await session.execute(select(AuditEvent.action, AuditEvent.actor_platform_user).order_by(AuditEvent.id))).all()
    # The meetings' rows, and any row an edge wrote itself (api.*), which would be a second one.
    return [(action, via) for action, via in rows if action.startswith(("meeting", "api."))]


async def test_meeting_actions_through_the_bot_are_audited_once_by_core(harness, session, commune) -> None:
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    meeting = (await session.execute(select(Meeting))).scalar_one()
    member = commune.cells[0].members[0]
    invitation = (await session.execute(select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == member.id))).scalar_one()
    await harness.press(MEMBER_A, f"mti:yes:{invitation.id}")
    await harness.press(MEMBER_A, f"mti:yes:{invitation.id}")  # the same answer again changes nothing: no second row
    session.expire_all()
    assert await audit_rows(session) == [
        ("meeting.created", f"telegram:{SECRETARY_A}"),
        ("meeting.answered", f"telegram:{MEMBER_A}"),
    ]


async def test_the_same_actions_through_the_api_are_audited_once_with_the_token(api_client, session, commune, clock) -> None:
    cell = commune.cells[0]
    secretary = await create_token(session, member=cell.secretary, now=clock.now())
    member = await create_token(session, member=cell.members[0], now=clock.now())
    await session.commit()
    by_secretary, by_member = f"api:token:{secretary.record.id}", f"api:token:{member.record.id}"
    as_secretary = {"Authorization": f"Bearer {secretary.token}"}
    starts = (clock.now() + dt.timedelta(days=7)).isoformat()
    created = await api_client.post("/api/v1/meetings", json={"org_id": cell.org.id, "kind": "regular", "starts_at": starts, "place": "Nhà văn hóa"},
                                    headers=as_secretary)
    assert created.status_code == 201, created.text
    meeting_id = created.json()["id"]
    answered = await api_client.post(f"/api/v1/meetings/{meeting_id}/answer", json={"answer": "attending"},
                                     headers={"Authorization": f"Bearer {member.token}"})
    assert answered.status_code == 200, answered.text
    assert (await api_client.patch(f"/api/v1/meetings/{meeting_id}", json={"place": "Hội trường"}, headers=as_secretary)).status_code == 200
    assert (await api_client.post(f"/api/v1/meetings/{meeting_id}/cancel", headers=as_secretary)).status_code == 200
    session.expire_all()
    assert await audit_rows(session) == [
        ("meeting.created", by_secretary),
        ("meeting.answered", by_member),
        ("meeting.edited", by_secretary),
        ("meeting.cancelled", by_secretary),
    ]


async def test_core_records_the_action_for_any_caller(session, commune, clock) -> None:
    """A caller with no channel (a script, the demo) still leaves the row, naming no account."""
    from core.meetings.models import MeetingKind
    from core.orgs.service import load_actor

    actor = await load_actor(session, commune.cells[0].secretary)
    await meetings.create_meeting(session, actor=actor, cell_id=commune.cells[0].org.id, kind=MeetingKind.REGULAR,
                                  starts_at=clock.now() + dt.timedelta(days=7), place="Nhà văn hóa", agenda="", now=clock.now())
    assert await audit_rows(session) == [("meeting.created", None)]
