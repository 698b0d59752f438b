"""The sandbox chat page in a real browser (Debian's Chromium via Playwright): Zalo phones beside Telegram ones."""

from __future__ import annotations

import asyncio
from pathlib import Path
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox.client import SandboxClient
from sandbox.limits import Limits
from sandbox.server import SandboxServer
from sandbox.zalo import ZaloLimits
from sandbox.zalo_client import ZaloSandboxClient
from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS  # Debian's, on PATH
from tests.conftest import missing
from tests.sandbox.test_zalo_media import png

pytestmark = pytest.mark.browser
TELEGRAM_TOKEN = "123456:SANDBOX_TEST_abcdefghijklmnopqrstu"
ZALO_TOKEN = "1459232241454765289:ZaloSandboxTestSecret0123456789"


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    if not CHROMIUM:
        missing("Debian's chromium is not installed (apt-get install chromium)")
    async with SandboxServer(bots={TELEGRAM_TOKEN: "test_sotay_bot"}, limits=Limits(enabled=False),
                             zalo_bots={ZALO_TOKEN: "Sổ tay Zalo"}, zalo_limits=ZaloLimits(enabled=False)) as server:
        yield server


async def bot_calls(server: SandboxServer, method: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"{server.base_url}/zalo") as http:
        answer: dict[str, Any] = (await http.post(f"/bot{ZALO_TOKEN}/{method}", json=body)).json()
    return answer


async def next_text(server: SandboxServer) -> str:
    answer = await bot_calls(server, "getUpdates", {"timeout": 10})
    assert answer["ok"], answer
    return str(answer["result"]["message"].get("text"))


async def test_zalo_people_are_marked_and_chat_on_a_zalo_phone(server: SandboxServer, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    async with SandboxClient(server.base_url, TELEGRAM_TOKEN) as telegram, ZaloSandboxClient(server.base_url, ZALO_TOKEN) as zalo:
        await telegram.create_user("Giàng A Páo", user_id=1001, label="Bí thư")
        await zalo.create_user("Giàng A Páo", user_id="a1b2c3d4e5f6a7b8c9d0", telegram_id=1001)
        hoa = await zalo.create_user("Phạm Thị Hoa", label="Đảng viên")
        await zalo.send_text(hoa["id"], "Xin chào")
        assert await next_text(server) == "Xin chào"
        await bot_calls(server, "sendMessage", {"chat_id": hoa["id"], "text": "Trả lời 1 để dự họp, 2 để xin vắng. Xem https://example.org/hop",
                                                "reply_markup": {"inline_keyboard": [[{"text": "Dự", "callback_data": "y"}]]}})

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1300, "height": 900})
            await page.goto(f"{server.base_url}/sandbox/ui/?bot={TELEGRAM_TOKEN}")

            # The linked human is one entry marked with both messengers: both phones side by side.
            paos = page.get_by_role("button", name="Giàng A Páo")
            await expect(paos).to_have_count(1)
            await expect(paos.locator(".messenger")).to_have_text(["Telegram", "Zalo"])
            await paos.click()
            await expect(page.locator("#telegram-phone")).to_be_visible()
            await expect(page.locator("#zalo-phone")).to_be_visible()
            await expect(page.locator("#zalo-who")).to_contain_text("Giàng A Páo")
            await page.screenshot(path=str(tmp_path / "both-phones.png"))

            # Someone only on Zalo: the Zalo phone alone, its bot's plain text with no buttons, a link to tap.
            hoa_button = page.get_by_role("button", name="Phạm Thị Hoa")
            await expect(hoa_button.locator(".messenger")).to_have_text(["Zalo"])
            await hoa_button.click()
            await expect(page.locator("#telegram-phone")).to_be_hidden()
            await expect(page.locator("#zalo-bot-name")).to_have_text("Sổ tay Zalo")
            invitation = page.locator(".zbubble.zbot", has_text="Trả lời 1 để dự họp")
            await expect(invitation).to_be_visible(timeout=10000)
            await expect(invitation.locator("button")).to_have_count(0)
            await expect(invitation.locator("a")).to_have_attribute("href", "https://example.org/hop")
            assert f"zalo={hoa['id']}" in page.url

            # The composer sends text; the bot gets it as a Zalo update and its photo shows in the chat.
            await page.locator("#zalo-text").fill("1")
            await page.locator("#zalo-composer button[type=submit]").click()
            await expect(page.locator(".zbubble.zme", has_text="1").last).to_be_visible()
            assert await asyncio.wait_for(next_text(server), 15) == "1"
            await zalo.send_image(hoa["id"], png(8, 8))
            image_url = (await bot_calls(server, "getUpdates", {"timeout": 5}))["result"]["message"]["photo"]
            assert (await bot_calls(server, "sendPhoto", {"chat_id": hoa["id"], "photo": image_url, "caption": "Ảnh hội nghị"}))["ok"]
            photo = page.locator(".zbubble.zbot", has_text="Ảnh hội nghị")
            await expect(photo.locator("img")).to_be_visible(timeout=10000)
            assert await photo.locator("img").evaluate("img => img.naturalWidth") == 8
            await page.screenshot(path=str(tmp_path / "zalo-phone.png"))
            await browser.close()
