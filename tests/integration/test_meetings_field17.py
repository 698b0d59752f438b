"""Issue 17 (field test), meetings: duplicates warned before sending (5), notices that tell meetings apart (6),
stale absence cards (8) — through the real Dispatcher and the API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import texts
from core.meetings import service
from core.meetings.models import AbsenceReason, Answer, Invitation, Meeting, MeetingStatus
from core.orgs.service import load_actor
from core.orgs.tokens import create_token
from core.ports import OutboundMessage
from tests.integration.test_meetings_bot import (
    MEMBER_A,
    SECRETARY_A,
    alerts,
    create_via_buttons,
    data_of,
    delivered,
    joined,
    meetings,
    outbox,
)

STARTS = dt.datetime(2026, 12, 10, 12, 30, tzinfo=dt.timezone.utc)  # Thursday 10/12 19:30 in Hà Nội


async def _existing_meeting(session, commune, clock, *, starts_at=STARTS, place="Nhà văn hóa thôn"):  # type: ignore[no-untyped-def]
    actor = await load_actor(session, commune.cells[0].secretary)
    result = await service.create_meeting(
        session, actor=actor, cell_id=commune.cells[0].org.id, kind=service.MeetingKind.REGULAR, starts_at=starts_at,
        place=place, agenda="Việc tháng 12", now=clock.now(),
    )
    await session.commit()
    return result.meeting


async def _count_meetings(session) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count(Meeting.id))) or 0)


# ---------------------------------------------------------------- 5. duplicate meetings


async def test_a_second_meeting_at_the_same_time_is_warned_about_and_sent_only_deliberately(harness, session, commune, clock) -> None:
    first = await _existing_meeting(session, commune, clock)
    invitations_before = len(await outbox(session, service.KIND_INVITATION))
    await create_via_buttons(harness, when="10/12 20h")  # half an hour after the first one starts
    calls = await harness.press(SECRETARY_A, "mtf:send")
    warning = joined(calls)
    assert "Trùng lịch" in warning and "Thứ Năm, 10/12/2026 — 19:30" in warning and "Nhà văn hóa thôn" in warning
    assert await _count_meetings(session) == 1  # nothing created, nobody invited twice
    assert len(await outbox(session, service.KIND_INVITATION)) == invitations_before
    assert data_of(calls, "mtf:") == ["mtf:when", "mtf:sendx", "mtf:cancel"]

    # Going on is a second, deliberate press.
    calls = await harness.press(SECRETARY_A, "mtf:sendx")
    assert texts.meetings.CREATED.split("<b>")[0] in joined(calls)
    assert [m.id for m in await meetings(session)][0] == first.id and await _count_meetings(session) == 2


async def test_a_meeting_on_another_day_is_sent_without_a_warning(harness, session, commune, clock) -> None:
    await _existing_meeting(session, commune, clock)
    await create_via_buttons(harness, when="11/12 19h30")
    calls = await harness.press(SECRETARY_A, "mtf:send")
    assert "Trùng lịch" not in joined(calls) and await _count_meetings(session) == 2


async def test_moving_a_meeting_onto_another_is_warned_about(harness, session, commune, clock) -> None:
    await _existing_meeting(session, commune, clock)
    second = await _existing_meeting(session, commune, clock, starts_at=STARTS + dt.timedelta(days=1), place="Hội trường")
    await harness.press(SECRETARY_A, f"mto:edit:{second.id}")
    await harness.press(SECRETARY_A, "mtf:when")
    await harness.text(SECRETARY_A, "10/12 19h")
    calls = await harness.press(SECRETARY_A, "mtf:save")
    assert "Trùng lịch" in joined(calls) and "mtf:savex" in data_of(calls, "mtf:")
    await session.refresh(second)
    assert second.starts_at == STARTS + dt.timedelta(days=1)
    await harness.press(SECRETARY_A, "mtf:savex")
    await session.refresh(second)
    assert second.starts_at == STARTS - dt.timedelta(minutes=30)


async def test_api_refuses_an_overlapping_meeting_with_the_clash_unless_allowed(api_client, session, commune, clock) -> None:
    first = await _existing_meeting(session, commune, clock)
    issued = await create_token(session, member=commune.cells[0].secretary, now=clock.now())
    await session.commit()
    headers = {"Authorization": f"Bearer {issued.token}"}
    body = {"org_id": commune.cells[0].org.id, "kind": "thematic", "starts_at": "2026-12-10T19:30:00+07:00", "place": "Nhà văn hóa thôn"}
    response = await api_client.post("/api/v1/meetings", json=body, headers=headers)
    assert response.status_code == 409, response.text
    refusal = response.json()
    assert refusal["error"] == "meeting_overlap" and [m["id"] for m in refusal["clashing"]] == [first.id]
    # JSON carries what a person reads: the chat's markup is gone, the words stay.
    assert refusal["message"].startswith("⚠️ Trùng lịch họp.") and "<" not in refusal["message"]
    assert await _count_meetings(session) == 1

    # Another cell at the same time is not a clash.
    other = {**body, "org_id": commune.cells[1].org.id}
    issued_b = await create_token(session, member=commune.cells[1].secretary, now=clock.now())
    await session.commit()
    response = await api_client.post("/api/v1/meetings", json=other, headers={"Authorization": f"Bearer {issued_b.token}"})
    assert response.status_code == 201, response.text

    response = await api_client.post("/api/v1/meetings", json={**body, "allow_overlap": True}, headers=headers)
    assert response.status_code == 201, response.text
    second_id = response.json()["id"]
    # Moving it back onto the first is refused the same way; allowed deliberately.
    patch = {"starts_at": "2026-12-10T19:00:00+07:00"}
    response = await api_client.patch(f"/api/v1/meetings/{second_id}", json=patch, headers=headers)
    assert response.status_code == 409 and response.json()["error"] == "meeting_overlap"
    response = await api_client.patch(f"/api/v1/meetings/{second_id}", json={**patch, "allow_overlap": True}, headers=headers)
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------- 6. notices that tell meetings apart


async def test_cancelling_the_duplicate_names_it_and_says_the_other_still_stands(harness, session, commune, clock) -> None:
    real = await _existing_meeting(session, commune, clock, place="Nhà văn hóa thôn")
    actor = await load_actor(session, commune.cells[0].secretary)
    duplicate = (await service.create_meeting(
        session, actor=actor, cell_id=commune.cells[0].org.id, kind=service.MeetingKind.THEMATIC, starts_at=STARTS,
        place="Hội trường xã", now=clock.now(), allow_overlap=True,
    )).meeting
    await session.commit()
    await delivered(session)
    await harness.press(SECRETARY_A, f"mto:cancel:{duplicate.id}")
    calls = await harness.press(SECRETARY_A, f"mto:cancel_ok:{duplicate.id}")
    assert "Hội trường xã" in joined(calls)
    [row, *_] = [r for r in await outbox(session, service.KIND_CANCELLED)]
    notice = OutboundMessage.from_payload(row.payload).text
    # The cancelled one by kind, time and place …
    assert texts.meetings.KINDS["thematic"] in notice and "10/12/2026 — 19:30" in notice and "Hội trường xã" in notice
    # … and the real one, which stands.
    assert "vẫn diễn ra" in notice and texts.meetings.KINDS["regular"] in notice and "Nhà văn hóa thôn" in notice
    await session.refresh(real)
    assert real.status == MeetingStatus.SCHEDULED


async def test_a_lone_cancellation_says_nothing_about_other_meetings(session, commune, clock) -> None:
    meeting = await _existing_meeting(session, commune, clock)
    await delivered(session)
    actor = await load_actor(session, commune.cells[0].secretary)
    await service.cancel_meeting(session, actor=actor, meeting_id=meeting.id, now=clock.now())
    [row, *_] = await outbox(session, service.KIND_CANCELLED)
    text = OutboundMessage.from_payload(row.payload).text
    assert "Nhà văn hóa thôn" in text and "vẫn diễn ra" not in text


async def test_the_secretarys_list_tells_two_meetings_of_one_day_apart(harness, session, commune, clock) -> None:
    await _existing_meeting(session, commune, clock, place="Nhà văn hóa thôn")
    await _existing_meeting(session, commune, clock, starts_at=STARTS + dt.timedelta(hours=3), place="Hội trường xã")
    calls = await harness.press(SECRETARY_A, "mtm:mng:0")
    labels = [b.text for call in calls for row in (getattr(call, "reply_markup", None) or type("x", (), {"inline_keyboard": []})).inline_keyboard
              for b in row if (b.callback_data or "").startswith("mto:open:")]
    assert len(labels) == 2 and len(set(labels)) == 2
    assert any("19:30" in label for label in labels) and any("22:30" in label for label in labels)


# ---------------------------------------------------------------- 7. a typed date without a year


async def test_a_day_already_past_this_year_is_asked_about_and_the_example_is_ahead(harness, session, commune, clock) -> None:
    clock.set(dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.timezone.utc))  # Monday 7/12, 10:00 in Hà Nội
    await harness.text(SECRETARY_A, texts.account.BTN_MEETINGS)
    await harness.press(SECRETARY_A, "mtm:new:0")
    calls = await harness.press(SECRETARY_A, "mtk:regular")
    prompt = joined(calls)
    assert "<i>14/12 19h30</i>" in prompt and "<i>4/12 19h30</i>" not in prompt  # the example is a coming day

    calls = await harness.text(SECRETARY_A, "4/12 19h30")
    question = joined(calls)
    assert "04/12" in question and "2027" in question
    assert not data_of(calls, "mtp:")  # not taken as 04/12/2027 and moved on
    assert data_of(calls, "mtd:") == ["mtd:20271204"] and "mtf:cal" in data_of(calls, "mtf:")
    # Confirming keeps the typed time and goes on to the place.
    calls = await harness.press(SECRETARY_A, "mtd:20271204")
    assert "Thứ Bảy, 04/12/2027 — 19:30" in joined(calls) and data_of(calls, "mtp:")


# ---------------------------------------------------------------- 8. stale absence cards


async def test_an_old_absence_card_decides_nothing_and_shows_the_current_request(harness, session, commune, clock) -> None:
    meeting = await _existing_meeting(session, commune, clock)
    member = commune.cells[0].members[0]
    invitation = (await session.execute(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == member.id)
    )).scalar_one()
    await harness.press(MEMBER_A, f"mti:no:{invitation.id}")
    await harness.press(MEMBER_A, f"mtr:sick:{invitation.id}")
    [first_card, *_] = await outbox(session, service.KIND_ABSENCE_REQUEST)
    old = OutboundMessage.from_payload(first_card.payload)
    assert "Ốm đau" in old.text or texts.meetings.REASONS["sick"] in old.text
    old_approve = old.buttons[0][0].callback_data

    # The member changes the reason; the secretary then presses the first card's Đồng ý.
    await harness.press(MEMBER_A, f"mti:no:{invitation.id}")
    await harness.press(MEMBER_A, f"mtr:other:{invitation.id}")
    await harness.text(MEMBER_A, "Đi đám cưới cháu ở huyện")
    calls = await harness.press(SECRETARY_A, old_approve, message_text=old.text)
    assert texts.meetings.ABSENCE_CHANGED_TOAST in alerts(calls)
    await session.refresh(invitation)
    assert invitation.answer == Answer.ABSENCE_REQUESTED and invitation.decided_by_id is None  # nothing approved
    shown = joined(calls)
    assert texts.meetings.ABSENCE_CHANGED in shown and "Đi đám cưới cháu ở huyện" in shown
    current = data_of(calls, "mta:")
    assert current == [f"mta:ok:{invitation.id}:{invitation.revision}", f"mta:no:{invitation.id}:{invitation.revision}"]
    assert old_approve not in current

    # The current card decides the current request.
    await harness.press(SECRETARY_A, current[0])
    await session.refresh(invitation)
    assert invitation.answer == Answer.EXCUSED and invitation.reason_kind == AbsenceReason.OTHER


async def test_a_card_from_before_revisions_shows_the_current_request(harness, session, commune, clock) -> None:
    meeting = await _existing_meeting(session, commune, clock)
    member = commune.cells[0].members[0]
    invitation = (await session.execute(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == member.id)
    )).scalar_one()
    await harness.press(MEMBER_A, f"mti:no:{invitation.id}")
    await harness.press(MEMBER_A, f"mtr:family:{invitation.id}")
    calls = await harness.press(SECRETARY_A, f"mta:ok:{invitation.id}")
    await session.refresh(invitation)
    assert invitation.answer == Answer.ABSENCE_REQUESTED
    assert f"mta:ok:{invitation.id}:{invitation.revision}" in data_of(calls, "mta:")


async def test_api_decision_with_an_old_revision_is_refused(api_client, session, commune, clock) -> None:
    meeting = await _existing_meeting(session, commune, clock)
    member = commune.cells[0].members[0]
    actor = await load_actor(session, member)
    invitation = (await session.execute(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == member.id)
    )).scalar_one()
    await service.request_absence(session, actor=actor, invitation_id=invitation.id, reason=AbsenceReason.SICK, now=clock.now())
    seen = invitation.revision
    await service.request_absence(session, actor=actor, invitation_id=invitation.id, reason=AbsenceReason.FAMILY, now=clock.now())
    issued = await create_token(session, member=commune.cells[0].secretary, now=clock.now())
    await session.commit()
    headers = {"Authorization": f"Bearer {issued.token}"}
    url = f"/api/v1/meetings/invitations/{invitation.id}/decision"
    response = await api_client.post(url, json={"approve": True, "revision": seen}, headers=headers)
    assert response.status_code == 409 and response.json()["error"] == "absence_changed"
    response = await api_client.post(url, json={"approve": True, "revision": seen + 1}, headers=headers)
    assert response.status_code == 200 and response.json()["answer"] == "excused" and response.json()["revision"] == seen + 1


async def test_moving_the_duplicate_away_says_the_meeting_at_the_old_time_stands(session, commune, clock) -> None:
    await _existing_meeting(session, commune, clock, place="Nhà văn hóa thôn")
    actor = await load_actor(session, commune.cells[0].secretary)
    duplicate = (await service.create_meeting(
        session, actor=actor, cell_id=commune.cells[0].org.id, kind=service.MeetingKind.THEMATIC, starts_at=STARTS,
        place="Hội trường xã", now=clock.now(), allow_overlap=True,
    )).meeting
    await delivered(session)
    await service.edit_meeting(session, actor=actor, meeting_id=duplicate.id, starts_at=STARTS + dt.timedelta(days=2), now=clock.now())
    [row, *_] = await outbox(session, service.KIND_CHANGED)
    notice = OutboundMessage.from_payload(row.payload).text
    assert "Hội trường xã" in notice and "vẫn diễn ra" in notice and "Nhà văn hóa thôn" in notice
