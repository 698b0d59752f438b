"""Meetings over real HTTP: the secretary creates a meeting with buttons, members receive it through
the delivery worker, one confirms, one asks leave with a voice reason, the secretary approves,
records attendance and reads the statistics with their chart.

The process runs with its clock moved forward to 10:00 tomorrow (tests/e2e/shifted_clock.py): the
meeting starts 40 minutes later, on the same day, whatever the time the test runs. With the real
clock, from 23:20 on the meeting fell on the next day and the statistics (up to today) left it out.
"""

from __future__ import annotations

import asyncio

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core import texts
from core.meetings.dates import LOCAL_TZ
from core.meetings.models import AbsenceReason, Answer, Attendance, Invitation, Meeting, MeetingStatus
from tests.e2e.conftest import sotay_env, stop_cleanly
from tests.e2e.processes import free_port, start_sotay, wait_until_healthy
from tests.e2e.shifted_clock import ENV as CLOCK_ENV, set_clock
from tests.factories import make_commune

pytestmark = pytest.mark.e2e
VOICE = b"OggS" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SECRETARY, MEMBER, LEAVING = 1001, 1003, 1004


@pytest.fixture(params=["polling", "webhook"])
async def meetings_app(request, sandbox, e2e_database_url: str, tmp_path: Path) -> AsyncIterator[dt.datetime]:  # type: ignore[no-untyped-def]
    """`sotay run` as in conftest's `app`, its clock at 10:00 (local) tomorrow; yields that moment."""
    morning = dt.datetime.combine(dt.datetime.now(LOCAL_TZ).date() + dt.timedelta(days=1), dt.time(10, 0), LOCAL_TZ)
    clock_file = tmp_path / "clock"
    set_clock(clock_file, morning)
    port = free_port()
    env = {**sotay_env(e2e_database_url, tmp_path / "data", sandbox.base_url, port, request.param), CLOCK_ENV: str(clock_file)}
    process = start_sotay(["run"], env, tmp_path / "sotay.log", port, module="tests.e2e.shifted_clock")
    try:
        await wait_until_healthy(process)
        yield morning
    finally:
        await stop_cleanly(process)


