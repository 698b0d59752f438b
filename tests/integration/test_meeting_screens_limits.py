"""Issue 17 item 9: every meeting screen at the project's own maximum sizes stays within Telegram's limits
(core/limits.py) — through the real Dispatcher, and through the delivery path — and the card still works.

A long agenda (MAX_AGENDA_CHARS), the longest place, the most documents with the longest names, and many
members asking leave with reasons of MAX_REASON_CHARS: the card that reached 4,529 characters in the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from bot.messenger import TelegramMessenger
from core import render
from core.delivery.models import OutboxMessage
from core.limits import TELEGRAM
from core.meetings import documents as docs
from core.meetings import service
from core.meetings.models import AbsenceReason, Invitation, MeetingKind
from core.orgs.service import load_actor
from core.ports import OutboundMessage
from tests.factories import add_member
from tests.integration.test_meetings_bot import MEMBER_A, SECRETARY_A, data_of

STARTS = dt.datetime(2026, 12, 10, 12, 30, tzinfo=dt.timezone.utc)
MANY = 30
LONG_NAME = "Nguyễn Thị Phương Thảo Hoàng Lê Minh Khai Trần Đại Nghĩa Lý Thường Kiệt "  # ~70 characters


def over_the_limits(calls: list[Any]) -> list[str]:
    """Every way a recorded Bot API call breaks Telegram's limits."""
    problems = []
    for call in calls:
        name = type(call).__name__
        text, caption = getattr(call, "text", None), getattr(call, "caption", None)
        # Telegram counts what is shown: HTML tags and entities are parsed first (the bot's default is HTML).
        markup = getattr(call, "parse_mode", "HTML") is not None
        if isinstance(text, str) and name != "AnswerCallbackQuery" and render.length(text, markup=markup) > TELEGRAM.text:
            problems.append(f"{name} text of {render.length(text, markup=markup)}")
        if name == "AnswerCallbackQuery" and text and render.units(text) > TELEGRAM.callback_answer:
            problems.append(f"toast of {render.units(text)}")
        if isinstance(caption, str) and render.length(caption, markup=markup) > TELEGRAM.caption:
            problems.append(f"{name} caption of {render.length(caption, markup=markup)}")
        markup = getattr(call, "reply_markup", None)
        for row in getattr(markup, "inline_keyboard", None) or []:
            for button in row:
                if button.callback_data and len(button.callback_data.encode()) > TELEGRAM.callback_data_bytes:
                    problems.append(f"button data {button.callback_data!r}")
                if render.units(button.text) > TELEGRAM.button_text:
                    problems.append(f"button label of {render.units(button.text)}")
    return problems


async def test_every_meeting_screen_at_its_maximum_fits_and_the_card_still_works(harness, session, cipher, commune, clock) -> None:
    cell = commune.cells[0]
    members = [await add_member(session, cipher, cell.org, f"{LONG_NAME}{n}", link_to=3000 + n) for n in range(MANY)]
    await session.commit()
    secretary = await load_actor(session, cell.secretary)
    uploads = [
        docs.DocumentUpload(file_id=f"doc-file-{n}", filename=("Tài liệu hướng dẫn nghiên cứu học tập " * 8)[:240] + f" {n}.pdf",
                            mime_type="application/pdf", size=1000)
        for n in range(docs.MAX_DOCUMENTS)
    ]
    agenda = ("1. Quán triệt nghị quyết, đánh giá kết quả thực hiện nhiệm vụ tháng & phương hướng tháng tới.\n" * 40)[: service.MAX_AGENDA_CHARS]
    created = await service.create_meeting(
        session, actor=secretary, cell_id=cell.org.id, kind=MeetingKind.REGULAR, starts_at=STARTS,
        place=("Hội trường nhà văn hóa thôn Khe Gầy, xã Mù Cang Chải " * 5)[: service.MAX_PLACE_CHARS], agenda=agenda,
        documents=uploads, now=clock.now(),
    )
    meeting = created.meeting
    reason = ("Đồng chí đang điều trị tại bệnh viện huyện, bác sĩ chưa cho xuất viện <dự kiến> & cần người nhà chăm sóc. " * 8)[
        : service.MAX_REASON_CHARS
    ]
    for member in members:
        invitation = (await session.execute(
            select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == member.id)
        )).scalar_one()
        await service.request_absence(
            session, actor=await load_actor(session, member), invitation_id=invitation.id, reason=AbsenceReason.OTHER, text=reason,
            now=clock.now(),
        )
    await session.commit()
    mine = (await session.execute(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == cell.members[0].id)
    )).scalar_one()

    walked: list[Any] = []

    async def press(user: int, data: str) -> list[Any]:
        calls = await harness.press(user, data)
        walked.extend(calls)
        return calls

    async def typed(user: int, text: str) -> list[Any]:
        calls = await harness.text(user, text)
        walked.extend(calls)
        return calls

    # The secretary's screens.
    await typed(SECRETARY_A, "📅 Lịch họp")
    await press(SECRETARY_A, "mtm:mng:0")
    card = await press(SECRETARY_A, f"mto:open:{meeting.id}")
    # The card still works: its buttons arrive with it (on its last part).
    assert {f"mto:edit:{meeting.id}", f"mto:cancel:{meeting.id}", f"mto:pending:{meeting.id}"} <= set(data_of(card, "mto:"))
    await press(SECRETARY_A, f"mto:answers:{meeting.id}")
    await press(SECRETARY_A, f"mto:pending:{meeting.id}")
    await press(SECRETARY_A, f"mto:edit:{meeting.id}")
    await press(SECRETARY_A, "mtf:agenda")
    review = await typed(SECRETARY_A, agenda[::-1].strip() or "x")
    assert "mtf:save" in data_of(review, "mtf:")
    await press(SECRETARY_A, "mtf:cancel")
    confirm = await press(SECRETARY_A, f"mto:cancel:{meeting.id}")
    assert f"mto:cancel_ok:{meeting.id}" in data_of(confirm, "mto:")
    # A member's screens.
    await typed(MEMBER_A, "📅 Lịch họp")
    await press(MEMBER_A, f"mti:show:{mine.id}")
    await press(MEMBER_A, f"mti:no:{mine.id}")
    # At the door: the attendance list of many members with long names.
    clock.set(meeting.starts_at)
    await press(SECRETARY_A, f"mto:attend:{meeting.id}")
    await press(SECRETARY_A, f"mty:page:{meeting.id}:1")
    held = await press(SECRETARY_A, f"mto:open:{meeting.id}")
    assert f"mto:attend:{meeting.id}" in data_of(held, "mto:")  # the held meeting's card still offers attendance

    # What the delivery worker sends (invitations, documents, absence requests) through the same bot.
    messenger = TelegramMessenger(harness.bot)
    rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    before = len(harness.session.calls)
    for row in rows:
        await messenger.send(row.chat_id, OutboundMessage.from_payload(row.payload))
    walked.extend(harness.session.calls[before:])

    assert len(walked) > 100
    assert over_the_limits(walked) == []
    # Every screen answered (no apology for a message refused by its length).
    assert not any("trục trặc" in (getattr(call, "text", None) or "") for call in walked)
