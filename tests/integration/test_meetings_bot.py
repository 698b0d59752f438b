"""📅 Lịch họp through the real Dispatcher: creating with buttons, invitations in the outbox, answers,
absences with a voice reason, decisions, attendance, conclusions, statistics — and refusals."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from aiogram.types import Chat, Document, Message, PhotoSize
from sqlalchemy import func, select, update

from core import texts
from core.delivery.models import OutboxMessage, OutboxState
from core.meetings import service
from core.meetings.models import (
    AbsenceReason,
    Answer,
    Attendance,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    RecurrenceRule,
)
from core.orgs.models import Member
from core.ports import OutboundMessage
from tests.botkit import BotHarness, inline_buttons, person, texts_of
from tests.factories import Commune, add_member, make_commune

SECRETARY_A, DEPUTY_A, MEMBER_A, OTHER_MEMBER_A, THIRD_MEMBER_A = 1001, 1002, 1003, 1004, 1005
SECRETARY_B, MEMBER_B = 2001, 2003
COMMITTEE = 5001
EXEMPT_OPTED_IN, EXEMPT_SILENT = 1101, 1102

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00" + b"\x00" * 200


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
async def commune(session, cipher) -> Commune:  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    cell = commune.cells[0]
    opted = await add_member(session, cipher, cell.org, "Cụ Miễn Có Nhận", exempt=True, link_to=EXEMPT_OPTED_IN)
    opted.exempt_receives_notices = True
    silent = await add_member(session, cipher, cell.org, "Cụ Miễn Không Nhận", exempt=True, link_to=EXEMPT_SILENT)
    silent.exempt_receives_notices = False  # turned off in 👤 Hồ sơ (following is the default)
    await session.commit()
    return commune


def alerts(calls) -> list[str]:  # type: ignore[no-untyped-def]
    return [call.text for call in calls if type(call).__name__ == "AnswerCallbackQuery" and call.text]


def buttons(calls) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    return [button for call in calls for button in inline_buttons(call)]


def data_of(calls, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [data for _, data in buttons(calls) if data and data.startswith(prefix)]


def joined(calls) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(texts_of(calls))


async def outbox(session, kind: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


async def delivered(session) -> None:  # type: ignore[no-untyped-def]
    """What the delivery worker would do: everything queued so far has been sent."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING).values(state=OutboxState.SENT))
    await session.commit()


async def card_data(session, action: str, invitation_id: int) -> str:  # type: ignore[no-untyped-def]
    """The data of a secretary's Đồng ý / Không đồng ý button for the request as it is now."""
    invitation = await session.get(Invitation, invitation_id, populate_existing=True)
    return f"mta:{action}:{invitation_id}:{invitation.revision}"


async def meetings(session) -> list[Meeting]:  # type: ignore[no-untyped-def]
    query = select(Meeting).order_by(Meeting.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def invitation_of(session, meeting: Meeting, member: Member) -> Invitation:  # type: ignore[no-untyped-def]
    query = select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == member.id)
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one()


async def document(harness: BotHarness, user_id: int, *, name: str, size: int, data: bytes = PDF) -> list:  # type: ignore[type-arg]
    """A document whose announced size may differ from its bytes (a 50 MB file is not built in memory)."""
    file_id = f"in-doc-{len(harness.session.files)}"
    harness.session.files[file_id] = data
    message = Message(
        message_id=20_000 + len(harness.session.calls), date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=user_id, type="private"),
        from_user=person(user_id), document=Document(file_id=file_id, file_unique_id=file_id, file_name=name, file_size=size),
    )
    return await harness.feed(harness.update(message=message))


async def create_via_buttons(harness: BotHarness, *, when: str = "5/12 19h30", kind: str = "regular", user_id: int = SECRETARY_A) -> list:  # type: ignore[type-arg]
    """📅 Lịch họp → ➕ → kind → typed date/time → first suggested place → default agenda → no documents → review."""
    calls = await harness.text(user_id, texts.account.BTN_MEETINGS)
    assert "mtm:new:0" in data_of(calls, "mtm:")
    calls = await harness.press(user_id, "mtm:new:0")
    assert texts.meetings.ASK_KIND in texts_of(calls)
    calls = await harness.press(user_id, f"mtk:{kind}")
    assert data_of(calls, "mtd:") and "mtf:cal" in data_of(calls, "mtf:")
    calls = await harness.text(user_id, when)
    assert data_of(calls, "mtp:"), joined(calls)
    calls = await harness.press(user_id, "mtp:0")
    if kind == "regular":
        calls = await harness.press(user_id, "mtf:agd")
    else:
        calls = await harness.text(user_id, "Học tập chuyên đề năm 2026")
    assert "mtf:docs" in data_of(calls, "mtf:")
    return await harness.press(user_id, "mtf:docs")