async def test_meeting_from_invitation_to_statistics(meetings_app, people, e2e_sessions, e2e_cipher) -> None:
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=True)
        await session.commit()
    cell = commune.cells[0]
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in (1001, 1002, 1003, 1004, 1005, 1006, 5001)])
    # Soon enough that attendance opens at once, late enough that answers are still open.
    starts = (meetings_app + dt.timedelta(minutes=40)).replace(second=0, microsecond=0)

    # The secretary: 📅 Lịch họp → ➕ → Sinh hoạt thường kỳ → types the time → a place → default agenda → a PDF → send.
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
    await people.wait_for_message(SECRETARY, lambda m: "tài liệu họp" in m.text)
    await people.send_document(SECRETARY, PDF, "Nghi-quyet.pdf", "application/pdf")
    added = await people.wait_for_message(SECRETARY, lambda m: "Nghi-quyet.pdf" in m.text and bool(m.buttons))
    await people.press(SECRETARY, added.message_id, added.button("Xong"))
    review = await people.wait_for_message(SECRETARY, lambda m: "Xem lại" in m.text)
    assert "7" in review.text
    await people.press(SECRETARY, review.message_id, review.button("Gửi thông báo mời họp"))
    await people.wait_for_message(SECRETARY, lambda m: "Đã tạo cuộc họp" in m.text)

    # Members receive the invitation and the document through the delivery worker.
    when = starts.strftime("%d/%m/%Y — %H:%M")
    invitation = await people.wait_for_message(MEMBER, lambda m: "THÔNG BÁO MỜI HỌP" in m.text, timeout=25)
    assert when in invitation.text
    leaving_invitation = await people.wait_for_message(LEAVING, lambda m: "THÔNG BÁO MỜI HỌP" in m.text, timeout=25)
    document = await people.wait_for_message(MEMBER, lambda m: bool(m.attachment) and m.attachment["kind"] == "document", timeout=25)
    assert await people.download(document.attachment) == PDF

    # One confirms; one asks leave with a voice reason.
    await people.press(MEMBER, invitation.message_id, invitation.button("Tôi sẽ dự họp"))
    await people.wait_for_message(MEMBER, lambda m: m.message_id == invitation.message_id and "Sẽ dự họp" in m.text)
    await people.press(LEAVING, leaving_invitation.message_id, leaving_invitation.button("Xin vắng mặt"))
    reasons = await people.wait_for_message(LEAVING, lambda m: any("Lý do khác" in t for t, _ in m.buttons))
    await people.press(LEAVING, reasons.message_id, reasons.button("Lý do khác"))
    await people.wait_for_message(LEAVING, lambda m: "gõ lý do" in m.text)
    await people.send_voice(LEAVING, VOICE, duration=4)
    await people.wait_for_message(LEAVING, lambda m: "Đã gửi báo cáo xin vắng" in m.text)

    # The secretary receives the request with the voice and approves it; the member is told.
    request = await people.wait_for_message(SECRETARY, lambda m: "XIN VẮNG" in m.text and bool(m.buttons), timeout=25)
    assert request.attachment and request.attachment["kind"] == "voice" and await people.download(request.attachment) == VOICE
    await people.press(SECRETARY, request.message_id, request.button("Đồng ý"))
    await people.wait_for_message(LEAVING, lambda m: "đã <b>đồng ý</b>" in m.text or "đã đồng ý" in m.text, timeout=25)

    # Attendance: the list is pre-filled from the answers; the secretary marks herself present too.
    async with e2e_sessions() as session:
        meeting = (await session.execute(select(Meeting))).scalar_one()
    await people.send_text(SECRETARY, texts.account.BTN_MEETINGS)
    menu = await people.wait_for_message(SECRETARY, lambda m: any("Quản lý" in t for t, _ in m.buttons) and m.message_id > request.message_id)
    await people.press(SECRETARY, menu.message_id, menu.button("Quản lý"))
    listing = await people.wait_for_message(SECRETARY, lambda m: any(f"mto:open:{meeting.id}" == d for _, d in m.buttons))
    await people.press(SECRETARY, listing.message_id, f"mto:open:{meeting.id}")
    card = await people.wait_for_message(SECRETARY, lambda m: any("Điểm danh" in t for t, _ in m.buttons))
    await people.press(SECRETARY, card.message_id, card.button("Điểm danh"))
    sheet = await people.wait_for_message(SECRETARY, lambda m: "Có mặt: <b>1/7</b>" in m.text or "Có mặt: 1/7" in m.text)
    await people.press(SECRETARY, sheet.message_id, f"mtx:{meeting.id}:{cell.secretary.id}:0")
    sheet = await people.wait_for_message(SECRETARY, lambda m: m.message_id == sheet.message_id and "2/7" in m.text)
    await people.press(SECRETARY, sheet.message_id, sheet.button("Xong"))
    await people.wait_for_message(SECRETARY, lambda m: "Đã lưu điểm danh" in m.text)

    # 📊 Thống kê: a chart and a short text.
    await people.send_text(SECRETARY, texts.account.BTN_STATS)
    summary = await people.wait_for_message(SECRETARY, lambda m: "Thống kê dự họp" in m.text)
    assert "2/7" in summary.text
    chart = await people.wait_for_message(SECRETARY, lambda m: bool(m.attachment) and m.attachment["kind"] == "photo")
    assert (await people.download(chart.attachment)).startswith(b"\x89PNG")

    async with e2e_sessions() as session:
        meeting = (await session.execute(select(Meeting))).scalar_one()
        invitations = {i.member_id: i for i in (await session.execute(select(Invitation))).scalars()}
        present = set((await session.execute(select(Attendance.member_id).where(Attendance.present))).scalars())
    assert meeting.status == MeetingStatus.HELD and len(invitations) == 7
    assert invitations[cell.members[0].id].answer == Answer.ATTENDING
    leave = invitations[cell.members[1].id]
    assert (leave.answer, leave.reason_kind) == (Answer.EXCUSED, AbsenceReason.OTHER) and leave.reason_voice_file_id
    assert present == {cell.members[0].id, cell.secretary.id}


