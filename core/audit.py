"""Recording security-relevant events. Callers pass ids and reasons, never personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.orgs.models import AuditEvent


async def record(
    session: AsyncSession,
    action: str,
    *,
    outcome: str = "ok",
    actor_member_id: int | None = None,
    actor_platform_user: str | None = None,
    org_id: int | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        outcome=outcome,
        actor_member_id=actor_member_id,
        actor_platform_user=actor_platform_user,
        org_id=org_id,
        target=target,
        detail=detail or {},
    )
    if at is not None:
        event.at = at
    session.add(event)
    await session.flush()
    return event


async def count_recent(
    session: AsyncSession, *, action: str, actor_platform_user: str, since: dt.datetime, outcome: str | None = None
) -> int:
    query = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == action,
        AuditEvent.actor_platform_user == actor_platform_user,
        AuditEvent.at >= since,
    )
    if outcome is not None:
        query = query.where(AuditEvent.outcome == outcome)
    return int((await session.execute(query)).scalar_one())