async def test_secretary_creates_with_buttons_and_every_eligible_member_is_invited_once(harness, session, commune, clock) -> None:
    cell = commune.cells[0]
    calls = await harness.text(SECRETARY_A, texts.account.BTN_MEETINGS)
    assert texts.meetings.NO_UPCOMING in joined(calls)
    await harness.press(SECRETARY_A, "mtm:new:0")
    calls = await harness.press(SECRETARY_A, "mtk:regular")
    # Big buttons: suggested days (Saturday 28/11 and Sunday 29/11 first), the calendar, cancel.
    days = data_of(calls, "mtd:")
    assert days[:2] == ["mtd:20261128", "mtd:20261129"]
    # The month calendar, then a day on it, then a common time: no typing.
    calls = await harness.press(SECRETARY_A, "mtf:cal")
    [edited] = [c for c in calls if type(c).__name__ == "EditMessageText"]
    calendar = edited.reply_markup.inline_keyboard
    assert [b.text for b in calendar[1]] == list(texts.meetings.WEEKDAY_HEADER)
    assert all(len(row) <= 7 for row in calendar)
    assert "mtd:20261123" in data_of(calls, "mtd:") and "mtd:20261122" not in data_of(calls, "mtd:")
    calls = await harness.press(SECRETARY_A, "mtc:202612")
    assert "mtd:20261205" in data_of(calls, "mtd:")
    calls = await harness.press(SECRETARY_A, "mtd:20261205")
    assert "Thứ Bảy, 05/12/2026" in joined(calls)
    assert "mtt:1930" in data_of(calls, "mtt:")
    calls = await harness.press(SECRETARY_A, "mtt:1930")
    assert "Thứ Bảy, 05/12/2026 — 19:30" in joined(calls)
    assert len(data_of(calls, "mtp:")) == 3  # no meeting yet: the default places
    calls = await harness.text(SECRETARY_A, "Nhà văn hóa thôn Khe Gầy")
    calls = await harness.press(SECRETARY_A, "mtf:agd")
    assert texts.meetings.BTN_NO_DOCUMENTS in [t for t, _ in buttons(calls)]
    calls = await document(harness, SECRETARY_A, name="Nghị quyết tháng 12.pdf", size=len(PDF))
    assert "Nghị quyết tháng 12.pdf" in joined(calls)
    calls = await document(harness, SECRETARY_A, name="Dự thảo.docx", size=2000, data=docx_bytes())
    assert "Dự thảo.docx" in joined(calls)
    calls = await harness.press(SECRETARY_A, "mtf:docs")
    review = joined(calls)
    # Secretary, deputy, 4 members, the commune committee member (a member of this cell) and the
    # exempt member who opted in: 8. The exempt member who did not opt in is left out.
    assert "<b>8</b> đảng viên" in review and "Nhà văn hóa thôn Khe Gầy" in review
    assert await session.scalar(select(func.count(Meeting.id))) == 0  # nothing before the secretary confirms
    calls = await harness.press(SECRETARY_A, "mtf:send")
    assert texts.meetings.CREATED.split("<b>")[0] in joined(calls)

    [meeting] = await meetings(session)
    assert (meeting.cell_id, meeting.kind, meeting.status, meeting.place) == (cell.org.id, MeetingKind.REGULAR, MeetingStatus.SCHEDULED, "Nhà văn hóa thôn Khe Gầy")
    assert meeting.starts_at == dt.datetime(2026, 12, 5, 12, 30, tzinfo=dt.timezone.utc)
    assert meeting.agenda == texts.meetings.DEFAULT_AGENDA
    docs = list((await session.execute(select(MeetingDocument).order_by(MeetingDocument.id))).scalars())
    assert [d.filename for d in docs] == ["Nghị quyết tháng 12.pdf", "Dự thảo.docx"]
    # Sent in Telegram (by its file id), and kept here too once checked, so the API can hand it out.
    assert all(d.file_id for d in docs)
    assert Path(docs[0].file_path).read_bytes() == PDF and Path(docs[1].file_path).read_bytes().startswith(b"PK")

    invitations = list((await session.execute(select(Invitation))).scalars())
    exempt_ids = {m.id for m in (await session.execute(select(Member).where(Member.exempt))).scalars()}
    expected = {m.id for m in cell.everyone} | {commune.committee_member.id} | {
        m.id for m in (await session.execute(select(Member).where(Member.exempt, Member.exempt_receives_notices))).scalars()
    }
    assert {i.member_id for i in invitations} == expected and len(invitations) == 8
    assert {i.member_id for i in invitations if not i.obliged} == expected & exempt_ids

    rows = await outbox(session, service.KIND_INVITATION)
    assert sorted(r.member_id for r in rows) == sorted(expected)  # exactly one each
    assert {r.source for r in rows} == {f"meeting:{meeting.id}"}
    message = OutboundMessage.from_payload(next(r for r in rows if r.member_id == cell.members[0].id).payload)
    assert "📅 <b>Thứ Bảy, 05/12/2026 — 19:30</b>" in message.text and "Nhà văn hóa thôn Khe Gầy" in message.text
    assert "âm lịch" not in message.text  # the cell did not turn the lunar date on
    invitation = next(i for i in invitations if i.member_id == cell.members[0].id)
    assert [[b.callback_data for b in row] for row in message.buttons] == [[f"mti:yes:{invitation.id}"], [f"mti:no:{invitation.id}"]]
    assert [[b.text for b in row] for row in message.buttons] == [["✅ Tôi sẽ dự họp"], ["🙏 Xin vắng mặt"]]
    exempt_message = OutboundMessage.from_payload(next(r for r in rows if r.member_id in exempt_ids).payload)
    assert texts.meetings.EXEMPT_NOTE.strip() in exempt_message.text
    # The documents follow, by Telegram file id.
    document_rows = await outbox(session, service.KIND_DOCUMENT)
    assert len(document_rows) == 2 * 8
    attachments = {OutboundMessage.from_payload(r.payload).attachment.file_id for r in document_rows}  # type: ignore[union-attr]
    assert attachments == {d.file_id for d in docs}

    # The member's 📅 Lịch họp shows it with their answer and a button to change it.
    calls = await harness.text(MEMBER_A, texts.account.BTN_MEETINGS)
    assert "05/12/2026 — 19:30" in joined(calls) and texts.meetings.ANSWERS["none"] in joined(calls)
    assert f"mti:show:{invitation.id}" in data_of(calls, "mti:")
    assert "mtm:new:0" not in data_of(calls, "mtm:")  # no ➕ for a plain member
    # Not answered yet: the button asks for an answer, it does not offer to "answer again".
    labels = [t for t, d in buttons(calls) if d == f"mti:show:{invitation.id}"]
    assert labels == [texts.meetings.BTN_ANSWER.format(date="05/12")]
    await harness.press(MEMBER_A, f"mti:yes:{invitation.id}")
    calls = await harness.text(MEMBER_A, texts.account.BTN_MEETINGS)
    assert texts.meetings.ANSWERS["attending"] in joined(calls)
    assert [t for t, d in buttons(calls) if d == f"mti:show:{invitation.id}"] == [texts.meetings.BTN_CHANGE_ANSWER.format(date="05/12")]


