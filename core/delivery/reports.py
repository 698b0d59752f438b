"""What delivery learns about members' accounts: blocked (403) or reachable again.

When a member's account first turns unreachable, the secretary and deputy of the member's cell
are told once, so they can phone the member. Broadcasts pass their own kinds as "quiet": their
final report already lists who could not be reached.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import rows_affected
from core import texts
from core.delivery.outbox import enqueue_many
from core.orgs.models import ChannelLink, Member, Org, OrgRole, RoleKind
from core.ports import OutboundMessage

ALERT_KIND = "delivery_alert"
ALERT_PRIORITY = 5


async def mark_reachable(session: AsyncSession, *, member_ids: Sequence[int], platform: str) -> int:
    """A message got through: the member unblocked the bot, so stop treating the account as gone."""
    if not member_ids:
        return 0
    result = await session.execute(
        update(ChannelLink)
        .where(ChannelLink.member_id.in_(set(member_ids)), ChannelLink.platform == platform, ChannelLink.unreachable_since.is_not(None))
        .values(unreachable_since=None)
        .execution_options(synchronize_session=False)
    )
    return rows_affected(result)


async def mark_unreachable(
    session: AsyncSession, *, member_ids: Sequence[int], alert_member_ids: Sequence[int], platform: str, now: dt.datetime
) -> list[int]:
    """Record the 403; alert the cells' leaders about members who were reachable until now. Returns those newly marked."""
    if not member_ids:
        return []
    result = await session.execute(
        update(ChannelLink)
        .where(ChannelLink.member_id.in_(set(member_ids)), ChannelLink.platform == platform, ChannelLink.unreachable_since.is_(None))
        .values(unreachable_since=now)
        .returning(ChannelLink.member_id)
        .execution_options(synchronize_session=False)
    )
    newly = sorted(set(result.scalars()))
    wanted = set(alert_member_ids)
    for member_id in (m for m in newly if m in wanted):
        await _alert_leaders(session, member_id=member_id, now=now)
    return newly


async def _alert_leaders(session: AsyncSession, *, member_id: int, now: dt.datetime) -> None:
    row = (await session.execute(select(Member.full_name, Member.org_id, Org.name).join(Org, Org.id == Member.org_id).where(Member.id == member_id))).first()
    if row is None:
        return
    name, cell_id, cell_name = row
    leaders = (
        await session.execute(
            select(OrgRole.member_id).where(
                OrgRole.org_id == cell_id, OrgRole.role.in_([RoleKind.SECRETARY, RoleKind.DEPUTY]), OrgRole.member_id != member_id
            )
        )
    ).scalars()
    leader_ids = sorted(set(leaders))
    if not leader_ids:
        return
    message = OutboundMessage(text=texts.delivery.MEMBER_UNREACHABLE.format(name=html.escape(name), cell=html.escape(cell_name)))
    await enqueue_many(
        session, member_ids=leader_ids, kind=ALERT_KIND, source=f"unreachable:{member_id}", message=message,
        key_suffix=now.date().isoformat(), priority=ALERT_PRIORITY, not_before=now,
    )
