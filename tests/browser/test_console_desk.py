"""The desk pages in Debian's Chromium: a secretary reads the cell's figures, sends the monthly
report up, answers a member's góp ý (the answer reaches the member through the outbox) and
publishes a document (upload, edit the drafted summary, listen, send), moves a reminder; a
commune committee member reads the subtree's chart and acknowledges the report. Every page: 0
console errors, 0 serious axe-core findings, screenshots at 1280 px and 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core import texts
from core.clock import SystemClock
from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.worker import DeliveryWorker
from core.feedback import service as feedback
from core.feedback.models import FeedbackKind
from core.orgs.service import load_actor
from core.ports import CollectingMessenger
from core.reporting.models import MonthlyReport, ReportState
from tests.browser.console_kit import Watched, check_page
from tests.browser.test_console_pages import served  # noqa: F401  (the app on a real port)
from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS
from api.routes.documents import UPLOAD_MAX_BYTES
from tests.console.helpers import link_from_bot
from tests.console.test_console_documents import speaker  # noqa: F401  (a counting voice, no real synthesis)
from tests.integration.test_resolutions_api import TEXT
from tests.factories import make_commune

pytestmark = pytest.mark.browser
SECRETARY_A = 1001
COMMITTEE = 5001
T = texts.console
D = texts.console_desk
UNLIMITED = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)


async def _signed_in(browser, link: str, watched: Watched):  # type: ignore[no-untyped-def]
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = await context.new_page()
    watched.watch(page)
    await page.goto(link)
    await page.get_by_role("button", name=T.SIGNIN_BUTTON).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(T.HOME_TITLE)
    return page


async def test_figures_report_up_and_acknowledged_and_a_góp_ý_answered(  # type: ignore[no-untyped-def]
    served: str, harness, runtime, session, session_factory, cipher, clock, speaker, tmp_path: Path  # noqa: F811
) -> None:
    from playwright.async_api import async_playwright, expect

    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    author = a.members[0]
    item = await feedback.submit(session, actor=await load_actor(session, author), kind=FeedbackKind.PROPOSAL, org_id=a.org.id,
                                 content=feedback.Content(text="Đề nghị chi bộ xem lại đường vào thôn sau mưa lũ."), now=clock.now())
    await session.commit()
    secretary_link = await link_from_bot(harness, SECRETARY_A)
    committee_link = await link_from_bot(harness, COMMITTEE)
    (tmp_path / "nq21.txt").write_text(TEXT, encoding="utf-8")
    watched = Watched()
    serious: dict[str, list] = {}
    month = f"{clock.now():%Y-%m}"

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

        # The secretary: the cell's figures, then the report sent up.
        page = await _signed_in(browser, secretary_link, watched)
        await page.get_by_role("link", name=D.NAV_FIGURES, exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"{D.FIGURES_TITLE} — {a.org.name}")
        await expect(page.get_by_role("img", name=D.CHART_TITLE.format(org=a.org.name))).to_be_visible()
        await expect(page.locator("table.figures tbody tr")).to_have_count(6)
        serious["figures-cell"] = await check_page(page, "figures-cell", watched, tmp_path)
        async with page.expect_download() as got:
            await page.get_by_role("link", name=D.DOWNLOAD_XLSX).click()
        download = await got.value
        assert download.suggested_filename == f"so-lieu-{a.org.id}-{month}.xlsx"
        assert Path(await download.path()).read_bytes()[:2] == b"PK"

        await page.get_by_role("link", name=D.NAV_REPORTS, exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(a.org.name)
        await expect(page.locator("main")).to_contain_text(D.REPORT_STATE["draft"])
        serious["report-draft"] = await check_page(page, "report-draft", watched, tmp_path)
        await page.get_by_label(D.REPORT_NOTE_LABEL).fill("Chi bộ đề nghị cấp thêm tài liệu học tập.")
        await page.get_by_role("button", name=D.REPORT_SEND).click()
        await expect(page.locator(".done")).to_have_text(D.REPORT_SENT.format(org=commune.commune.name))
        await expect(page.get_by_role("button", name=D.REPORT_SEND)).to_have_count(0)
        serious["report-sent"] = await check_page(page, "report-sent", watched, tmp_path)

        # The góp ý inbox: open the member's proposal, answer it.
        await page.get_by_role("link", name=D.NAV_FEEDBACK, exact=True).click()
        await expect(page.locator("main")).to_contain_text(author.full_name)
        serious["feedback-inbox"] = await check_page(page, "feedback-inbox", watched, tmp_path)
        await page.get_by_role("link", name=item.reference).click()
        await expect(page.locator(".message").first).to_contain_text("mưa lũ")
        serious["feedback-item"] = await check_page(page, "feedback-item", watched, tmp_path)
        await page.get_by_label(D.REPLY_LABEL.format(author=author.full_name)).fill("Chi bộ đã báo xã, tuần sau có người đến sửa.")
        await page.get_by_role("button", name=D.REPLY_SEND).click()
        await expect(page.locator(".done")).to_have_text(D.REPLIED.format(author=author.full_name))
        await expect(page.locator("main")).to_contain_text("tuần sau có người đến sửa")
        serious["feedback-replied"] = await check_page(page, "feedback-replied", watched, tmp_path)

        # Publish a document: upload, edit the drafted summary, listen, send.
        await page.get_by_role("link", name=D.NAV_DOCUMENTS, exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(D.DOCUMENTS_TITLE)
        serious["documents"] = await check_page(page, "documents", watched, tmp_path)
        await page.get_by_label(D.DOC_TITLE).fill("Về củng cố tổ chức cơ sở đảng")
        await page.get_by_label(D.DOC_CODE).fill("21-NQ/TW")
        await page.get_by_label(D.DOC_FILE.format(megabytes=UPLOAD_MAX_BYTES // (1024 * 1024))).set_input_files(str(tmp_path / "nq21.txt"))
        await page.get_by_role("button", name=D.DOC_CREATE).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(D.DOC_DRAFT_TITLE.format(title="Về củng cố tổ chức cơ sở đảng"))
        await expect(page.get_by_label(D.DOC_SUMMARY)).not_to_be_empty()
        serious["document-draft"] = await check_page(page, "document-draft", watched, tmp_path)
        await page.get_by_label(D.DOC_SUMMARY).fill("Ba ý chính của Nghị quyết 21 cho chi bộ thôn.")
        await page.get_by_role("button", name=D.DOC_SAVE).click()
        await expect(page.locator(".done")).to_have_text(D.DOC_SAVED)
        voice = await page.request.get(await page.locator("audio").evaluate("a => a.src"))
        assert voice.status == 200 and voice.headers["content-type"] == "audio/ogg" and (await voice.body())[:4] == b"OggS"
        await page.get_by_role("button", name=D.DOC_PUBLISH).click()
        await expect(page.locator(".done")).to_contain_text("Về củng cố tổ chức cơ sở đảng")
        await expect(page.locator("main")).to_contain_text("Ba ý chính của Nghị quyết 21 cho chi bộ thôn.")
        serious["document-published"] = await check_page(page, "document-published", watched, tmp_path)

        # Reminder settings: the evening reminder moved at this cell only.
        await page.get_by_role("link", name=D.NAV_REMINDERS, exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(D.REMINDERS_TITLE.format(org=a.org.name))
        serious["reminders"] = await check_page(page, "reminders", watched, tmp_path)
        await page.get_by_label(D.REMINDER_FIELDS["eve_time"]).fill("19:30")
        await page.get_by_role("button", name=D.REMINDERS_SAVE).click()
        await expect(page.locator(".done")).to_have_text(D.REMINDERS_SAVED)
        await expect(page.get_by_label(D.REMINDER_FIELDS["eve_time"])).to_have_value("19:30")
        serious["reminders-saved"] = await check_page(page, "reminders-saved", watched, tmp_path)

        # The committee: the subtree's chart, the received reports, acknowledge cell A's.
        boss = await _signed_in(browser, committee_link, watched)
        await boss.get_by_role("link", name=D.NAV_FIGURES, exact=True).click()
        await expect(boss.get_by_role("img", name=D.CHART_TITLE.format(org=commune.commune.name))).to_be_visible()
        for cell in commune.cells:
            await expect(boss.locator("table.figures").last).to_contain_text(cell.org.name)
        serious["figures-subtree"] = await check_page(boss, "figures-subtree", watched, tmp_path)
        await boss.get_by_role("link", name=D.NAV_REPORTS, exact=True).click()
        await expect(boss.locator("main")).to_contain_text(D.RECEIVED_COUNT.format(sent=1, total=2))
        serious["reports-received"] = await check_page(boss, "reports-received", watched, tmp_path)
        await boss.get_by_role("link", name=f"{D.REPORT_OPEN}: {a.org.name}").click()
        await expect(boss.locator("main")).to_contain_text("Chi bộ đề nghị cấp thêm tài liệu học tập.")
        serious["report-review"] = await check_page(boss, "report-review", watched, tmp_path)
        await boss.get_by_role("button", name=D.ACKNOWLEDGE).click()
        await expect(boss.locator(".done")).to_have_text(D.ACKNOWLEDGED.format(cell=a.org.name))
        serious["reports-acknowledged"] = await check_page(boss, "reports-acknowledged", watched, tmp_path)
        await browser.close()

    report = (await session.execute(select(MonthlyReport).where(MonthlyReport.cell_id == a.org.id)
                                    .execution_options(populate_existing=True))).scalar_one()
    assert report.state == ReportState.ACKNOWLEDGED and report.note == "Chi bộ đề nghị cấp thêm tài liệu học tập."
    # The answer reaches the member on their messenger (the outbox, as the worker process sends it).
    messenger = CollectingMessenger()
    await DeliveryWorker(session_factory, messenger, LocalTokenBucket(UNLIMITED), SystemClock()).drain()
    to_author = [m.text for chat, m in messenger.sent if "tuần sau có người đến sửa" in m.text]
    assert len(to_author) == 1 and item.reference in to_author[0]
    assert watched.errors == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe
