"""Linking an account and the home menu, through the real Dispatcher with real Update objects."""

import datetime as dt

from sqlalchemy import func, select

from core import texts
from core.orgs.linking import MAX_REFUSALS, create_invite
from core.audit import AuditEvent
from core.orgs.models import ChannelLink
from tests.botkit import reply_keyboard_labels, texts_of
from tests.factories import add_member, make_commune

HOME_BUTTONS = ["📅 Lịch họp", "📜 Nghị quyết", "✍️ Góp ý", "👤 Hồ sơ", "📢 Thông báo", "🗳 Biểu quyết", "❓ Hướng dẫn"]


async def commune_with_invite(session, cipher, clock, **ttl):
    commune = await make_commune(session, cipher, linked=False)
    member = commune.cells[0].members[0]
    invite = await create_invite(session, member=member, now=clock.now(), **ttl)
    await session.commit()
    return commune, member, invite


async def links(session) -> int:
    return await session.scalar(select(func.count(ChannelLink.id)))


async def test_invite_link_links_and_shows_home(harness, session, cipher, clock) -> None:
    _, member, invite = await commune_with_invite(session, cipher, clock)
    calls = await harness.text(777, f"/start {invite.code}")
    assert member.full_name in texts_of(calls)[0]
    assert reply_keyboard_labels(calls) == HOME_BUTTONS
    link = (await session.execute(select(ChannelLink))).scalar_one()
    assert (link.member_id, link.platform_user_id) == (member.id, "777")


async def test_profile_shows_masked_identifiers(harness, session, cipher, clock) -> None:
    _, member, invite = await commune_with_invite(session, cipher, clock)
    await harness.text(777, f"/start {invite.code}")
    calls = await harness.text(777, texts.account.BTN_PROFILE)
    profile = texts_of(calls)[0]
    assert member.full_name in profile and member.card_number in profile and "Chi bộ thôn Khe Gầy" in profile
    from core.orgs.service import citizen_id_of, phone_of

    citizen_id, phone = citizen_id_of(member, cipher), phone_of(member, cipher)
    assert citizen_id not in profile and phone not in profile
    assert f"{citizen_id[:4]}******{citizen_id[-2:]}" in profile
    assert f"{phone[:2]}******{phone[-2:]}" in profile


async def test_reused_code_is_refused(harness, session, cipher, clock) -> None:
    _, _, invite = await commune_with_invite(session, cipher, clock)
    await harness.text(777, f"/start {invite.code}")
    calls = await harness.text(888, f"/start {invite.code}")
    assert texts_of(calls) == [texts.account.CODE_USED]
    assert await links(session) == 1


async def test_expired_code_is_refused(harness, session, cipher, clock) -> None:
    _, _, invite = await commune_with_invite(session, cipher, clock, ttl=dt.timedelta(days=1))
    clock.advance(days=1, seconds=1)
    calls = await harness.text(777, f"/start {invite.code}")
    assert texts_of(calls) == [texts.account.CODE_EXPIRED]
    assert await links(session) == 0


async def test_unknown_code_is_refused_and_audited(harness, session, cipher, clock) -> None:
    await commune_with_invite(session, cipher, clock)
    calls = await harness.text(777, "/start not-a-real-code")
    assert texts_of(calls) == [texts.account.CODE_INVALID]
    refusal = (await session.execute(select(AuditEvent).where(AuditEvent.outcome == "refused"))).scalar_one()
    assert refusal.detail == {"reason": "code_invalid"} and refusal.actor_platform_user == "telegram:777"


async def test_own_contact_links(harness, session, cipher, clock) -> None:
    commune, _, _ = await commune_with_invite(session, cipher, clock)
    member = commune.cells[1].members[1]
    from core.orgs.service import phone_of

    phone = phone_of(member, cipher)
    calls = await harness.contact(555, "+84" + phone[1:], contact_user_id=555)
    assert member.full_name in texts_of(calls)[0]
    assert reply_keyboard_labels(calls) == HOME_BUTTONS


async def test_forged_contact_is_refused(harness, session, cipher, clock) -> None:
    commune, _, _ = await commune_with_invite(session, cipher, clock)
    from core.orgs.service import phone_of

    phone = phone_of(commune.cells[1].members[1], cipher)
    calls = await harness.contact(555, phone, contact_user_id=999)  # someone else's contact card
    assert texts_of(calls) == [texts.account.CONTACT_NOT_OWN]
    calls = await harness.contact(555, phone, contact_user_id=None)  # a contact typed by hand has no user id
    assert texts_of(calls) == [texts.account.CONTACT_NOT_OWN]
    assert await links(session) == 0


