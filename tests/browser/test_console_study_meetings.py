"""More of the console in Debian's Chromium: the committee returns a cell's report with a comment
(the secretary reads it), a secretary forwards a góp ý up (the committee finds it in its inbox);
a committee opens a study campaign with a quiz and reads the results; a secretary marks the
attendance sheet, prints it, sends the conclusions to those absent and stops a monthly rule.
Every page: 0 console errors, 0 serious axe-core findings, no sideways scroll at 390 px,
screenshots at 1280 px and 390 px."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from core import texts
from core.feedback import service as feedback
from core.feedback.models import FeedbackItem, FeedbackKind
from core.meetings import service as meetings
from core.meetings.models import MeetingKind, RecurrenceRule
from core.orgs.service import load_actor
from core.reporting.models import MonthlyReport, ReportState
from core.resolutions import service as documents
from core.resolutions.models import DocumentKind, StudyCampaign
from tests.browser.console_kit import Watched, check_page
from tests.browser.test_console_desk import _signed_in
from tests.browser.test_console_pages import served  # noqa: F401  (the app on a real port)
from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS
from tests.console.helpers import link_from_bot
from tests.factories import make_commune

pytestmark = pytest.mark.browser
SECRETARY_A = 1001
COMMITTEE = 5001
T = texts.console
D = texts.console_desk


async def test_a_report_returned_with_a_comment_and_a_góp_ý_forwarded_up(  # type: ignore[no-untyped-def]
    served: str, harness, session, cipher, clock, tmp_path: Path  # noqa: F811
) -> None:
    from playwright.async_api import async_playwright, expect

    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    author = a.members[1]
    item = await feedback.submit(session, actor=await load_actor(session, author), kind=FeedbackKind.COMMENT, org_id=a.org.id,
                                 content=feedback.Content(text="Đề nghị xã sửa cầu treo qua suối Nậm Kim."), now=clock.now())
    await session.commit()
    secretary_link = await link_from_bot(harness, SECRETARY_A)
    committee_link = await link_from_bot(harness, COMMITTEE)
    watched = Watched()
    serious: dict[str, list] = {}

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await _signed_in(browser, secretary_link, watched)
        # The góp ý is the commune's to settle: forwarded up with a note.
        await page.get_by_role("link", name=D.NAV_FEEDBACK, exact=True).click()
        await page.get_by_role("link", name=item.reference).click()
        await page.get_by_label(D.FORWARD_LABEL).fill("Việc của xã, chi bộ không tự làm được.")
        await page.get_by_role("button", name=D.FORWARD.format(org=commune.commune.name)).click()
        await expect(page.locator(".done")).to_have_text(D.FORWARDED.format(org=commune.commune.name))
        await expect(page.locator("main")).to_contain_text("Việc của xã, chi bộ không tự làm được.")
        serious["feedback-forwarded"] = await check_page(page, "feedback-forwarded", watched, tmp_path)
        # The monthly report goes up.
        await page.get_by_role("link", name=D.NAV_REPORTS, exact=True).click()
        await page.get_by_role("button", name=D.REPORT_SEND).click()
        await expect(page.locator(".done")).to_have_text(D.REPORT_SENT.format(org=commune.commune.name))

        boss = await _signed_in(browser, committee_link, watched)
        await boss.get_by_role("link", name=D.NAV_FEEDBACK, exact=True).click()
        await expect(boss.locator("main")).to_contain_text(author.full_name)
        serious["feedback-inbox-committee"] = await check_page(boss, "feedback-inbox-committee", watched, tmp_path)
        await boss.get_by_role("link", name=item.reference).click()
        await expect(boss.locator("main")).to_contain_text("cầu treo")
        await expect(boss.get_by_role("button", name=D.REPLY_SEND)).to_be_visible()  # now the commune's to answer
        serious["feedback-item-committee"] = await check_page(boss, "feedback-item-committee", watched, tmp_path)
        # The report comes back to the cell with a comment.
        await boss.get_by_role("link", name=D.NAV_REPORTS, exact=True).click()
        await boss.get_by_role("link", name=f"{D.REPORT_OPEN}: {a.org.name}").click()
        await boss.get_by_label(D.RETURN_LABEL).fill("Đề nghị bổ sung số đảng viên dự họp.")
        await boss.get_by_role("button", name=D.RETURN).click()
        await expect(boss.locator(".done")).to_have_text(D.RETURNED.format(cell=a.org.name))
        serious["reports-returned"] = await check_page(boss, "reports-returned", watched, tmp_path)

        await page.get_by_role("link", name=D.NAV_REPORTS, exact=True).click()
        await expect(page.locator("main")).to_contain_text(D.REPORT_RETURNED_COMMENT.format(comment="Đề nghị bổ sung số đảng viên dự họp."))
        await expect(page.get_by_role("button", name=D.REPORT_SEND)).to_be_visible()  # to send again once fixed
        serious["report-returned"] = await check_page(page, "report-returned", watched, tmp_path)
        await browser.close()

    report = (await session.execute(select(MonthlyReport).where(MonthlyReport.cell_id == a.org.id)
                                    .execution_options(populate_existing=True))).scalar_one()
    assert report.state == ReportState.RETURNED
    forwarded = (await session.execute(select(FeedbackItem).execution_options(populate_existing=True))).scalar_one()
    assert forwarded.current_org_id == commune.commune.id
    assert watched.errors == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe


async def test_a_study_campaign_and_a_meeting_after_it_is_held(  # type: ignore[no-untyped-def]
    served: str, harness, session, cipher, clock, tmp_path: Path  # noqa: F811
) -> None:
    from playwright.async_api import async_playwright, expect

    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    committee = await load_actor(session, commune.committee_member)
    document = await documents.create_draft(session, actor=committee, now=clock.now(), draft=documents.DraftInput(
        kind=DocumentKind.NQ, code="21-NQ/TW", title="Về xây dựng tổ chức cơ sở đảng",
        full_text="Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ.", org_id=commune.commune.id))
    await documents.publish(session, actor=committee, document_id=document.id, now=clock.now())
    secretary = await load_actor(session, a.secretary)
    made = await meetings.create_meeting(session, actor=secretary, cell_id=a.org.id, kind=MeetingKind.REGULAR,
                                         starts_at=clock.now() + dt.timedelta(minutes=30), place="Nhà văn hóa thôn Khe Gầy",
                                         repeat_monthly=True, now=clock.now())
    await session.commit()
    secretary_link = await link_from_bot(harness, SECRETARY_A)
    committee_link = await link_from_bot(harness, COMMITTEE)
    watched = Watched()
    serious: dict[str, list] = {}
    absent = a.members[2]

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        boss = await _signed_in(browser, committee_link, watched)
        await boss.get_by_role("link", name=D.NAV_STUDY, exact=True).click()
        await expect(boss.get_by_role("heading", level=1)).to_have_text(D.STUDY_TITLE)
        serious["study"] = await check_page(boss, "study", watched, tmp_path)
        await boss.get_by_label(D.STUDY_FIELD_DOCUMENT).select_option(str(document.id))
        await boss.get_by_label(D.STUDY_FIELD_ORG).select_option(str(commune.commune.id))
        await boss.get_by_label(D.STUDY_FIELD_DEADLINE).fill((clock.now() + dt.timedelta(days=14)).date().isoformat())
        await boss.get_by_label(D.STUDY_FIELD_QUIZ).fill("Nghị quyết đặt mục tiêu đến năm nào?\n2025\n*2030\n2045")
        await boss.get_by_role("button", name=D.STUDY_OPEN).click()
        await expect(boss.locator(".done")).to_contain_text("Đã mở đợt học tập cho")
        await expect(boss.locator("main")).to_contain_text(a.members[0].full_name)
        serious["study-results"] = await check_page(boss, "study-results", watched, tmp_path)
        async with boss.expect_download() as got:
            await boss.get_by_role("link", name=D.STUDY_DOWNLOAD_CSV).click()
        csv_text = Path(await (await got.value).path()).read_bytes().decode("utf-8-sig")
        assert csv_text.startswith("Họ và tên,Chi bộ") and a.members[0].full_name in csv_text
        await boss.get_by_role("link", name=a.org.name).click()  # one cell's part
        await expect(boss.locator("main")).to_contain_text(D.STUDY_SCOPE_PART.format(org=a.org.name))
        await expect(boss.locator("main")).not_to_contain_text(commune.cells[1].members[0].full_name)
        serious["study-cell"] = await check_page(boss, "study-cell", watched, tmp_path)

        # The meeting starts within the hour: the secretary marks the sheet, prints it, sends the conclusions.
        page = await _signed_in(browser, secretary_link, watched)
        await page.goto(f"{served}/console/meetings/{made.meeting.id}")
        await page.get_by_role("link", name=T.ATTENDANCE_OPEN, exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Điểm danh")
        serious["attendance"] = await check_page(page, "attendance", watched, tmp_path)
        for member in a.everyone:
            group = page.get_by_role("group", name=member.full_name, exact=True)
            await group.get_by_label(T.ATTENDANCE_MARKS["present"] if member != absent else T.ATTENDANCE_MARKS["excused"]).check()
        await page.get_by_role("button", name=T.ATTENDANCE_SAVE).click()
        await expect(page.locator(".done")).to_have_text(T.ATTENDANCE_SAVED)
        await expect(page.get_by_role("group", name=absent.full_name, exact=True).get_by_label(T.ATTENDANCE_MARKS["excused"])).to_be_checked()
        serious["attendance-saved"] = await check_page(page, "attendance-saved", watched, tmp_path)
        await page.get_by_role("link", name=T.ATTENDANCE_PRINT).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(T.PRINT_TITLE)
        await expect(page.locator("tbody tr", has_text=absent.full_name)).to_contain_text(T.ATTENDANCE_MARKS["excused"])
        serious["attendance-print"] = await check_page(page, "attendance-print", watched, tmp_path)
        await page.go_back()
        await page.goto(f"{served}/console/meetings/{made.meeting.id}")
        await expect(page.locator("#conclusions-recording-slot")).to_be_visible()
        await page.get_by_label(T.CONCLUSIONS_LABEL).fill("Chi bộ thống nhất sửa đường vào bản trước Tết.")
        await page.get_by_role("button", name=T.CONCLUSIONS_SEND).click()
        await expect(page.locator(".done")).to_have_text(T.CONCLUSIONS_SENT.format(count=2))  # the absent one and the committee member
        serious["meeting-conclusions"] = await check_page(page, "meeting-conclusions", watched, tmp_path)

        # The monthly rule the meeting was made with: listed, then stopped.
        await page.get_by_role("link", name=T.NAV_MEETINGS).first.click()
        await page.get_by_role("link", name=T.MEETING_RULES).click()
        await expect(page.locator("main")).to_contain_text("Nhà văn hóa thôn Khe Gầy")
        serious["meeting-rules"] = await check_page(page, "meeting-rules", watched, tmp_path)
        await page.get_by_role("button", name=f"{T.RULE_STOP}: ").click()
        await expect(page.locator(".done")).to_have_text(T.RULE_STOPPED)
        await browser.close()

    assert (await session.execute(select(StudyCampaign).execution_options(populate_existing=True))).scalar_one().question_count == 1
    assert not (await session.execute(select(RecurrenceRule).execution_options(populate_existing=True))).scalar_one().active
    assert watched.errors == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe
