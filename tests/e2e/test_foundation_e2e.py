"""The foundation's flows over real HTTP: the `sotay run` process against the sandbox."""

import datetime as dt

import pytest
from sqlalchemy import select

from core import texts
from core.orgs.linking import create_invite
from core.orgs.models import ChannelLink
from core.orgs.service import citizen_id_of, phone_of
from tests.factories import make_commune

pytestmark = pytest.mark.e2e
HOME = ["📅 Lịch họp", "📜 Nghị quyết", "✍️ Góp ý", "👤 Hồ sơ", "📢 Thông báo", "🗳 Biểu quyết", "❓ Hướng dẫn"]


async def test_invite_link_profile_and_refusals(app, people, e2e_sessions, e2e_cipher) -> None:
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=False)
        member = commune.cells[0].members[0]
        other = commune.cells[1].members[1]
        invite = await create_invite(session, member=member, now=dt.datetime.now(dt.timezone.utc))
        await session.commit()
        citizen_id, phone = citizen_id_of(member, e2e_cipher), phone_of(member, e2e_cipher)
        other_phone = phone_of(other, e2e_cipher)

    await people.create_user("Mai", user_id=81001)
    await people.create_user("Kẻ lạ", user_id=81002)

    # An unlinked person only sees the way to link.
    await people.send_text(81001, "/start")
    await people.wait_for_message(81001, lambda m: "Sổ tay đảng viên điện tử" in m.text)
    assert await people.keyboard(81001) == [texts.account.SHARE_PHONE_BUTTON]

    # The invite link links the account and shows the home keyboard.
    await people.send_text(81001, f"/start {invite.code}")
    await people.wait_for_message(81001, lambda m: member.full_name in m.text and "Đã liên kết" in m.text)
    assert await people.keyboard(81001) == HOME

    await people.send_text(81001, texts.account.BTN_PROFILE)
    profile = await people.wait_for_message(81001, lambda m: "Hồ sơ đảng viên" in m.text)
    assert citizen_id not in profile.text and phone not in profile.text
    assert f"{citizen_id[:4]}******{citizen_id[-2:]}" in profile.text

    # Someone else reusing the code, or forwarding another member's contact card, is refused.
    await people.send_text(81002, f"/start {invite.code}")
    await people.wait_for_message(81002, lambda m: m.text == texts.account.CODE_USED.replace("<b>", "").replace("</b>", ""))
    await people.send_contact(81002, other_phone, contact_user_id=99999)
    await people.wait_for_message(81002, lambda m: "của chính mình" in m.text)

    # Commands were registered with Telegram at start-up.
    assert {c["command"] for c in await people.commands()} >= {"start", "hoso", "huongdan"}

    async with e2e_sessions() as session:
        links = (await session.execute(select(ChannelLink))).scalars().all()
    assert [(l.member_id, l.platform_user_id) for l in links] == [(member.id, "81001")]


async def test_own_contact_links(app, people, e2e_sessions, e2e_cipher) -> None:
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=False)
        member = commune.cells[1].secretary
        await session.commit()
        phone = phone_of(member, e2e_cipher)
    await people.create_user("Bí thư", user_id=82001)
    await people.send_contact(82001, "+84 " + phone[1:])
    await people.wait_for_message(82001, lambda m: member.full_name in m.text)
    assert "📊 Thống kê" in await people.keyboard(82001)  # a secretary sees their tools