async def test_lunar_date_when_the_cell_turns_it_on(harness, session, commune) -> None:
    commune.cells[0].org.show_lunar_date = True
    await session.commit()
    await create_via_buttons(harness, when="12/12 19h30")
    await harness.press(SECRETARY_A, "mtf:send")
    row = (await outbox(session, service.KIND_INVITATION))[0]
    assert "Thứ Bảy, 12/12/2026 — 19:30</b>\n(mùng 4 tháng 11 âm lịch)" in row.payload["text"]


async def test_confirm_leave_with_voice_approve_attendance_conclusions_and_statistics(harness, session, commune, clock) -> None:
    cell = commune.cells[0]
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [meeting] = await meetings(session)
    confirming, leaving, silent = cell.members[0], cell.members[1], cell.members[2]
    invitation = await invitation_of(session, meeting, confirming)

    # One confirms with the button from the invitation.
    calls = await harness.press(MEMBER_A, f"mti:yes:{invitation.id}")
    assert texts.meetings.TOAST_ATTENDING in alerts(calls)
    assert texts.meetings.ANSWERS["attending"] in joined(calls)
    assert (await invitation_of(session, meeting, confirming)).answer == Answer.ATTENDING

    # One asks leave: Lý do khác → a voice message.
    leave = await invitation_of(session, meeting, leaving)
    calls = await harness.press(OTHER_MEMBER_A, f"mti:no:{leave.id}")
    reasons = data_of(calls, "mtr:")
    assert reasons == [f"mtr:{r.value}:{leave.id}" for r in AbsenceReason]
    calls = await harness.press(OTHER_MEMBER_A, f"mtr:other:{leave.id}")
    assert texts.meetings.ASK_REASON_TEXT in joined(calls)
    calls = await harness.voice(OTHER_MEMBER_A, b"OggS-toi-di-kham-benh", duration=12)
    assert texts.meetings.ABSENCE_SENT.split("(")[0] in joined(calls)
    leave = await invitation_of(session, meeting, leaving)
    assert (leave.answer, leave.reason_kind, leave.reason_voice_duration) == (Answer.ABSENCE_REQUESTED, AbsenceReason.OTHER, 12)
    assert leave.reason_voice_file_id

    # The secretary and the deputy receive it with the voice and Đồng ý / Không đồng ý.
    requests = await outbox(session, service.KIND_ABSENCE_REQUEST)
    assert sorted(r.member_id for r in requests) == sorted([cell.secretary.id, cell.deputy.id])
    request = OutboundMessage.from_payload(requests[0].payload)
    assert leaving.full_name in request.text and "🎤" in request.text
    assert request.attachment is not None and (request.attachment.kind, request.attachment.file_id) == ("voice", leave.reason_voice_file_id)
    assert [b.callback_data for b in request.buttons[0]] == [f"mta:ok:{leave.id}:{leave.revision}", f"mta:no:{leave.id}:{leave.revision}"]

    # A plain member cannot approve it; the secretary does; the member is told.
    calls = await harness.press(MEMBER_A, await card_data(session, "ok", leave.id))
    assert alerts(calls) == [texts.meetings.NOT_LEADER]
    assert (await invitation_of(session, meeting, leaving)).answer == Answer.ABSENCE_REQUESTED
    calls = await harness.press(SECRETARY_A, await card_data(session, "ok", leave.id))
    assert leaving.full_name in joined(calls)
    leave = await invitation_of(session, meeting, leaving)
    assert (leave.answer, leave.decided_by_id) == (Answer.EXCUSED, cell.secretary.id)
    [decision] = await outbox(session, service.KIND_ABSENCE_DECISION)
    assert decision.member_id == leaving.id and "đồng ý" in decision.payload["text"]
    # The deputy's copy of the request is now stale: a second decision changes nothing.
    calls = await harness.press(DEPUTY_A, await card_data(session, "no", leave.id))
    assert alerts(calls) and alerts(calls)[0].startswith("Đơn xin vắng này đã được xử lý")
    assert (await invitation_of(session, meeting, leaving)).answer == Answer.EXCUSED

    # Before the meeting the attendance list is not open yet; at the start it is, pre-filled.
    calls = await harness.press(SECRETARY_A, f"mto:attend:{meeting.id}")
    assert alerts(calls)[0].startswith("Cuộc họp bắt đầu lúc")
    clock.set(meeting.starts_at + dt.timedelta(minutes=5))
    # Answers are closed once the meeting started.
    calls = await harness.press(THIRD_MEMBER_A, f"mti:yes:{(await invitation_of(session, meeting, silent)).id}")
    assert alerts(calls) == [texts.meetings.ANSWERS_CLOSED]
    calls = await harness.press(SECRETARY_A, f"mto:attend:{meeting.id}")
    toggles = dict((data, text) for text, data in buttons(calls) if data and data.startswith("mtx:"))
    assert toggles[f"mtx:{meeting.id}:{confirming.id}:0"].startswith("✅")
    assert toggles[f"mtx:{meeting.id}:{leaving.id}:0"].startswith("🟡")
    assert toggles[f"mtx:{meeting.id}:{silent.id}:0"].startswith("⬜")
    # The silent member came after all; the secretary also marks herself present.
    await harness.press(SECRETARY_A, f"mtx:{meeting.id}:{silent.id}:0")
    calls = await harness.press(SECRETARY_A, f"mtx:{meeting.id}:{cell.secretary.id}:0")
    assert "Có mặt: <b>3/8</b>" in joined(calls)  # the roll call lists every invitee
    calls = await harness.press(SECRETARY_A, f"mty:done:{meeting.id}:0")
    summary = joined(calls)
    assert "Có mặt: <b>3/7</b> (43%)" in summary and "Vắng có phép: 1" in summary and "Vắng không phép: <b>3</b>" in summary
    assert (await session.get(Meeting, meeting.id, populate_existing=True)).status == MeetingStatus.HELD  # type: ignore[union-attr]
    present = set((await session.execute(select(Attendance.member_id).where(Attendance.present))).scalars())
    assert present == {confirming.id, silent.id, cell.secretary.id}

    # Conclusions go to everyone absent, as a voice message.
    calls = await harness.press(SECRETARY_A, f"mto:concl:{meeting.id}")
    assert "<b>5</b> đảng viên vắng mặt" in joined(calls)
    calls = await harness.voice(SECRETARY_A, b"OggS-ket-luan", duration=90)
    assert "<b>5</b>" in joined(calls)
    sent = await outbox(session, service.KIND_CONCLUSIONS)
    assert len(sent) == 5 and {r.member_id for r in sent}.isdisjoint(present)
    assert OutboundMessage.from_payload(sent[0].payload).attachment.kind == "voice"  # type: ignore[union-attr]
    # The absent member sees the last conclusions in 📅 Lịch họp and can hear them.
    calls = await harness.text(OTHER_MEMBER_A, texts.account.BTN_MEETINGS)
    assert texts.meetings.LAST_CONCLUSIONS_VOICE in joined(calls)
    calls = await harness.press(OTHER_MEMBER_A, f"mti:hear:{leave.id}")
    assert [type(c).__name__ for c in calls if type(c).__name__ == "SendVoice"] == ["SendVoice"]

    # 📊 Thống kê: a short text and a PNG chart; CSV and XLSX exports.
    calls = await harness.text(SECRETARY_A, texts.account.BTN_STATS)
    photos = [c for c in calls if type(c).__name__ == "SendPhoto"]
    assert len(photos) == 1 and photos[0].photo.data.startswith(b"\x89PNG\r\n\x1a\n")
    text = joined(calls)
    assert "Số cuộc họp đã tổ chức: <b>1</b>" in text and "Lượt có mặt: <b>3/7</b> (43%)" in text
    assert "• 12/2026: 1 cuộc, có mặt 3/7 (43%)" in text
    calls = await harness.press(SECRETARY_A, f"mts:csv:{cell.org.id}")
    [csv_call] = [c for c in calls if type(c).__name__ == "SendDocument"]
    csv_text = csv_call.document.data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Ngày họp,Giờ,Loại cuộc họp")
    assert f"05/12/2026,19:30,Sinh hoạt chi bộ thường kỳ,{cell.org.name},{leaving.full_name}" in csv_text
    calls = await harness.press(SECRETARY_A, f"mts:xlsx:{cell.org.id}")
    [xlsx_call] = [c for c in calls if type(c).__name__ == "SendDocument"]
    assert xlsx_call.document.data[:2] == b"PK"
    calls = await harness.text(SECRETARY_A, "/thongke")
    assert any(type(c).__name__ == "SendPhoto" for c in calls)
    calls = await harness.press(SECRETARY_A, f"mts:members:{cell.org.id}")
    assert leaving.full_name in joined(calls)


