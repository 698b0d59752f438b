"""📢 Thông báo through the real Dispatcher: writing, previewing, sending through the outbox and
the worker, progress and the final report, stopping, «Đã xem», and every refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from aiogram.types import Message, PhotoSize
from sqlalchemy import func, select

from core import texts
from core.clock import FrozenClock
from core.db import transaction
from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.models import OutboxMessage, OutboxState
from core.delivery.worker import DeliveryWorker
from core.errors import PermissionDenied
from core.notices import service
from core.notices.models import Notice, NoticeRecipient, NoticeStatus
from core.orgs.models import Member
from core.orgs.service import load_actor
from core.ports import CollectingMessenger, RecipientUnreachable
from tests.botkit import BotHarness, inline_buttons, reply_keyboard_labels, texts_of
from tests.factories import add_member

SECRETARY_A, DEPUTY_A, MEMBER_A, OTHER_MEMBER_A = 1001, 1002, 1003, 1004
SECRETARY_B, MEMBER_B = 2001, 2003
COMMITTEE = 5001
UNLIMITED = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)



@pytest.fixture
def messenger() -> CollectingMessenger:
    return CollectingMessenger()


@pytest.fixture
def deliver(session_factory, messenger, clock):  # type: ignore[no-untyped-def]
    """What the worker process does: send what is due, then let the notices job follow up."""
    worker = DeliveryWorker(session_factory, messenger, LocalTokenBucket(UNLIMITED), clock, quiet_kinds={service.KIND})

    async def run(*, progress: bool = True) -> None:
        await worker.drain()
        if progress:
            clock.advance(seconds=5)
            async with transaction(session_factory) as session:
                await service.refresh_progress(session, now=clock.now())
            await worker.drain()

    return run


def alerts(calls) -> list[str]:  # type: ignore[no-untyped-def]
    return [call.text for call in calls if type(call).__name__ == "AnswerCallbackQuery" and call.text]


def data_of(calls, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [data for call in calls for _, data in inline_buttons(call) if data and data.startswith(prefix)]


async def notices(session) -> list[Notice]:
    return list((await session.execute(select(Notice).order_by(Notice.id).execution_options(populate_existing=True))).scalars())


async def outbox(session, kind: str = service.KIND) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def write(harness: BotHarness, user_id: int, text: str = "Họp chi bộ lúc 8 giờ sáng Chủ Nhật tại nhà văn hóa thôn.") -> list:
    """📢 → ✍️ new → (the only target) → text; returns the preview calls."""
    calls = await harness.text(user_id, texts.account.BTN_NOTICE)
    assert "ntm:new" in data_of(calls, "ntm:")
    calls = await harness.press(user_id, "ntm:new")
    assert any("Gửi tới: <b>" in t for t in texts_of(calls))
    return await harness.text(user_id, text)


async def send_now(harness: BotHarness, user_id: int, preview_calls: list, *, message_id: int = 77) -> list:
    (send,) = data_of(preview_calls, "ntd:send:")
    return await harness.press(user_id, send, message_id=message_id)


async def test_secretary_previews_sends_and_gets_a_report(harness, session, commune, clock, messenger, deliver, cipher) -> None:
    cell = commune.cells[0]
    await add_member(session, cipher, cell.org, "Nguyễn Văn Chưa Liên Kết")
    await session.commit()
    preview = await write(harness, SECRETARY_A)
    shown = texts_of(preview)
    # Everyone in the cell but the author: deputy, four members, the committee member, the unlinked one.
    assert texts.notices.PREVIEW.format(count=7, org=cell.org.name) in shown[-1]
    assert "<b>1</b> đồng chí chưa liên kết" in shown[-1]
    assert any("Họp chi bộ lúc 8 giờ" in t and "Người gửi: đồng chí Bí thư" in t for t in shown)
    assert await notices(session) == []  # nothing is created before the confirmation

    calls = await send_now(harness, SECRETARY_A, preview, message_id=77)
    (notice,) = await notices(session)
    assert (notice.status, notice.recipients_total, notice.recipients_linked) == (NoticeStatus.SENDING, 7, 6)
    assert notice.status_message_id == "77"
    edit = next(c for c in calls if type(c).__name__ == "EditMessageText")
    assert "Đã gửi <b>0/6</b>" in edit.text and data_of(calls, "ntx:ask:") == [f"ntx:ask:{notice.id}"]
    assert len(await outbox(session)) == 6 and not messenger.sent  # queued, not sent by the handler

    await deliver()
    received = [chat for chat, m in messenger.sent if m.buttons and m.buttons[0][0].callback_data == f"nts:{notice.id}"]
    assert sorted(received) == ["1002", "1003", "1004", "1005", "1006", "5001"]
    (notice,) = await notices(session)
    assert notice.status == NoticeStatus.DONE and notice.finished_at is not None
    to_secretary = [m for chat, m in messenger.sent if chat == "1001"]
    assert [m.edit_message_id for m in to_secretary] == ["77", None]
    assert "Đã gửi xong" in to_secretary[0].text and "6/6" in to_secretary[0].text
    report = to_secretary[1].text
    assert "Đã nhận: <b>6/7</b>" in report and "Nguyễn Văn Chưa Liên Kết" in report and "gọi điện" in report


async def test_progress_is_shown_while_sending(harness, session, commune, clock, messenger, session_factory) -> None:
    preview = await write(harness, SECRETARY_A)
    await send_now(harness, SECRETARY_A, preview)
    (notice,) = await notices(session)
    rows = await outbox(session)
    for row in rows[:2]:  # two already sent
        row.state = OutboxState.SENT
    await session.commit()
    async with transaction(session_factory) as tx:
        assert await service.refresh_progress(tx, now=clock.now()) == 1
    async with transaction(session_factory) as tx:  # nothing new to show: no second edit
        assert await service.refresh_progress(tx, now=clock.now() + dt.timedelta(seconds=10)) == 0
    (edit,) = await outbox(session, service.AUTHOR_KIND)
    assert edit.payload["edit_message_id"] == "77" and "Đã gửi <b>2/6</b>" in edit.payload["text"]
    assert edit.payload["buttons"][0][0]["callback_data"] == f"ntx:ask:{notice.id}"
    assert edit.priority > rows[0].priority


async def test_member_cannot_start_or_confirm_a_broadcast_even_with_forged_buttons(harness, session, commune, clock) -> None:
    # 📢 is in every member's menu, to reread what they were sent (core.catchup); not the broadcast menu.
    assert texts.account.BTN_NOTICE in reply_keyboard_labels(await harness.text(MEMBER_A, "/start"))
    calls = await harness.text(MEMBER_A, texts.account.BTN_NOTICE)
    assert texts.notices.MENU not in texts_of(calls) and texts.catchup.NO_NOTICES in texts_of(calls)
    for forged in ("ntm:new", f"ntt:{commune.cells[0].org.id}", "ntd:send:abcd1234", "ntp:1"):
        assert alerts(await harness.press(MEMBER_A, forged)) == [texts.common.STALE_BUTTON]
    # A real notice exists; the member forges its stop and report buttons.
    await send_now(harness, SECRETARY_A, await write(harness, SECRETARY_A))
    (notice,) = await notices(session)
    for forged in (f"ntx:ok:{notice.id}", f"ntr:{notice.id}"):
        assert alerts(await harness.press(MEMBER_A, forged)) == [texts.common.STALE_BUTTON]
    assert (await notices(session))[0].status == NoticeStatus.SENDING
    # And the service refuses on its own, whatever the front end.
    member = await session.get(Member, commune.cells[0].members[0].id)
    actor = await load_actor(session, member)  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        await service.create_notice(session, actor=actor, org_id=commune.cells[0].org.id, text="Giả mạo", now=clock.now())
    assert len(await notices(session)) == 1


async def test_another_cells_secretary_cannot_touch_this_cells_notice(harness, session, commune) -> None:
    cell_a = commune.cells[0].org
    assert alerts(await harness.press(SECRETARY_B, f"ntt:{cell_a.id}")) == [texts.common.FORBIDDEN]
    await send_now(harness, SECRETARY_A, await write(harness, SECRETARY_A))
    (notice,) = await notices(session)
    for forged in (f"ntx:ok:{notice.id}", f"ntx:ask:{notice.id}", f"ntr:{notice.id}"):
        assert alerts(await harness.press(SECRETARY_B, forged)) == [texts.common.NOT_FOUND]
    assert (await notices(session))[0].status == NoticeStatus.SENDING


async def test_a_stale_or_forged_draft_sends_nothing_and_a_double_tap_sends_once(harness, session, commune) -> None:
    preview = await write(harness, SECRETARY_A)
    assert alerts(await harness.press(SECRETARY_A, "ntd:send:deadbeef")) == [texts.notices.FLOW_EXPIRED]
    assert await notices(session) == []
    preview = await write(harness, SECRETARY_A)
    await send_now(harness, SECRETARY_A, preview)
    second = await send_now(harness, SECRETARY_A, preview)  # the same button again
    assert alerts(second) == [texts.notices.FLOW_EXPIRED]
    assert len(await notices(session)) == 1 and len(await outbox(session)) == 6


async def test_cancel_at_preview_sends_nothing(harness, session, commune) -> None:
    preview = await write(harness, SECRETARY_A)
    (drop,) = data_of(preview, "ntd:drop:")
    calls = await harness.press(SECRETARY_A, drop)
    assert texts.notices.DRAFT_DROPPED in texts_of(calls)
    assert await notices(session) == [] and await outbox(session) == []


async def test_stopping_a_running_broadcast_stops_sending(harness, session, commune, clock, messenger, deliver) -> None:
    await send_now(harness, SECRETARY_A, await write(harness, SECRETARY_A))
    (notice,) = await notices(session)
    rows = await outbox(session)
    rows[0].state = OutboxState.SENT  # one went out before the secretary pressed stop
    await session.commit()
    calls = await harness.press(SECRETARY_A, f"ntx:ask:{notice.id}", message_id=77)
    assert texts.notices.ASK_STOP in texts_of(calls)
    calls = await harness.press(SECRETARY_A, f"ntx:ok:{notice.id}", message_id=90)
    assert texts.notices.STOPPED in texts_of(calls)
    await deliver()
    assert not [m for chat, m in messenger.sent if chat != "1001"]  # nobody else received it
    (notice,) = await notices(session)
    assert notice.status == NoticeStatus.CANCELLED and notice.cancelled_at == clock.now() - dt.timedelta(seconds=5)
    assert sorted(r.state.value for r in await outbox(session)) == ["cancelled"] * 5 + ["sent"]
    final, report = [m for chat, m in messenger.sent if chat == "1001"]
    assert "Đã dừng gửi" in final.text and "1/6" in final.text
    assert texts.notices.REPORT_CANCELLED in report.text and "(5)" in report.text
    # Stopping again is refused politely.
    assert alerts(await harness.press(SECRETARY_A, f"ntx:ok:{notice.id}")) == [texts.notices.ALREADY_FINISHED]


async def test_blocked_and_unlinked_members_are_named_in_the_report(harness, session, commune, messenger, deliver, cipher) -> None:
    cell = commune.cells[0]
    await add_member(session, cipher, cell.org, "Trần Thị Chưa Có Telegram")
    await session.commit()
    messenger.failures["1004"] = RecipientUnreachable("Forbidden: bot was blocked by the user")
    await send_now(harness, SECRETARY_A, await write(harness, SECRETARY_A))
    await deliver()
    report = [m for chat, m in messenger.sent if chat == "1001"][-1].text
    blocked_name = cell.members[1].full_name
    assert "Trần Thị Chưa Có Telegram" in report and blocked_name in report
    assert report.index("Chưa liên kết") < report.index("Trần Thị") < report.index("Không gửi được") < report.index(blocked_name)
    assert "Đã nhận: <b>5/7</b>" in report
    # The notice's own report covers it: no separate "cannot reach" alert for a broadcast.
    assert await outbox(session, "delivery_alert") == []


async def test_members_confirm_seen_and_the_secretary_sees_who(harness, session, commune, deliver, clock) -> None:
    await send_now(harness, SECRETARY_A, await write(harness, SECRETARY_A))
    await deliver()
    (notice,) = await notices(session)
    calls = await harness.press(MEMBER_A, f"nts:{notice.id}")
    assert alerts(calls) == [texts.notices.SEEN_THANKS]
    assert any(type(c).__name__ == "EditMessageReplyMarkup" for c in calls)
    assert alerts(await harness.press(MEMBER_A, f"nts:{notice.id}")) == [texts.notices.SEEN_ALREADY]
    # Someone who was not a recipient cannot confirm it.
    assert alerts(await harness.press(MEMBER_B, f"nts:{notice.id}")) == [texts.common.NOT_FOUND]
    assert alerts(await harness.press(SECRETARY_A, f"nts:{notice.id}")) == [texts.common.NOT_FOUND]  # the author was not one
    seen = (await session.execute(select(NoticeRecipient).where(NoticeRecipient.seen_at.is_not(None)))).scalars().all()
    assert [r.member_id for r in seen] == [commune.cells[0].members[0].id]
    calls = await harness.press(SECRETARY_A, f"ntr:{notice.id}")
    text = texts_of(calls)[0]
    assert "Đã xem: <b>1/6</b>" in text and commune.cells[0].members[1].full_name in text
    assert commune.cells[0].members[0].full_name not in text


async def test_exempt_members_receive_only_if_they_opted_in(harness, session, commune, cipher) -> None:
    cell = commune.cells[0]
    quiet = await add_member(session, cipher, cell.org, "Miễn sinh hoạt không nhận", exempt=True, link_to=1101)
    quiet.exempt_receives_notices = False  # turned off in 👤 Hồ sơ (following is the default)
    keen = await add_member(session, cipher, cell.org, "Miễn sinh hoạt vẫn nhận", exempt=True, link_to=1102)
    keen.exempt_receives_notices = True
    await session.commit()
    await send_now(harness, SECRETARY_A, await write(harness, SECRETARY_A))
    members = {r.member_id for r in await outbox(session)}
    assert keen.id in members and quiet.id not in members


async def test_committee_member_chooses_the_whole_commune_or_one_cell(harness, session, commune) -> None:
    await harness.text(COMMITTEE, texts.account.BTN_NOTICE)
    calls = await harness.press(COMMITTEE, "ntm:new")
    targets = data_of(calls, "ntt:")
    assert targets == [f"ntt:{commune.commune.id}", f"ntt:{commune.cells[0].org.id}", f"ntt:{commune.cells[1].org.id}"]
    assert alerts(await harness.press(COMMITTEE, f"ntt:{commune.other_cell.org.id}")) == [texts.common.FORBIDDEN]
    await harness.press(COMMITTEE, targets[0])
    preview = await harness.text(COMMITTEE, "Toàn xã ra quân làm đường.")
    assert texts.notices.PREVIEW.format(count=12, org=commune.commune.name) in texts_of(preview)[-1]
    await send_now(harness, COMMITTEE, preview)
    assert len(await outbox(session)) == 12  # two cells of six, the author left out


async def test_a_photo_notice_reuses_the_file_and_keeps_the_caption(harness, session, commune, messenger, deliver) -> None:
    await harness.text(SECRETARY_A, texts.account.BTN_NOTICE)
    await harness.press(SECRETARY_A, "ntm:new")
    photo = Message(
        message_id=500, date=dt.datetime.now(dt.timezone.utc), chat={"id": SECRETARY_A, "type": "private"},
        from_user={"id": SECRETARY_A, "is_bot": False, "first_name": "A"},
        photo=[PhotoSize(file_id="in-photo-s", file_unique_id="s", width=90, height=90),
               PhotoSize(file_id="in-photo-l", file_unique_id="l", width=1280, height=960)],
        caption="Lịch trực Tết",
    )
    preview = await harness.feed(harness.update(message=photo))
    assert any(type(c).__name__ == "SendPhoto" and c.photo == "in-photo-l" for c in preview)
    await send_now(harness, SECRETARY_A, preview)
    await deliver(progress=False)
    sent = [m for chat, m in messenger.sent if chat != "1001"]
    assert len(sent) == 6 and all(m.attachment and m.attachment.file_id == "in-photo-l" and m.attachment.kind == "photo" for m in sent)
    assert all("Lịch trực Tết" in m.text for m in sent)


async def test_bad_content_is_refused_and_the_flow_stays(harness, session, commune) -> None:
    await harness.text(SECRETARY_A, texts.account.BTN_NOTICE)
    await harness.press(SECRETARY_A, "ntm:new")
    calls = await harness.text(SECRETARY_A, "x" * (service.MAX_TEXT_CHARS + 1))
    assert texts.notices.TOO_LONG.format(length=service.MAX_TEXT_CHARS + 1, limit=service.MAX_TEXT_CHARS) in texts_of(calls)
    calls = await harness.document(SECRETARY_A, b"%PDF", "lich.pdf", "application/pdf", caption="y" * (service.MAX_CAPTION_CHARS + 1))
    assert any("chú thích" in t for t in texts_of(calls))
    calls = await harness.text(SECRETARY_A, "   Nội dung đúng   ")
    assert data_of(calls, "ntd:send:")
    # A home button in the middle drops the draft and does what the button says.
    calls = await harness.text(SECRETARY_A, texts.account.BTN_PROFILE)
    assert any("Hồ sơ đảng viên" in t for t in texts_of(calls))
    assert await session.scalar(select(func.count(Notice.id))) == 0


async def test_the_sent_list_shows_recent_notices(harness, session, commune, deliver) -> None:
    await send_now(harness, SECRETARY_A, await write(harness, SECRETARY_A, "Thông báo thứ nhất"))
    await deliver()
    await harness.text(SECRETARY_A, texts.account.BTN_NOTICE)
    calls = await harness.press(SECRETARY_A, "ntm:list")
    text = texts_of(calls)[0]
    assert "Thông báo thứ nhất" in text and "đã gửi xong" in text and "đã xem 0/6" in text
    (notice,) = await notices(session)
    assert data_of(calls, "ntr:") == [f"ntr:{notice.id}"]
    # Another cell's secretary does not see it.
    await harness.text(SECRETARY_B, texts.account.BTN_NOTICE)
    assert texts.notices.LIST_EMPTY in texts_of(await harness.press(SECRETARY_B, "ntm:list"))
    _ = FrozenClock
