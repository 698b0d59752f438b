"""A committee's reminder defaults for every cell below it: inheritance (built-in, then each
committee from the root down, then the cell), a cell's own values and back to "theo cấp trên",
who may change a committee's defaults, and the re-planning of the cells affected only (a batch in
the request, the rest by the planner tick), in core, the bot and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import texts
from core.errors import NotFound
from core.meetings import service as meetings
from core.meetings.models import MeetingKind
from core.audit import AuditEvent
from core.orgs.models import Member, Org, OrgKind, OrgRole, RoleKind
from core.orgs.service import create_org, load_actor
from core.scheduling import reminders, service
from core.scheduling.models import ReminderReplan
from core.scheduling.settings import DEFAULT, as_raw, effective_settings
from tests.botkit import texts_of
from tests.factories import add_member, make_cell, make_commune
from tests.integration.test_reminder_settings import change, screen_of, stored
from tests.integration.test_reminders import (
    EVE_AT,
    MEETING_AT,
    at,
    sent,
    setup,
    tick_at,
)

SECRETARY_A, COMMITTEE = 1001, 5001


async def tree(session, cipher):  # type: ignore[no-untyped-def]
    """make_commune plus a province committee member and a sibling commune with its own member."""
    commune = await make_commune(session, cipher, linked=True)
    province_member = await add_member(session, cipher, commune.cells[0].org, "Ủy viên Tỉnh ủy", link_to=5002)
    session.add(OrgRole(member_id=province_member.id, org_id=commune.province.id, role=RoleKind.COMMITTEE_MEMBER))
    sibling = await create_org(session, name="Đảng bộ xã Lao Chải", kind=OrgKind.COMMITTEE, parent=commune.province)
    sibling_cell = await make_cell(session, cipher, sibling, "Chi bộ thôn Sáng Pao")
    sibling_member = await add_member(session, cipher, sibling_cell.org, "Ủy viên Đảng ủy xã Lao Chải")
    session.add(OrgRole(member_id=sibling_member.id, org_id=sibling.id, role=RoleKind.COMMITTEE_MEMBER))
    await session.commit()
    return commune, province_member, sibling, sibling_member


async def view(session, member_id: int, org_id: int):  # type: ignore[no-untyped-def]
    actor = await load_actor(session, await session.get(Member, member_id))
    return await service.reminder_settings(session, actor=actor, org_id=org_id)


# ---------------------------------------------------------------- inheritance


async def test_defaults_then_each_committee_from_the_root_then_the_cell(session, cipher, clock) -> None:
    commune, province_member, _, _ = await tree(session, cipher)
    cell_a, cell_b = commune.cells[0].org, commune.cells[1].org
    now = clock.now()
    await change(session, province_member.id, commune.province.id, {"eve_time": "20:00", "quiet_start": "22:00", "quiet_end": "07:00"}, now)
    await change(session, commune.committee_member.id, commune.commune.id, {"eve_time": "18:00"}, now)
    await change(session, commune.cells[0].secretary.id, cell_a.id, {"before_minutes": 60}, now)
    # Only the keys set at each level are stored.
    assert (await stored(session, commune.commune.id))["reminders"] == {"eve_time": "18:00"}
    assert (await stored(session, cell_a.id))["reminders"] == {"before_minutes": 60}

    a = await view(session, commune.cells[0].secretary.id, cell_a.id)
    assert as_raw(a.settings) == {**as_raw(DEFAULT), "eve_time": "18:00", "quiet_start": "22:00", "quiet_end": "07:00", "before_minutes": 60}
    assert a.source["eve_time"] == commune.commune.id and a.source["quiet_start"] == commune.province.id
    assert a.source["before_minutes"] == cell_a.id and a.source["nudge_hours"] is None
    assert a.is_own("before_minutes") and not a.is_own("eve_time")
    # The planner's batch reader agrees, and a cell in another province keeps the built-in defaults.
    batch = await effective_settings(session, [cell_a.id, cell_b.id, commune.other_cell.org.id])
    assert batch[cell_a.id] == a.settings
    assert as_raw(batch[cell_b.id]) == {**as_raw(DEFAULT), "eve_time": "18:00", "quiet_start": "22:00", "quiet_end": "07:00"}
    assert batch[commune.other_cell.org.id] == DEFAULT


async def test_a_bad_stored_value_falls_back_to_the_level_above_and_never_stops_reminders(session, cipher) -> None:
    commune = await make_commune(session, cipher, linked=False)
    commune.commune.settings = {"reminders": {"eve_time": "20:00", "before_minutes": 60}}
    commune.cells[0].org.settings = {"reminders": {"eve_time": "8pm", "before_minutes": "abc", "colour": "red"}}
    await session.commit()
    settings = (await effective_settings(session, [commune.cells[0].org.id]))[commune.cells[0].org.id]
    assert settings.eve_time == dt.time(20, 0) and settings.before == dt.timedelta(hours=1) and settings.enabled


async def test_a_cell_overrides_then_goes_back_to_the_committee(session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=False)
    await session.commit()
    cell_a, secretary = commune.cells[0].org, commune.cells[0].secretary.id
    now = clock.now()
    await change(session, secretary, cell_a.id, {"eve_time": "19:30"}, now)
    await change(session, commune.committee_member.id, commune.commune.id, {"eve_time": "20:00", "nudge_hours": 24}, now)
    _, settings = await change(session, secretary, cell_a.id, {}, now)
    assert settings.eve_time == dt.time(19, 30) and settings.nudge == dt.timedelta(hours=24)  # its own, and the commune's
    _, settings = await change(session, secretary, cell_a.id, {}, now, inherit=["eve_time"])
    assert settings.eve_time == dt.time(20, 0)
    assert "reminders" not in await stored(session, cell_a.id)


async def test_settings_stored_before_inheritance_read_as_the_cells_own(session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=False)
    commune.cells[0].org.settings = {"reminders": as_raw(DEFAULT), "other": 1}
    await session.commit()
    cell_a, secretary = commune.cells[0].org, commune.cells[0].secretary.id
    await change(session, commune.committee_member.id, commune.commune.id, {"eve_time": "20:00"}, clock.now())
    assert (await view(session, secretary, cell_a.id)).settings.eve_time == dt.time(19, 0)
    _, settings = await change(session, secretary, cell_a.id, {}, clock.now(), inherit=list(as_raw(DEFAULT)))
    assert settings.eve_time == dt.time(20, 0)
    assert await stored(session, cell_a.id) == {"other": 1}


# ---------------------------------------------------------------- who may


async def test_committee_scope(session, cipher, clock) -> None:
    commune, province_member, sibling, sibling_member = await tree(session, cipher)
    commune_id, province_id, sibling_id, now = commune.commune.id, commune.province.id, sibling.id, clock.now()
    committee_member, province_member_id = commune.committee_member.id, province_member.id
    before = await stored(session, commune_id)
    for outsider in (commune.cells[0].secretary.id, commune.cells[0].members[0].id, sibling_member.id, commune.other_cell.secretary.id):
        with pytest.raises(NotFound):
            await change(session, outsider, commune_id, {"eve_time": "20:00"}, now)
        await session.rollback()
        with pytest.raises(NotFound):
            await view(session, outsider, commune_id)
    # Nor a committee above one's own.
    with pytest.raises(NotFound):
        await change(session, committee_member, province_id, {"eve_time": "20:00"}, now)
    await session.rollback()
    assert await stored(session, commune_id) == before
    assert "reminders" not in await stored(session, province_id)
    # Its own committee member, and the province's.
    await change(session, committee_member, commune_id, {"eve_time": "20:00"}, now)
    await change(session, province_member_id, commune_id, {"nudge_hours": 24}, now)
    assert (await stored(session, commune_id))["reminders"] == {"eve_time": "20:00", "nudge_hours": 24}
    assert "reminders" not in await stored(session, sibling_id)
    audited = await session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "reminders.settings_changed", AuditEvent.org_id == commune_id))
    assert audited == 2


# ---------------------------------------------------------------- re-planning


async def meeting_in(session, cell, clock):  # type: ignore[no-untyped-def]
    actor = await load_actor(session, cell.secretary)
    await meetings.create_meeting(
        session, actor=actor, cell_id=cell.org.id, kind=MeetingKind.REGULAR, starts_at=MEETING_AT, place="Nhà văn hóa", now=clock.now(),
    )
    await session.commit()


async def test_a_committee_change_replans_the_cells_that_follow_it_only(runtime, session, cipher, clock) -> None:
    s = await setup(session, cipher, clock)  # a meeting in cell A
    cell_b = (await session.execute(select(Org).where(Org.name == "Chi bộ thôn Púng Luông"))).scalar_one()
    commune = await session.get(Org, cell_b.parent_id)
    b_secretary = (await session.execute(select(Member).where(Member.org_id == cell_b.id).order_by(Member.id))).scalars().first()
    committee_member = (await session.execute(select(OrgRole.member_id).where(OrgRole.org_id == commune.id))).scalar_one()
    from tests.factories import Cell

    await meeting_in(session, Cell(org=cell_b, secretary=b_secretary, deputy=b_secretary, members=[]), clock)
    b_count = await session.scalar(select(func.count()).select_from(Member).where(Member.org_id == cell_b.id))
    await change(session, b_secretary.id, cell_b.id, {"eve_time": "19:00"}, clock.now())  # cell B keeps 19:00 itself
    await tick_at(runtime, clock, at(2026, 12, 1, 9, 1))
    await change(session, committee_member, commune.id, {"eve_time": "20:00"}, clock.now())

    await tick_at(runtime, clock, EVE_AT)  # 19:00: cell B only
    assert len(await sent(session, "eve")) == b_count
    await tick_at(runtime, clock, at(2026, 12, 4, 20, 0))  # 20:00: cell A, by the commune's default
    assert len(await sent(session, "eve")) == b_count + s.count


async def test_a_large_subtree_is_replanned_in_batches_by_the_tick(runtime, session, cipher, clock, monkeypatch) -> None:
    monkeypatch.setattr(reminders, "REPLAN_CELLS", 1)
    monkeypatch.setattr(reminders, "REPLAN_CELLS_AT_ONCE", 1)
    s = await setup(session, cipher, clock)
    commune = await session.get(Org, s.cell.org.parent_id)
    committee_member = (await session.execute(select(OrgRole.member_id).where(OrgRole.org_id == commune.id))).scalar_one()
    # Cell A is the first of the commune's cells: the request re-plans it, the tick the rest.
    await tick_at(runtime, clock, at(2026, 12, 1, 9, 1))
    await change(session, committee_member, commune.id, {"eve_time": "20:00"}, clock.now())
    job = await session.get(ReminderReplan, commune.id)
    assert job is not None and job.keys == ["eve_time"]
    result = await tick_at(runtime, clock, at(2026, 12, 1, 9, 2))
    assert "replan_committee_changes" in result
    for minute in range(3, 6):
        await tick_at(runtime, clock, at(2026, 12, 1, 9, minute))
    await session.commit()
    assert await session.get(ReminderReplan, commune.id, populate_existing=True) is None
    await tick_at(runtime, clock, EVE_AT)
    assert await sent(session, "eve") == []
    await tick_at(runtime, clock, at(2026, 12, 4, 20, 0))
    assert len(await sent(session, "eve")) == s.count


# ---------------------------------------------------------------- in the bot


async def test_committee_member_sets_the_defaults_and_a_cell_follows_or_not(harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=True)
    await session.commit()
    commune_id, cell_id = commune.commune.id, commune.cells[0].org.id
    text, options = screen_of(await harness.press(COMMITTEE, "rms:0::"))
    assert text == texts.reminders.ASK_ORG
    labels = [label for label, _ in options]
    assert labels[0] == texts.reminders.BTN_COMMITTEE_DEFAULTS.format(org=commune.commune.name) and commune.cells[0].org.name in labels
    text, buttons = screen_of(await harness.press(COMMITTEE, options[0][1]))
    assert commune.commune.name in text and texts.reminders.BTN_INHERIT not in dict(buttons)
    eve = next(data for label, data in buttons if label.startswith("🌙"))
    _, choices = screen_of(await harness.press(COMMITTEE, eve))
    calls = await harness.press(COMMITTEE, next(data for label, data in choices if label == "lúc 20:00"))
    assert texts.reminders.SETTINGS_SAVED in texts_of(calls)
    assert (await stored(session, commune_id))["reminders"] == {"eve_time": "20:00"}

    # The cell's screen: the value from above is marked; no way back while it sets nothing itself.
    text, buttons = screen_of(await harness.press(SECRETARY_A, f"rms:{cell_id}::"))
    assert "lúc 20:00" + texts.reminders.FROM_ABOVE in text and texts.reminders.BTN_INHERIT not in dict(buttons)
    _, choices = screen_of(await harness.press(SECRETARY_A, f"rms:{cell_id}:eve:"))
    text, buttons = screen_of(await harness.press(SECRETARY_A, next(data for label, data in choices if label == "lúc 18:00")))
    assert "lúc 18:00" + texts.reminders.FROM_ABOVE not in text and "lúc 18:00" in text
    back = dict(buttons)[texts.reminders.BTN_INHERIT]
    calls = await harness.press(SECRETARY_A, back)
    assert texts.reminders.SETTINGS_INHERITED in texts_of(calls)
    assert "reminders" not in await stored(session, cell_id)
    assert "lúc 20:00" + texts.reminders.FROM_ABOVE in screen_of(calls)[0]


async def test_forged_buttons_for_a_committee_change_nothing(harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=True)
    await session.commit()
    commune_id, province_id = commune.commune.id, commune.province.id
    before = (await stored(session, commune_id), await stored(session, province_id))
    for user, data in [
        (SECRETARY_A, f"rms:{commune_id}:eve:2000"),  # a cell's secretary, the commune's defaults
        (SECRETARY_A, f"rms:{commune_id}:inherit:1"),
        (SECRETARY_A, f"rms:{commune_id}::"),
        (COMMITTEE, f"rms:{province_id}:eve:2000"),  # the committee above one's own
        (COMMITTEE, f"rms:{commune_id}:inherit:0"),  # no such button
        (9001, f"rms:{commune_id}:quiet:2200-0700"),  # another province
    ]:
        calls = await harness.press(user, data)
        alerts = [call for call in calls if type(call).__name__ == "AnswerCallbackQuery"]
        assert alerts and alerts[-1].show_alert, (user, data)
    assert (await stored(session, commune_id), await stored(session, province_id)) == before


# ---------------------------------------------------------------- over the API


async def test_api_committee_defaults_sources_and_back_to_inherited(api_client, session, commune, bearer) -> None:  # type: ignore[no-untyped-def]
    cell_a = commune.cells[0]

    committee, secretary = await bearer(commune.committee_member), await bearer(cell_a.secretary)
    commune_url, cell_url = (f"/api/v1/orgs/{org_id}/reminder-settings" for org_id in (commune.commune.id, cell_a.org.id))
    response = await api_client.patch(commune_url, json={"quiet_start": "22:00", "quiet_end": "07:00"}, headers=committee)
    assert response.status_code == 200, response.text
    assert response.json()["sources"]["quiet_start"] == {"own": True, "org_id": commune.commune.id, "org_name": commune.commune.name}

    response = await api_client.patch(cell_url, json={"eve_time": "20:00"}, headers=secretary)
    body = response.json()
    assert body["quiet_start"] == "22:00" and body["eve_time"] == "20:00"
    assert body["sources"]["quiet_start"] == {"own": False, "org_id": commune.commune.id, "org_name": commune.commune.name}
    assert body["sources"]["eve_time"]["own"] is True and body["sources"]["before_minutes"] == {"own": False, "org_id": None, "org_name": None}

    response = await api_client.patch(cell_url, json={"inherit": ["eve_time"]}, headers=secretary)
    assert response.status_code == 200 and response.json()["eve_time"] == "19:00" and not response.json()["sources"]["eve_time"]["own"]
    assert (await api_client.patch(cell_url, json={"inherit": ["colour"]}, headers=secretary)).status_code == 422
    await api_client.patch(cell_url, json={"nudge_hours": 24}, headers=secretary)
    response = await api_client.delete(cell_url, headers=secretary)
    assert response.status_code == 200 and not any(source["own"] for source in response.json()["sources"].values())
    assert "reminders" not in await stored(session, cell_a.org.id)

    for outsider in (secretary, await bearer(commune.other_cell.secretary)):
        for method in ("get", "delete"):
            assert (await getattr(api_client, method)(commune_url, headers=outsider)).status_code == 404
        assert (await api_client.patch(commune_url, json={"eve_time": "18:00"}, headers=outsider)).status_code == 404
    assert (await stored(session, commune.commune.id))["reminders"] == {"quiet_start": "22:00", "quiet_end": "07:00"}
    response = await api_client.delete(commune_url, headers=committee)
    assert response.status_code == 200 and response.json()["quiet_start"] == "21:30"