# ---------------------------------------------------------------- issue 17: what the field test found (items 5–9)


@pytest.mark.parametrize("meetings_app", ["polling"], indirect=True)
async def test_field_test_duplicates_cancellations_dates_stale_cards_and_long_cards(meetings_app, people, e2e_sessions, e2e_cipher) -> None:
    import re

    from core.meetings import service
    from core.orgs.service import load_actor
    from tests.factories import add_member

    today = meetings_app.date()
    real = (meetings_app + dt.timedelta(days=1)).replace(hour=19, minute=30)
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=True)
        cell = commune.cells[0]
        actor = await load_actor(session, cell.secretary)
        agenda = ("Đánh giá kết quả thực hiện nhiệm vụ tháng và triển khai phương hướng tháng tới; " * 40)[: service.MAX_AGENDA_CHARS]
        meeting = (await service.create_meeting(
            session, actor=actor, cell_id=cell.org.id, kind=service.MeetingKind.REGULAR, starts_at=real,
            place="Nhà văn hóa thôn Khe Gầy", agenda=agenda, now=meetings_app,
        )).meeting
        await session.commit()
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in (1001, 1002, 1003, 1004, 1005, 1006, 5001)])
    invitation = await people.wait_for_message(MEMBER, lambda m: "THÔNG BÁO MỜI HỌP" in m.text, timeout=25)

    # 7. The example in the prompt is a coming day; a day already past this year is asked about.
    await people.send_text(SECRETARY, texts.account.BTN_MEETINGS)
    menu = await people.wait_for_message(SECRETARY, lambda m: any("Tạo cuộc họp" in t for t, _ in m.buttons))
    await people.press(SECRETARY, menu.message_id, menu.button("Tạo cuộc họp"))
    kinds = await people.wait_for_message(SECRETARY, lambda m: any("thường kỳ" in t for t, _ in m.buttons))
    await people.press(SECRETARY, kinds.message_id, kinds.button("thường kỳ"))
    prompt = await people.wait_for_message(SECRETARY, lambda m: "ngày họp" in m.text)
    day, month = (int(x) for x in re.search(r"(\d+)/(\d+)(?:/\d+)? 19h30", prompt.text).groups())  # type: ignore[union-attr]
    assert (month, day) > (today.month, today.day) or month < today.month  # ahead this year, or early next year
    yesterday = today - dt.timedelta(days=1)
    if yesterday.year == today.year:
        await people.send_text(SECRETARY, f"{yesterday.day}/{yesterday.month} 19h30")
        asked = await people.wait_for_message(SECRETARY, lambda m: "năm nay đã qua" in m.text)
        assert str(today.year + 1) in asked.text

    # 5. The same time as the meeting already set up: warned before anything is sent; sent only deliberately.
    await people.send_text(SECRETARY, real.strftime("%d/%m/%Y %H:%M"))
    places = await people.wait_for_message(SECRETARY, lambda m: "địa điểm" in m.text and bool(m.buttons))
    await people.press(SECRETARY, places.message_id, places.button("📍"))
    agenda_step = await people.wait_for_message(SECRETARY, lambda m: any("thường kỳ" in t for t, _ in m.buttons) and "nội dung" in m.text)
    await people.press(SECRETARY, agenda_step.message_id, agenda_step.button("Dùng nội dung thường kỳ"))
    documents = await people.wait_for_message(SECRETARY, lambda m: "tài liệu họp" in m.text and bool(m.buttons))
    await people.press(SECRETARY, documents.message_id, documents.button("Không có tài liệu"))
    review = await people.wait_for_message(SECRETARY, lambda m: "Xem lại" in m.text and bool(m.buttons))
    await people.press(SECRETARY, review.message_id, review.button("Gửi thông báo mời họp"))
    warning = await people.wait_for_message(SECRETARY, lambda m: "Trùng lịch" in m.text and bool(m.buttons))
    assert "Nhà văn hóa thôn Khe Gầy" in warning.text
    async with e2e_sessions() as session:
        assert len((await session.execute(select(Meeting))).scalars().all()) == 1
    await people.press(SECRETARY, warning.message_id, warning.button("Vẫn gửi"))
    created = await people.wait_for_message(SECRETARY, lambda m: "Đã tạo cuộc họp" in m.text)

    # 6. Cancelling the duplicate names it and says the real one stands.
    await people.wait_for_message(MEMBER, lambda m: "THÔNG BÁO MỜI HỌP" in m.text, after_message_id=invitation.message_id, timeout=25)
    await people.press(SECRETARY, created.message_id, created.button("Quay lại"))
    card = await people.wait_for_message(SECRETARY, lambda m: any("Hủy cuộc họp" in t for t, _ in m.buttons) and m.message_id >= created.message_id)
    await people.press(SECRETARY, card.message_id, card.button("Hủy cuộc họp"))
    confirm = await people.wait_for_message(SECRETARY, lambda m: any("Đồng ý hủy" in t for t, _ in m.buttons))
    await people.press(SECRETARY, confirm.message_id, confirm.button("Đồng ý hủy"))
    notice = await people.wait_for_message(MEMBER, lambda m: "HỦY CUỘC HỌP" in m.text, timeout=25)
    assert "vẫn diễn ra" in notice.text and "Nhà văn hóa thôn Khe Gầy" in notice.text

    # 8. A stale absence card decides nothing.
    await people.press(MEMBER, invitation.message_id, invitation.button("Xin vắng mặt"))
    reasons = await people.wait_for_message(MEMBER, lambda m: any("Ốm đau" in t for t, _ in m.buttons))
    await people.press(MEMBER, reasons.message_id, reasons.button("Ốm đau"))
    first_card = await people.wait_for_message(SECRETARY, lambda m: "XIN VẮNG" in m.text and "Ốm đau" in m.text and bool(m.buttons), timeout=25)
    answered = await people.wait_for_message(MEMBER, lambda m: "Đã gửi báo cáo xin vắng" in m.text)
    assert "Nhà văn hóa thôn Khe Gầy" in answered.text  # 18: the invitation keeps its details
    await people.press(MEMBER, answered.message_id, answered.button("Xin vắng mặt"))
    reasons = await people.wait_for_message(MEMBER, lambda m: any("Lý do khác" in t for t, _ in m.buttons) and m.message_id == answered.message_id)
    await people.press(MEMBER, reasons.message_id, reasons.button("Lý do khác"))
    await people.wait_for_message(MEMBER, lambda m: "gõ lý do" in m.text)
    await people.send_text(MEMBER, "Đi đám cưới cháu ở huyện")
    await people.wait_for_message(SECRETARY, lambda m: "Đi đám cưới cháu" in m.text and bool(m.buttons), timeout=25)
    await people.press(SECRETARY, first_card.message_id, first_card.button("Đồng ý"))
    await people.wait_for_message(SECRETARY, lambda m: "Đơn đã thay đổi" in m.text)
    async with e2e_sessions() as session:
        mine = (await session.execute(
            select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == cell.members[0].id)
        )).scalar_one()
        assert mine.answer == Answer.ABSENCE_REQUESTED and mine.decided_by_id is None

        # 9. Many long absence reasons on a meeting with the longest agenda: the card opens and works.
        reason = ("Đang điều trị tại bệnh viện huyện, bác sĩ chưa cho xuất viện và cần người nhà chăm sóc. " * 6)[: service.MAX_REASON_CHARS]
        for n in range(12):
            someone = await add_member(session, e2e_cipher, cell.org, f"Đảng viên số {n} có họ tên khá dài để thử")
            session.add(Invitation(meeting_id=meeting.id, member_id=someone.id, answer=Answer.ABSENCE_REQUESTED,
                                   reason_kind=AbsenceReason.OTHER, reason_text=reason, revision=1))
        await session.commit()
    before = max(m.message_id for m in await people.bot_messages(SECRETARY))
    await people.send_text(SECRETARY, texts.account.BTN_MEETINGS)
    menu = await people.wait_for_message(SECRETARY, lambda m: any("Quản lý" in t for t, _ in m.buttons), after_message_id=before)
    await people.press(SECRETARY, menu.message_id, menu.button("Quản lý"))
    listing = await people.wait_for_message(SECRETARY, lambda m: any(f"mto:open:{meeting.id}" == d for _, d in m.buttons), after_message_id=before)
    await people.press(SECRETARY, listing.message_id, f"mto:open:{meeting.id}")
    card = await people.wait_for_message(
        SECRETARY, lambda m: any(d == f"mto:edit:{meeting.id}" for _, d in m.buttons) and m.message_id >= listing.message_id,
    )
    assert any(d == f"mto:pending:{meeting.id}" for _, d in card.buttons)
    assert all("trục trặc" not in m.text for m in await people.bot_messages(SECRETARY))