async def test_forged_buttons_change_nothing(harness, session, commune, clock) -> None:
    cell_a, cell_b = commune.cells
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [meeting] = await meetings(session)
    mine = await invitation_of(session, meeting, cell_a.members[0])

    # Another member of the cell presses (or replays) someone else's answer buttons.
    for data in (f"mti:yes:{mine.id}", f"mti:no:{mine.id}", f"mtr:sick:{mine.id}", f"mti:show:{mine.id}"):
        calls = await harness.press(OTHER_MEMBER_A, data)
        assert alerts(calls) == [texts.meetings.NOT_YOUR_INVITATION], data
    # A member of another cell, and the other cell's secretary, cannot touch this meeting: to them
    # it does not exist (the same answer as a stale button).
    calls = await harness.press(MEMBER_B, f"mti:yes:{mine.id}")
    assert alerts(calls) == [texts.common.NOT_FOUND]
    for data in (f"mto:edit:{meeting.id}", f"mto:cancel:{meeting.id}", f"mto:cancel_ok:{meeting.id}", f"mto:attend:{meeting.id}",
                 f"mto:open:{meeting.id}", f"mtx:{meeting.id}:{cell_a.members[0].id}:0", f"mty:all:{meeting.id}:0"):
        calls = await harness.press(SECRETARY_B, data)
        assert alerts(calls) == [texts.common.NOT_FOUND], data
        calls = await harness.press(MEMBER_A, data)
        assert alerts(calls) == [texts.meetings.NOT_LEADER], data
    # Unknown ids and malformed data: a stale-button answer.
    calls = await harness.press(MEMBER_A, "mti:yes:999999")
    assert alerts(calls) == [texts.common.NOT_FOUND]
    calls = await harness.press(MEMBER_A, "mti:maybe:1")
    assert alerts(calls) == [texts.common.STALE_BUTTON]
    # Form buttons outside a form.
    calls = await harness.press(MEMBER_A, "mtf:send")
    assert alerts(calls) == [texts.meetings.FLOW_EXPIRED]
    # A plain member cannot start creating.
    calls = await harness.press(MEMBER_A, "mtm:new:0")
    assert alerts(calls) == [texts.meetings.NOT_LEADER]
    # The other cell's secretary cannot decide this cell's absences.
    await harness.press(MEMBER_A, f"mti:no:{mine.id}")
    await harness.press(MEMBER_A, f"mtr:family:{mine.id}")
    calls = await harness.press(SECRETARY_B, await card_data(session, "ok", mine.id))
    assert alerts(calls) == [texts.common.NOT_FOUND]
    # Nobody approves their own request.
    secretary_invitation = await invitation_of(session, meeting, cell_a.secretary)
    await harness.press(SECRETARY_A, f"mti:no:{secretary_invitation.id}")
    await harness.press(SECRETARY_A, f"mtr:business_trip:{secretary_invitation.id}")
    calls = await harness.press(SECRETARY_A, await card_data(session, "ok", secretary_invitation.id))
    assert alerts(calls) == [texts.meetings.OWN_REQUEST]

    fresh = await session.get(Meeting, meeting.id, populate_existing=True)
    assert fresh is not None and (fresh.status, fresh.version) == (MeetingStatus.SCHEDULED, 1)
    assert (await invitation_of(session, meeting, cell_a.members[0])).answer == Answer.ABSENCE_REQUESTED
    assert await session.scalar(select(func.count(Attendance.id))) == 0


