"""Routing: a member linked on Telegram and Zalo gets each message once, on the channel they chose."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.delivery.models import OutboxMessage
from core.delivery.outbox import enqueue_many, recipients_for
from core.orgs.routing import LinkView, choose_link
from core.errors import InvalidInput
from core.meetings import service as meetings
from core.meetings.models import MeetingKind
from core.scheduling.models import MeetingReminder
from core.notices import service as notices
from core.orgs.models import ChannelLink, Member
from core.orgs.service import channels_of, load_actor, set_preferred_channel
from core.ports import OutboundMessage
from core.scheduling.reminders import plan_reminders, send_due_reminders
from core.ticks import TickContext
from core.meetings.dates import LOCAL_TZ
from tests.factories import Commune, make_commune

EARLY = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
LATE = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
STARTS = dt.datetime(2026, 12, 5, 12, 30, tzinfo=dt.timezone.utc)


@pytest.fixture
async def commune(session, cipher) -> Commune:  # type: ignore[no-untyped-def]
    return await make_commune(session, cipher, linked=True)


async def link_zalo(session, member: Member, user: str, *, at: dt.datetime = LATE) -> None:  # type: ignore[no-untyped-def]
    """Link on Zalo too; the factory's Telegram link is dated EARLY so "most recent" is known."""
    await session.execute(
        ChannelLink.__table__.update().where(ChannelLink.member_id == member.id).values(linked_at=EARLY)
    )
    session.add(ChannelLink(member_id=member.id, platform="zalo", platform_user_id=user, chat_id=user, linked_at=at))
    await session.flush()


async def outbox_of(session, member: Member, source_prefix: str = "") -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    rows = await session.execute(
        select(OutboxMessage.platform, OutboxMessage.chat_id)
        .where(OutboxMessage.member_id == member.id, OutboxMessage.source.startswith(source_prefix))
        .order_by(OutboxMessage.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_rule_reachable_first_then_chosen_then_most_recent() -> None:
    telegram = LinkView("telegram", "1", linked_at=EARLY)
    zalo = LinkView("zalo", "z", linked_at=LATE)
    assert choose_link([telegram, zalo], None) == zalo  # no choice: the most recent
    assert choose_link([telegram, zalo], "telegram") == telegram
    assert choose_link([telegram], "zalo") == telegram  # chose a platform they are not linked on
    blocked = LinkView("telegram", "1", linked_at=EARLY, unreachable=True)
    assert choose_link([blocked, zalo], "telegram") == zalo  # unreachable on the chosen one: the other
    zalo_blocked = LinkView("zalo", "z", linked_at=LATE, unreachable=True)
    assert choose_link([blocked, zalo_blocked], "telegram") == blocked  # nowhere: the chosen one, as before
    assert choose_link([], "zalo") is None


async def test_linked_on_both_gets_each_notice_and_invitation_once_on_the_chosen_channel(session, commune, clock) -> None:
    cell = commune.cells[0]
    newest, chooser, only_telegram = cell.members[0], cell.members[1], cell.members[2]
    await link_zalo(session, newest, "z-newest")
    await link_zalo(session, chooser, "z-chooser")
    chooser.preferred_channel = "telegram"
    await session.flush()

    secretary = await load_actor(session, cell.secretary)
    notice = await notices.create_notice(session, actor=secretary, org_id=cell.org.id, text="Họp chi bộ", now=clock.now())
    queued = (await session.execute(select(OutboxMessage.member_id).where(OutboxMessage.source == notice.source))).scalars().all()
    assert notice.recipients_linked == len(queued) == len(set(queued)) == 6  # the cell but its author, and the committee member
    await meetings.create_meeting(
        session, actor=secretary, cell_id=cell.org.id, kind=MeetingKind.REGULAR, starts_at=STARTS, place="Nhà văn hóa", now=clock.now(),
    )
    assert await outbox_of(session, newest, "notice:") == [("zalo", "z-newest")]
    assert await outbox_of(session, chooser, "notice:") == [("telegram", "1004")]
    assert await outbox_of(session, only_telegram, "notice:") == [("telegram", "1005")]
    assert await outbox_of(session, newest, "meeting:") == [("zalo", "z-newest")]
    assert await outbox_of(session, chooser, "meeting:") == [("telegram", "1004")]
    # Every row records its platform; nobody got two rows of one source.
    rows = (await session.execute(select(OutboxMessage.member_id, OutboxMessage.source))).all()
    assert len(rows) == len(set(rows))


async def test_switching_reroutes_future_messages_and_is_audited(session, commune, clock) -> None:
    member = commune.cells[0].members[0]
    await link_zalo(session, member, "z-1")
    assert await channels_of(session, member) == (("telegram", "zalo"), "zalo")
    await enqueue_many(session, member_ids=[member.id], kind="test", source="test:before", message=OutboundMessage(text="1"))

    await set_preferred_channel(session, member=member, platform="telegram", now=clock.now())
    assert await channels_of(session, member) == (("telegram", "zalo"), "telegram")
    await enqueue_many(session, member_ids=[member.id], kind="test", source="test:after", message=OutboundMessage(text="2"))
    assert await outbox_of(session, member, "test:before") == [("zalo", "z-1")]  # what was queued stays where it was
    assert await outbox_of(session, member, "test:after") == [("telegram", "1003")]
    event = (await session.execute(select(AuditEvent).where(AuditEvent.action == "member.preferred_channel"))).scalar_one()
    assert (event.actor_member_id, event.detail) == (member.id, {"from": None, "to": "telegram"})

    other = commune.cells[0].members[1]  # linked on Telegram only
    with pytest.raises(InvalidInput):
        await set_preferred_channel(session, member=other, platform="zalo", now=clock.now())
    assert other.preferred_channel is None


async def test_unreachable_on_the_chosen_channel_goes_to_the_other(session, commune, clock) -> None:
    member = commune.cells[0].members[0]
    await link_zalo(session, member, "z-1")
    member.preferred_channel = "zalo"
    await session.execute(
        ChannelLink.__table__.update().where(ChannelLink.member_id == member.id, ChannelLink.platform == "zalo").values(unreachable_since=EARLY)
    )
    recipients, unlinked = await recipients_for(session, [member.id])
    assert (recipients[0].platform, recipients[0].chat_id, unlinked) == ("telegram", "1003", [])
    # Pinned to a platform, only that platform's account counts.
    pinned, _ = await recipients_for(session, [member.id], "zalo")
    assert [(r.platform, r.chat_id) for r in pinned] == [("zalo", "z-1")]


async def test_reminders_follow_the_chosen_channel(session, commune, clock) -> None:
    cell = commune.cells[0]
    member = cell.members[0]
    await link_zalo(session, member, "z-1")
    secretary = await load_actor(session, cell.secretary)
    await meetings.create_meeting(
        session, actor=secretary, cell_id=cell.org.id, kind=MeetingKind.REGULAR, starts_at=STARTS, place="Nhà văn hóa", now=clock.now(),
    )
    await plan_reminders(session, TickContext(now=clock.now(), tz=LOCAL_TZ))
    due = (await session.execute(select(MeetingReminder.due_at).order_by(MeetingReminder.due_at.desc()).limit(1))).scalar_one()
    assert await send_due_reminders(session, TickContext(now=due, tz=LOCAL_TZ)) > 0
    reminders = await outbox_of(session, member, "meeting:")
    assert reminders and set(reminders) == {("zalo", "z-1")}  # the invitation and its reminders, all on Zalo
