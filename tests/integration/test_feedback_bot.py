"""✍️ Góp ý through the real Dispatcher: sending, the inbox, replies, refusals and bad input."""

from __future__ import annotations

import datetime as dt

from aiogram.types import Message, PhotoSize, Sticker
from sqlalchemy import func, select

from bot.routers.feedback import FeedbackItemAction, ItemAction
from core import texts
from core.delivery.models import OutboxMessage
from core.feedback import render, service
from core.feedback.models import FeedbackItem, FeedbackReply, FeedbackState
from core.ports import OutboundMessage
from tests.botkit import BotHarness, inline_buttons, texts_of
from tests.factories import Commune

# Telegram ids from tests.factories.make_commune.
SECRETARY_A, DEPUTY_A, MEMBER_A, OTHER_MEMBER_A = 1001, 1002, 1003, 1004
SECRETARY_B, MEMBER_B = 2001, 2003
COMMITTEE = 5001



def alerts(calls) -> list[str]:  # type: ignore[no-untyped-def]
    return [call.text for call in calls if type(call).__name__ == "AnswerCallbackQuery" and call.text]


def buttons(calls) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    return [button for call in calls for button in inline_buttons(call)]


def data_of(calls, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [data for _, data in buttons(calls) if data and data.startswith(prefix)]


async def items(session) -> list[FeedbackItem]:
    query = select(FeedbackItem).order_by(FeedbackItem.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def outbox(session, kind: str) -> list[OutboxMessage]:
    return list((await session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))).scalars())


async def start_sending(harness: BotHarness, user_id: int, commune: Commune, *, kind: str = "comment", to_parent: bool = False) -> list:
    """✍️ Góp ý → 📝 Gửi ý kiến mới → kind → recipient; returns the calls of the last step."""
    calls = await harness.text(user_id, texts.account.BTN_FEEDBACK)
    assert "fbm:new" in data_of(calls, "fbm:")
    calls = await harness.press(user_id, "fbm:new")
    assert texts.feedback.ASK_KIND in texts_of(calls)
    calls = await harness.press(user_id, f"fbk:{kind}")
    recipients = data_of(calls, "fbt:")
    assert recipients == [f"fbt:{commune.cells[0].org.id if user_id < 2000 else commune.cells[1].org.id}", f"fbt:{commune.commune.id}"]
    return await harness.press(user_id, recipients[1] if to_parent else recipients[0])


async def photo(harness: BotHarness, user_id: int, *, caption: str | None = None, size: int = 50_000, group: str | None = None) -> list:
    message = Message(
        message_id=10_000 + len(harness.session.calls), date=dt.datetime.now(dt.timezone.utc),
        chat={"id": user_id, "type": "private"}, from_user={"id": user_id, "is_bot": False, "first_name": "A"},
        photo=[PhotoSize(file_id="in-photo-s", file_unique_id="ps", width=90, height=90, file_size=1000),
               PhotoSize(file_id="in-photo-l", file_unique_id="pl", width=1280, height=960, file_size=size)],
        caption=caption, media_group_id=group,
    )
    return await harness.feed(harness.update(message=message))


async def test_voice_feedback_is_answered_by_voice_end_to_end(harness, session, commune, clock) -> None:
    cell = commune.cells[0]
    calls = await start_sending(harness, MEMBER_A, commune, kind="report")
    assert any("Phản ánh" in t and cell.org.name in t for t in texts_of(calls))

    calls = await harness.voice(MEMBER_A, b"OggS-member-voice", duration=42)
    [item] = await items(session)
    assert (item.author_id, item.addressed_org_id, item.voice_duration, item.text) == (cell.members[0].id, cell.org.id, 42, None)
    assert item.voice_file_id and item.reference.startswith("PA-2026-")
    assert any(item.reference in t and texts.feedback.SENT.split("<b>")[0] in t for t in texts_of(calls))

    # The secretary and the deputy are told, with a button that opens the item.
    notices = await outbox(session, "feedback_new")
    assert sorted(n.member_id for n in notices) == sorted([cell.secretary.id, cell.deputy.id])
    notice = OutboundMessage.from_payload(notices[0].payload)
    assert notice.buttons[0][0].callback_data == f"fbi:open:{item.id}" and "🎤" in notice.text
    assert notice.attachment is not None and (notice.attachment.kind, notice.attachment.file_id) == ("voice", item.voice_file_id)

    # The secretary sees one waiting item in the inbox and opens it: the voice is played back by file id.
    calls = await harness.text(SECRETARY_A, texts.account.BTN_FEEDBACK)
    assert ("📥 Hộp thư (1 chờ trả lời)", "fbm:inbox") in buttons(calls)
    calls = await harness.press(SECRETARY_A, "fbm:inbox")
    assert item.reference in texts_of(calls)[0] and cell.members[0].full_name in texts_of(calls)[0]
    calls = await harness.press(SECRETARY_A, f"fbi:open:{item.id}")
    voice_sent = [c for c in calls if type(c).__name__ == "SendVoice"]
    assert [c.voice for c in voice_sent] == [item.voice_file_id]
    assert {f"fbi:reply:{item.id}", f"fbi:close:{item.id}", f"fbi:fwd:{item.id}"} <= set(data_of(calls, "fbi:"))

    # She answers by voice.
    calls = await harness.press(SECRETARY_A, f"fbi:reply:{item.id}")
    assert any(item.reference in t for t in texts_of(calls))
    clock.advance(minutes=10)
    calls = await harness.voice(SECRETARY_A, b"OggS-secretary-voice", duration=20)
    assert any(t.startswith("✅") and item.reference in t for t in texts_of(calls))
    [item] = await items(session)
    assert item.state == FeedbackState.ANSWERED and item.answered_at == clock.now()
    reply = (await session.execute(select(FeedbackReply))).scalar_one()

    # The member "receives" the reply: an outbox row with the reference and the voice by file id.
    [row] = await outbox(session, "feedback_reply")
    message = OutboundMessage.from_payload(row.payload)
    assert row.member_id == cell.members[0].id and row.source == f"feedback:{item.id}"
    assert item.reference in message.text and cell.org.name in message.text
    assert message.attachment is not None and (message.attachment.kind, message.attachment.file_id) == ("voice", reply.voice_file_id)
    assert message.buttons[0][0].callback_data == f"fbi:open:{item.id}"

    # And sees it under "Ý kiến của tôi".
    calls = await harness.press(MEMBER_A, "fbm:mine")
    assert item.reference in texts_of(calls)[0] and texts.feedback.STATES["answered"] in texts_of(calls)[0]
    calls = await harness.press(MEMBER_A, f"fbi:open:{item.id}")
    assert [c.voice for c in calls if type(c).__name__ == "SendVoice"] == [item.voice_file_id, reply.voice_file_id]
    assert not [d for d in data_of(calls, "fbi:") if not d.startswith("fbi:open")]  # no reply/close buttons for the author


async def test_text_to_the_committee_reaches_its_members_who_answer(harness, session, commune) -> None:
    await start_sending(harness, MEMBER_B, commune, kind="proposal", to_parent=True)
    await harness.text(MEMBER_B, "Đề xuất mở lớp tin học cho đảng viên cao tuổi.")
    [item] = await items(session)
    assert item.reference.startswith("ĐX-") and item.addressed_org_id == commune.commune.id
    assert [n.member_id for n in await outbox(session, "feedback_new")] == [commune.committee_member.id]

    # The cell's secretary does not see an item sent to the committee.
    calls = await harness.press(SECRETARY_B, f"fbi:open:{item.id}")
    assert alerts(calls) == [texts.common.NOT_FOUND]

    calls = await harness.press(COMMITTEE, "fbm:inbox")
    assert item.reference in texts_of(calls)[0]
    await harness.press(COMMITTEE, f"fbi:reply:{item.id}")
    await harness.text(COMMITTEE, "Đảng ủy xã sẽ mở lớp vào tháng 12.")
    [row] = await outbox(session, "feedback_reply")
    assert row.member_id == commune.cells[1].members[0].id and "tháng 12" in row.payload["text"] and item.reference in row.payload["text"]


