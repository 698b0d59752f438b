"""A real browser (Debian's Chromium, driven by Playwright) clicks through `sotay demo`."""

import shutil
from pathlib import Path

import pytest

from tests.conftest import missing
from tests.e2e.processes import free_port, start_sotay, wait_until_healthy

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or ""  # Debian's, on PATH
# Without these, Chromium tries Google's services at start-up, which this closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def demo(tmp_path: Path):
    if not CHROMIUM:
        missing("Debian's chromium is not on PATH (apt-get install chromium)")
    port, sandbox_port = free_port(), free_port()
    process = start_sotay(["demo", "--port", str(port), "--sandbox-port", str(sandbox_port)],
                          {"SOTAY_DATA_DIR": str(tmp_path / "data")}, tmp_path / "demo.log", port)
    try:
        # Seeding the demo (voice notes included) takes a while on a busy machine: a safety net, not a target.
        await wait_until_healthy(process, timeout=180)
        yield process.base_url
    finally:
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

        # The secretary opens the web console from the chat: a one-time link, then one click to sign in.
        await page.locator(".keyboard button", has_text="🖥 Mở trang quản lý").click()
        console_link = page.locator(".bubble.bot a", has_text="/console/login/").last
        await expect(console_link).to_be_visible(timeout=15000)
        async with page.expect_popup() as opened:
            await console_link.click()
        console = await opened.value
        await console.get_by_role("button", name="Vào trang quản lý").click()
        await expect(console.get_by_role("heading", level=1)).to_have_text("Trang chính", timeout=15000)
        await expect(console.locator("main")).to_contain_text("Đảng bộ xã Mù Cang Chải")  # he sits on the commune committee
        await console.screenshot(path=str(tmp_path / "console-from-demo.png"))
        await console.close()

        await page.locator(".keyboard button", has_text="❓ Hướng dẫn").click()
        await expect(page.locator(".bubble.bot", has_text="Hướng dẫn sử dụng").last).to_be_visible(timeout=15000)
        await page.screenshot(path=str(tmp_path / "secretary.png"))

        # The seeded commune life waits for the secretary: an absence request to decide, a góp ý in
        # the inbox, and attendance figures of the last months.
        request = page.locator(".bubble.bot", has_text="BÁO CÁO XIN VẮNG HỌP").filter(has_text="Lý A Dình")
        await expect(request).to_be_visible(timeout=15000)
        await request.locator("button", has_text="Đồng ý").first.click()
        await expect(page.locator(".bubble.bot", has_text="Đã đồng ý cho đồng chí Lý A Dình").last).to_be_visible(timeout=15000)
        await page.locator(".keyboard button", has_text="✍️ Góp ý").click()
        await page.locator(".bubble.bot button", has_text="Hộp thư (1 chờ trả lời)").last.click()
        await expect(page.locator(".bubble.bot", has_text="Nguyễn Văn Bình").last).to_contain_text("GY-", timeout=15000)
        await page.locator(".keyboard button", has_text="📊 Thống kê").click()
        await page.locator(".bubble.bot button", has_text="Chi bộ thôn Khe Gầy").last.click()
        figures = page.locator(".bubble.bot", has_text="Thống kê dự họp").last
        await expect(figures).to_contain_text("Số cuộc họp đã tổ chức: 3", timeout=15000)
        await expect(page.locator(".bubble.bot img").last).to_be_visible()  # the chart
        await page.screenshot(path=str(tmp_path / "secretary-figures.png"))

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


async def test_an_elderly_member_listens_to_the_seeded_resolution_and_answers_the_invitation(demo: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + ["--autoplay-policy=no-user-gesture-required"]
        )
        page = await browser.new_page(viewport={"width": 1100, "height": 900})
        await page.goto(demo + "/")
        # Trần Văn Hùng, 74: the commune committee's plan came as text and as a voice note, then
        # the study notice and his cell's invitation — in that order.
        await page.get_by_role("button", name="Trần Văn Hùng").click()
        bubbles = page.locator(".bubble.bot")
        summary = bubbles.filter(has_text="Văn bản mới").filter(has_text="Tóm tắt:")
        voice = bubbles.filter(has=page.locator("audio")).filter(has_text="Tóm tắt Kế hoạch 12-KH/ĐU")
        invitation = bubbles.filter(has_text="THÔNG BÁO MỜI HỌP")
        await expect(invitation).to_be_visible(timeout=20000)
        await expect(summary).to_be_visible()
        await expect(voice).to_be_visible(timeout=20000)
        texts = await bubbles.all_inner_texts()
        order = [next(i for i, t in enumerate(texts) if needle in t) for needle in ("Tóm tắt:", "🔊 Tóm tắt Kế hoạch", "Học tập văn bản", "THÔNG BÁO MỜI HỌP")]
        assert order == sorted(order), texts

        # The voice note is real speech (espeak-ng, OGG/Opus) and plays in the browser.
        audio = voice.locator("audio")
        source = await audio.get_attribute("src")
        assert source
        ogg = await page.evaluate("src => fetch(src).then(r => r.arrayBuffer()).then(b => [b.byteLength, String.fromCharCode(...new Uint8Array(b.slice(0, 4)))])", source)
        assert ogg[1] == "OggS" and ogg[0] > 20_000, ogg
        # Played until it is 0.3 s in (about that long when the machine is idle; 20 s is only a safety net).
        played, length = await audio.evaluate("""a => a.play().then(() => new Promise(done => {
            const until = Date.now() + 20000;
            const check = () => a.currentTime > 0.3 || Date.now() > until ? done([a.currentTime, a.duration]) : setTimeout(check, 50);
            check();
        }))""")
        assert played > 0.3 and 15 < length < 120, (played, length)  # the player knows its length: it can seek
        await expect(voice).to_contain_text("giây")

        # One tap answers the invitation; 📅 Lịch họp remembers it.
        await invitation.last.locator("button", has_text="✅ Tôi sẽ dự họp").click()
        await expect(invitation.last).to_contain_text("Sẽ dự họp", timeout=15000)
        await page.locator(".keyboard button", has_text="📅 Lịch họp").click()
        await expect(bubbles.filter(has_text="Các cuộc họp sắp tới").last).to_contain_text("Trả lời của đồng chí: ✅ Sẽ dự họp", timeout=15000)
        await page.locator(".keyboard button", has_text="📜 Nghị quyết").click()
        await expect(bubbles.filter(has_text="Trang 1/1").last).to_contain_text("12-KH/ĐU", timeout=15000)
        await page.screenshot(path=str(tmp_path / "member.png"), full_page=True)
        await browser.close()
