"""Sổ tay on Zalo over real HTTP: a real `sotay run` with both a Telegram and a Zalo token, against
the sandbox's two sides, in polling and in webhook mode. A Zalo member links with a typed code,
answers an invitation with "1", another asks to be excused with a typed reason, a notice is
confirmed with «đã xem», a góp ý is sent and its reply read; a member linked on both messengers
receives each message once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select

from core import texts
from core.meetings.dates import LOCAL_TZ
from core.meetings.models import Answer, Invitation
from core.notices.models import NoticeRecipient
from core.orgs.linking import create_invite
from core.orgs.models import ChannelLink
from sandbox.zalo_client import ZaloMessage, ZaloSandboxClient
from tests.conftest import missing
from tests.e2e.conftest import sotay_env, stop_cleanly
from tests.e2e.processes import free_port, start_sotay, wait_until_healthy
from tests.factories import make_commune
from tests.zalokit import assert_zalo_wording

pytestmark = pytest.mark.e2e
ZALO_TOKEN = "1459232241454765289:E2E_zalo_secret_abcdefgh"
ZALO_SECRET = "e2e-zalo-webhook-secret-0123456789"
SECRETARY = 1001
BOTH = 1003  # linked on Telegram, then links Zalo too


@pytest.fixture(params=["polling", "webhook"])
async def zalo_app(request, sandbox, e2e_database_url: str, tmp_path: Path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    port = free_port()
    env = sotay_env(e2e_database_url, tmp_path / "data", sandbox.base_url, port, request.param)
    env.update({"SOTAY_ZALO_TOKEN": ZALO_TOKEN, "SOTAY_ZALO_API_BASE": sandbox.base_url + "/zalo",
                "SOTAY_PUBLIC_URL": f"http://127.0.0.1:{port}"})
    if request.param == "webhook":
        env.update({"SOTAY_ZALO_WEBHOOK_URL": f"http://127.0.0.1:{port}/zalo/webhook", "SOTAY_ZALO_WEBHOOK_SECRET": ZALO_SECRET})
    process = start_sotay(["run"], env, tmp_path / "sotay.log", port)
    try:
        await wait_until_healthy(process)
        yield request.param
    finally:
        await stop_cleanly(process)


@pytest.fixture
async def zalo_people(sandbox) -> AsyncIterator[ZaloSandboxClient]:  # type: ignore[no-untyped-def]
    async with ZaloSandboxClient(sandbox.base_url, ZALO_TOKEN) as client:
        yield client


async def say(people: ZaloSandboxClient, user: str, text: str, expect: str, timeout: float = 30) -> ZaloMessage:
    """Type `text`, then wait for the bot's answer containing `expect`."""
    before = len(await people.bot_messages(user))
    await people.send_text(user, text)
    answer = await people.wait_for_message(user, lambda m: expect in m.text, after_count=before, timeout=timeout)
    assert_zalo_wording([m.text for m in (await people.bot_messages(user))[before:]])
    return answer