async def test_forward_and_close_ask_for_confirmation(harness, session, commune) -> None:
    await start_sending(harness, MEMBER_A, commune)
    await harness.text(MEMBER_A, "Đường vào thôn bị sạt lở.")
    [item] = await items(session)

    calls = await harness.press(SECRETARY_A, f"fbi:fwd:{item.id}")
    assert any(commune.commune.name in t for t in texts_of(calls)) and f"fbi:fwd_ok:{item.id}" in data_of(calls, "fbi:")
    assert (await items(session))[0].current_org_id == commune.cells[0].org.id  # nothing yet
    calls = await harness.press(SECRETARY_A, f"fbi:fwd_ok:{item.id}")
    [item] = await items(session)
    assert item.current_org_id == commune.commune.id
    assert [r.member_id for r in await outbox(session, "feedback_status")] == [commune.cells[0].members[0].id]

    # The cell can no longer act; the committee can, and closes it.
    calls = await harness.press(SECRETARY_A, f"fbi:close:{item.id}")
    assert alerts(calls) == [texts.feedback.NOT_AT_YOUR_LEVEL.format(org=commune.commune.name)]
    calls = await harness.press(SECRETARY_A, f"fbi:open:{item.id}")
    assert set(data_of(calls, "fbi:")) == set()  # read-only card
    await harness.press(COMMITTEE, f"fbi:close:{item.id}")
    await harness.press(COMMITTEE, f"fbi:close_ok:{item.id}")
    [item] = await items(session)
    assert item.state == FeedbackState.CLOSED and item.closed_by_id == commune.committee_member.id
    calls = await harness.press(COMMITTEE, f"fbi:reply:{item.id}")
    assert alerts(calls) == [texts.feedback.ALREADY_CLOSED]


async def test_photo_with_caption_is_accepted(harness, session, commune) -> None:
    await start_sending(harness, MEMBER_A, commune, kind="report")
    calls = await photo(harness, MEMBER_A, caption="Cống thoát nước bị tắc")
    [item] = await items(session)
    assert (item.photo_file_id, item.text, item.file_size) == ("in-photo-l", "Cống thoát nước bị tắc", 50_000)
    assert any(item.reference in t for t in texts_of(calls))
    notice = OutboundMessage.from_payload((await outbox(session, "feedback_new"))[0].payload)
    assert notice.attachment is not None and (notice.attachment.kind, notice.attachment.file_id) == ("photo", "in-photo-l")
    assert "Cống thoát nước bị tắc" in notice.text
    calls = await harness.press(SECRETARY_A, f"fbi:open:{item.id}")
    assert [c.photo for c in calls if type(c).__name__ == "SendPhoto"] == ["in-photo-l"]


# ---------------------------------------------------------------- refusals


async def test_access_refusals_through_buttons(harness, session, commune) -> None:
    await start_sending(harness, MEMBER_A, commune)
    await harness.text(MEMBER_A, "Góp ý riêng của tôi")
    [item] = await items(session)
    for user_id in (MEMBER_B, SECRETARY_B, OTHER_MEMBER_A, 9001):
        calls = await harness.press(user_id, f"fbi:open:{item.id}")
        assert alerts(calls) == [texts.common.NOT_FOUND], user_id
        assert item.text not in " ".join(texts_of(calls))
        calls = await harness.press(user_id, f"fbi:reply:{item.id}")
        assert alerts(calls) == [texts.common.NOT_FOUND], user_id
        # A refused reply button must not leave them in a state where their next text is taken as a reply.
        await harness.text(user_id, "Tôi trả lời đây")
    for action in ("reply", "close", "fwd", "close_ok", "fwd_ok"):
        calls = await harness.press(MEMBER_A, f"fbi:{action}:{item.id}")
        assert alerts(calls) == [texts.feedback.OWN_ITEM], action
    assert (await session.scalar(select(func.count(FeedbackReply.id)))) == 0
    [item] = await items(session)
    assert (item.state, item.current_org_id) == (FeedbackState.OPEN, commune.cells[0].org.id)


