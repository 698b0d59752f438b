"""The recording slot in Debian's Chromium: a secretary uploads a reading of a draft document's summary,
of a notice and of a meeting's conclusions in a language (#recording-slot), sees it saved and ticked and hears it play, then reads the list of what
has which languages. Every page: 0 console errors, 0 serious axe-core findings, no sideways scroll at
390 px."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import texts
from tests.browser.console_kit import Watched, check_page
from tests.browser.test_console_desk import _signed_in
from tests.browser.test_console_pages import served  # noqa: F401  (the app on a real port)
from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS
from tests.console.helpers import link_from_bot
from tests.console.test_console_documents import speaker  # noqa: F401  (a counting voice, no real synthesis)
from tests.factories import make_commune
from tests.integration.test_recordings import tone
from tests.integration.test_recordings_subjects import held_meeting, notice_of
from tests.integration.test_resolutions_api import TEXT

pytestmark = pytest.mark.browser
SECRETARY_A = 1001
D = texts.console_desk


async def test_a_reading_is_uploaded_in_the_slot_and_listed(  # type: ignore[no-untyped-def]
    served: str, harness, runtime, session, cipher, clock, speaker, tmp_path: Path  # noqa: F811
) -> None:
    from playwright.async_api import async_playwright, expect

    commune = await make_commune(session, cipher)
    await session.commit()
    notice_id = await notice_of(session, commune, clock)
    meeting_id, absent = await held_meeting(session, commune, clock)
    link = await link_from_bot(harness, SECRETARY_A)
    (tmp_path / "nq21.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "doc-hmong.wav").write_bytes(tone(1.5, "WAV", 330))
    (tmp_path / "tb-vi.mp3").write_bytes(tone(2.0, "MP3"))
    watched = Watched()
    serious: dict[str, list] = {}

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await _signed_in(browser, link, watched)

        # A draft document: its slot lists the languages; a Hmông reading is uploaded and ticked.
        await page.get_by_role("link", name=D.NAV_DOCUMENTS, exact=True).click()
        await page.get_by_label(D.DOC_TITLE).fill("Về củng cố tổ chức cơ sở đảng")
        await page.get_by_label(D.DOC_TEXT).fill(TEXT)
        await page.get_by_role("button", name=D.DOC_CREATE).click()
        slot = page.locator("#recording-slot")
        await expect(slot.get_by_role("heading", level=2)).to_have_text(D.REC_TITLE)
        await expect(slot).to_contain_text(D.REC_NONE.format(name="Tiếng Hmông"))
        serious["slot-empty"] = await check_page(page, "recording-slot-empty", watched, tmp_path)
        await slot.get_by_label(D.REC_LANGUAGE).select_option("hmong")
        await slot.get_by_label(D.REC_FILE).set_input_files(str(tmp_path / "doc-hmong.wav"))
        await slot.get_by_role("button", name=D.REC_UPLOAD).click()
        await expect(page.get_by_role("status")).to_have_text(D.REC_SAVED_DRAFT.format(language="tiếng hmông"))
        await expect(page.locator("#recording-slot li", has_text="Tiếng Hmông")).to_have_text("✅ " + D.REC_HAS.format(name="Tiếng Hmông", seconds=2))
        serious["slot-saved"] = await check_page(page, "recording-slot-saved", watched, tmp_path)
        # The kept reading plays in the page: the browser reads its length from the served OGG.
        player = page.locator("#recording-slot li", has_text="Tiếng Hmông").locator("audio")
        seconds = await player.evaluate("a => new Promise((done, failed) => { a.onloadedmetadata = () => done(a.duration);"
                                        " a.onerror = () => failed(String(a.error && a.error.code)); a.preload = 'metadata'; a.load(); })")
        assert 1.0 < seconds < 2.5, seconds

        # A notice, in Vietnamese: sent at once to those who listen.
        await page.goto(f"{served}/console/notices/{notice_id}")
        slot = page.locator("#recording-slot")
        await slot.get_by_label(D.REC_LANGUAGE).select_option("vi")
        await slot.get_by_label(D.REC_FILE).set_input_files(str(tmp_path / "tb-vi.mp3"))
        await slot.get_by_role("button", name=D.REC_UPLOAD).click()
        await expect(page.locator("#recording-slot .done")).to_contain_text("Đã lưu bản ghi âm tiếng việt và gửi tới")
        serious["notice-slot"] = await check_page(page, "recording-notice", watched, tmp_path)

        # The conclusions of a held meeting, in Vietnamese: to the absent members who listen.
        await page.goto(f"{served}/console/meetings/{meeting_id}")
        slot = page.locator("#conclusions-recording-slot")
        await slot.get_by_label(D.REC_LANGUAGE).select_option("vi")
        await slot.get_by_label(D.REC_FILE).set_input_files(str(tmp_path / "tb-vi.mp3"))
        await slot.get_by_role("button", name=D.REC_UPLOAD).click()
        await expect(page.locator("#conclusions-recording-slot .done")).to_have_text(
            D.REC_SAVED.format(language="tiếng việt", count=len(absent)))
        serious["conclusions-slot"] = await check_page(page, "recording-conclusions", watched, tmp_path)

        # The list of what has which languages.
        await page.get_by_role("link", name=D.NAV_RECORDINGS, exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(D.REC_LIST_TITLE)
        documents = page.get_by_role("region", name=D.REC_KINDS["document"])
        await expect(documents.get_by_role("row").nth(1)).to_contain_text("Tiếng Hmông")
        for kind in ("notice", "conclusions"):
            await expect(page.get_by_role("region", name=D.REC_KINDS[kind]).get_by_role("row").nth(1)).to_contain_text("Tiếng Việt")
        serious["recordings-list"] = await check_page(page, "recordings-list", watched, tmp_path)
        await browser.close()

    assert watched.errors == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe
