"""Reminder settings of a cell, and a committee's defaults for its cells, changed in the bot
(⏰ Cài đặt nhắc họp) and over the API: strict checks, who may, inheritance from the committees
above and back to it, and the reminders of upcoming meetings re-planned (a sent reminder stays
sent; one the new settings would have sent already is not sent late) for the cells affected only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import texts
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.audit import AuditEvent
from core.orgs.models import Member, Org
from core.orgs.service import load_actor
from core.scheduling import service
from core.scheduling.models import MeetingReminder, ReminderKind, ReminderState
from tests.botkit import inline_buttons, texts_of
from tests.integration.test_reminders import BEFORE_AT, EVE_AT, MEETING_AT, NUDGE_AT, at, kinds_of, sent, setup, tick_at

SECRETARY_A, MEMBER_A, SECRETARY_B, COMMITTEE = 1001, 1003, 2001, 5001


async def stored(session, cell_id: int) -> dict:  # type: ignore[no-untyped-def]
    await session.commit()
    org = (await session.execute(select(Org).where(Org.id == cell_id).execution_options(populate_existing=True))).scalar_one()
    return dict(org.settings or {})


async def change(session, member_id: int, org_id: int, changes: dict, now, *, inherit=()):  # type: ignore[no-untyped-def]
    actor = await load_actor(session, await session.get(Member, member_id))
    view = await service.change_reminder_settings(session, actor=actor, org_id=org_id, changes=changes, inherit=inherit, now=now)
    await session.commit()
    return view.org, view.settings


# ---------------------------------------------------------------- the rules, through the real tick


async def test_new_times_apply_to_an_upcoming_meeting_at_once(runtime, session, cipher, clock) -> None:
    s = await setup(session, cipher, clock)
    await tick_at(runtime, clock, at(2026, 12, 1, 9, 1))  # planned with the defaults
    await change(session, s.cell.secretary.id, s.cell.org.id, {"eve_time": "20:00", "before_minutes": 60}, clock.now())

    await tick_at(runtime, clock, EVE_AT)  # 19:00 the evening before: no longer the time
    assert kinds_of(await sent(session, "eve")) == []
    await tick_at(runtime, clock, at(2026, 12, 4, 20, 0))
    assert len(await sent(session, "eve")) == s.count
    await tick_at(runtime, clock, BEFORE_AT)  # two hours before: no longer the time
    assert await sent(session, "before") == []
    await tick_at(runtime, clock, at(2026, 12, 5, 18, 30))
    assert len(await sent(session, "before")) == s.count


async def test_a_sent_reminder_is_not_sent_again_and_a_missed_one_not_late(runtime, session, cipher, clock) -> None:
    s = await setup(session, cipher, clock)
    await tick_at(runtime, clock, at(2026, 12, 1, 9, 1))
    await tick_at(runtime, clock, NUDGE_AT)
    nudged = len(await sent(session, "nudge"))
    assert nudged > 0
    # The nudge moves to one day before, and the evening reminder to 18:00, at 18:30 the day before:
    # the nudge was sent already, the 18:00 evening reminder is in the past — neither goes out now.
    clock.set(at(2026, 12, 4, 18, 30))
    await change(session, s.cell.secretary.id, s.cell.org.id, {"nudge_hours": 24, "eve_time": "18:00"}, clock.now())
    await tick_at(runtime, clock, at(2026, 12, 4, 19, 30))
    assert len(await sent(session, "nudge")) == nudged
    assert await sent(session, "eve") == []
    await session.commit()
    rows = (await session.execute(select(MeetingReminder.kind, MeetingReminder.state).where(MeetingReminder.meeting_id == s.meeting.id))).all()
    assert {state for kind, state in rows if kind == ReminderKind.NUDGE} == {ReminderState.SENT}
    # The last reminder is still ahead and comes as usual.
    await tick_at(runtime, clock, BEFORE_AT)
    assert len(await sent(session, "before")) == s.count


async def test_switched_off_sends_nothing_more_and_back_on_resumes(runtime, session, cipher, clock) -> None:
    s = await setup(session, cipher, clock)
    await tick_at(runtime, clock, at(2026, 12, 1, 9, 1))
    await change(session, s.cell.secretary.id, s.cell.org.id, {"enabled": False}, clock.now())
    for moment in (NUDGE_AT, EVE_AT):
        await tick_at(runtime, clock, moment)
    assert await sent(session) == []
    clock.set(at(2026, 12, 5, 9, 0))
    await change(session, s.cell.secretary.id, s.cell.org.id, {"enabled": True}, clock.now())
    await tick_at(runtime, clock, BEFORE_AT)
    assert kinds_of(await sent(session)) == ["before"] * s.count
    assert MEETING_AT > BEFORE_AT


# ---------------------------------------------------------------- strict checks and who may


@pytest.mark.parametrize(
    "changes",
    [
        {"eve_time": "25:00"}, {"eve_time": "19h5"}, {"quiet_start": 2130}, {"before_minutes": 5}, {"before_minutes": 3000},
        {"nudge_hours": -1}, {"nudge_hours": True}, {"enabled": "yes"}, {"study_days_before": [0]},
        {"study_days_before": [1, 2, 3, 4, 5, 6]}, {"colour": "red"}, {"quiet_start": "20:00", "quiet_end": "10:00"},
    ],
)
async def test_bad_values_are_refused_and_nothing_changes(session, cipher, clock, changes) -> None:  # type: ignore[no-untyped-def]
    s = await setup(session, cipher, clock)
    cell_id = s.cell.org.id
    before = await stored(session, cell_id)
    with pytest.raises(InvalidInput) as refusal:
        await change(session, s.cell.secretary.id, cell_id, changes, clock.now())
    await session.rollback()
    assert refusal.value.message
    assert await stored(session, cell_id) == before


async def test_scopes_across_cells_communes_and_provinces(session, cipher, clock) -> None:
    from tests.factories import make_commune

    commune = await make_commune(session, cipher, linked=True)
    await session.commit()
    cell_a, cell_b = commune.cells[0], commune.cells[1]
    a_id, b_id, commune_id = cell_a.org.id, cell_b.org.id, commune.commune.id
    plain_member, committee_member, secretary_a = cell_a.members[0].id, commune.committee_member.id, cell_a.secretary.id
    now = clock.now()
    # The secretary of cell B, and someone of another province: not found.
    for outsider in (cell_b.secretary.id, commune.other_cell.secretary.id):
        with pytest.raises(NotFound):
            await change(session, outsider, a_id, {"eve_time": "20:00"}, now)
        await session.rollback()
    # A plain member of cell A: may see the cell, may not change it.
    with pytest.raises(PermissionDenied):
        await change(session, plain_member, a_id, {"eve_time": "20:00"}, now)
    await session.rollback()
    # Nor the commune's defaults (they may not even see the commune).
    with pytest.raises(NotFound):
        await change(session, secretary_a, commune_id, {"eve_time": "20:00"}, now)
    await session.rollback()
    # The commune's committee member may, and it is audited.
    _, settings = await change(session, committee_member, a_id, {"eve_time": "20:00"}, now)
    assert (await stored(session, a_id))["reminders"]["eve_time"] == "20:00"
    assert settings.eve_time is not None and settings.eve_time.hour == 20
    assert (await stored(session, b_id)).get("reminders") is None
    audited = await session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "reminders.settings_changed", AuditEvent.org_id == a_id))
    assert audited == 1


# ---------------------------------------------------------------- in the bot


def screen_of(calls):  # type: ignore[no-untyped-def]
    """The last screen shown (sent or edited) with its buttons: (text, [(label, data)])."""
    call = next(call for call in reversed(calls) if inline_buttons(call))
    return call.text, inline_buttons(call)


async def test_secretary_changes_them_with_buttons(harness, session, cipher, clock) -> None:
    s = await setup(session, cipher, clock)
    calls = await harness.text(SECRETARY_A, texts.account.BTN_MEETINGS)
    buttons = dict(inline_buttons(calls[-1]))
    assert texts.reminders.BTN_SETTINGS in buttons
    cell_id = s.cell.org.id
    text, buttons_now = screen_of(await harness.press(SECRETARY_A, buttons[texts.reminders.BTN_SETTINGS]))
    assert "lúc 19:00" in text and "trước 2 tiếng" in text and "trước 2 ngày" in text and "21:30 – 06:30" in text
    eve_button = next(data for label, data in buttons_now if label.startswith("🌙"))
    text, choices = screen_of(await harness.press(SECRETARY_A, eve_button))
    assert text == texts.reminders.ASK_EVE
    assert [label for label, _ in choices][:4] == ["lúc 18:00", "✅ lúc 19:00", "lúc 20:00", texts.reminders.BTN_CHOICE_OFF]
    calls = await harness.press(SECRETARY_A, choices[2][1])
    assert texts.reminders.SETTINGS_SAVED in texts_of(calls)
    text, buttons_now = screen_of(calls)
    assert "lúc 20:00" in text
    assert (await stored(session, cell_id))["reminders"]["eve_time"] == "20:00"
    # Everything off, then on again.
    off = next(data for label, data in buttons_now if label == texts.reminders.BTN_TURN_OFF)
    text, buttons_now = screen_of(await harness.press(SECRETARY_A, off))
    assert texts.reminders.SETTINGS_OFF in text
    assert (await stored(session, cell_id))["reminders"]["enabled"] is False
    on = next(data for label, data in buttons_now if label == texts.reminders.BTN_TURN_ON)
    await harness.press(SECRETARY_A, on)
    assert (await stored(session, cell_id))["reminders"]["enabled"] is True


async def test_forged_and_foreign_buttons_change_nothing(harness, session, cipher, clock) -> None:
    s = await setup(session, cipher, clock)
    cell_id = s.cell.org.id
    before = await stored(session, cell_id)
    forged = [
        (SECRETARY_A, f"rms:{cell_id}:eve:2500"),  # a value no button offers
        (SECRETARY_A, f"rms:{cell_id}:colour:red"),  # no such setting
        (SECRETARY_A, f"rms:{cell_id}:enabled:"),  # no question for it
        (MEMBER_A, f"rms:{cell_id}:eve:2000"),  # not a leader
        (SECRETARY_B, f"rms:{cell_id}:eve:2000"),  # another cell's secretary
        (MEMBER_A, "rms:0::"),  # leads no cell
    ]
    for user, data in forged:
        calls = await harness.press(user, data)
        alerts = [call for call in calls if type(call).__name__ == "AnswerCallbackQuery"]
        assert alerts and alerts[-1].show_alert, (user, data)
    assert await stored(session, cell_id) == before


# ---------------------------------------------------------------- over the API


async def test_api_reads_and_changes_them_within_scope(api_client, session, commune, bearer) -> None:  # type: ignore[no-untyped-def]
    cell_a = commune.cells[0]

    secretary = await bearer(cell_a.secretary)
    url = f"/api/v1/orgs/{cell_a.org.id}/reminder-settings"
    response = await api_client.get(url, headers=secretary)
    assert response.status_code == 200
    assert response.json()["eve_time"] == "19:00" and response.json()["before_minutes"] == 120

    response = await api_client.patch(url, json={"eve_time": None, "nudge_hours": 24}, headers=secretary)
    assert response.status_code == 200, response.text
    assert response.json()["eve_time"] is None and response.json()["nudge_hours"] == 24
    assert (await stored(session, cell_a.org.id))["reminders"]["nudge_hours"] == 24

    for body in ({"before_minutes": 5}, {"quiet_start": "20:00", "quiet_end": "10:00"}, {"colour": "red"}, {"eve_time": "7pm"}):
        response = await api_client.patch(url, json=body, headers=secretary)
        assert response.status_code == 422, body
        assert set(response.json()) >= {"error", "message"}

    for outsider in (cell_a.members[0], commune.cells[1].secretary, commune.other_cell.secretary):
        headers = await bearer(outsider)
        read = await api_client.get(url, headers=headers)
        write = await api_client.patch(url, json={"eve_time": "18:00"}, headers=headers)
        assert read.status_code in (403, 404) and write.status_code in (403, 404), outsider.full_name
    assert (await api_client.get(url)).status_code == 401
    assert (await stored(session, cell_a.org.id))["reminders"]["eve_time"] is None
