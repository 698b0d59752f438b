"""The new vote's own options in Debian's Chromium on a 390 px phone: the secretary adds a field (htmx
swaps the fieldset in, the new field takes the focus), removes one, types a twin and is told politely,
then opens the vote with the options typed. And without script, the same buttons still work (the page
comes back with what was typed). 0 console errors, 0 serious axe-core findings, no sideways scroll."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core import texts
from core.votes.models import Vote
from tests.browser.console_kit import Watched, check_page
from tests.browser.test_console_desk import _signed_in
from tests.browser.test_console_pages import served  # noqa: F401  (the app on a real port)
from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS
from tests.console.helpers import link_from_bot
from tests.factories import make_commune

pytestmark = pytest.mark.browser
SECRETARY_A = 1001
V = texts.votes
PHONE = {"width": 390, "height": 844}


async def test_a_vote_with_options_of_ones_own_on_a_phone(  # type: ignore[no-untyped-def]
    served: str, harness, session, cipher, tmp_path: Path  # noqa: F811
) -> None:
    from playwright.async_api import async_playwright, expect

    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    link = await link_from_bot(harness, SECRETARY_A)
    second_link = await link_from_bot(harness, SECRETARY_A)
    watched = Watched()
    serious: dict[str, list] = {}  # type: ignore[type-arg]

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await _signed_in(browser, link, watched)
        await page.set_viewport_size(PHONE)
        await page.get_by_role("link", name=V.CONSOLE_NAV_VOTES, exact=True).click()
        options = page.locator("#vote-options")
        await expect(options.get_by_role("textbox")).to_have_count(3)
        await page.get_by_label(V.CONSOLE_QUESTION).fill("Giới thiệu nhân sự tổ trưởng tổ đảng")

        await options.get_by_role("button", name=V.CONSOLE_OPTION_ADD).click()
        await expect(page.locator("#vote-options").get_by_role("textbox")).to_have_count(4)
        fourth = page.get_by_label(V.CONSOLE_OPTION_LABEL.format(n=4), exact=True)
        await expect(fourth).to_be_focused()
        await expect(page.get_by_label(V.CONSOLE_QUESTION)).to_have_value("Giới thiệu nhân sự tổ trưởng tổ đảng")  # untouched by the swap
        for n, words in ((1, "Đồng chí Vàng A Chư"), (2, "Đồng chí Sùng Thị Mỷ"), (4, "đồng chí vàng a chư")):
            await page.get_by_label(V.CONSOLE_OPTION_LABEL.format(n=n), exact=True).fill(words)
        serious["vote-options-4"] = await check_page(page, "vote-options-4", watched, tmp_path)
        await page.set_viewport_size(PHONE)
        await page.get_by_role("button", name=V.CONSOLE_OPEN_VOTE).click()
        await expect(page.locator("main")).to_contain_text(V.OPTIONS_DUPLICATE.format(option="đồng chí vàng a chư"))

        # A fresh form: «Bỏ lựa chọn 3» (the defaults' «Không biểu quyết»): two left, no «Bỏ» any more.
        await page.goto(f"{served}/console/votes")
        await page.get_by_label(V.CONSOLE_QUESTION).fill("Giới thiệu nhân sự tổ trưởng tổ đảng")
        await page.get_by_role("button", name=V.CONSOLE_OPTION_REMOVE_LABEL.format(n=3)).click()
        await expect(page.locator("#vote-options").get_by_role("textbox")).to_have_count(2)
        await expect(page.get_by_role("button", name=V.CONSOLE_OPTION_REMOVE_LABEL.format(n=1))).to_have_count(0)
        for n, words in ((1, "Đồng chí Vàng A Chư"), (2, "Đồng chí Sùng Thị Mỷ")):
            await page.get_by_label(V.CONSOLE_OPTION_LABEL.format(n=n), exact=True).fill(words)
        serious["vote-options-2"] = await check_page(page, "vote-options-2", watched, tmp_path)
        await page.get_by_role("button", name=V.CONSOLE_OPEN_VOTE).click()
        await expect(page.locator(".done")).to_contain_text(V.CONSOLE_OPENED_OK.split("{")[0])
        await expect(page.locator("table.votes")).to_contain_text("Giới thiệu nhân sự tổ trưởng tổ đảng")

        # Without script: «Thêm lựa chọn» posts the form and the page comes back as typed, one field more.
        context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
        plain = await context.new_page()
        watched.watch(plain)
        await plain.goto(second_link)
        await plain.get_by_role("button", name=texts.console.SIGNIN_BUTTON).click()
        await plain.get_by_role("link", name=V.CONSOLE_NAV_VOTES, exact=True).click()
        await plain.get_by_label(V.CONSOLE_QUESTION).fill("Câu hỏi gõ trước")
        await plain.locator("#vote-options").get_by_role("button", name=V.CONSOLE_OPTION_ADD).click()
        await expect(plain.locator("#vote-options").get_by_role("textbox")).to_have_count(4)
        await expect(plain.get_by_label(V.CONSOLE_QUESTION)).to_have_value("Câu hỏi gõ trước")
        await browser.close()

    [vote] = (await session.execute(select(Vote).where(Vote.cell_id == a.org.id))).scalars().all()
    assert vote.options == ["Đồng chí Vàng A Chư", "Đồng chí Sùng Thị Mỷ"]
    # The twin's refusal is a 422 page, which Chromium logs as a failed load: that one, once, and nothing else.
    refusal = [e for e in watched.errors if "/console/votes/open" in e and "status of 422" in e]
    assert len(refusal) == 1 and [e for e in watched.errors if e not in refusal] == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe
