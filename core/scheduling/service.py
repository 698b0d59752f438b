"""Reminder settings, read and changed by those who lead an organisation (bot ⏰ Cài đặt nhắc họp,
and the API): a cell's by its secretary and deputy and the committees above it; a committee's
defaults for every cell below it by its own committee members and the committees above it.

Stored in `Org.settings["reminders"]`, only the keys set at that level (see
`core.scheduling.settings`). A change re-plans the upcoming reminders it affects: a cell's at
once; a committee's for the cells that follow it on the changed keys, a bounded batch at once
and the rest by the planner tick (`core.scheduling.reminders.replan_under`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, texts
from core.errors import NotFound
from core.clock import local_tz
from core.meetings.service import require_leads
from core.orgs.models import Org, OrgKind
from core.orgs.service import Actor, get_org
from core.scheduling import reminders
from core.scheduling.settings import (
    KEYS,
    SETTINGS_KEY,
    OrgChain,
    ReminderSettings,
    as_raw,
    chains_of,
    change_own,
    effective,
    own_keys,
    sources,
)


@dataclass(frozen=True)
class SettingsView:
    org: Org
    settings: ReminderSettings  # effective: built-in defaults, the committees above, then this level
    own: dict[str, Any]  # the keys set at this level
    source: dict[str, int | None]  # key → the organisation it comes from (None: the built-in default)
    inherited: ReminderSettings  # what the levels above give (this level's keys left out)
    names: dict[int, str]  # names of the organisations from the root down to this one

    def is_own(self, key: str) -> bool:
        return self.source.get(key) == self.org.id


async def led_org(session: AsyncSession, *, actor: Actor, org_id: int) -> Org:
    """The cell or committee, when the actor may change its reminder settings. Someone who may not
    even see it is told it does not exist."""
    org = await get_org(session, org_id)
    if not actor.can_view(org):
        raise NotFound(texts.common.NOT_FOUND)
    if org.kind == OrgKind.CELL:
        require_leads(actor, org)
    else:
        actor.require_manages(org)  # its own committee members, and the committees above it
    return org


async def _chain_and_names(session: AsyncSession, org: Org) -> tuple[OrgChain, dict[int, str]]:
    """The organisation's (id, settings) from the root down to itself, and those organisations' names."""
    chain = (await chains_of(session, [(org.id, org.path, org.settings)]))[org.id]
    names = dict((await session.execute(select(Org.id, Org.name).where(Org.id.in_([org_id for org_id, _ in chain])))).tuples().all())
    return chain, names


def _view(org: Org, chain: OrgChain, names: dict[int, str]) -> SettingsView:
    return SettingsView(
        org=org, settings=effective([level for _, level in chain]), own=own_keys(org.settings), source=sources(chain),
        inherited=effective([level for _, level in chain[:-1]]), names=names,
    )


async def view_of(session: AsyncSession, org: Org) -> SettingsView:
    return _view(org, *await _chain_and_names(session, org))


async def reminder_settings(session: AsyncSession, *, actor: Actor, org_id: int) -> SettingsView:
    return await view_of(session, await led_org(session, actor=actor, org_id=org_id))


async def change_reminder_settings(
    session: AsyncSession, *, actor: Actor, org_id: int, changes: Mapping[str, Any], inherit: Collection[str] = (),
    now: dt.datetime, tz: ZoneInfo | None = None,
) -> SettingsView:
    """Set `changes` (keys of `as_raw`, each checked strictly) at this level and drop the keys in
    `inherit` (back to "theo cấp trên"); store them and re-plan the upcoming reminders affected.
    Nothing changes when a value is refused."""
    tz = tz or local_tz()
    org = await led_org(session, actor=actor, org_id=org_id)
    chain, names = await _chain_and_names(session, org)
    before = _view(org, chain, names)
    own = change_own(before.own, changes, inherited=before.inherited, inherit=inherit)
    if own == before.own:
        return before
    # A new dict, so the JSON column sees the change.
    stored = {key: value for key, value in (org.settings or {}).items() if key != SETTINGS_KEY}
    org.settings = {**stored, SETTINGS_KEY: own} if own else stored
    await session.flush()
    after = _view(org, [*chain[:-1], (org.id, org.settings)], names)  # only this level changed
    old_values, new_values = as_raw(before.settings), as_raw(after.settings)
    changed_keys = [key for key in KEYS if old_values[key] != new_values[key]]
    replanned, queued = 0, False
    if changed_keys and org.kind == OrgKind.CELL:
        replanned = await reminders.replan_cell(session, cell_id=org.id, settings=after.settings, tz=tz, now=now)
    elif changed_keys:
        # Bounded: one batch of cells here, the rest by the planner tick (see reminders.replan_under).
        replanned, last_cell = await reminders.replan_under(
            session, committee=org, keys=changed_keys, changed_at=now, tz=tz, now=now, limit=reminders.REPLAN_CELLS_AT_ONCE,
        )
        await reminders.queue_replan(session, committee=org, keys=changed_keys, changed_at=now, after_cell_id=last_cell)
        queued = last_cell is not None
    await audit.record(
        session, "reminders.settings_changed", actor_member_id=actor.member.id, actor_platform_user=actor.via, org_id=org.id, target=f"org:{org.id}",
        detail={"changes": sorted(changes), "inherit": sorted(inherit), "meetings_replanned": replanned, "replan_queued": queued},
        at=now,
    )
    return after
