"""The annual report sent up from the console in Debian's Chromium: the cell's secretary sends it from
«Báo cáo năm», the commune's committee member sees it arrive, opens the frozen copy and acknowledges
it. Every page: 0 console errors, 0 serious axe-core findings, 1280/390/360 px without sideways scroll."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core import texts
from core.reporting.models import AnnualReportSent, AnnualState
from tests.browser.console_kit import Watched, check_page
from tests.browser.test_console_desk import _signed_in
from tests.browser.test_console_pages import served  # noqa: F401  (the app on a real port)
from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS
from tests.console.helpers import link_from_bot
from tests.factories import make_commune

pytestmark = pytest.mark.browser
SECRETARY_A, COMMITTEE = 1001, 5001

async def test_the_annual_report_sent_up_and_acknowledged_in_the_console(  # type: ignore[no-untyped-def]
    served: str, harness, session, cipher, tmp_path: Path  # noqa: F811
) -> None:
    """«Báo cáo năm»: the cell's secretary sends it, the commune's committee member sees it arrive,
    opens the frozen copy and acknowledges it — every page axe-clean and within a 390/360 px phone."""
    from playwright.async_api import async_playwright, expect

    D = texts.console_desk
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    secretary_link = await link_from_bot(harness, SECRETARY_A)
    committee_link = await link_from_bot(harness, COMMITTEE)
    watched = Watched()
    serious: dict[str, list] = {}  # type: ignore[type-arg]

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await _signed_in(browser, secretary_link, watched)
        await page.goto(f"{served}/console/figures/year?org={a.org.id}&year=2026")
        await page.get_by_label(D.ANNUAL_NOTE_LABEL).fill("Chi bộ đề nghị biểu dương hai đồng chí.")
        await page.get_by_role("button", name=D.ANNUAL_SEND).click()
        await expect(page.locator(".done")).to_have_text(D.ANNUAL_SENT_OK)
        serious["annual-sent"] = await check_page(page, "annual-sent", watched, tmp_path)

        boss = await _signed_in(browser, committee_link, watched)
        await boss.goto(f"{served}/console/figures/year?org={commune.commune.id}&year=2026")
        await expect(boss.locator("main")).to_contain_text(D.ANNUAL_RECEIVED_COUNT.format(sent=1, total=2))
        serious["annual-received"] = await check_page(boss, "annual-received", watched, tmp_path)
        await boss.get_by_role("link", name=f"{D.ANNUAL_OPEN_SENT}: {a.org.name}").click()
        await expect(boss.locator("main")).to_contain_text("Chi bộ đề nghị biểu dương hai đồng chí.")
        serious["annual-frozen"] = await check_page(boss, "annual-frozen", watched, tmp_path)
        await boss.get_by_role("button", name=D.ANNUAL_ACKNOWLEDGE.format(version=1)).click()
        await expect(boss.locator(".done")).to_have_text(D.ANNUAL_ACKNOWLEDGED_OK)
        await browser.close()

    row = (await session.execute(select(AnnualReportSent).where(AnnualReportSent.org_id == a.org.id)
                                 .execution_options(populate_existing=True))).scalar_one()
    assert (row.version, row.state) == (1, AnnualState.ACKNOWLEDGED)
    assert watched.errors == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe
