"""Recording security-relevant events. Callers pass ids and reasons, never personal data.

The table lives here, below every domain that records into it (orgs included): it names members
and organisations by foreign key only."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import JSON, ForeignKey, Index, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow


class AuditEvent(Base):
    """Security-relevant events. `detail` never holds citizen IDs, phones or secrets."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    actor_platform_user: Mapped[str | None] = mapped_column(String(80))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"))
    target: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_audit_events_actor_action_at", "actor_platform_user", "action", "at"),)


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


_ADD = insert(cast(Table, AuditEvent.__table__))  # built once: one row per answer on the hottest presses


async def add(
    session: AsyncSession,
    action: str,
    *,
    at: dt.datetime,
    outcome: str = "ok",
    actor_member_id: int | None = None,
    actor_platform_user: str | None = None,
    org_id: int | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """`record` as one INSERT, without an ORM object or a flush: the same row, for paths that do not
    need the event back (a member's answer to an invitation)."""
    await session.execute(_ADD, {
        "at": at, "action": action, "outcome": outcome, "actor_member_id": actor_member_id, "actor_platform_user": actor_platform_user,
        "org_id": org_id, "target": target, "detail": detail or {},
    })


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