async def test_chi_uy_meeting_invites_only_the_cell_committee(harness, session, commune) -> None:
    cell = commune.cells[0]
    calls = await create_via_buttons(harness, kind="committee")
    assert "<b>2</b> đảng viên" in joined(calls)
    await harness.press(SECRETARY_A, "mtf:send")
    rows = await outbox(session, service.KIND_INVITATION)
    assert sorted(r.member_id for r in rows) == sorted([cell.secretary.id, cell.deputy.id])
    assert "Họp chi ủy" in rows[0].payload["text"]


async def test_bad_input_is_answered_and_nothing_is_half_created(harness, session, commune, clock) -> None:
    await harness.text(SECRETARY_A, texts.account.BTN_MEETINGS)
    await harness.press(SECRETARY_A, "mtm:new:0")
    await harness.press(SECRETARY_A, "mtk:thematic")
    calls = await harness.text(SECRETARY_A, "31/2 19h")
    assert "không có trên lịch" in joined(calls)
    calls = await harness.text(SECRETARY_A, "20/11/2026 19h")
    assert "đã qua" in joined(calls)
    calls = await harness.text(SECRETARY_A, "hôm nay 8h")  # today, but 08:00 is before 10:00 now
    assert "đã qua" in joined(calls)
    calls = await harness.text(SECRETARY_A, "4/12/2028 19h")
    assert texts.meetings.DATE_TOO_FAR in joined(calls)
    calls = await harness.text(SECRETARY_A, "họp sớm nhé")
    assert texts.meetings.WHEN_NOT_UNDERSTOOD[:30] in joined(calls)
    calls = await harness.press(SECRETARY_A, "mtd:20261120")  # a forged past day
    assert alerts(calls) and "đã qua" in alerts(calls)[0]
    calls = await harness.text(SECRETARY_A, "4/12")  # a date alone: then the time
    assert "mtt:1930" in data_of(calls, "mtt:")
    calls = await harness.text(SECRETARY_A, "26h")
    assert "không hợp lệ" in joined(calls)
    await harness.press(SECRETARY_A, "mtt:1400")
    calls = await harness.text(SECRETARY_A, "x" * 300)
    assert "dài quá" in joined(calls)
    await harness.text(SECRETARY_A, "Hội trường xã")
    calls = await harness.text(SECRETARY_A, " ")
    assert texts.meetings.AGENDA_EMPTY in joined(calls)
    await harness.text(SECRETARY_A, "Chuyên đề học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh")

    calls = await document(harness, SECRETARY_A, name="tai-lieu-lon.pdf", size=50 * 1024 * 1024)
    assert "50,0 MB" in joined(calls) and "20 MB" in joined(calls)
    calls = await document(harness, SECRETARY_A, name="setup.exe", size=len(EXE), data=EXE)
    assert "setup.exe" in joined(calls) and "PDF" in joined(calls)
    calls = await document(harness, SECRETARY_A, name="nghi-quyet.pdf", size=len(EXE), data=EXE)  # a renamed .exe
    assert "nội dung không đúng" in joined(calls)
    calls = await document(harness, SECRETARY_A, name="bang.docx", size=len(PDF), data=PDF)
    assert "nội dung không đúng" in joined(calls)
    calls = await harness.voice(SECRETARY_A, b"OggS")
    assert texts.meetings.NOT_A_DOCUMENT in joined(calls)
    # A good photo is accepted (as a picture).
    photo = Message(
        message_id=30_000, date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=SECRETARY_A, type="private"), from_user=person(SECRETARY_A),
        photo=[PhotoSize(file_id="in-photo", file_unique_id="p", width=800, height=600, file_size=90_000)],
    )
    calls = await harness.feed(harness.update(message=photo))
    assert "anh-1.jpg" in joined(calls)

    assert await session.scalar(select(func.count(Meeting.id))) == 0
    assert await session.scalar(select(func.count(MeetingDocument.id))) == 0
    # Cancelling the form leaves nothing behind.
    calls = await harness.press(SECRETARY_A, "mtf:cancel")
    assert texts.meetings.FLOW_CANCELLED in joined(calls)
    calls = await harness.press(SECRETARY_A, "mtf:send")
    assert alerts(calls) == [texts.meetings.FLOW_EXPIRED]
    assert await session.scalar(select(func.count(Meeting.id))) == 0
    assert await session.scalar(select(func.count(OutboxMessage.id))) == 0


