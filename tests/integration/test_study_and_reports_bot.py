"""End to end through the dispatcher: a committee opens a study campaign with a quiz, members
study and answer the quiz polls, the results roll up two levels (cells → commune → province), and a
cell's monthly report is reviewed, sent and received by the committee above."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select

from bot.dispatcher import build_dispatcher
from core import texts
from core.delivery.models import OutboxMessage
from core.orgs.models import OrgRole, RoleKind
from core.orgs.service import load_actor
from core.reporting import reports
from core.resolutions import service
from core.reporting.models import MonthlyReport, ReportState
from core.resolutions.models import DocumentKind, QuizAnswer, QuizPoll, StudyAssignment
from tests.botkit import BotHarness, inline_buttons, texts_of
from tests.factories import Commune, add_member, make_commune
from tests.unit.resolutions.helpers import CountingSpeaker, with_polls
from voice.service import VoiceRenderer

SECRETARY_A, MEMBER_A, OTHER_MEMBER_A = 1001, 1003, 1004
SECRETARY_B, MEMBER_B = 2001, 2003
COMMITTEE, PROVINCE = 5001, 6001
OTHER_SECRETARY = 9001


@pytest.fixture
async def commune(session, cipher) -> Commune:  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    province_member = await add_member(session, cipher, commune.cells[1].org, "Tỉnh ủy viên", link_to=PROVINCE)
    session.add(OrgRole(member_id=province_member.id, org_id=commune.province.id, role=RoleKind.COMMITTEE_MEMBER))
    await session.commit()
    return commune


@pytest.fixture
def bot(session_factory, cipher, clock, tmp_path: Path) -> BotHarness:  # type: ignore[no-untyped-def]
    renderer = VoiceRenderer(CountingSpeaker(), tmp_path / "voice")
    return with_polls(BotHarness(build_dispatcher(session_factory=session_factory, cipher=cipher, clock=clock, voice_renderer=renderer, files_dir=tmp_path / "files")))


def data_of(calls, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [data for call in calls for _, data in inline_buttons(call) if data and data.startswith(prefix)]


def alerts(calls) -> list[str]:  # type: ignore[no-untyped-def]
    return [call.text for call in calls if type(call).__name__ == "AnswerCallbackQuery" and call.text]


def joined(calls) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(texts_of(calls))


async def test_campaign_quiz_results_rollup_and_report(bot: BotHarness, session, commune, clock) -> None:
    # The commune committee publishes a resolution (service: the publishing flow has its own tests).
    committee = await load_actor(session, commune.committee_member)
    document = await service.create_draft(session, actor=committee, now=clock.now(), draft=service.DraftInput(
        kind=DocumentKind.NQ, code="21-NQ/TW", title="Về xây dựng tổ chức cơ sở đảng",
        full_text="Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ. Đổi mới sinh hoạt chi bộ.",
        org_id=commune.commune.id))
    await service.publish(session, actor=committee, document_id=document.id, now=clock.now())
    await session.commit()

    # 📚 Mở đợt học tập: deadline in a week, two questions.
    calls = await bot.press(COMMITTEE, f"rd:camp:{document.id}")
    assert texts.resolutions.CAMPAIGN_DEADLINE in texts_of(calls)
    calls = await bot.press(COMMITTEE, "scs:w1")
    assert any("Câu hỏi kiểm tra" in t for t in texts_of(calls))
    calls = await bot.text(COMMITTEE, "Nghị quyết đặt mục tiêu đến năm nào?\nA. 2025\nB. 2030\nC. 2045")
    assert data_of(calls, "scc:") == ["scc:0", "scc:1", "scc:2"]
    await bot.press(COMMITTEE, "scc:1")
    calls = await bot.text(COMMITTEE, "Tỉ lệ tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ?\nTrên 50%\nTrên 75%")
    calls = await bot.press(COMMITTEE, "scc:1")
    assert "scs:done" in data_of(calls, "scs:")
    calls = await bot.press(COMMITTEE, "scs:done")
    assert "2 câu" in joined(calls)
    calls = await bot.press(COMMITTEE, "scs:open")
    assert "Đã mở đợt học tập" in joined(calls)
    campaign_id = int(data_of(calls, "scv:res:")[0].rsplit(":", 1)[1])
    notices = list((await session.execute(select(OutboxMessage).where(OutboxMessage.source == f"campaign:{campaign_id}"))).scalars())
    assert len(notices) == len(commune.cells[0].everyone) + len(commune.cells[1].everyone) + 2  # + committee member and province member
    assert f"rd:quiz:{document.id}" in [b["callback_data"] for row in notices[0].payload["buttons"] for b in row]

    # Members study (✅ on the campaign's notice itself: the notice stays as it was sent) and answer the quiz polls.
    notice_markup = InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=b["text"], callback_data=b["callback_data"]) for b in row] for row in notices[0].payload["buttons"]
    ])
    for user, answers in ((MEMBER_A, (1, 1)), (OTHER_MEMBER_A, (1, 0)), (MEMBER_B, (0, 0))):
        calls = await bot.press(user, f"rd:study:{document.id}", message_text=notices[0].payload["text"], reply_markup=notice_markup)
        assert not [c for c in calls if type(c).__name__ == "EditMessageText"]
        calls = await bot.press(user, f"rd:quiz:{document.id}")
        polls = [c for c in calls if type(c).__name__ == "SendPoll"]
        assert len(polls) == 2 and all(p.type == "quiz" and p.is_anonymous is False for p in polls)
        rows = list((await session.execute(select(QuizPoll).where(QuizPoll.chat_id == str(user)).order_by(QuizPoll.id))).scalars())
        for poll, option in zip(rows, answers, strict=True):
            calls = await bot.poll_answer(user, poll.poll_id, [option])
        assert any("đã làm xong bài kiểm tra" in t for t in texts_of(calls))
    # A poll answered by someone else, or twice, changes nothing.
    first_poll = (await session.execute(select(QuizPoll).where(QuizPoll.chat_id == str(MEMBER_A)).order_by(QuizPoll.id))).scalars().first()
    await bot.poll_answer(MEMBER_B, first_poll.poll_id, [0])
    await bot.poll_answer(MEMBER_A, first_poll.poll_id, [0])
    answers = list((await session.execute(select(QuizAnswer).where(QuizAnswer.question_id == first_poll.question_id))).scalars())
    assert len(answers) == 3 and sum(a.correct for a in answers) == 2
    calls = await bot.press(MEMBER_A, f"rd:quiz:{document.id}")
    answers = [call for call in calls if type(call).__name__ == "AnswerCallbackQuery"]
    assert len(answers) == 1 and "đúng 2/2" in answers[0].text  # the refusal is the query's one answer (Telegram takes one)
    calls = await bot.press(OTHER_SECRETARY, f"rd:full:{document.id}")
    assert [c.text for c in calls if type(c).__name__ == "AnswerCallbackQuery"] == [texts.common.NOT_FOUND]

    # Results in the bot: the committee sees both cells; secretary B only cell B.
    calls = await bot.press(COMMITTEE, f"scv:res:{campaign_id}")
    text = joined(calls)
    assert "Đã nghiên cứu: <b>3/" in text and commune.cells[0].org.name in text and commune.cells[1].org.name in text
    assert "5,0/10" in text  # 2 + 1 + 0 right answers of 3 × 2 questions
    calls = await bot.press(SECRETARY_B, f"scv:res:{campaign_id}")
    assert commune.cells[0].org.name not in joined(calls) and "Đã nghiên cứu: <b>1/" in joined(calls)
    for action in ("res", "members"):  # the refusal is the query's one answer
        calls = await bot.press(OTHER_SECRETARY, f"scv:{action}:{campaign_id}")
        assert [c.text for c in calls if type(c).__name__ == "AnswerCallbackQuery"] == [texts.common.NOT_FOUND]

    # A meeting held in November in cell A: 5 of its 6 members present.
    from core.meetings.models import Attendance, Invitation, Meeting, MeetingKind, MeetingStatus

    held_at = dt.datetime(2026, 11, 4, 12, 30, tzinfo=dt.timezone.utc)
    meeting = Meeting(cell_id=commune.cells[0].org.id, kind=MeetingKind.REGULAR, starts_at=held_at, place="Nhà văn hóa", status=MeetingStatus.HELD)
    session.add(meeting)
    await session.flush()
    for index, member in enumerate(commune.cells[0].everyone):
        session.add(Invitation(meeting_id=meeting.id, member_id=member.id, invited_at=held_at))
        session.add(Attendance(meeting_id=meeting.id, member_id=member.id, present=index > 0, recorded_at=held_at))
    await session.commit()

    # Figures two levels up: the province sees the commune; the commune sees its two cells.
    calls = await bot.text(PROVINCE, "/solieu")
    text = joined(calls)
    assert commune.province.name in text and commune.commune.name in text and "có mặt 5/6" in text
    assert commune.other_province.name not in text
    calls = await bot.press(PROVINCE, f"rf:kids:{commune.province.id}:202611")
    assert f"rf:show:{commune.commune.id}:202611" in data_of(calls, "rf:")
    calls = await bot.press(PROVINCE, f"rf:show:{commune.commune.id}:202611")
    text = joined(calls)
    assert commune.cells[0].org.name in text and commune.cells[1].org.name in text and "3/" in text
    calls = await bot.press(COMMITTEE, f"rf:show:{commune.province.id}:202611")
    assert alerts(calls) == [texts.common.FORBIDDEN]
    calls = await bot.press(COMMITTEE, f"rf:show:{commune.other_province.id}:202611")
    assert alerts(calls) == [texts.common.NOT_FOUND]
    calls = await bot.press(SECRETARY_B, f"rf:show:{commune.cells[0].org.id}:202611")
    assert alerts(calls) == [texts.common.NOT_FOUND]
    calls = await bot.press(COMMITTEE, f"rf:chart:{commune.commune.id}:202611")
    photo = [c for c in calls if type(c).__name__ == "SendPhoto"]
    assert len(photo) == 1 and photo[0].photo.data[:8] == b"\x89PNG\r\n\x1a\n"
    calls = await bot.press(COMMITTEE, f"rf:csv:{commune.commune.id}:202611")
    document_call = [c for c in calls if type(c).__name__ == "SendDocument"][0]
    csv_text = document_call.document.data.decode("utf-8-sig")
    assert commune.cells[0].org.name in csv_text and "Tổng cộng" in csv_text
    calls = await bot.press(COMMITTEE, f"rf:xlsx:{commune.commune.id}:202611")
    assert [c for c in calls if type(c).__name__ == "SendDocument"][0].document.data[:2] == b"PK"

    # 📝 The cell's report: reviewed, annotated, sent; the committee is told and reads it.
    calls = await bot.text(SECRETARY_A, "/baocao")
    assert "Báo cáo tháng 11/2026" in joined(calls) and "có mặt 5/6" in joined(calls)
    cell_a = commune.cells[0].org.id
    assert f"rr:send:{cell_a}:202611" in data_of(calls, "rr:")
    await bot.press(SECRETARY_A, f"rr:note:{cell_a}:202611")
    calls = await bot.text(SECRETARY_A, "Chi bộ đề nghị cấp thêm tài liệu học tập.")
    assert texts.reports.NOTE_SAVED in texts_of(calls)
    calls = await bot.press(COMMITTEE, f"rr:send:{cell_a}:202611")
    assert alerts(calls) == [texts.reports.ONLY_CELL_SENDS]
    calls = await bot.press(SECRETARY_A, f"rr:send:{cell_a}:202611")
    assert alerts(calls) == [texts.reports.REPORT_SENT.format(month="tháng 11/2026")]
    calls = await bot.press(SECRETARY_A, f"rr:send:{cell_a}:202611")
    assert alerts(calls) == [texts.reports.ALREADY_SENT]
    report = (await session.execute(select(MonthlyReport).where(MonthlyReport.cell_id == cell_a))).scalar_one()
    assert report.state == ReportState.SENT and report.figures["present"] == 5 and report.note.startswith("Chi bộ đề nghị")
    told = list((await session.execute(select(OutboxMessage).where(OutboxMessage.kind == reports.SENT_KIND))).scalars())
    assert [row.member_id for row in told] == [commune.committee_member.id]

    calls = await bot.text(COMMITTEE, "/baocao")
    text = joined(calls)
    assert "Đã gửi: <b>1/2</b>" in text and commune.cells[1].org.name in text  # cell B has not sent
    calls = await bot.press(COMMITTEE, f"rr:read:{cell_a}:202611")
    assert "Chi bộ đề nghị cấp thêm tài liệu học tập." in joined(calls)
    calls = await bot.press(COMMITTEE, f"rr:read:{commune.cells[1].org.id}:202611")
    assert alerts(calls) == [texts.reports.NOT_SENT_YET]
    calls = await bot.press(OTHER_SECRETARY, f"rr:read:{cell_a}:202611")
    assert alerts(calls) == [texts.common.NOT_FOUND]
    assert (await session.execute(select(StudyAssignment).where(StudyAssignment.studied_at.is_not(None)))).scalars().all()


async def test_stats_screen_leads_to_the_figures(bot: BotHarness, session, commune) -> None:
    calls = await bot.text(SECRETARY_A, texts.account.BTN_STATS)
    assert f"rf:show:{commune.cells[0].org.id}:0" in data_of(calls, "rf:")
    calls = await bot.press(SECRETARY_A, f"rf:show:{commune.cells[0].org.id}:0")
    assert "Số liệu tổng hợp" in joined(calls)
    calls = await bot.text(MEMBER_A, "/solieu")
    assert texts.reports.NOT_MANAGER in texts_of(calls)
    calls = await bot.press(MEMBER_A, f"rf:show:{commune.cells[0].org.id}:202611")
    assert alerts(calls) == [texts.common.FORBIDDEN]
    calls = await bot.press(SECRETARY_A, f"rf:show:{commune.cells[0].org.id}:209913")  # a forged month
    assert alerts(calls) == [texts.common.STALE_BUTTON]
