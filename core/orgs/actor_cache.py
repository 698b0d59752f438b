"""Who is asking, kept in memory between updates and never used once it may be stale.

Every update of the bot needs its actor (member, cell, every role with its organisation): a query
per update. This process keeps the actors it loaded, each with the `directory_version` it read before
loading it; an update reads the current number in the statement it runs anyway (the redelivery
claim or check, `bot.middlewares`) and takes the kept actor only when the numbers are equal. The
number changes in the same transaction as any change to members, organisations, roles or account
links, by database triggers (`core.orgs.models.directory_trigger_ddl`), whichever process or code path
made it: a role revoked, an account unlinked, a member moved or deactivated in another process is
seen by the very next update here.

Why it is never stale: the number is read before the actor is loaded, so a kept actor is at least as
new as its number; an equal number later means no change to the directory committed since, so the
kept actor is what a query would return now.

The objects handed out belong to the update's session (copies attached with `Session.merge(load=False)`,
no statement): a handler may change them, flush, or see them expire on rollback, and the kept
template stays as it was loaded.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from core import metrics
from core.orgs.models import DirectoryVersion, Member, Org, RoleKind
from core.orgs.service import Actor, actor_by_platform_user

# Read with the statement every update runs anyway: a scalar subquery.
DIRECTORY_VERSION = select(DirectoryVersion.version).where(DirectoryVersion.id == bindparam("directory_row", 1)).scalar_subquery()

_T = TypeVar("_T", Member, Org)


@dataclass(frozen=True)
class _Kept:
    version: int
    member: Member | None  # None: no active member is linked to this account
    cell: Org | None
    roles: tuple[tuple[RoleKind, Org], ...]


def _template(obj: _T) -> _T:
    """A detached copy of a loaded row's columns, owned by the cache (never handed out)."""
    mapper = type(obj).__mapper__
    state = obj.__dict__
    copied = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        set_committed_value(copied, attr.key, copy.deepcopy(state[attr.key]) if isinstance(state[attr.key], (dict, list)) else state[attr.key])
    make_transient_to_detached(copied)
    return copied  # type: ignore[return-value]


def _attached(session: Session, template: _T) -> _T:
    """The template's row in this session, without a statement (the identity map's if already there)."""
    merged = session.merge(template, load=False)
    for attr in type(template).__mapper__.column_attrs:  # a mutable value (JSON) must not be shared with the cache
        value = merged.__dict__.get(attr.key)
        if isinstance(value, (dict, list)) and value is template.__dict__.get(attr.key):
            set_committed_value(merged, attr.key, copy.deepcopy(value))
    return merged


class ActorCache:
    """Actors by (platform, account id) for one database; at most `size` of them (least recently used
    go first)."""

    SIZE = 10_000

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[str, str], _Kept] = OrderedDict()
        # Organisations' templates are shared by the actors kept at the same version (a cell's members).
        self._orgs: dict[int, Org] = {}
        self._orgs_version: int | None = None
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._kept)

    async def actor(self, session: AsyncSession, *, platform: str, platform_user_id: str, version: int | None) -> Actor | None:
        """Who is asking. `version`: `directory_version` as read by this update before anything else
        (None: the row is missing, so nothing is kept)."""
        key = (platform, platform_user_id)
        kept = self._kept.get(key)
        if kept is not None and version is not None and kept.version == version:
            self.hits += 1
            metrics.ACTORS_FROM_MEMORY.inc()
            self._kept.move_to_end(key)
            return self._rebuild(session, kept, via=f"{platform}:{platform_user_id}")
        self.misses += 1
        metrics.ACTORS_LOADED.inc()
        actor = await actor_by_platform_user(session, platform=platform, platform_user_id=platform_user_id)
        if version is None:
            return actor
        if actor is None:
            self._keep(key, _Kept(version=version, member=None, cell=None, roles=()))
        else:
            self._keep(key, _Kept(version=version, member=_template(actor.member), cell=self._org_template(actor.cell, version),
                                  roles=tuple((role, self._org_template(org, version)) for role, org in actor.roles)))
        return actor

    def _org_template(self, org: Org, version: int) -> Org:
        if self._orgs_version != version:
            self._orgs, self._orgs_version = {}, version
        template = self._orgs.get(org.id)
        if template is None:
            template = self._orgs[org.id] = _template(org)
        return template

    def _keep(self, key: tuple[str, str], kept: _Kept) -> None:
        self._kept[key] = kept
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    @staticmethod
    def _rebuild(session: AsyncSession, kept: _Kept, *, via: str) -> Actor | None:
        if kept.member is None or kept.cell is None:
            return None
        sync = session.sync_session
        return Actor(member=_attached(sync, kept.member), cell=_attached(sync, kept.cell),
                     roles=tuple((role, _attached(sync, org)) for role, org in kept.roles), via=via)