async def eventually(check, timeout: float = 15):  # type: ignore[no-untyped-def]
    """The handler answers before its transaction commits: wait for the commit to show."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.1)


def number_of(screen: str, label: str) -> str:
    return next(line.split(".", 1)[0] for line in screen.splitlines() if label in line and line.split(".", 1)[0].isdigit())


async def test_members_on_zalo_link_answer_excuse_confirm_and_send_feedback(zalo_app, sandbox, people, zalo_people, e2e_sessions, e2e_cipher,
                                                                            tmp_path) -> None:
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=True)
        cell = commune.cells[0]
        zalo_only = cell.members[1]  # 1004 moves to Zalo: their Telegram link is removed
        both = cell.members[0]
        await session.execute(delete(ChannelLink).where(ChannelLink.member_id == zalo_only.id))
        now = dt.datetime.now(dt.timezone.utc)
        code_zalo_only = (await create_invite(session, member=zalo_only, now=now)).code
        code_both = (await create_invite(session, member=both, now=now)).code
        await session.commit()
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in (1001, 1002, 1003, 1005, 1006, 5001)])
    lan = str((await zalo_people.create_user("Trần Thị Lan"))["id"])
    hai = str((await zalo_people.create_user("Nguyễn Văn Hải", telegram_id=BOTH))["id"])

    # Linking: an unlinked person is asked for the code; the code typed in lower case with a space.
    await say(zalo_people, lan, "Xin chào", "mã mời")
    linked = await say(zalo_people, lan, f"{code_zalo_only[:4].lower()} {code_zalo_only[4:].lower()}", zalo_only.full_name)
    assert "1. 📅 Lịch họp" in linked.text and "<b>" not in linked.text and not linked.ignored_fields
    await say(zalo_people, hai, code_both, both.full_name)

    # The secretary (on Telegram) creates a meeting; the invitation reaches Zalo as a numbered list.
    starts = (dt.datetime.now(LOCAL_TZ) + dt.timedelta(days=3)).replace(hour=19, minute=30, second=0, microsecond=0)
    await people.send_text(SECRETARY, texts.account.BTN_MEETINGS)
    menu = await people.wait_for_message(SECRETARY, lambda m: any("Tạo cuộc họp" in t for t, _ in m.buttons))
    await people.press(SECRETARY, menu.message_id, menu.button("Tạo cuộc họp"))
    kinds = await people.wait_for_message(SECRETARY, lambda m: any("thường kỳ" in t for t, _ in m.buttons))
    await people.press(SECRETARY, kinds.message_id, kinds.button("thường kỳ"))
    await people.wait_for_message(SECRETARY, lambda m: "ngày họp" in m.text)
    await people.send_text(SECRETARY, starts.strftime("%d/%m/%Y %H:%M"))
    places = await people.wait_for_message(SECRETARY, lambda m: "địa điểm" in m.text and bool(m.buttons))
    await people.press(SECRETARY, places.message_id, places.button("📍"))
    agenda = await people.wait_for_message(SECRETARY, lambda m: any("thường kỳ" in t for t, _ in m.buttons) and "nội dung" in m.text)
    await people.press(SECRETARY, agenda.message_id, agenda.button("Dùng nội dung thường kỳ"))
    documents = await people.wait_for_message(SECRETARY, lambda m: "tài liệu họp" in m.text and bool(m.buttons))
    await people.press(SECRETARY, documents.message_id, documents.button("Không có tài liệu"))
    review = await people.wait_for_message(SECRETARY, lambda m: "Xem lại" in m.text)
    await people.press(SECRETARY, review.message_id, review.button("Gửi thông báo mời họp"))

    invitation = await zalo_people.wait_for_message(lan, lambda m: "THÔNG BÁO MỜI HỌP" in m.text, timeout=30)
    assert "1. ✅ Tôi sẽ dự họp" in invitation.text and "2. 🙏 Xin vắng mặt" in invitation.text
    await say(zalo_people, lan, "1", "Sẽ dự họp")
    # Excused with a typed reason: "2", the number of «Lý do khác», then the reason.
    await zalo_people.wait_for_message(hai, lambda m: "THÔNG BÁO MỜI HỌP" in m.text, timeout=30)
    reasons = await say(zalo_people, hai, "2", "Lý do khác")
    await say(zalo_people, hai, number_of(reasons.text, "Lý do khác"), "gõ lý do")
    await say(zalo_people, hai, "Tôi đi khám bệnh ở huyện", "Đã gửi báo cáo xin vắng")
    async def answers() -> dict[int, tuple[Answer, str | None]]:
        async with e2e_sessions() as session:
            found = {i.member_id: (i.answer, i.reason_text) for i in (await session.execute(select(Invitation))).scalars()}
        return found if found[both.id][0] != Answer.NONE else {}

    answered = await eventually(answers)
    assert answered[zalo_only.id][0] == Answer.ATTENDING
    assert answered[both.id] == (Answer.ABSENCE_REQUESTED, "Tôi đi khám bệnh ở huyện")

    # A notice from the secretary, confirmed with «đã xem».
    await people.send_text(SECRETARY, texts.account.BTN_NOTICE)
    notice_menu = await people.wait_for_message(SECRETARY, lambda m: any("Soạn thông báo" in t for t, _ in m.buttons))
    await people.press(SECRETARY, notice_menu.message_id, notice_menu.button("Soạn thông báo"))
    await people.wait_for_message(SECRETARY, lambda m: "Gửi tới:" in m.text)
    await people.send_text(SECRETARY, "Tối nay 19 giờ họp chi bộ tại nhà văn hóa.")
    preview = await people.wait_for_message(SECRETARY, lambda m: any("Gửi đi" in t for t, _ in m.buttons))
    await people.press(SECRETARY, preview.message_id, preview.button("Gửi đi"))
    notice = await zalo_people.wait_for_message(lan, lambda m: "Tối nay 19 giờ" in m.text, timeout=30)
    assert "1. ✅ Đã xem" in notice.text
    await say(zalo_people, lan, "đã xem", texts.notices.SEEN_THANKS)
    async def seen() -> list[int]:
        async with e2e_sessions() as session:
            return list((await session.execute(select(NoticeRecipient.member_id).where(NoticeRecipient.seen_at.is_not(None)))).scalars())

    assert await eventually(seen) == [zalo_only.id]

    # Linked on both: every message once, on Zalo (linked there last), none on Telegram.
    await zalo_people.wait_for_message(hai, lambda m: "Tối nay 19 giờ" in m.text, timeout=30)
    on_zalo = [m.text for m in await zalo_people.bot_messages(hai)]
    # (The answer to «Lý do khác» shows the invitation again with what was sent: a screen, not a second delivery.)
    delivered = [t for t in on_zalo if "THÔNG BÁO MỜI HỌP" in t and "Đã gửi báo cáo xin vắng" not in t]
    assert len(delivered) == 1 and sum("Tối nay 19 giờ" in t for t in on_zalo) == 1
    on_telegram = [m.text for m in await people.bot_messages(BOTH)]
    assert not any("THÔNG BÁO MỜI HỌP" in t or "Tối nay 19 giờ" in t for t in on_telegram)

    # Góp ý: the home word, "new", the first kind, the cell, the text; the secretary replies on Telegram.
    menu_text = (await say(zalo_people, lan, "góp ý", texts.feedback.BTN_NEW.split(" ", 1)[1])).text
    kinds_text = (await say(zalo_people, lan, number_of(menu_text, texts.feedback.BTN_NEW), "1.")).text
    to_whom = (await say(zalo_people, lan, "1", cell.org.name)).text
    await say(zalo_people, lan, number_of(to_whom, cell.org.name), "gõ nội dung")
    sent = await say(zalo_people, lan, "Đề nghị sửa đường vào nhà văn hóa thôn.", "Số hiệu")
    reference = sent.text.split("Số hiệu:", 1)[1].split()[0]
    assert kinds_text
    inbox = await people.wait_for_message(SECRETARY, lambda m: reference in m.text and bool(m.buttons), timeout=30)
    await people.press(SECRETARY, inbox.message_id, inbox.button("Mở ý kiến"))
    item = await people.wait_for_message(SECRETARY, lambda m: any("Trả lời" in t for t, _ in m.buttons))
    before = len(await people.bot_messages(SECRETARY))
    await people.press(SECRETARY, item.message_id, item.button("Trả lời"))
    await people.wait_for_message(SECRETARY, lambda m: True, after_count=before)
    await people.send_text(SECRETARY, "Chi bộ sẽ đề xuất xã sửa trong tháng tới.")
    reply = await zalo_people.wait_for_message(lan, lambda m: "trong tháng tới" in m.text, timeout=30)
    assert reference in reply.text

    # A resolution: received on Zalo, opened by typed numbers, listened to through a signed link.
    from tests.integration.test_resolutions_bot import published

    async with e2e_sessions() as session:
        await published(session, commune, FixedNow())
    await zalo_people.wait_for_message(lan, lambda m: "21-NQ/TW" in m.text, timeout=30)
    library = await say(zalo_people, lan, "nghị quyết", "21-NQ/TW")
    document = await say(zalo_people, lan, number_of(library.text, "21-NQ/TW"), texts.resolutions.BTN_LISTEN)
    listen = await say(zalo_people, lan, number_of(document.text, texts.resolutions.BTN_LISTEN), "🔊 Nghe: ", timeout=60)
    url = listen.text.split("🔊 Nghe: ", 1)[1].split()[0]
    async with httpx.AsyncClient() as http:
        page = await http.get(url)
    assert page.status_code == 200 and "<audio" in page.text
    # The member taps the link on their phone: Chromium loads the page and its audio, and it plays.
    from tests.browser.listen import hear
    from tests.browser.test_demo_page import CHROMIUM

    if not CHROMIUM:
        missing("Debian's chromium is not on PATH (apt-get install chromium)")
        return
    heard = await hear(url, screenshot=tmp_path / "zalo-listen.png")
    assert heard.media_error is None and heard.source.endswith("/audio.ogg") and heard.duration > 0
    assert heard.console_errors == [] and heard.failed_requests == []
    assert "21-NQ/TW" in heard.title or "21-NQ/TW" in heard.text


class FixedNow:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)
