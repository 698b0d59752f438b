"""👤 Hồ sơ for a member linked on Telegram and Zalo: which channel receives messages, and switching it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import texts
from core.audit import AuditEvent
from core.orgs.models import ChannelLink, Member
from tests.botkit import inline_buttons, texts_of
from tests.factories import make_commune

USER = 1003  # cell 1's first ordinary member, linked on Telegram by the factory


async def setup(session, cipher, *, zalo: bool):  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    member = commune.cells[0].members[0]
    if zalo:
        session.add(ChannelLink(member_id=member.id, platform="zalo", platform_user_id="z-1", chat_id="z-1",
                                linked_at=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)))  # linked after Telegram
    await session.commit()
    return member


async def profile(harness):  # type: ignore[no-untyped-def]
    calls = await harness.text(USER, texts.account.BTN_PROFILE)
    return texts_of(calls)[0], inline_buttons(calls[0])


async def test_a_member_on_both_sees_the_receiving_channel_and_switches_it(harness, session, cipher) -> None:
    member = await setup(session, cipher, zalo=True)
    text, buttons = await profile(harness)
    assert "Nhận tin qua: <b>Zalo</b>" in text  # the channel linked most recently
    (label, data), = [b for b in buttons if b[0].startswith("📱")]
    assert label == "📱 Nhận tin qua Telegram"

    calls = await harness.press(USER, data)
    assert texts_of(calls)[-1] == texts.account.CHANNEL_SWITCHED.format(channel="Telegram")
    stored = await session.scalar(select(Member.preferred_channel).where(Member.id == member.id).execution_options(populate_existing=True))
    assert stored == "telegram"
    event = (await session.execute(select(AuditEvent).where(AuditEvent.action == "member.preferred_channel"))).scalar_one()
    assert event.actor_member_id == member.id and event.detail == {"from": None, "to": "telegram"}

    text, buttons = await profile(harness)
    assert "Nhận tin qua: <b>Telegram</b>" in text
    assert [b[0] for b in buttons if b[0].startswith("📱")] == ["📱 Nhận tin qua Zalo"]


async def test_a_member_on_one_channel_sees_no_choice_and_a_forged_press_changes_nothing(harness, session, cipher) -> None:
    member = await setup(session, cipher, zalo=False)
    text, buttons = await profile(harness)
    assert "Nhận tin qua" not in text and not [b for b in buttons if b[0].startswith("📱")]
    calls = await harness.press(USER, "chn:zalo")  # a forged button: not linked on Zalo
    assert [(type(c).__name__, c.text) for c in calls] == [("AnswerCallbackQuery", texts.account.CHANNEL_NOT_LINKED)]
    stored = await session.scalar(select(Member.preferred_channel).where(Member.id == member.id).execution_options(populate_existing=True))
    assert stored is None
