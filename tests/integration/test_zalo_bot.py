"""Sổ tay on Zalo: the real Dispatcher and routers, the real database, and the sandbox's Zalo side
over HTTP. The same flows as on Telegram, driven by typed numbers and words."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.zalo.wiring import build_zalo
from core import texts
from core.conversation.models import ChannelPeer
from core.meetings.models import Answer, Invitation
from core.orgs.linking import create_invite
from core.orgs.models import ChannelLink
from core.ports import OutboundMessage
from sandbox.server import SandboxServer
from sandbox.zalo import ZaloLimits
from sandbox.zalo_client import ZaloSandboxClient
from tests.factories import make_commune
from tests.zalokit import ZALO_TOKEN, RecordingMedia, ZaloPhones


@pytest.fixture
async def zalo_sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(zalo_bots={ZALO_TOKEN: "Sổ tay"}, zalo_limits=ZaloLimits(enabled=False)) as server:
        yield server


@pytest.fixture
def media() -> RecordingMedia:
    return RecordingMedia()


@pytest.fixture
async def phones(zalo_sandbox, harness, session_factory, clock, media) -> AsyncIterator[ZaloPhones]:  # type: ignore[no-untyped-def]
    """Zalo served by the same Dispatcher as the Telegram harness."""
    channel = build_zalo(ZALO_TOKEN, zalo_sandbox.base_url + "/zalo", dispatcher=harness.dispatcher, session_factory=session_factory,
                         clock=clock, media=media)
    people = ZaloSandboxClient(zalo_sandbox.base_url, ZALO_TOKEN)
    yield ZaloPhones(channel, people)
    await people.aclose()
    await channel.close()


async def zalo_links(session) -> list[ChannelLink]:  # type: ignore[no-untyped-def]
    query = select(ChannelLink).where(ChannelLink.platform == "zalo").execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def linked_on_zalo(phones: ZaloPhones, session, cipher, clock, *, member_index: int = 0):  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    member = commune.cells[0].members[member_index]
    invite = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    lan = await phones.person("Trần Thị Lan")
    answers = await phones.say(lan, invite.code.lower()[:4] + " " + invite.code.lower()[4:])
    assert member.full_name in answers[0], answers
    return commune, member, lan


async def test_an_unlinked_person_is_asked_for_the_code_and_links_with_it_typed_in_any_case(phones, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=False)
    member = commune.cells[0].members[0]
    invite = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    lan = await phones.person("Trần Thị Lan")
    assert await phones.say(lan, "Xin chào") == [texts.conversation.NOT_LINKED]
    assert await zalo_links(session) == []
    answers = await phones.say(lan, f" {invite.code[:4].lower()}-{invite.code[4:]} ")
    assert len(answers) == 1 and member.full_name in answers[0] and "<b>" not in answers[0]
    # The home menu as a numbered list, in the same message.
    assert "1. 📅 Lịch họp" in answers[0] and "👉" in answers[0]
    [link] = await zalo_links(session)
    assert (link.member_id, link.platform_user_id, link.chat_id) == (member.id, lan, lan)
    # The home menu answers its numbers: "4" is 👤 Hồ sơ.
    profile = await phones.say(lan, "4")
    assert member.card_number in profile[0]


async def test_someone_elses_used_code_and_garbage_codes_are_refused_and_change_nothing(phones, session, cipher, clock) -> None:
    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    other = await phones.person("Người lạ")
    invite = (await session.execute(select(func.count()).select_from(ChannelLink))).scalar_one()
    code = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    assert await phones.say(other, code.code) == [texts.account.MEMBER_TAKEN]
    assert await phones.say(other, "ZZZZ2222") == [texts.account.CODE_INVALID]
    assert (await session.execute(select(func.count()).select_from(ChannelLink))).scalar_one() == invite
    assert len(await zalo_links(session)) == 1


async def test_invitation_answered_with_1_and_2_then_a_typed_reason(phones, harness, session, cipher, clock) -> None:
    from tests.integration.test_meetings_bot import SECRETARY_A, create_via_buttons, invitation_of, meetings, outbox
    from core.meetings import service

    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [meeting] = await meetings(session)
    [row] = [r for r in await outbox(session, service.KIND_INVITATION) if r.member_id == member.id]
    shown = await phones.deliver(lan, OutboundMessage.from_payload(row.payload))
    assert "1. ✅ Tôi sẽ dự họp" in shown[-1] and "2. 🙏 Xin vắng mặt" in shown[-1]
    await phones.say(lan, "1")
    assert (await invitation_of(session, meeting, member)).answer == Answer.ATTENDING
    # Change of answer: "2" on the invitation, then "4" (another reason), then the reason typed.
    await phones.deliver(lan, OutboundMessage.from_payload(row.payload))
    reasons = await phones.say(lan, "2")
    assert texts.meetings.REASON_BUTTONS["other"] in reasons[-1]
    number = next(line.split(".")[0] for line in reasons[-1].splitlines() if texts.meetings.REASON_BUTTONS["other"] in line)
    await phones.say(lan, number)
    await phones.say(lan, "Tôi phải đưa cháu đi khám bệnh")
    invitation = await invitation_of(session, meeting, member)
    assert invitation.answer == Answer.ABSENCE_REQUESTED and "khám bệnh" in (invitation.reason_text or "")
