"""📢 Thông báo over real HTTP: a secretary broadcasts to the cell through the outbox and the
delivery worker of `sotay run`; members confirm «Đã xem»; the secretary's status message follows
and the final report names who has no account yet."""

import pytest
from sqlalchemy import select

from core import texts
from core.delivery.models import OutboxMessage, OutboxState
from core.notices.models import Notice, NoticeRecipient, NoticeStatus
from tests.factories import add_member, make_commune

pytestmark = pytest.mark.e2e
SECRETARY, MEMBER = 1001, 1003
CELL_A_CHATS = (1002, 1003, 1004, 1005, 1006, 5001)


async def test_broadcast_progress_report_and_seen(app, people, e2e_sessions, e2e_cipher) -> None:
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=True)
        await add_member(session, e2e_cipher, commune.cells[0].org, "Hoàng Văn Chưa Dùng")
        await session.commit()
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in (SECRETARY, *CELL_A_CHATS)])

    await people.send_text(SECRETARY, texts.account.BTN_NOTICE)
    menu = await people.wait_for_message(SECRETARY, lambda m: any("Soạn thông báo" in t for t, _ in m.buttons))
    await people.press(SECRETARY, menu.message_id, menu.button("Soạn thông báo"))
    await people.wait_for_message(SECRETARY, lambda m: "Gửi tới:" in m.text)
    await people.send_text(SECRETARY, "Tối nay 19 giờ họp chi bộ tại nhà văn hóa.")
    preview = await people.wait_for_message(SECRETARY, lambda m: "Gửi tới 7 đồng chí" in m.text)
    assert "1 đồng chí chưa liên kết" in preview.text
    await people.press(SECRETARY, preview.message_id, preview.button("Gửi đi"))

    received = await people.wait_for_message(MEMBER, lambda m: "Tối nay 19 giờ" in m.text, timeout=30)
    assert "Người gửi: đồng chí Bí thư" in received.text
    await people.press(MEMBER, received.message_id, received.button("Đã xem"))
    report = await people.wait_for_message(SECRETARY, lambda m: "Kết quả gửi thông báo" in m.text, timeout=30)
    assert "Đã nhận: 6/7" in report.text and "Hoàng Văn Chưa Dùng" in report.text
    status = [m for m in await people.bot_messages(SECRETARY) if m.message_id == preview.message_id][0]
    assert "Đã gửi xong" in status.text and "6/6" in status.text
    for chat in CELL_A_CHATS:
        assert len([m for m in await people.bot_messages(chat) if "Tối nay 19 giờ" in m.text]) == 1

    async with e2e_sessions() as session:
        notice = (await session.execute(select(Notice))).scalar_one()
        assert notice.status == NoticeStatus.DONE
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "notice"))).scalars().all()
        assert {r.state for r in rows} == {OutboxState.SENT} and len(rows) == 6
        seen = (await session.execute(select(NoticeRecipient).where(NoticeRecipient.seen_at.is_not(None)))).scalars().all()
        assert [r.member_id for r in seen] == [commune.cells[0].members[0].id]
