"""A real browser (Debian's Chromium, driven by Playwright) opens a listen link and hears it play."""

from __future__ import annotations

import asyncio
import os

import numpy as np
import pytest

from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import missing
from tests.e2e.processes import free_port
from voice.audio import Pcm
from voice.opus import encode_voice

pytestmark = pytest.mark.browser


@pytest.fixture
async def served(runtime):  # type: ignore[no-untyped-def]
    """The real API app on a real port (uvicorn in this event loop)."""
    if not os.path.exists(CHROMIUM):
        missing("Debian's chromium is not installed (apt-get install chromium)")
    import uvicorn

    from api.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_the_listen_page_plays_in_chromium(served: str, runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright, expect

    rate = 24_000
    t = np.arange(3 * rate) / rate
    audio = encode_voice(Pcm((0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), rate)).data
    url = runtime.media_links.publish(kind="voice", data=audio, title="Nghị quyết 21", text="Tóm tắt nghị quyết cho đồng chí nghe.")
    path = url.split("/m/", 1)[1]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + ["--mute-audio"])
        page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        await page.goto(f"{served}/m/{path}")
        await expect(page.locator("h1")).to_have_text("Nghị quyết 21")
        await expect(page.locator(".text")).to_contain_text("Tóm tắt nghị quyết")
        await page.screenshot(path=str(tmp_path / "listen.png"))
        await page.locator("#play").click()  # the big ▶: a person's tap, so the browser lets it play
        await page.wait_for_function(
            "() => { const a = document.getElementById('player'); return a.ended || a.currentTime > 0.5; }", timeout=20000
        )
        state = await page.evaluate(
            "() => { const a = document.getElementById('player'); return {src: a.currentSrc, error: a.error && a.error.code}; }"
        )
        assert state["error"] is None and state["src"].endswith("/audio.ogg")
        # The second source (what Safari on iPhone picks) plays in a browser too.
        fallback = await page.locator("source").nth(1).get_attribute("src")
        played = await page.evaluate(
            """async (src) => { const a = new Audio(src); a.muted = true; await a.play();
                 await new Promise((ok) => { const t = () => (a.currentTime > 0.5 || a.ended) ? ok() : setTimeout(t, 50); t(); });
                 return a.currentTime > 0.5 || a.ended; }""",
            fallback,
        )
        assert played
        await browser.close()
