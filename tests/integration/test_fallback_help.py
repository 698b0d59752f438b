"""Issue 17 item 15: free text or a voice message outside a flow is answered helpfully — a question about
meetings shows the next meeting, a voice message or a long text is offered as a góp ý, anything else gets
the menu with one line of help — through the real Dispatcher."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import texts
from core.feedback.models import FeedbackItem, FeedbackKind
from core.meetings import service
from core.meetings.models import MeetingKind
from core.orgs.service import load_actor
from tests.botkit import texts_of
from tests.integration.test_meetings_bot import MEMBER_A, alerts, data_of, joined

STARTS = dt.datetime(2026, 12, 10, 12, 30, tzinfo=dt.timezone.utc)


async def test_a_question_about_the_meeting_shows_the_next_one(harness, session, commune, clock) -> None:
    calls = await harness.text(MEMBER_A, "Bao giờ họp chi bộ vậy?")
    assert texts.fallback.NO_MEETING in joined(calls)
    actor = await load_actor(session, commune.cells[0].secretary)
    await service.create_meeting(session, actor=actor, cell_id=commune.cells[0].org.id, kind=MeetingKind.REGULAR, starts_at=STARTS,
                                 place="Nhà văn hóa thôn Khe Gầy", now=clock.now())
    await session.commit()
    for question in ("Mấy giờ họp?", "lich hop thang nay", "họp ở đâu ạ"):
        calls = await harness.text(MEMBER_A, question)
        shown = joined(calls)
        assert "Thứ Năm, 10/12/2026 — 19:30" in shown and "Nhà văn hóa thôn Khe Gầy" in shown, question
        assert data_of(calls, "mti:show:")


async def test_a_voice_message_is_offered_as_feedback_and_sent_with_one_tap(harness, session, commune) -> None:
    calls = await harness.voice(MEMBER_A, b"OggS" + b"\x00" * 100, duration=7)
    assert "góp ý" in joined(calls) and data_of(calls, "fbo:") == ["fbo:send", "fbo:no"]
    assert (await session.execute(select(FeedbackItem))).first() is None  # nothing sent before the tap
    calls = await harness.press(MEMBER_A, "fbo:send")
    [item] = (await session.execute(select(FeedbackItem))).scalars().all()
    assert item.kind == FeedbackKind.COMMENT and item.voice_file_id and item.addressed_org_id == commune.cells[0].org.id
    assert item.reference in joined(calls)
    # The offer is used up: a second tap sends nothing.
    calls = await harness.press(MEMBER_A, "fbo:send")
    assert alerts(calls) == [texts.fallback.OFFER_GONE]


async def test_a_long_text_is_offered_and_can_be_declined(harness, session, commune) -> None:
    long_text = "Đề nghị chi bộ xem xét sửa lại đường bê tông liên thôn vì mùa mưa vừa rồi bị sạt lở nhiều đoạn, đi lại rất khó khăn."
    calls = await harness.text(MEMBER_A, long_text)
    assert data_of(calls, "fbo:") == ["fbo:send", "fbo:no"]
    await harness.press(MEMBER_A, "fbo:no")
    assert (await session.execute(select(FeedbackItem))).first() is None


async def test_anything_else_gets_the_menu_with_one_line_of_help(harness, commune) -> None:
    calls = await harness.text(MEMBER_A, "xin chào")
    assert texts_of(calls) == [texts.common.CHOOSE_A_BUTTON]
    assert "Lịch họp" in texts.common.CHOOSE_A_BUTTON and "Góp ý" in texts.common.CHOOSE_A_BUTTON
    assert getattr(calls[-1], "reply_markup", None) is not None