async def test_members_have_no_inbox(harness, session, commune) -> None:
    calls = await harness.text(MEMBER_A, "/gopy")
    assert texts_of(calls) == [texts.feedback.MENU] and "fbm:inbox" not in data_of(calls, "fbm:")
    for data in ("fbm:inbox", "fbl:inbox:w:1", "fbl:inbox:a:2"):
        assert alerts(await harness.press(MEMBER_A, data)) == [texts.common.FORBIDDEN]


async def test_forged_buttons_are_stale_or_refused(harness, session, commune) -> None:
    for data in ("fbi:open:abc", "fbi:delete:1", "fbk:complaint", "fbl:all:w:1", "fbt:x", "fbm:drop"):
        assert alerts(await harness.press(MEMBER_A, data)) == [texts.common.STALE_BUTTON], data
    assert alerts(await harness.press(MEMBER_A, "fbi:open:999999")) == [texts.common.NOT_FOUND]
    # A recipient that is not the member's own cell or the committee above.
    await harness.press(MEMBER_A, "fbm:new")
    await harness.press(MEMBER_A, "fbk:comment")
    for org in (commune.cells[1].org, commune.province, commune.other_cell.org):
        assert alerts(await harness.press(MEMBER_A, f"fbt:{org.id}")) == [texts.feedback.RECIPIENT_INVALID]
    # A recipient button without a chosen kind (an old message) restarts politely.
    other = await harness.press(MEMBER_B, f"fbt:{commune.cells[1].org.id}")
    assert alerts(other) == [texts.feedback.FLOW_EXPIRED]
    assert await items(session) == []


# ---------------------------------------------------------------- bad input


async def test_empty_and_too_long_text_are_refused_clearly(harness, session, commune, clock) -> None:
    await start_sending(harness, MEMBER_A, commune)
    calls = await harness.text(MEMBER_A, "   ")
    assert texts_of(calls) == [texts.feedback.TEXT_EMPTY]
    clock.advance(seconds=5)
    calls = await harness.text(MEMBER_A, "a" * 10_000)
    assert texts_of(calls) == [texts.feedback.TEXT_TOO_LONG.format(length=10_000, limit=4000)]
    assert await items(session) == []
    # Still in the flow: a corrected text goes through, whole.
    clock.advance(seconds=5)
    await harness.text(MEMBER_A, "b" * 4000)
    [item] = await items(session)
    assert item.text == "b" * 4000


async def test_unsupported_files_are_refused_politely(harness, session, commune, clock) -> None:
    await start_sending(harness, MEMBER_A, commune)
    calls = await harness.document(MEMBER_A, b"MZ\x90\x00", "setup.exe", "application/octet-stream")
    assert texts_of(calls) == [texts.feedback.UNSUPPORTED]
    clock.advance(seconds=5)
    calls = await harness.document(MEMBER_A, b"\x89PNG", "anh.png", "image/png")
    assert texts_of(calls) == [texts.feedback.UNSUPPORTED_IMAGE_FILE]
    clock.advance(seconds=5)
    sticker = Sticker(file_id="st", file_unique_id="st", type="regular", width=1, height=1, is_animated=False, is_video=False)
    calls = await harness.feed(harness.update(message=harness._message(MEMBER_A, sticker=sticker)))
    assert texts_of(calls) == [texts.feedback.UNSUPPORTED]
    clock.advance(seconds=5)
    calls = await harness.voice(MEMBER_A, b"OggS", duration=301)
    assert texts_of(calls) == [texts.feedback.VOICE_TOO_LONG.format(minutes=5, seconds=1, limit=5)]
    clock.advance(seconds=5)
    calls = await photo(harness, MEMBER_A, size=11 * 1024 * 1024)
    assert texts_of(calls) == [texts.feedback.FILE_TOO_LARGE.format(size="11,0", limit=10)]
    assert await items(session) == []


async def test_a_flood_of_messages_makes_one_item_and_one_answer(harness, session, commune, clock) -> None:
    await start_sending(harness, MEMBER_A, commune)
    answers = []
    for n in range(20):
        answers += texts_of(await harness.text(MEMBER_A, f"Tin nhắn số {n}"))
    [item] = await items(session)
    assert item.text == "Tin nhắn số 0"
    assert len(answers) == 2 and item.reference in answers[0]
    assert answers[1] == texts.feedback.EXTRA_AFTER_SENT.format(reference=item.reference)
    # Once the burst is over the member is back at the home menu, and nothing more is recorded.
    clock.advance(seconds=10)
    calls = await harness.text(MEMBER_A, "Còn nữa")
    assert texts_of(calls) == [texts.common.CHOOSE_A_BUTTON]
    assert len(await items(session)) == 1


async def test_an_album_keeps_the_first_photo_and_says_so_once(harness, session, commune) -> None:
    await start_sending(harness, MEMBER_A, commune, kind="report")
    answers = []
    for _ in range(3):
        answers += texts_of(await photo(harness, MEMBER_A, caption="Sạt lở", group="album-1"))
    assert len(await items(session)) == 1 and len(answers) == 2


async def test_a_split_long_text_is_not_half_recorded(harness, session, commune, clock) -> None:
    """The Telegram app splits a long text into 4096-character messages arriving together."""
    await start_sending(harness, MEMBER_A, commune)
    answers = []
    for part in ("a" * 4096, "b" * 4096, "c" * 1808):
        answers += texts_of(await harness.text(MEMBER_A, part))
    assert answers == [texts.feedback.TEXT_TOO_LONG.format(length=4096, limit=4000), texts.feedback.FLOOD]
    assert await items(session) == []
    clock.advance(seconds=30)
    await harness.text(MEMBER_A, "Bản rút gọn")
    assert [i.text for i in await items(session)] == ["Bản rút gọn"]


async def test_rate_limit_is_explained_before_writing(harness, session, commune, clock) -> None:
    for n in range(service.PER_HOUR):
        clock.advance(minutes=1)
        await start_sending(harness, MEMBER_A, commune)
        await harness.text(MEMBER_A, f"Ý kiến {n}")
    assert len(await items(session)) == service.PER_HOUR
    calls = await harness.press(MEMBER_A, "fbm:new")
    assert alerts(calls) == [texts.feedback.RATE_HOUR.format(count=5, minutes=56)]
    assert texts.feedback.ASK_KIND not in texts_of(calls)


async def test_menu_buttons_and_commands_leave_the_flow(harness, session, commune, clock) -> None:
    await start_sending(harness, MEMBER_A, commune)
    calls = await harness.text(MEMBER_A, texts.account.BTN_MEETINGS)
    assert all("Góp ý" not in t for t in texts_of(calls)), texts_of(calls)
    calls = await harness.text(MEMBER_A, "Đây không phải góp ý")
    assert texts_of(calls) == [texts.common.CHOOSE_A_BUTTON]
    assert await items(session) == []


async def test_cancel_and_an_abandoned_flow(harness, session, commune, clock) -> None:
    await start_sending(harness, MEMBER_A, commune)
    calls = await harness.press(MEMBER_A, "fbm:cancel")
    assert texts.common.CANCELLED in texts_of(calls)
    assert texts_of(await harness.text(MEMBER_A, "Chữ bất kỳ")) == [texts.common.CHOOSE_A_BUTTON]
    await start_sending(harness, MEMBER_A, commune)
    clock.advance(hours=2, seconds=1)
    assert texts_of(await harness.text(MEMBER_A, "Quá muộn")) == [texts.feedback.FLOW_EXPIRED]
    assert await items(session) == []


