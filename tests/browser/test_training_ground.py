"""Issue 20 in a real browser (Debian's Chromium, Playwright): what a newcomer ran into in `sotay demo`,
and the training ground — a trainee's phone joins by the trainer's link and does the first lesson."""

from pathlib import Path

import pytest

from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import missing
from tests.e2e.processes import free_port, start_sotay, wait_until_healthy

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def demo(tmp_path: Path):
    if not CHROMIUM:
        missing("Debian's chromium is not on PATH (apt-get install chromium)")
    port, sandbox_port = free_port(), free_port()
    process = start_sotay(["demo", "--port", str(port), "--sandbox-port", str(sandbox_port)],
                          {"SOTAY_DATA_DIR": str(tmp_path / "data")}, tmp_path / "demo.log", port)
    try:
        await wait_until_healthy(process, timeout=180)  # a safety net on a busy machine, not a target
        yield process.base_url, tmp_path / "data" / "demo"
    finally:
        process.stop()
    assert "Traceback" not in process.log(), process.log()[-4000:]


async def _box(page, selector: str) -> dict:  # type: ignore[no-untyped-def]
    return await page.locator(selector).evaluate("e => { const r = e.getBoundingClientRect(); return {top: r.top, height: r.height}; }")


async def test_what_a_newcomer_ran_into(demo: tuple[str, Path], tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    base, _ = demo
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport=PHONE)

        # ?user= survives the redirect from /: Trần Văn Hùng's phone opens, not the first person's.
        await page.goto(base + "/?user=700008")
        assert "user=700008" in page.url
        await expect(page.locator("#who")).to_contain_text("Trần Văn Hùng", timeout=15000)

        # On a phone-sized screen the picker is one line until tapped, and it lists each person's roles.
        assert not await page.locator("#people").is_visible()
        await page.locator("#people-toggle").click()
        secretary = page.locator("#people button", has_text="Giàng A Páo")
        await expect(secretary).to_contain_text("Bí thư")
        await expect(secretary).to_contain_text("Đảng ủy viên xã")  # he sits on the commune committee
        await expect(page.locator("#people button", has_text="Sùng Thị Mai")).to_contain_text("Phó bí thư")
        await secretary.click()
        assert not await page.locator("#people").is_visible()  # choosing someone folds the list again
        keyboard_button = page.locator(".keyboard button", has_text="📢 Thông báo")
        await expect(keyboard_button).to_be_visible(timeout=15000)

        # The secretary's keyboard takes at most a third of the screen, and ⌄ folds it for more messages.
        keyboard = await _box(page, "#keyboard")
        with_keyboard = await _box(page, "#messages")
        assert keyboard["height"] <= PHONE["height"] / 3 + 1, keyboard
        await page.locator("#hide-keyboard").click()
        await expect(keyboard_button).to_be_hidden()
        folded = await _box(page, "#messages")
        assert folded["height"] > with_keyboard["height"] + 100, (with_keyboard, folded)
        assert folded["height"] > PHONE["height"] * 0.6, folded  # was 253 of 915 px
        await page.screenshot(path=str(tmp_path / "phone-folded.png"))
        await page.locator("#show-keyboard").click()
        await expect(keyboard_button).to_be_visible()

        # Shift+Enter starts a new line; Enter sends the agenda as typed.
        composer = page.locator("#text")
        await composer.click()
        await composer.type("1. Đánh giá tháng 11")
        await composer.press("Shift+Enter")
        await composer.type("2. Thu đảng phí")
        await composer.press("Enter")
        agenda = page.locator(".bubble.me", has_text="Thu đảng phí").last
        await expect(agenda).to_be_visible(timeout=15000)
        assert "1. Đánh giá tháng 11\n2. Thu đảng phí" in await agenda.locator(".text").inner_text()

        # 5,580 characters: sent as two messages, as Telegram's apps do; nothing lost, no English error.
        words = " ".join(f"từ{index:04d}" for index in range(800))[:5580]
        await composer.fill(words)
        await composer.press("Enter")
        tail = page.locator(".bubble.me", has_text=words[-20:]).last
        await expect(tail).to_be_visible(timeout=15000)
        sent = (await page.locator(".bubble.me .text").all_inner_texts())[-2:]
        assert " ".join(sent) == words, [len(part) for part in sent]  # cut at a space, as Telegram's apps cut
        assert all(len(part) <= 4096 for part in sent)
        assert await page.locator(".toast", has_text="Bad Request").count() == 0

        # /docs draws Swagger UI from the API's own files (this network reaches no CDN).
        docs = await browser.new_page()
        await docs.goto(base + "/docs")
        await expect(docs.locator(".swagger-ui .info .title")).to_contain_text("Sổ tay API", timeout=30000)
        await browser.close()


async def test_a_trainee_joins_by_the_trainers_link_and_does_the_first_lesson(demo: tuple[str, Path], tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    base, folder = demo
    key = (folder / "trainer-key.txt").read_text().strip()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        trainer = await browser.new_page(viewport={"width": 1280, "height": 900})
        await trainer.goto(f"{base}/training?key={key}")
        await expect(trainer.locator("#qr svg")).to_be_visible(timeout=15000)
        join_url = await trainer.locator("#join-link").get_attribute("href")
        assert join_url and join_url.endswith("/training/join")

        # The phone opens the link in the QR code: a practice member of its own, no typing.
        phone = await browser.new_page(viewport=PHONE)
        await phone.goto(join_url)
        lesson = phone.locator("#lesson")
        await expect(lesson).to_contain_text("Bài 1/5", timeout=15000)
        await expect(lesson).to_contain_text("Tôi sẽ dự họp")
        assert not await phone.locator(".people").is_visible()  # their own phone: nobody else to pick
        invitation = phone.locator(".bubble.bot", has_text="THÔNG BÁO MỜI HỌP").first
        await expect(invitation).to_be_visible(timeout=30000)
        await phone.screenshot(path=str(tmp_path / "trainee-lesson-1.png"))

        # A wrong step (the library instead of the invitation) brings a hint, not the next lesson.
        await phone.locator(".keyboard button", has_text="📜 Nghị quyết").click()
        await expect(lesson.locator(".hint")).to_contain_text("Gợi ý", timeout=20000)

        await invitation.locator("button", has_text="✅ Tôi sẽ dự họp").click()
        await expect(lesson).to_have_attribute("data-done", "rsvp", timeout=20000)  # the database said so
        await expect(lesson).to_contain_text("Xin chờ hướng dẫn viên", timeout=20000)  # lesson 2 is not opened yet
        await phone.screenshot(path=str(tmp_path / "trainee-done.png"))

        # The trainer's page shows it done; one button sends everyone the next lesson.
        done = trainer.locator("#progress tbody tr td[data-lesson=rsvp]")
        await expect(done).to_have_text("✅", timeout=15000)
        await trainer.screenshot(path=str(tmp_path / "trainer.png"))
        await trainer.locator("#next-member").click()
        await expect(lesson).to_contain_text("Bài 2/5", timeout=20000)
        await expect(lesson).to_contain_text("Xin vắng mặt")

        # The trainer switches the QR code to Zalo: the next phone is a Zalo person, its lessons are typed.
        await trainer.locator("input[name=platform][value=zalo]").check()
        await expect(trainer.locator("input[name=platform][value=zalo]")).to_be_checked()
        zalo_phone = await (await browser.new_context(viewport=PHONE)).new_page()  # another phone: no cookie of the first
        await zalo_phone.goto(join_url)
        await expect(zalo_phone.locator("#zalo-phone")).to_be_visible(timeout=15000)
        zalo_lesson = zalo_phone.locator("#zalo-phone #lesson")
        await expect(zalo_lesson).to_contain_text("Gõ 1", timeout=20000)  # Zalo's words: nothing to press
        newest = zalo_phone.locator("#zalo-messages .zbubble.zbot", has_text="thực hành trả lời giấy mời").last
        await expect(newest).to_be_visible(timeout=30000)
        await zalo_phone.locator("#zalo-text").fill("1")
        await zalo_phone.locator("#zalo-text").press("Enter")
        await expect(zalo_lesson).to_have_attribute("data-done", "rsvp", timeout=30000)
        zalo_row = trainer.locator("#progress tbody tr", has_text="· Zalo")
        await expect(zalo_row.locator("td[data-lesson=rsvp]")).to_have_text("✅", timeout=15000)
        await zalo_phone.screenshot(path=str(tmp_path / "zalo-trainee-done.png"))
        await browser.close()


async def test_a_secretary_trainee_creates_a_meeting_in_the_chat(demo: tuple[str, Path], tmp_path: Path) -> None:
    import datetime as dt

    from playwright.async_api import async_playwright, expect

    from core.meetings.dates import LOCAL_TZ

    base, folder = demo
    key = (folder / "trainer-key.txt").read_text().strip()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        trainer = await browser.new_page(viewport={"width": 1280, "height": 900})
        await trainer.goto(f"{base}/training?key={key}")
        await expect(trainer.locator("#qr svg")).to_be_visible(timeout=15000)
        join_url = await trainer.locator("#join-link").get_attribute("href")
        assert join_url

        # The trainer switches the QR code to «Bí thư chi bộ»; the room says so (its lessons head the table).
        await trainer.locator("input[name=track][value=secretary]").check()
        await expect(trainer.locator("#progress thead th[data-lesson=create_meeting]")).to_be_visible(timeout=15000)
        await expect(trainer.locator("input[name=track][value=secretary]")).to_be_checked()

        # The phone that scans it is the secretary of a practice cell of its own, on lesson 1.
        phone = await browser.new_page(viewport=PHONE)
        await phone.goto(join_url)
        lesson = phone.locator("#lesson")
        await expect(lesson).to_contain_text("Bài 1/5", timeout=15000)
        await expect(lesson).to_contain_text("Tạo cuộc họp")
        await phone.screenshot(path=str(tmp_path / "secretary-lesson-1.png"))

        # 📅 Lịch họp → ➕ → Sinh hoạt thường kỳ → the date typed → a place typed → the usual agenda → no file → send.
        await phone.locator(".keyboard button", has_text="📅 Lịch họp").click()
        await phone.locator(".bubble.bot button", has_text="➕ Tạo cuộc họp").last.click(timeout=20000)
        await phone.locator(".bubble.bot button", has_text="Sinh hoạt thường kỳ").last.click(timeout=20000)
        await expect(phone.locator(".bubble.bot", has_text="chọn ngày họp").last).to_be_visible(timeout=20000)
        day = dt.datetime.now(LOCAL_TZ).date() + dt.timedelta(days=3)  # the practice meeting ahead is on day 6: no clash
        composer = phone.locator("#text")
        await composer.fill(f"{day:%d/%m/%Y} 19:30")
        await composer.press("Enter")
        await expect(phone.locator(".bubble.bot", has_text="📍 Thời gian").last).to_be_visible(timeout=20000)
        await composer.fill("Nhà văn hóa tổ 3")
        await composer.press("Enter")
        await phone.locator(".bubble.bot button", has_text="Dùng nội dung thường kỳ").last.click(timeout=20000)
        await phone.locator(".bubble.bot button", has_text="Không có tài liệu").last.click(timeout=20000)
        review = phone.locator(".bubble.bot", has_text="Xem lại trước khi gửi").last
        await expect(review).to_contain_text("Nhà văn hóa tổ 3", timeout=20000)
        await review.locator("button", has_text="Gửi thông báo mời họp").click()
        await expect(phone.locator(".bubble.bot", has_text="Đã tạo cuộc họp").last).to_be_visible(timeout=20000)

        await expect(lesson).to_have_attribute("data-done", "create_meeting", timeout=20000)  # the database said so
        await phone.screenshot(path=str(tmp_path / "secretary-done.png"))
        done = trainer.locator("#progress tbody tr td[data-lesson=create_meeting]")
        await expect(done).to_have_text("✅", timeout=15000)
        await trainer.screenshot(path=str(tmp_path / "trainer-secretary.png"))
        await browser.close()