async def test_edit_and_cancel_tell_the_members_what_changed(harness, session, commune, clock) -> None:
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [meeting] = await meetings(session)
    await delivered(session)
    calls = await harness.press(SECRETARY_A, f"mto:open:{meeting.id}")
    assert {f"mto:edit:{meeting.id}", f"mto:cancel:{meeting.id}", f"mto:answers:{meeting.id}"} <= set(data_of(calls, "mto:"))
    await harness.press(SECRETARY_A, f"mto:edit:{meeting.id}")
    await harness.press(SECRETARY_A, "mtf:when")
    calls = await harness.text(SECRETARY_A, "6/12 8h")
    assert "Thứ Bảy, 05/12/2026 — 19:30" in joined(calls) and "Chủ Nhật, 06/12/2026 — 08:00" in joined(calls)
    await harness.press(SECRETARY_A, "mtf:place")
    calls = await harness.text(SECRETARY_A, "Hội trường UBND xã")
    assert "Hội trường UBND xã" in joined(calls)
    calls = await harness.press(SECRETARY_A, "mtf:save")
    assert texts.meetings.EDITED.split("<b>")[0] in joined(calls)

    fresh = await session.get(Meeting, meeting.id, populate_existing=True)
    assert fresh is not None and fresh.version == 2 and fresh.place == "Hội trường UBND xã"
    assert fresh.starts_at == dt.datetime(2026, 12, 6, 1, 0, tzinfo=dt.timezone.utc)
    changes = await outbox(session, service.KIND_CHANGED)
    assert len(changes) == 8 and {r.idempotency_key.rsplit("|", 1)[-1] for r in changes} == {"v2"}
    text = changes[0].payload["text"]
    assert "<s>Thứ Bảy, 05/12/2026 — 19:30</s> → <b>Chủ Nhật, 06/12/2026 — 08:00</b>" in text and "Hội trường UBND xã" in text
    assert len(await outbox(session, service.KIND_INVITATION)) == 8  # nobody invited twice

    await harness.press(SECRETARY_A, f"mto:cancel:{meeting.id}")
    calls = await harness.press(SECRETARY_A, f"mto:cancel_ok:{meeting.id}")
    assert "Đã hủy" in joined(calls)
    assert (await session.get(Meeting, meeting.id, populate_existing=True)).status == MeetingStatus.CANCELLED  # type: ignore[union-attr]
    assert len(await outbox(session, service.KIND_CANCELLED)) == 8
    # Once cancelled, answers and a second cancellation are refused.
    invitation = await invitation_of(session, meeting, commune.cells[0].members[0])
    calls = await harness.press(MEMBER_A, f"mti:yes:{invitation.id}")
    assert alerts(calls) == [texts.meetings.MEETING_CANCELLED]
    calls = await harness.press(SECRETARY_A, f"mto:cancel_ok:{meeting.id}")
    assert alerts(calls) == [texts.meetings.MEETING_CANCELLED]


