"""Opening a listen link (/m/…) in Debian's Chromium like a member's phone does, and hearing it play:
shared by the media page's browser test and the Zalo end-to-end test."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS


@dataclass
class Heard:
    title: str
    text: str
    source: str  # the audio the browser chose (currentSrc)
    media_error: int | None  # HTMLMediaElement.error.code, None when it loaded
    duration: float
    console_errors: list[str] = field(default_factory=list)  # console.error lines and uncaught page errors
    failed_requests: list[str] = field(default_factory=list)


async def hear(url: str, *, screenshot: Path | None = None, timeout_ms: int = 30000) -> Heard:
    """Open `url` on a phone-sized page, tap the big ▶ (a person's tap, so the browser lets it
    play) and wait until the audio has played half a second or ended."""
    from playwright.async_api import async_playwright

    errors: list[str] = []
    failed: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + ["--mute-audio"])
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("requestfailed", lambda request: failed.append(request.url))
            await page.goto(url)
            if screenshot is not None:
                await page.screenshot(path=str(screenshot))
            await page.locator("#play").click()
            await page.wait_for_function(
                "() => { const a = document.getElementById('player'); return a.ended || a.currentTime > 0.5; }", timeout=timeout_ms
            )
            state = await page.evaluate(
                """() => { const a = document.getElementById('player');
                     return {src: a.currentSrc, error: a.error && a.error.code, duration: a.duration,
                             title: document.querySelector('h1').textContent,
                             text: (document.querySelector('.text') || {textContent: ''}).textContent}; }"""
            )
        finally:
            await browser.close()
    return Heard(title=state["title"], text=state["text"], source=state["src"], media_error=state["error"],
                 duration=float(state["duration"] or 0), console_errors=errors, failed_requests=failed)
