"""Router-level filters."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from core.orgs.models import Member
from core.orgs.service import Actor


class Linked(Filter):
    """Passes only for a linked, active member; everything else falls through to the fallback router."""

    async def __call__(self, event: TelegramObject, member: Member | None = None, **_: Any) -> bool:
        return member is not None


class Manager(Filter):
    """Passes for secretaries, deputies and committee members."""

    async def __call__(self, event: TelegramObject, actor: Actor | None = None, **_: Any) -> bool:
        return actor is not None and actor.is_manager