async def test_monthly_rule_creates_the_next_occurrence_itself(harness, session, commune, clock) -> None:
    from core.meetings.dates import LOCAL_TZ
    from core.meetings.scheduled import create_recurring_meetings
    from core.ticks import TickContext

    calls = await create_via_buttons(harness, when="4/12 19h30")
    assert "mtf:rep" in data_of(calls, "mtf:")
    calls = await harness.press(SECRETARY_A, "mtf:rep")
    assert "ngày 4 hàng tháng, 19:30" in joined(calls)
    await harness.press(SECRETARY_A, "mtf:send")
    [rule] = list((await session.execute(select(RecurrenceRule))).scalars())
    assert (rule.day_of_month, rule.local_time, rule.active) == (4, dt.time(19, 30), True)

    async def tick() -> int:
        created = await create_recurring_meetings(session, TickContext(now=clock.now(), tz=LOCAL_TZ))
        await session.commit()
        return created

    assert await tick() == 0  # December's exists
    clock.set(dt.datetime(2026, 12, 4, 13, 0, tzinfo=dt.timezone.utc))  # after the December meeting started
    assert await tick() == 0  # January's is more than 10 days away
    clock.set(dt.datetime(2026, 12, 26, 3, 0, tzinfo=dt.timezone.utc))
    assert await tick() == 1
    assert await tick() == 0  # twice is harmless
    january = (await meetings(session))[-1]
    assert january.starts_at == dt.datetime(2027, 1, 4, 12, 30, tzinfo=dt.timezone.utc) and january.rule_id == rule.id
    assert len([r for r in await outbox(session, service.KIND_INVITATION) if r.source == f"meeting:{january.id}"]) == 8

    # The secretary stops the rule from 🔁 Họp định kỳ.
    calls = await harness.press(SECRETARY_A, "mtm:rules:0")
    assert f"mtu:{rule.id}" in data_of(calls, "mtu:")
    calls = await harness.press(MEMBER_A, f"mtu:{rule.id}")
    assert alerts(calls) == [texts.meetings.NOT_LEADER]
    await harness.press(SECRETARY_A, f"mtu:{rule.id}")
    clock.set(dt.datetime(2027, 1, 26, 3, 0, tzinfo=dt.timezone.utc))
    assert await tick() == 0


async def test_member_changes_the_answer_until_the_start(harness, session, commune, clock) -> None:
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [meeting] = await meetings(session)
    member = commune.cells[0].members[0]
    invitation = await invitation_of(session, meeting, member)
    await harness.press(MEMBER_A, f"mti:no:{invitation.id}")
    calls = await harness.press(MEMBER_A, f"mtr:sick:{invitation.id}")
    assert f"mti:yes:{invitation.id}" in data_of(calls, "mti:")
    await harness.press(MEMBER_A, f"mtr:sick:{invitation.id}")  # pressed twice: one request only
    assert len(await outbox(session, service.KIND_ABSENCE_REQUEST)) == 2  # secretary + deputy, once
    # Refused → the member is told and may answer again.
    await harness.press(SECRETARY_A, await card_data(session, "no", invitation.id))
    [decision] = await outbox(session, service.KIND_ABSENCE_DECISION)
    assert "chưa đồng ý" in decision.payload["text"] and decision.payload["buttons"]
    await harness.press(MEMBER_A, f"mti:yes:{invitation.id}")
    assert (await invitation_of(session, meeting, member)).answer == Answer.ATTENDING
    await harness.press(MEMBER_A, f"mti:no:{invitation.id}")
    await harness.press(MEMBER_A, f"mtr:business_trip:{invitation.id}")
    assert len(await outbox(session, service.KIND_ABSENCE_REQUEST)) == 4  # a new request, a new message
    # The menu offers the change while the meeting is ahead.
    calls = await harness.press(MEMBER_A, f"mti:show:{invitation.id}")
    assert texts.meetings.ANSWERS["absence_requested"] in joined(calls)
    clock.set(meeting.starts_at)
    calls = await harness.press(MEMBER_A, f"mti:yes:{invitation.id}")
    assert alerts(calls) == [texts.meetings.ANSWERS_CLOSED]


