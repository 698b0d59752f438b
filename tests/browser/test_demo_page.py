"""A real browser (Debian's Chromium, driven by Playwright) clicks through `sotay demo`."""

import asyncio
import os
import shutil
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import free_port, start_sotay

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium tries Google's services at start-up, which this closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def demo(tmp_path: Path):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    port, sandbox_port = free_port(), free_port()
    process = start_sotay(["demo", "--port", str(port), "--sandbox-port", str(sandbox_port)],
                          {"SOTAY_DATA_DIR": str(tmp_path / "data")}, tmp_path / "demo.log", port)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(150):
            if process.process.poll() is not None:
                pytest.fail(f"sotay demo exited:\n{process.log()[-3000:]}")
            try:
                if (await client.get(base + "/readyz")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    yield base
    process.stop()
    assert "Traceback" not in process.log(), process.log()[-4000:]


async def test_a_person_uses_the_bot_in_the_demo_page(demo: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1100, "height": 900})
        await page.goto(demo + "/")
        assert "/demo/" in page.url

        # The secretary (linked, so the bot has greeted them) sees the home keyboard with their
        # tools at once, whatever the bot pushed since (a monthly report to review, say), and
        # their masked profile.
        await page.get_by_role("button", name="Giàng A Páo").click()
        await page.locator(".keyboard button", has_text="👤 Hồ sơ").click()
        profile = page.locator(".bubble.bot", has_text="Hồ sơ đảng viên").last
        await expect(profile).to_be_visible(timeout=15000)
        await expect(profile).to_contain_text("0150******46")
        assert "015068000146" not in await profile.inner_text()
        await expect(page.locator(".keyboard button", has_text="📢 Thông báo")).to_be_visible()

        await page.locator(".keyboard button", has_text="❓ Hướng dẫn").click()
        await expect(page.locator(".bubble.bot", has_text="Hướng dẫn sử dụng").last).to_be_visible(timeout=15000)
        await page.screenshot(path=str(tmp_path / "secretary.png"))

        # A member not yet linked shares their phone with one tap and is linked.
        await page.get_by_role("button", name="Phạm Thị Lan").click()
        await page.locator(".keyboard button", has_text="BẮT ĐẦU").click()
        share = page.locator(".keyboard button", has_text="📱 Gửi số điện thoại")
        await expect(share).to_be_visible(timeout=15000)
        await share.click()
        await expect(page.locator(".bubble.bot", has_text="Đã liên kết").last).to_be_visible(timeout=15000)
        await expect(page.locator(".keyboard button", has_text="📅 Lịch họp")).to_be_visible()
        await page.screenshot(path=str(tmp_path / "linked.png"))
        await browser.close()