async def test_inbox_pages_and_views(harness, session, commune, clock) -> None:
    cell = commune.cells[0]
    senders = [MEMBER_A, OTHER_MEMBER_A, 1005, 1006]
    for n in range(7):
        clock.advance(minutes=1)
        await start_sending(harness, senders[n % 4], commune)
        await harness.text(senders[n % 4], f"Ý kiến số {n}")
    calls = await harness.press(SECRETARY_A, "fbm:inbox")
    first_page = data_of(calls, "fbi:open:")
    assert len(first_page) == 5 and "fbl:inbox:w:2" in data_of(calls, "fbl:")
    calls = await harness.press(SECRETARY_A, "fbl:inbox:w:2")
    assert len(data_of(calls, "fbi:open:")) == 2 and "fbl:inbox:w:1" in data_of(calls, "fbl:")
    # Answer one: it leaves the waiting view, stays in "all".
    newest = int(first_page[0].rsplit(":", 1)[1])
    await harness.press(SECRETARY_A, f"fbi:reply:{newest}")
    await harness.text(SECRETARY_A, "Cảm ơn đồng chí.")
    calls = await harness.press(SECRETARY_A, "fbl:inbox:w:1")
    assert f"fbi:open:{newest}" not in data_of(calls, "fbi:open:")
    calls = await harness.press(SECRETARY_A, "fbl:inbox:a:1")
    assert f"fbi:open:{newest}" in data_of(calls, "fbi:open:")
    # A page past the end shows the last page instead of an empty screen.
    calls = await harness.press(SECRETARY_A, "fbl:inbox:w:9")
    assert len(data_of(calls, "fbi:open:")) == 1
    assert cell.org.id


async def test_outbox_buttons_match_the_bot_callbacks() -> None:
    for action in ItemAction:
        assert service.item_button_data(action.value, 17) == FeedbackItemAction(action=action, item_id=17).pack()


async def test_a_long_item_opens_in_messages_that_fit(harness, session, commune, clock) -> None:
    await start_sending(harness, MEMBER_A, commune)
    await harness.text(MEMBER_A, "Dòng đầu.\n" + "x" * 3980)
    [item] = await items(session)
    await harness.press(SECRETARY_A, f"fbi:reply:{item.id}")
    await harness.text(SECRETARY_A, "y" * 3500)
    calls = await harness.press(SECRETARY_A, f"fbi:open:{item.id}")
    sent = [c for c in calls if type(c).__name__ == "SendMessage"]
    assert len(sent) >= 2 and all(render.visible_length(c.text) <= 4096 for c in sent)
    assert "x" * 3980 in "".join(c.text for c in sent) and "y" * 3500 in "".join(c.text for c in sent)
    assert inline_buttons(sent[-1]) and not any(inline_buttons(c) for c in sent[:-1])


async def test_empty_list_offers_to_send(harness, session, commune) -> None:
    calls = await harness.press(MEMBER_A, "fbm:mine")
    assert texts_of(calls) == [texts.feedback.MINE_EMPTY] and "fbm:new" in data_of(calls, "fbm:")


def test_refusals_shown_as_alerts_fit_telegram() -> None:
    """Callback answers are cut at 200 characters by Telegram; every refusal a button can meet fits."""
    long_name = "Đảng bộ xã " + "Mường" * 10
    alerts_texts = [
        texts.common.NOT_FOUND, texts.common.FORBIDDEN, texts.common.STALE_BUTTON,
        texts.feedback.OWN_ITEM, texts.feedback.ALREADY_CLOSED, texts.feedback.NO_HIGHER_LEVEL,
        texts.feedback.RECIPIENT_INVALID, texts.feedback.FLOW_EXPIRED,
        texts.feedback.NOT_AT_YOUR_LEVEL.format(org=long_name),
        texts.feedback.RATE_HOUR.format(count=5, minutes=60), texts.feedback.RATE_DAY.format(count=20, hours=24),
    ]
    assert max(len(t) for t in alerts_texts) <= 200
