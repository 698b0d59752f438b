"""Resolution study over real HTTP (issue #8's "Must show"): the `sotay run` process against the sandbox.

A commune committee member publishes a resolution and opens a study campaign with a two-question
quiz through 📜 Nghị quyết; members of two cells receive it, confirm they studied and answer the
quiz polls (one right, one half right, one wrong, one not at all, one who stops half-way); the
results roll up cell → commune → province in 📊 Kết quả học tập and 📈 Số liệu tổng hợp; at the
start of the next month the tick drafts each cell's report, the secretary sends it, the committee
is told and reads it. Forged buttons from people of another cell or province change nothing.

The process runs with its clock moved forward (tests/e2e/shifted_clock.py): the campaign opens on
the 10th of next month, and the report is drafted on the 2nd of the month after, so the test does
not depend on today's date.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core import texts
from core.orgs.models import OrgRole, RoleKind
from core.reporting.figures import add_months
from core.reporting.models import MonthlyReport, ReportState
from core.resolutions.models import (
    Document,
    DocumentState,
    QuizAnswer,
    QuizPoll,
    StudyAssignment,
    StudyCampaign,
)
from sandbox.client import SandboxError
from tests.e2e.conftest import App, sotay_env, stop_cleanly
from tests.e2e.processes import free_port, start_sotay, wait_until_healthy
from tests.e2e.shifted_clock import ENV as CLOCK_ENV, set_clock
from tests.e2e.walk import has, press, publish_resolution, until
from tests.factories import Commune, add_member, make_commune

pytestmark = pytest.mark.e2e
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
R, T = texts.resolutions, texts.reports

COMMITTEE, PROVINCE = 5001, 6001  # the commune committee member (in cell A), a province committee member (in cell B)
SECRETARY_A, DEPUTY_A, RIGHT, HALF, STUDY_ONLY = 1001, 1002, 1003, 1004, 1005
SECRETARY_B, WRONG, STOPPED, IDLE_B = 2001, 2003, 2004, 2005
OUTSIDER = 9003  # a member in another province
EVERYONE = (COMMITTEE, PROVINCE, *range(1001, 1007), *range(2001, 2007), OUTSIDER)

Q1 = "Nghị quyết đặt mục tiêu đến năm nào?"
Q2 = "Tỉ lệ tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ?"
FULL_TEXT = (
    "Nghị quyết về tăng cường củng cố, xây dựng tổ chức cơ sở đảng và nâng cao chất lượng đội ngũ đảng viên.\n\n"
    "Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ. Đổi mới nội dung, phương thức "
    "sinh hoạt chi bộ, bảo đảm sinh hoạt định kỳ hằng tháng.\n\n"
    "Mỗi đảng viên nghiên cứu, học tập nghị quyết và gương mẫu thực hiện ở nơi cư trú."
)


def _months() -> tuple[dt.datetime, dt.datetime]:
    """The campaign's day (the 10th of next month, 10:00) and the report's (the 2nd of the month after)."""
    this_month = dt.datetime.now(LOCAL).date().replace(day=1)
    study_month = add_months(this_month, 1)
    return (
        dt.datetime.combine(study_month.replace(day=10), dt.time(10, 0), LOCAL),
        dt.datetime.combine(add_months(study_month, 1).replace(day=2), dt.time(10, 0), LOCAL),
    )


@pytest.fixture(params=["polling", "webhook"])
async def study_app(request, sandbox, e2e_database_url: str, tmp_path: Path) -> AsyncIterator[tuple[App, Path, tuple[dt.datetime, dt.datetime]]]:  # type: ignore[no-untyped-def]
    """`sotay run` as in conftest's `app`, with a clock the test moves (starting on the campaign's day);
    yields the app, the clock's file and the two days (worked out once, so they agree with the clock
    even when the real month ends while sotay is starting)."""
    clock_file = tmp_path / "clock"
    days = _months()
    set_clock(clock_file, days[0])
    port = free_port()
    env = {**sotay_env(e2e_database_url, tmp_path / "data", sandbox.base_url, port, request.param), CLOCK_ENV: str(clock_file)}
    process = start_sotay(["run"], env, tmp_path / "sotay.log", port, module="tests.e2e.shifted_clock")
    try:
        await wait_until_healthy(process)
        yield App(process=process, mode=request.param, env=env), clock_file, days
    finally:
        await stop_cleanly(process)  # off the event loop: the sandbox must answer the sends still in flight


async def forged(people, user: int, data: str) -> dict:  # type: ignore[no-untyped-def]
    """A tampered client: callback data no button in the chat carries, sent from the person's last message."""
    last = (await people.bot_messages(user))[-1]
    return await people.press(user, last.message_id, data, any_data=True)


