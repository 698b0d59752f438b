"""The web console in a real browser: a secretary asks the bot for a sign-in link, opens it in
Chromium, and works through the members pages (list, invite, import with errors then a good file,
who is not linked, the printable sheet); refusals are pages in Vietnamese. Every page: 0 console
errors, 0 serious axe-core findings, screenshots at 1280 px and 390 px."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core import texts
from tests.browser.console_kit import Watched, check_page
from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import missing
from tests.console.helpers import init_data, link_from_bot
from tests.console.test_console_members import BAD, GOOD, HEADER
from tests.e2e.processes import free_port
from tests.factories import add_member, make_commune

pytestmark = pytest.mark.browser
SECRETARY_A = 1001
T = texts.console


@pytest.fixture
async def served(runtime, harness):  # type: ignore[no-untyped-def]
    """The real API app on a real port (uvicorn in this event loop); the bot builds its links on it."""
    if not CHROMIUM:
        missing("Debian's chromium is not on PATH (apt-get install chromium)")
    import uvicorn

    from api.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    harness.dispatcher["console_base"] = base
    try:
        yield base
    finally:
        server.should_exit = True
        await task


async def test_a_secretary_signs_in_from_the_bot_and_manages_members(served: str, harness, runtime, session, cipher, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    late = await add_member(session, cipher, a.org, "Cụ Hoàng Văn Già", exempt=True)
    await session.commit()
    link = await link_from_bot(harness, SECRETARY_A)  # the real dispatcher answers «🖥 Mở trang quản lý»
    assert link.startswith(served)
    (tmp_path / "bad.csv").write_text(HEADER + BAD, encoding="utf-8")
    (tmp_path / "good.csv").write_text(HEADER + GOOD, encoding="utf-8")
    watched = Watched()
    serious: dict[str, list] = {}

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        watched.watch(page)

        await page.goto(link)
        await expect(page.get_by_role("heading", level=1)).to_have_text(T.SIGNIN_TITLE)
        serious["signin"] = await check_page(page, "signin", watched, tmp_path)
        await page.get_by_role("button", name=T.SIGNIN_BUTTON).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(T.HOME_TITLE)
        await expect(page.locator("main")).to_contain_text(a.org.name)
        serious["home"] = await check_page(page, "home", watched, tmp_path)

        await page.get_by_role("link", name=T.NAV_MEMBERS).first.click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(T.MEMBERS_TITLE)
        row = page.locator("tbody tr", has_text=late.full_name)
        await expect(row).to_contain_text(T.LINKED_NO)
        assert "0010" in await row.inner_text() and "******" in await row.inner_text()
        serious["members"] = await check_page(page, "members", watched, tmp_path)
        await row.get_by_role("button", name=f"{T.INVITE_BUTTON}: {late.full_name}").click()  # htmx, with the CSRF header
        await expect(row.locator(".invite .code")).to_contain_text("Mã:")
        serious["members-invite"] = await check_page(page, "members-invite", watched, tmp_path)

        await page.get_by_role("link", name=T.IMPORT_TITLE).click()
        await page.get_by_label(T.IMPORT_FILE).set_input_files(str(tmp_path / "bad.csv"))
        await page.get_by_role("button", name=T.IMPORT_CHECK).click()
        errors = page.locator("table.import-errors tbody tr")
        await expect(errors.first).to_be_visible()
        assert await errors.count() >= 3
        await expect(page.locator("table.import-errors")).to_contain_text("Số định danh cá nhân")
        serious["import-errors"] = await check_page(page, "import-errors", watched, tmp_path)
        await page.get_by_label(T.IMPORT_FILE).set_input_files(str(tmp_path / "good.csv"))
        await page.get_by_role("button", name=T.IMPORT_CHECK).click()
        await expect(page.locator(".preview")).to_contain_text(T.IMPORT_PREVIEW.format(created=2, updated=0, unchanged=0))
        serious["import-preview"] = await check_page(page, "import-preview", watched, tmp_path)
        await page.get_by_role("button", name=T.IMPORT_CONFIRM).click()
        await expect(page.locator(".done")).to_have_text(T.IMPORT_DONE.format(created=2, updated=0, unchanged=0))
        serious["import-done"] = await check_page(page, "import-done", watched, tmp_path)

        await page.goto(f"{served}/console/members/unlinked?org={a.org.id}")
        await expect(page.locator("main")).to_contain_text("Lò Thị Bình")  # imported just now, not linked yet
        serious["unlinked"] = await check_page(page, "unlinked", watched, tmp_path)
        async with page.expect_popup() as popup_info:
            await page.get_by_role("button", name=T.SHEET_BUTTON.format(count=3)).click()
        sheet = await popup_info.value
        watched.watch(sheet)
        await expect(sheet.locator("article.card")).to_have_count(3)
        await sheet.screenshot(path=str(tmp_path / "invite-sheet.png"), full_page=True)
        await sheet.close()

        # Signing out everywhere ends this browser's session too.
        await page.get_by_role("button", name=T.SIGN_OUT_ALL).click()
        await expect(page.locator("main")).to_contain_text(T.SIGNED_OUT_ALL.format(count=1))
        serious["signed-out"] = await check_page(page, "signed-out", watched, tmp_path)
        await browser.close()

    assert watched.errors == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe


async def test_refusals_are_pages_in_vietnamese(served: str, harness, runtime, session, cipher, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    await make_commune(session, cipher)
    await session.commit()
    link = await link_from_bot(harness, SECRETARY_A)
    watched = Watched()
    serious: dict[str, list] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        watched.watch(page)
        await page.goto(f"{served}/console/")
        await expect(page.locator(".notice")).to_have_text(T.NOT_SIGNED_IN)
        serious["not-signed-in"] = await check_page(page, "not-signed-in", watched, tmp_path)
        await page.goto(link)
        await page.get_by_role("button", name=T.SIGNIN_BUTTON).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(T.HOME_TITLE)
        await page.goto(link)  # spent
        await expect(page.locator(".notice")).to_have_text(T.LINK_USED)
        serious["link-used"] = await check_page(page, "link-used", watched, tmp_path)
        # The Mini App with forged data, as someone would open /console/app#tgWebAppData=… by hand.
        token = runtime.settings.telegram_token.get_secret_value()
        forged = init_data("43:ANOTHER_BOTS_TOKEN", SECRETARY_A, auth_date=int(clock.now().timestamp()))
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        phone = await context.new_page()
        watched.watch(phone)
        from urllib.parse import quote

        await phone.goto(f"{served}/console/app#tgWebAppData={quote(forged)}")
        await expect(phone.locator(".notice")).to_have_text(T.WEBAPP_INVALID)
        serious["mini-app-forged"] = await check_page(phone, "mini-app-forged", watched, tmp_path)
        await phone.goto("about:blank")  # else only the fragment changes and the page is not loaded again
        await phone.goto(f"{served}/console/app#tgWebAppData={quote(init_data(token, SECRETARY_A, auth_date=int(clock.now().timestamp())))}")
        await expect(phone.get_by_role("heading", level=1)).to_have_text(T.HOME_TITLE)
        serious["mini-app-home"] = await check_page(phone, "mini-app-home", watched, tmp_path)
        await browser.close()
    # The refused documents themselves (401, 403) are the only resources Chromium reports as failed.
    unexpected = [e for e in watched.errors if "status of 401" not in e and "status of 403" not in e]
    assert unexpected == [], unexpected
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe


async def test_a_secretary_creates_a_meeting_with_a_document_and_decides_an_absence(served: str, harness, runtime, session, cipher, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect
    from sqlalchemy import select

    from core.meetings.models import Answer, Invitation, Meeting

    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    link = await link_from_bot(harness, SECRETARY_A)
    (tmp_path / "Nghị quyết 21.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    watched = Watched()
    serious: dict[str, list] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        watched.watch(page)
        await page.goto(link)
        await page.get_by_role("button", name=T.SIGNIN_BUTTON).click()
        await page.get_by_role("link", name=T.NAV_MEETINGS).click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(T.MONTH_TITLE.format(month=11, year=2026))
        await page.get_by_role("link", name=T.MONTH_NEXT).click()
        serious["calendar-empty"] = await check_page(page, "calendar-empty", watched, tmp_path)
        await page.get_by_role("link", name=T.MEETING_NEW).click()
        await page.get_by_label(T.FIELD_DATE).fill("2026-12-03")
        await page.get_by_label(T.FIELD_TIME).fill("19:30")
        await page.get_by_label(T.FIELD_PLACE).fill("Nhà văn hóa thôn Khe Gầy")
        await page.get_by_label(T.FIELD_AGENDA).fill("Quán triệt Nghị quyết 21\nKiểm điểm công tác tháng 11")
        await page.get_by_label(T.FIELD_DOCUMENTS).set_input_files(str(tmp_path / "Nghị quyết 21.pdf"))
        serious["meeting-form"] = await check_page(page, "meeting-form", watched, tmp_path)
        await page.get_by_role("button", name=T.MEETING_CREATE).click()
        await expect(page.locator(".done")).to_contain_text(T.MEETING_CREATED.format(invited=len(a.everyone) + 1))
        await expect(page.locator("ol.agenda li")).to_have_count(2)
        await expect(page.locator("ul.documents")).to_contain_text("Nghị quyết 21.pdf")

        # A member asks leave in the bot; the page shows it after a reload, and one click decides it.
        meeting = (await session.execute(select(Meeting))).scalar_one()
        invitation = (await session.execute(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                                     Invitation.member_id == a.members[0].id))).scalar_one()
        await harness.press(1003, f"mti:no:{invitation.id}")
        await harness.press(1003, f"mtr:sick:{invitation.id}")
        await page.goto(f"{served}/console/meetings/{meeting.id}")
        serious["meeting"] = await check_page(page, "meeting", watched, tmp_path)
        await page.get_by_role("button", name=f"{T.APPROVE}: {a.members[0].full_name}", exact=True).click()
        await expect(page.locator(".done")).to_have_text(T.DECIDED_APPROVED.format(name=a.members[0].full_name))
        serious["meeting-decided"] = await check_page(page, "meeting-decided", watched, tmp_path)
        await page.get_by_role("link", name=T.MEETINGS_TITLE, exact=True).last.click()
        await expect(page.locator(".calendar a.meeting")).to_contain_text("19:30")
        serious["calendar"] = await check_page(page, "calendar", watched, tmp_path)
        await browser.close()
    await session.refresh(invitation)
    assert invitation.answer == Answer.EXCUSED
    assert watched.errors == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe


async def test_a_secretary_sends_a_notice_and_watches_it_go_out(served: str, harness, runtime, session, session_factory, cipher, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    from core.db import transaction
    from core.delivery.budget import LocalTokenBucket
    from core.delivery.worker import DeliveryWorker
    from core.notices import render as notice_render
    from core.notices import service as notices
    from core.ports import CollectingMessenger
    from tests.console.test_console_notices import UNLIMITED

    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    link = await link_from_bot(harness, SECRETARY_A)
    (tmp_path / "ke-hoach.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    worker = DeliveryWorker(session_factory, CollectingMessenger(), LocalTokenBucket(UNLIMITED), clock, quiet_kinds={notices.KIND})
    watched = Watched()
    serious: dict[str, list] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        watched.watch(page)
        await page.goto(link)
        await page.get_by_role("button", name=T.SIGNIN_BUTTON).click()
        await page.get_by_role("link", name=T.NAV_NOTICES).click()
        await page.get_by_label(T.NOTICE_TEXT).fill("Kế hoạch sinh hoạt tháng 12, đồng chí xem tệp đính kèm.")
        await page.get_by_label(T.NOTICE_FILE).set_input_files(str(tmp_path / "ke-hoach.pdf"))
        serious["notices"] = await check_page(page, "notices", watched, tmp_path)
        await page.get_by_role("button", name=T.NOTICE_SEND).click()
        await expect(page.locator("#progress .state")).to_have_text(T.NOTICE_SENDING)
        serious["notice-sending"] = await check_page(page, "notice-sending", watched, tmp_path)
        # The worker sends while the page is open: htmx's polling shows it without a reload.
        await worker.drain()
        clock.advance(seconds=5)
        async with transaction(session_factory) as s:
            await notices.refresh_progress(s, now=clock.now())
        await expect(page.locator("#progress .state")).to_have_text(T.NOTICE_FINISHED, timeout=20000)
        await expect(page.locator("#progress")).to_contain_text(f"Đã gửi {len(a.everyone)}/{len(a.everyone)}")
        notice_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        await harness.press(1003, notice_render.seen_button(notice_id).callback_data)
        await page.reload()
        await expect(page.locator("tbody tr", has_text=a.members[0].full_name)).to_contain_text("Đã xem")
        serious["notice-report"] = await check_page(page, "notice-report", watched, tmp_path)
        await browser.close()
    assert watched.errors == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe
