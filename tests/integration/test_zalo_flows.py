"""Zalo-specific tests for what the shared routers render on Zalo (#15): a lost phone untied on Zalo,
a secretary creating a meeting by typing numbers (with the overlap warning and a past day asked
about), and a stale numbered list answered after a newer one. The real Dispatcher, the real
database, the sandbox's Zalo side over HTTP (tests/zalokit.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import texts
from core.conversation.models import ChannelScreen
from core.orgs import management
from core.orgs.linking import create_invite
from core.orgs.models import ChannelLink
from core.orgs.service import load_actor
from tests.integration import test_zalo_bot as zalo_bot
from tests.integration.test_zalo_bot import linked_on_zalo, number_of
from tests.zalokit import ZaloPhones

# The Zalo side of the same Dispatcher as test_zalo_bot's (the sandbox, a harness with a voice renderer).
zalo_sandbox, harness, media, phones = zalo_bot.zalo_sandbox, zalo_bot.harness, zalo_bot.media, zalo_bot.phones

STARTS = dt.datetime(2026, 12, 10, 12, 30, tzinfo=dt.timezone.utc)  # Thursday 10/12 19:30 in Hà Nội


async def _links(session, member_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    query = select(ChannelLink.platform).where(ChannelLink.member_id == member_id).execution_options(populate_existing=True)
    return set((await session.execute(query)).scalars())


async def _screens(session, chat: str) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count(ChannelScreen.id)).where(ChannelScreen.platform == "zalo", ChannelScreen.chat_id == chat)) or 0)


# ---------------------------------------------------------------- e. reset_link on Zalo


async def test_a_lost_phone_is_untied_on_zalo_and_its_old_lists_answer_nothing(phones: ZaloPhones, session, cipher, clock) -> None:
    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    assert await _links(session, member.id) == {"telegram", "zalo"}
    assert await _screens(session, lan) >= 1  # the home menu's numbered list, remembered
    actor = await load_actor(session, commune.cells[0].secretary)
    assert await management.reset_member_link(session, actor, member_id=member.id, now=clock.now(), platform="zalo") == ["zalo"]
    await session.commit()
    assert await _links(session, member.id) == {"telegram"} and await _screens(session, lan) == 0
    # Whoever holds the lost phone now is a stranger: "4" (👤 Hồ sơ a moment ago) shows nothing of the member's.
    answers = await phones.say(lan, "4")
    assert answers == [texts.conversation.NOT_LINKED] and member.card_number not in " ".join(answers)
    # A new code ties the member's new Zalo account.
    invite = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    new_phone = await phones.person("Trần Thị Lan (máy mới)")
    assert member.full_name in (await phones.say(new_phone, invite.code))[0]
    assert await _links(session, member.id) == {"telegram", "zalo"}


async def test_the_api_unties_every_messenger_or_the_one_asked(api_client, phones: ZaloPhones, session, cipher, clock, bearer) -> None:
    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    headers = await bearer(commune.cells[0].secretary)
    url = f"/api/v1/members/{member.id}/reset-link"
    assert (await api_client.post(url, params={"platform": "fax"}, headers=headers)).status_code == 422
    assert (await api_client.post(url, params={"platform": "zalo"}, headers=headers)).json() == {"reset": True, "platforms": ["zalo"]}
    assert await _links(session, member.id) == {"telegram"}
    other = commune.cells[0].members[1]  # linked on Telegram only
    assert (await api_client.post(f"/api/v1/members/{other.id}/reset-link", params={"platform": "zalo"}, headers=headers)).json() == {
        "reset": False, "platforms": []}
    # A lost phone: by default every messenger is untied at once.
    invite = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    await phones.say(await phones.person("Lan lại"), invite.code)
    assert await _links(session, member.id) == {"telegram", "zalo"}
    assert (await api_client.post(url, headers=headers)).json() == {"reset": True, "platforms": ["telegram", "zalo"]}
    assert await _links(session, member.id) == set()
    # Another cell's secretary does not even find the member.
    stranger = await bearer(commune.cells[1].secretary)
    assert (await api_client.post(f"/api/v1/members/{other.id}/reset-link", headers=stranger)).status_code == 404
