"""`core.delivery.outbox.ROUTE_SQL` (the reminders' routing, in SQL on PostgreSQL) chooses for every
member the account `recipients_for` (`core.orgs.routing.choose_link`, in Python) chooses."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import text

from core.delivery.outbox import ROUTE_SQL, recipients_for
from core.orgs.models import ChannelLink, Member
from tests.factories import add_member, make_commune

EARLY = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
LATE = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
PLATFORMS = ("telegram", "zalo")


async def test_route_sql_chooses_the_account_choose_link_chooses(require_postgres, session, cipher) -> None:  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=False)
    cell = commune.cells[0].org
    cases = itertools.product(
        (None, "telegram", "zalo", ""),  # preferred channel (none, linked there or not, blank)
        ((), ("telegram",), ("zalo",), PLATFORMS),  # accounts
        ((False, False), (True, False), (False, True), (True, True)),  # unreachable, per account
        ((EARLY, LATE), (LATE, EARLY), (EARLY, EARLY)),  # linked at, per account (a tie too)
        (True, False),  # active
    )
    member_ids: list[int] = []
    seen: set[tuple[object, ...]] = set()
    for preferred, platforms, unreachable, linked_at, active in cases:
        # Only the accounts a member has make a case: skip the repeats of the others' settings.
        key = (preferred, platforms, unreachable[: len(platforms)], linked_at[: len(platforms)], active)
        if key in seen:
            continue
        seen.add(key)
        member: Member = await add_member(session, cipher, cell, f"Đảng viên {len(member_ids)}")
        member.preferred_channel = preferred
        member.active = active
        for number, platform in enumerate(platforms):
            session.add(ChannelLink(
                member_id=member.id, platform=platform, platform_user_id=f"{platform}-{member.id}", chat_id=f"{platform}-{member.id}",
                linked_at=linked_at[number], unreachable_since=EARLY if unreachable[number] else None,
            ))
        member_ids.append(member.id)
    await session.flush()
    assert len(member_ids) > 100

    recipients, _ = await recipients_for(session, member_ids)
    in_python = {recipient.member_id: (recipient.platform, recipient.chat_id) for recipient in recipients}
    rows = await session.execute(
        text(
            f"SELECT m.id, link.platform, link.chat_id FROM members m LEFT JOIN LATERAL ({ROUTE_SQL.format(member='m.id')}) AS link ON true "
            "WHERE m.id = ANY(:ids)"
        ),
        {"ids": member_ids},
    )
    in_sql = {member_id: (platform, chat_id) for member_id, platform, chat_id in rows if chat_id is not None}
    assert in_sql == in_python
    assert {platform for platform, _ in in_python.values()} == set(PLATFORMS)  # both answers occur
    assert len(in_python) < len(member_ids)  # and none (inactive or unlinked)