@pytest.mark.parametrize("meetings_app", ["polling"], indirect=True)
async def test_field_test_a_stored_file_id_another_bot_got_is_replaced(meetings_app, sandbox, people, e2e_sessions, e2e_cipher, tmp_path: Path) -> None:
    """11. After a restart with another bot (a token change, a restored backup), the stored file id is refused
    by the platform ("wrong file identifier"): the kept file is uploaded again, its new id stored, the member
    gets the document and never sees an error."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import BufferedInputFile

    from core.delivery.models import MediaFile, OutboxMessage, OutboxState
    from core.meetings import documents, service
    from core.orgs.service import load_actor
    from tests.e2e.conftest import BOT_TOKEN

    other_token = "7000000099:E2E_other_bot_abcdefghijklmnopqrst"
    sandbox.world.add_bot(other_token, "other_sotay_bot", "Sổ tay cũ")
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in (1001, 1002, 1003, 1004, 1005, 1006, 5001)])
    other = Bot(other_token, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.base_url)))
    try:
        stale = (await other.send_document(MEMBER, BufferedInputFile(PDF, filename="bien-ban.pdf"))).document.file_id  # type: ignore[union-attr]
    finally:
        await other.session.close()
    upload = documents.store_upload(tmp_path / "files", PDF, filename="Biên bản họp.pdf")
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=True)
        session.add(MediaFile(platform="telegram", bot_id=BOT_TOKEN.split(":")[0], cache_key=documents.cache_key_of(upload.path),
                              file_id=stale, created_at=meetings_app))
        await service.create_meeting(
            session, actor=await load_actor(session, commune.cells[0].secretary), cell_id=commune.cells[0].org.id,
            kind=service.MeetingKind.REGULAR, starts_at=meetings_app + dt.timedelta(days=1), place="Nhà văn hóa thôn",
            documents=[upload], now=meetings_app,
        )
        await session.commit()

    received = await people.wait_for_message(MEMBER, lambda m: bool(m.attachment) and m.attachment["kind"] == "document", timeout=30)
    assert await people.download(received.attachment) == PDF
    assert all("trục trặc" not in m.text for m in await people.bot_messages(MEMBER))
    # The worker records the new id after the send returns: wait for that commit, then check.
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        async with e2e_sessions() as session:
            stored = (await session.execute(select(MediaFile))).scalar_one()
        if stored.file_id != stale or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    assert stored.file_id != stale
    async with e2e_sessions() as session:
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == service.KIND_DOCUMENT))).scalars().all()
        assert rows and not [r for r in rows if r.state == OutboxState.FAILED]