async def test_study_campaign_quiz_rollup_and_monthly_report(study_app, people, e2e_sessions, e2e_cipher) -> None:
    _, clock_file, (campaign_day, report_day) = study_app
    study_month = campaign_day.date().replace(day=1)
    month_label = f"tháng {study_month.month}/{study_month.year}"
    deadline = (campaign_day.date() + dt.timedelta(days=7)).strftime("%d/%m/%Y")
    async with e2e_sessions() as session:
        commune: Commune = await make_commune(session, e2e_cipher, linked=True)
        province_member = await add_member(session, e2e_cipher, commune.cells[1].org, "Tỉnh ủy viên", link_to=PROVINCE)
        session.add(OrgRole(member_id=province_member.id, org_id=commune.province.id, role=RoleKind.COMMITTEE_MEMBER))
        await session.commit()
    cell_a, cell_b = commune.cells[0].org, commune.cells[1].org
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in EVERYONE])

    # 1. The commune committee member publishes the resolution: 📜 Nghị quyết → ➕ Đăng văn bản → six steps.
    published = await publish_resolution(
        people, COMMITTEE, code="21-NQ/TW", title="Về tăng cường củng cố, xây dựng tổ chức cơ sở đảng", full_text=FULL_TEXT,
        target=f"{commune.commune.name} (toàn đảng bộ)",
    )
    assert "trên 75% tổ chức cơ sở đảng" in published.summary.text
    assert f"Gửi tới: {commune.commune.name} — 13 đảng viên (0 người" in published.preview.text  # everyone but the publisher
    done = published.done
    assert f"tới 13 đảng viên của {commune.commune.name}" in done.text

    # 2. … then opens a study campaign for it from the library: a week, two questions (one typed wrong first).
    await people.send_text(COMMITTEE, texts.account.BTN_RESOLUTIONS)
    library = await people.wait_for_message(COMMITTEE, has("21-NQ/TW"), after_message_id=done.message_id)
    await press(people, COMMITTEE, library, "21-NQ/TW")
    screen = await people.wait_for_message(COMMITTEE, lambda m: m.message_id == library.message_id and has("Mở đợt học tập")(m))
    await press(people, COMMITTEE, screen, "Mở đợt học tập")
    when = await people.wait_for_message(COMMITTEE, lambda m: "Hạn hoàn thành?" in m.text)
    await press(people, COMMITTEE, when, R.BTN_DEADLINE_WEEK)
    asked = await people.wait_for_message(COMMITTEE, lambda m: "đã có 0 câu" in m.text)
    await people.send_text(COMMITTEE, "Nghị quyết có mấy mục tiêu?\n2030")  # one option only
    await people.wait_for_message(COMMITTEE, lambda m: "Mỗi câu hỏi cần từ 2 đến 10 phương án" in m.text, after_message_id=asked.message_id)
    await people.send_text(COMMITTEE, f"{Q1}\nA. 2025\nB. 2030\nC. 2045")
    correct = await people.wait_for_message(COMMITTEE, lambda m: "Phương án nào là đúng?" in m.text and Q1 in m.text)
    assert [label for label, _ in correct.buttons] == ["A. 2025", "B. 2030", "C. 2045"]
    await press(people, COMMITTEE, correct, "B. 2030")
    asked = await people.wait_for_message(COMMITTEE, lambda m: "đã có 1 câu" in m.text)
    await people.send_text(COMMITTEE, f"{Q2}\nTrên 50%\nTrên 75%")
    correct = await people.wait_for_message(COMMITTEE, lambda m: "Phương án nào là đúng?" in m.text and Q2 in m.text)
    await press(people, COMMITTEE, correct, "B. Trên 75%")
    asked = await people.wait_for_message(COMMITTEE, lambda m: "đã có 2 câu" in m.text)
    await press(people, COMMITTEE, asked, "Xong, mở đợt học tập")
    review = await people.wait_for_message(COMMITTEE, lambda m: "Xem lại đợt học tập" in m.text)
    assert f"Dành cho: {commune.commune.name} — 14 đảng viên" in review.text and f"Hạn: {deadline}" in review.text
    assert "Bài kiểm tra: 2 câu" in review.text
    await press(people, COMMITTEE, review, "Mở đợt học tập")
    opened = await people.wait_for_message(COMMITTEE, lambda m: "Đã mở đợt học tập" in m.text)
    assert opened.text == R.CAMPAIGN_OPENED.format(members=14, org=commune.commune.name, deadline=deadline)

    async def published():  # type: ignore[no-untyped-def]
        async with e2e_sessions() as session:
            return (await session.execute(select(Document))).scalars().all(), (await session.execute(select(StudyCampaign))).scalars().all()

    documents, campaigns = await until(published, lambda state: len(state[1]) > 0)  # the reply leaves before the commit
    assert len(documents) == 1 and len(campaigns) == 1
    document, campaign = documents[0], campaigns[0]
    assert document.state == DocumentState.PUBLISHED and campaign.org_id == commune.commune.id and campaign.question_count == 2

    # 3. Members receive the campaign through the delivery worker; they study and answer the quiz polls.
    async def take_part(user: int, *, study: bool, answers: tuple[int, ...]) -> None:
        notice = await people.wait_for_message(user, lambda m: "Học tập văn bản" in m.text, timeout=30)
        assert f"trước ngày {deadline}" in notice.text and "bài kiểm tra ngắn (2 câu)" in notice.text
        if study:
            answer = await press(people, user, notice, R.BTN_STUDIED)
            assert answer["answered"] and answer["text"] == R.STUDIED_THANKS and not answer["show_alert"]  # a toast, nothing to close
        if not answers:
            return
        await press(people, user, notice, R.BTN_QUIZ)
        await people.wait_for_message(user, lambda m: bool(m.poll) and m.poll["question"] == Q2)
        polls = [m.poll for m in await people.bot_messages(user) if m.poll]
        assert [(p["question"], p["type"], p["is_anonymous"]) for p in polls] == [(Q1, "quiz", False), (Q2, "quiz", False)]
        assert [o["text"] for o in polls[0]["options"]] == ["2025", "2030", "2045"]
        for poll, option in zip(polls, answers, strict=False):
            result = await people.answer_poll(user, poll["id"], [option])
            assert result["correct"] is (option == 1)
        if len(answers) == 2:
            right = sum(option == 1 for option in answers)
            finished = await people.wait_for_message(user, lambda m: "đã làm xong bài kiểm tra" in m.text)
            assert f"đúng {right}/2 câu" in finished.text

    await asyncio.gather(
        take_part(RIGHT, study=True, answers=(1, 1)),  # 2/2
        take_part(HALF, study=True, answers=(1, 0)),  # 1/2
        take_part(STUDY_ONLY, study=True, answers=()),  # studied, no quiz
        take_part(WRONG, study=True, answers=(0, 0)),  # 0/2
        take_part(STOPPED, study=True, answers=(1,)),  # one question of two: not counted in the score
    )
    # The committee member's own chat got the campaign too (he is a member of cell A); the other province did not.
    await people.wait_for_message(COMMITTEE, lambda m: "Học tập văn bản" in m.text, timeout=30)
    assert not await people.bot_messages(OUTSIDER)
    await people.send_text(OUTSIDER, texts.account.BTN_RESOLUTIONS)  # his library does not have it
    await people.wait_for_message(OUTSIDER, lambda m: R.LIBRARY_EMPTY in m.text)

    # Bad input: the quiz button again, forged buttons from another province or cell, someone else's poll.
    again = await forged(people, RIGHT, f"rd:quiz:{document.id}")
    assert again["text"] == R.QUIZ_ALREADY_DONE.format(correct=2, total=2)
    outsider_quiz = await forged(people, OUTSIDER, f"rd:quiz:{document.id}")
    assert outsider_quiz["text"] == texts.common.NOT_FOUND and outsider_quiz["show_alert"]
    outsider_study = await forged(people, OUTSIDER, f"rd:study:{document.id}")
    assert outsider_study["text"] == texts.common.NOT_FOUND
    member_results = await forged(people, IDLE_B, f"scv:res:{campaign.id}")
    assert member_results["text"] == texts.common.NOT_FOUND
    other_cell = await forged(people, SECRETARY_B, f"scv:members:{campaign.id}")
    assert other_cell["answered"]  # a secretary sees only his own cell's members (checked below)
    foreign_poll = next(m.poll for m in await people.bot_messages(RIGHT) if m.poll)
    with pytest.raises(SandboxError, match="no such poll"):
        await people.answer_poll(WRONG, foreign_poll["id"], [1])
    assert not [m for m in await people.bot_messages(OUTSIDER) if m.poll]

    async def study_state():  # type: ignore[no-untyped-def]
        async with e2e_sessions() as session:
            rows = {
                a.member_id: a
                for a in (await session.execute(select(StudyAssignment).where(StudyAssignment.campaign_id == campaign.id))).scalars()
            }
            answers = (await session.execute(select(func.count(QuizAnswer.id)))).scalar_one()
            polls = (await session.execute(select(func.count(QuizPoll.id)))).scalar_one()
        return rows, answers, polls

    # The member who stopped half-way got no reply to wait for: wait for his answer's commit instead.
    rows, answers, polls = await until(study_state, lambda state: state[1] >= 7)
    a_members, b_members = commune.cells[0].everyone, commune.cells[1].everyone
    assert len(rows) == 14 and commune.other_cell.members[0].id not in rows
    studied = {member_id for member_id, a in rows.items() if a.studied_at is not None}
    assert studied == {a_members[2].id, a_members[3].id, a_members[4].id, b_members[2].id, b_members[3].id}
    assert {m: (a.quiz_answered, a.quiz_correct, a.quiz_completed_at is not None) for m, a in rows.items() if a.quiz_answered} == {
        a_members[2].id: (2, 2, True), a_members[3].id: (2, 1, True), b_members[2].id: (2, 0, True), b_members[3].id: (1, 1, False),
    }
    assert answers == 7 and polls == 8  # the stray vote and the forged presses added nothing

    # 4. Results: 📊 Kết quả học tập for the committee (both cells) and for cell B's secretary (his cell only).
    await press(people, COMMITTEE, opened, R.BTN_CAMPAIGN_RESULTS)
    results = await people.wait_for_message(COMMITTEE, lambda m: "Kết quả học tập" in m.text and "Đã nghiên cứu" in m.text)
    assert "Đã nghiên cứu: 5/14 (36%)" in results.text and "Làm xong bài kiểm tra: 3/14" in results.text
    assert "Điểm trung bình: 5,0/10" in results.text  # 2 + 1 + 0 right of 3 × 2 questions
    assert f"• {cell_a.name}: nghiên cứu 3/7, điểm TB 7,5/10" in results.text
    assert f"• {cell_b.name}: nghiên cứu 2/7, điểm TB 0,0/10" in results.text
    listing = await people.wait_for_message(SECRETARY_B, lambda m: f"Đảng viên 1 {cell_b.name}" in m.text)
    assert f"✅ Đảng viên 1 {cell_b.name} — 0/2 câu" in listing.text and f"📖 Đảng viên 2 {cell_b.name} — " not in listing.text
    assert cell_a.name not in listing.text

    # 5. The cell's own figures this month (📊 Thống kê → 📈 Số liệu tổng hợp), computed live.
    await people.send_text(SECRETARY_A, texts.account.BTN_STATS)
    stats = await people.wait_for_message(SECRETARY_A, has(T.BTN_FIGURES))
    await press(people, SECRETARY_A, stats, T.BTN_FIGURES)
    figures = await people.wait_for_message(SECRETARY_A, lambda m: f"Số liệu tổng hợp — {cell_a.name}" in m.text)
    assert month_label in figures.text and "👥 Đảng viên: 7 (miễn sinh hoạt: 0; đã liên kết Sổ tay: 7)" in figures.text
    assert "📚 Học tập: 3/7 đã nghiên cứu (43%), điểm kiểm tra TB 7,5/10" in figures.text

    # 6. The 2nd of the month after: the tick drafts every cell's report and tells its secretary and deputy.
    set_clock(clock_file, report_day)
    draft = await people.wait_for_message(SECRETARY_A, lambda m: "đã được Sổ tay soạn sẵn" in m.text, timeout=30)
    assert draft.text == T.DRAFT_READY.format(month=month_label)
    await people.wait_for_message(DEPUTY_A, lambda m: "đã được Sổ tay soạn sẵn" in m.text, timeout=30)
    await people.wait_for_message(SECRETARY_B, lambda m: "đã được Sổ tay soạn sẵn" in m.text, timeout=30)
    await press(people, SECRETARY_A, draft, T.BTN_REVIEW)
    report = await people.wait_for_message(SECRETARY_A, lambda m: m.message_id == draft.message_id and "Báo cáo" in m.text and has(T.BTN_SEND_REPORT)(m))
    assert report.text.startswith(f"📝 Báo cáo {month_label} — {cell_a.name}")
    assert "📚 Học tập: 3/7 đã nghiên cứu (43%), điểm kiểm tra TB 7,5/10" in report.text and "Bản nháp" in report.text
    await press(people, SECRETARY_A, report, T.BTN_ADD_NOTE)
    await people.wait_for_message(SECRETARY_A, lambda m: m.text == T.ASK_NOTE)
    await people.send_text(SECRETARY_A, "Chi bộ đề nghị cấp thêm tài liệu học tập.")
    noted = await people.wait_for_message(SECRETARY_A, lambda m: "Ý kiến của chi bộ" in m.text and has(T.BTN_SEND_REPORT)(m))
    # Someone else's hands on the send button: a committee member, another cell's deputy.
    assert (await forged(people, COMMITTEE, f"rr:send:{cell_a.id}:{study_month:%Y%m}"))["text"] == T.ONLY_CELL_SENDS
    assert (await forged(people, 2002, f"rr:send:{cell_a.id}:{study_month:%Y%m}"))["text"] == texts.common.NOT_FOUND  # another cell is not even found (issue 18 item 7)
    sent = await press(people, SECRETARY_A, noted, T.BTN_SEND_REPORT)
    assert sent["text"] == T.REPORT_SENT.format(month=month_label) and sent["show_alert"]
    await people.wait_for_message(SECRETARY_A, lambda m: m.message_id == noted.message_id and "Đã gửi lên cấp ủy lúc" in m.text)
    assert (await forged(people, SECRETARY_A, f"rr:send:{cell_a.id}:{study_month:%Y%m}"))["text"] == T.ALREADY_SENT

    # 7. The commune committee is told, sees it as received, reads it, and follows to the figures two levels up.
    told = await people.wait_for_message(COMMITTEE, lambda m: "đã gửi báo cáo" in m.text, timeout=30)
    assert told.text.startswith(f"📥 {cell_a.name} đã gửi báo cáo {month_label}.")
    assert "Chi bộ đề nghị cấp thêm tài liệu học tập." in told.text and "3/7 đã nghiên cứu" in told.text
    await press(people, COMMITTEE, told, T.BTN_RECEIVED)
    box = await people.wait_for_message(COMMITTEE, lambda m: m.message_id == told.message_id and "Đã gửi: 1/2 chi bộ" in m.text)
    assert f"Chưa gửi: {cell_b.name}" in box.text and [label for label, _ in box.buttons][0] == f"📄 {cell_a.name}"
    await press(people, COMMITTEE, box, cell_a.name)
    read = await people.wait_for_message(COMMITTEE, lambda m: m.message_id > told.message_id and "Đã gửi lên cấp ủy lúc" in m.text)
    assert f"Báo cáo {month_label} — {cell_a.name}" in read.text and "Chi bộ đề nghị" in read.text
    assert (await forged(people, COMMITTEE, f"rr:read:{cell_b.id}:{study_month:%Y%m}"))["text"] == T.NOT_SENT_YET
    assert (await forged(people, OUTSIDER, f"rr:read:{cell_a.id}:{study_month:%Y%m}"))["text"] == texts.common.NOT_FOUND  # another province: not found (issue 18 item 7)

    await press(people, COMMITTEE, box, T.BTN_FIGURES)
    commune_figures = await people.wait_for_message(
        COMMITTEE, lambda m: m.message_id == box.message_id and f"Số liệu tổng hợp — {commune.commune.name}" in m.text
    )
    assert month_label in commune_figures.text and "👥 Đảng viên: 14 (miễn sinh hoạt: 0; đã liên kết Sổ tay: 14)" in commune_figures.text
    assert "📚 Học tập: 5/14 đã nghiên cứu (36%), điểm kiểm tra TB 5,0/10" in commune_figures.text
    assert f"• {cell_a.name}: 7 ĐV, dự họp —, học tập 43%" in commune_figures.text
    assert f"• {cell_b.name}: 7 ĐV, dự họp —, học tập 29%" in commune_figures.text

    # The province committee member: /solieu shows this month; ◀️ the study month, the commune under it.
    await people.send_text(PROVINCE, "/solieu")
    province_now = await people.wait_for_message(PROVINCE, lambda m: f"Số liệu tổng hợp — {commune.province.name}" in m.text)
    assert "📚 Học tập: 0/0 đã nghiên cứu (—)" in province_now.text
    await press(people, PROVINCE, province_now, T.BTN_PREV_MONTH)
    province = await people.wait_for_message(PROVINCE, lambda m: m.message_id == province_now.message_id and month_label in m.text)
    assert "📚 Học tập: 5/14 đã nghiên cứu (36%), điểm kiểm tra TB 5,0/10" in province.text
    assert f"• {commune.commune.name}: 14 ĐV, dự họp —, học tập 36%" in province.text
    assert commune.other_province.name not in province.text
    assert (await forged(people, COMMITTEE, f"rf:show:{commune.province.id}:{study_month:%Y%m}"))["text"] == texts.common.FORBIDDEN

    async def monthly_reports():  # type: ignore[no-untyped-def]
        async with e2e_sessions() as session:
            return {r.cell_id: r for r in (await session.execute(select(MonthlyReport).where(MonthlyReport.month == study_month))).scalars()}

    reports = await until(monthly_reports, lambda found: cell_a.id in found and found[cell_a.id].read_at is not None)
    assert set(reports) == {cell_a.id, cell_b.id, commune.other_cell.org.id}
    sent_report = reports[cell_a.id]
    assert sent_report.state == ReportState.SENT and sent_report.sent_by_id == commune.cells[0].secretary.id
    assert sent_report.read_at is not None and sent_report.note == "Chi bộ đề nghị cấp thêm tài liệu học tập."
    assert {k: sent_report.figures[k] for k in ("members", "study_assigned", "study_done", "quiz_done", "quiz_correct", "quiz_questions")} == {
        "members": 7, "study_assigned": 7, "study_done": 3, "quiz_done": 2, "quiz_correct": 3, "quiz_questions": 4,
    }
    assert {reports[cell_b.id].state, reports[commune.other_cell.org.id].state} == {ReportState.DRAFT}
    assert reports[cell_b.id].figures["study_done"] == 2 and reports[cell_b.id].figures["quiz_questions"] == 2
