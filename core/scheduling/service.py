"""A cell's reminder settings, read and changed by its leaders (bot ⏰ Cài đặt nhắc họp, and the API).

Stored in `Org.settings["reminders"]` (see `core.scheduling.settings`); a change re-plans the
reminders of the cell's upcoming meetings at once, so it applies to what is still ahead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.errors import InvalidInput, NotFound
from core.meetings.dates import LOCAL_TZ
from core.meetings.service import require_leads
from core.orgs.models import Org, OrgKind
from core.orgs.service import Actor, get_org
from core.scheduling import reminders
from core.scheduling.settings import SETTINGS_KEY, ReminderSettings, as_raw, changed, settings_of


async def led_cell(session: AsyncSession, *, actor: Actor, cell_id: int) -> Org:
    """The cell, when the actor leads it (its secretary or deputy, or a committee above it).
    Someone who may not even see it is told it does not exist."""
    org = await get_org(session, cell_id)
    if not actor.can_view(org):
        raise NotFound(texts.common.NOT_FOUND)
    if org.kind != OrgKind.CELL:
        raise InvalidInput(texts.reminders.SETTINGS_NOT_CELL)
    require_leads(actor, org)
    return org


async def reminder_settings(session: AsyncSession, *, actor: Actor, cell_id: int) -> tuple[Org, ReminderSettings]:
    cell = await led_cell(session, actor=actor, cell_id=cell_id)
    return cell, settings_of(cell)


async def change_reminder_settings(
    session: AsyncSession, *, actor: Actor, cell_id: int, changes: Mapping[str, Any], now: dt.datetime, tz: ZoneInfo = LOCAL_TZ,
) -> tuple[Org, ReminderSettings]:
    """Apply `changes` (keys of `as_raw`, each checked strictly), store them and re-plan the
    cell's upcoming reminders. Nothing changes when a value is refused."""
    cell = await led_cell(session, actor=actor, cell_id=cell_id)
    before = settings_of(cell)
    after = changed(before, changes)
    if after == before:
        return cell, after
    # A new dict, so the JSON column sees the change.
    cell.settings = {**(cell.settings or {}), SETTINGS_KEY: as_raw(after)}
    await session.flush()
    replanned = await reminders.replan_cell(session, cell_id=cell.id, settings=after, tz=tz, now=now)
    await audit.record(
        session, "reminders.settings_changed", actor_member_id=actor.member.id, org_id=cell.id, target=f"org:{cell.id}",
        detail={"changes": sorted(changes), "meetings_replanned": replanned}, at=now,
    )
    return cell, after