async def test_unknown_phone_is_refused(harness, session, cipher, clock) -> None:
    await commune_with_invite(session, cipher, clock)
    calls = await harness.contact(555, "0999999999", contact_user_id=555)
    assert texts_of(calls) == [texts.account.PHONE_UNKNOWN]


async def test_account_already_linked_to_another_member(harness, session, cipher, clock) -> None:
    commune, member, invite = await commune_with_invite(session, cipher, clock)
    await harness.text(777, f"/start {invite.code}")
    other = commune.cells[0].members[1]
    other_invite = await create_invite(session, member=other, now=clock.now())
    await session.commit()
    calls = await harness.text(777, f"/start {other_invite.code}")
    # Already linked: the account stays with the first member and is told so.
    assert member.full_name in texts_of(calls)[0]
    assert await links(session) == 1


async def test_member_already_linked_to_another_account(harness, session, cipher, clock) -> None:
    _, member, invite = await commune_with_invite(session, cipher, clock)
    await harness.text(777, f"/start {invite.code}")
    second = await create_invite(session, member=member, now=clock.now())
    await session.commit()
    calls = await harness.text(888, f"/start {second.code}")
    assert texts_of(calls) == [texts.account.MEMBER_TAKEN]
    assert await links(session) == 1


async def test_attempts_are_rate_limited(harness, session, cipher, clock) -> None:
    _, _, invite = await commune_with_invite(session, cipher, clock)
    for attempt in range(MAX_REFUSALS):
        await harness.text(777, f"/start wrong-{attempt}")
    calls = await harness.text(777, f"/start {invite.code}")  # even the right code waits now
    assert "thử lại sau" in texts_of(calls)[0]
    assert await links(session) == 0
    clock.advance(minutes=16)
    calls = await harness.text(777, f"/start {invite.code}")
    assert await links(session) == 1


async def test_unlinked_user_sees_only_the_linking_path(harness, session, cipher, clock) -> None:
    await commune_with_invite(session, cipher, clock)
    for text in ("/start", texts.account.BTN_PROFILE, texts.account.BTN_MEETINGS, "xin chào"):
        calls = await harness.text(4242, text)
        assert reply_keyboard_labels(calls) == [texts.account.SHARE_PHONE_BUTTON], text
    calls = await harness.press(4242, "anything:1")
    assert calls and getattr(calls[0], "show_alert", False)


async def test_secretary_sees_tools_and_members_do_not(harness, session, cipher, clock) -> None:
    await make_commune(session, cipher, linked=True)
    await session.commit()
    member_calls = await harness.text(1003, "/start")
    secretary_calls = await harness.text(1001, "/start")
    assert "📊 Thống kê" not in reply_keyboard_labels(member_calls)  # 📢 is everyone's: members reread notices
    assert "📊 Thống kê" in reply_keyboard_labels(secretary_calls)


async def test_redelivered_update_is_handled_once(harness, session, cipher, clock) -> None:
    _, _, invite = await commune_with_invite(session, cipher, clock)
    update = harness.update(message=harness._message(777, text=f"/start {invite.code}", entities=[
        __import__("aiogram").types.MessageEntity(type="bot_command", offset=0, length=6)]))
    first = await harness.feed(update)
    second = await harness.feed(update)
    assert first and second == []
    assert await links(session) == 1


async def test_handler_failure_gets_an_apology_and_changes_nothing(harness, session, cipher, clock, monkeypatch) -> None:
    _, _, invite = await commune_with_invite(session, cipher, clock)

    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("core.orgs.linking._link", broken)
    calls = await harness.text(777, f"/start {invite.code}")
    assert texts_of(calls) == [texts.common.APOLOGY]
    assert await links(session) == 0


async def test_exempt_member_profile_status(harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=True)
    await add_member(session, cipher, commune.cells[0].org, "Cụ Lò Văn Thắng", exempt=True, link_to=3333)
    await session.commit()
    calls = await harness.text(3333, texts.account.BTN_PROFILE)
    assert texts.account.STATUS_EXEMPT in texts_of(calls)[0]
