"""Issue 17 item 18, the smaller things: ✅ Tôi đã nghiên cứu answers with a toast (no modal to close); after
choosing an absence reason the invitation keeps its date, place and agenda; a wrong quiz answer has an
explanation; the publish preview and confirmation name the members who are not linked."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import texts
from core.meetings import service as meetings
from core.meetings.models import Invitation, MeetingKind
from core.orgs.service import load_actor
from core.resolutions import study
from tests.factories import add_member
from tests.integration.test_resolutions_bot import MEMBER_A, SECRETARY_A, bot, published, speaker  # noqa: F401  (fixtures)
from tests.integration.test_resolutions_publish_bot import find_button
from tests.unit.resolutions.helpers import with_polls

R = texts.resolutions


async def test_studied_is_a_toast_not_a_modal(bot, session, commune, clock) -> None:  # noqa: F811
    document = await published(session, commune, clock)
    calls = await bot.press(MEMBER_A, f"rd:study:{document.id}")
    [answer] = [c for c in calls if type(c).__name__ == "AnswerCallbackQuery"]
    assert answer.text == R.STUDIED_THANKS and not answer.show_alert


async def test_after_choosing_a_reason_the_invitation_keeps_its_details(bot, session, commune, clock) -> None:  # noqa: F811
    actor = await load_actor(session, commune.cells[0].secretary)
    meeting = (await meetings.create_meeting(
        session, actor=actor, cell_id=commune.cells[0].org.id, kind=MeetingKind.REGULAR,
        starts_at=dt.datetime(2026, 12, 10, 12, 30, tzinfo=dt.timezone.utc), place="Nhà văn hóa thôn Khe Gầy",
        agenda="Bầu tổ trưởng tổ tự quản", now=clock.now(),
    )).meeting
    await session.commit()
    invitation = (await session.execute(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.member_id == commune.cells[0].members[0].id)
    )).scalar_one()
    await bot.press(MEMBER_A, f"mti:no:{invitation.id}")
    calls = await bot.press(MEMBER_A, f"mtr:sick:{invitation.id}")
    shown = "\n".join(getattr(c, "text", None) or "" for c in calls)
    assert "Thứ Năm, 10/12/2026 — 19:30" in shown and "Nhà văn hóa thôn Khe Gầy" in shown and "Bầu tổ trưởng tổ tự quản" in shown
    assert texts.meetings.ABSENCE_SENT.split("(")[0] in shown


async def test_a_quiz_question_explains_the_right_answer(bot, session, commune, clock) -> None:  # noqa: F811
    with_polls(bot)
    document = await published(session, commune, clock)
    actor = await load_actor(session, commune.committee_member)
    await study.open_campaign(
        session, actor=actor, document_id=document.id, org_id=commune.commune.id, deadline_day=dt.date(2026, 12, 20),
        questions=[study.QuestionInput(text="Nghị quyết 21 bàn về gì?", options=["Tổ chức cơ sở đảng", "Kinh tế biển"], correct=0)],
        now=clock.now(),
    )
    await session.commit()
    calls = await bot.press(MEMBER_A, f"rd:quiz:{document.id}")
    [poll] = [c for c in calls if type(c).__name__ == "SendPoll"]
    assert poll.explanation and "Tổ chức cơ sở đảng" in poll.explanation


async def test_publishing_names_the_members_who_are_not_linked(bot, session, cipher, commune, clock) -> None:  # noqa: F811
    await add_member(session, cipher, commune.cells[0].org, "Hoàng Văn Chưa Liên Kết")
    await session.commit()
    calls = await bot.text(SECRETARY_A, texts.account.BTN_RESOLUTIONS)
    calls = await bot.press(SECRETARY_A, find_button(calls, R.BTN_PUBLISH))
    calls = await bot.press(SECRETARY_A, find_button(calls, R.KINDS["NQ"]))
    await bot.text(SECRETARY_A, "21-nq/tw")
    await bot.text(SECRETARY_A, "16/06/2022")
    await bot.text(SECRETARY_A, "Về tăng cường xây dựng Đảng")
    calls = await bot.text(SECRETARY_A, "Nghị quyết về xây dựng tổ chức cơ sở đảng. " * 20)
    calls = await bot.press(SECRETARY_A, find_button(calls, R.BTN_DONE_TEXT))
    calls = await bot.press(SECRETARY_A, find_button(calls, R.BTN_KEEP_SUMMARY))
    preview = "\n".join(getattr(c, "text", None) or "" for c in calls)
    assert "Hoàng Văn Chưa Liên Kết" in preview
    calls = await bot.press(SECRETARY_A, find_button(calls, R.BTN_SEND))
    done = "\n".join(getattr(c, "text", None) or "" for c in calls)
    assert "Hoàng Văn Chưa Liên Kết" in done