async def test_secretary_screens_documents_on_edit_pending_requests_and_menus(harness, session, commune, clock) -> None:
    cell = commune.cells[0]
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [meeting] = await meetings(session)
    await delivered(session)

    # 🗂 Quản lý cuộc họp lists it; the card opens.
    calls = await harness.press(SECRETARY_A, "mtm:mng:0")
    assert f"mto:open:{meeting.id}" in data_of(calls, "mto:")
    # A document added later reaches every invitee, with a change notice.
    await harness.press(SECRETARY_A, f"mto:edit:{meeting.id}")
    calls = await harness.press(SECRETARY_A, "mtf:adddocs")
    assert "PDF" in joined(calls)
    await document(harness, SECRETARY_A, name="Báo cáo.pdf", size=len(PDF))
    calls = await harness.press(SECRETARY_A, "mtf:docs")
    assert "Thêm 1 tài liệu" in joined(calls)
    await harness.press(SECRETARY_A, "mtf:save")
    assert len(await outbox(session, service.KIND_DOCUMENT)) == 8
    assert len(await outbox(session, service.KIND_CHANGED)) == 8

    # Two requests wait; the card shows them and re-sends each with its buttons (voice by file id).
    for user_id, member in ((MEMBER_A, cell.members[0]), (OTHER_MEMBER_A, cell.members[1])):
        invitation = await invitation_of(session, meeting, member)
        await harness.press(user_id, f"mti:no:{invitation.id}")
        await harness.press(user_id, f"mtr:other:{invitation.id}")
    await harness.text(MEMBER_A, "Con ốm, phải đưa đi viện")
    await harness.voice(OTHER_MEMBER_A, b"OggS-ly-do", duration=5)
    calls = await harness.press(SECRETARY_A, f"mto:open:{meeting.id}")
    assert "Con ốm, phải đưa đi viện" in joined(calls) and f"mto:pending:{meeting.id}" in data_of(calls, "mto:")
    calls = await harness.press(SECRETARY_A, f"mto:pending:{meeting.id}")
    assert [type(c).__name__ for c in calls if type(c).__name__ in ("SendMessage", "SendVoice")] == ["SendMessage", "SendVoice"]
    assert len(data_of(calls, "mta:")) == 4
    calls = await harness.press(SECRETARY_A, f"mto:answers:{meeting.id}")
    assert cell.members[0].full_name in joined(calls) and "Con ốm" in joined(calls)


async def test_flows_end_on_a_home_button_and_plain_members_get_no_statistics(harness, session, commune) -> None:
    await harness.text(SECRETARY_A, texts.account.BTN_MEETINGS)
    await harness.press(SECRETARY_A, "mtm:new:0")
    await harness.press(SECRETARY_A, "mtk:regular")
    calls = await harness.text(SECRETARY_A, texts.account.BTN_PROFILE)  # a home button is never read as input
    assert any("Hồ sơ" in t for t in texts_of(calls))
    calls = await harness.text(SECRETARY_A, texts.account.BTN_RESOLUTIONS)  # it ends the form and goes to its owner
    assert texts.meetings.WHEN_NOT_UNDERSTOOD[:20] not in joined(calls)
    calls = await harness.text(SECRETARY_A, "5/12 19h")  # no longer read as a date
    assert not data_of(calls, "mtp:")
    calls = await harness.text(MEMBER_A, "/thongke")
    assert joined(calls) == texts.meetings.NOT_MANAGER
    calls = await harness.press(MEMBER_A, f"mts:csv:{commune.cells[0].org.id}")
    assert alerts(calls) == [texts.common.FORBIDDEN]
    # The commune committee member sees the commune's statistics (nothing held yet), and may ask for it again.
    calls = await harness.text(COMMITTEE, texts.account.BTN_STATS)
    assert any(type(c).__name__ == "SendPhoto" for c in calls)
    assert commune.commune.name in joined(calls) and texts.meetings.STATS_NO_DATA in joined(calls)
    calls = await harness.press(COMMITTEE, f"mts:show:{commune.commune.id}")
    assert any(type(c).__name__ == "SendPhoto" for c in calls)
    calls = await harness.press(COMMITTEE, f"mts:show:{commune.other_province.id}")
    assert alerts(calls) == [texts.common.NOT_FOUND]  # another province does not exist for a commune's committee


async def test_invitations_not_sent_yet_are_brought_up_to_date_instead_of_a_change_notice(harness, session, commune) -> None:
    await create_via_buttons(harness)
    await harness.press(SECRETARY_A, "mtf:send")
    [meeting] = await meetings(session)
    # The worker has sent two invitations so far; the rest still wait.
    sent_to = {commune.cells[0].secretary.id, commune.cells[0].members[0].id}
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.member_id.in_(sent_to)).values(state=OutboxState.SENT)
    )
    await session.commit()
    await harness.press(SECRETARY_A, f"mto:edit:{meeting.id}")
    await harness.press(SECRETARY_A, "mtf:place")
    await harness.text(SECRETARY_A, "Hội trường UBND xã")
    await harness.press(SECRETARY_A, "mtf:save")
    changes = await outbox(session, service.KIND_CHANGED)
    assert {r.member_id for r in changes} == sent_to
    waiting = [r for r in await outbox(session, service.KIND_INVITATION) if r.state == OutboxState.PENDING]
    assert len(waiting) == 6 and all("Hội trường UBND xã" in r.payload["text"] for r in waiting)

    # Cancelled before the rest went out: only those who were invited are told.
    await harness.press(SECRETARY_A, f"mto:cancel_ok:{meeting.id}")
    assert {r.member_id for r in await outbox(session, service.KIND_CANCELLED)} == sent_to
    assert all(r.state == OutboxState.CANCELLED for r in await outbox(session, service.KIND_INVITATION) if r.member_id not in sent_to)
