"""Opening a vote, opening the year's review and deciding ratings in Debian's Chromium: a secretary
opens a vote for the cell's meeting from «Biểu quyết»; a commune committee member opens the year's
review from «Xếp loại» with three dates, reads a cell's page (the member's self-assessment, the
cell's proposal, the limit on the top rating), decides a rating, then opens the annual report and
downloads it. Every page: 0 console errors, 0 serious axe-core findings, no sideways scroll at 390
and 360 px (console_kit.check_page)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from core import texts
from core.clock import local_tz
from core.meetings.models import Meeting, MeetingKind
from core.orgs.service import load_actor
from core.votes import review
from core.votes.models import BallotKind, Rating, ReviewCycle, ReviewEntry, Vote
from tests.browser.console_kit import Watched, check_page
from tests.browser.test_console_desk import _signed_in
from tests.browser.test_console_pages import served  # noqa: F401  (the app on a real port)
from tests.browser.test_demo_page import CHROMIUM, CHROMIUM_ARGS
from tests.console.helpers import link_from_bot
from tests.factories import make_commune

pytestmark = pytest.mark.browser
SECRETARY_A, COMMITTEE = 1001, 5001
V = texts.votes
D = texts.console_desk


async def test_votes_and_the_review_opened_and_ratings_decided_in_the_console(  # type: ignore[no-untyped-def]
    served: str, harness, session, cipher, clock, tmp_path: Path  # noqa: F811
) -> None:
    from playwright.async_api import async_playwright, expect

    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    session.add(Meeting(cell_id=a.org.id, kind=MeetingKind.REGULAR, starts_at=clock.now() + dt.timedelta(hours=3), place="Nhà văn hóa thôn"))
    await session.commit()
    secretary_link = await link_from_bot(harness, SECRETARY_A)
    committee_link = await link_from_bot(harness, COMMITTEE)
    today = clock.now().astimezone(local_tz()).date()
    watched = Watched()
    serious: dict[str, list] = {}

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await _signed_in(browser, secretary_link, watched)
        await page.get_by_role("link", name=V.CONSOLE_NAV_VOTES, exact=True).click()
        serious["vote-form"] = await check_page(page, "vote-form", watched, tmp_path)
        await page.get_by_label(V.CONSOLE_QUESTION).fill("Thông qua kế hoạch trồng rừng năm 2027")
        await page.get_by_label(V.CONSOLE_KIND).select_option("secret")
        await page.get_by_label(V.CONSOLE_MEETING).select_option(index=1)
        await page.get_by_label(V.CONSOLE_CLOSES_PICK).select_option("60")
        await page.get_by_role("button", name=V.CONSOLE_OPEN_VOTE, exact=True).click()
        await expect(page.locator(".done")).to_have_text(V.CONSOLE_OPENED_OK.format(sent=7))
        await expect(page.locator("table.votes")).to_contain_text("Thông qua kế hoạch trồng rừng năm 2027")
        serious["vote-opened"] = await check_page(page, "vote-opened", watched, tmp_path)

        boss = await _signed_in(browser, committee_link, watched)
        await boss.get_by_role("link", name=V.CONSOLE_NAV_REVIEW, exact=True).click()
        await expect(boss.get_by_role("heading", level=2, name=V.CONSOLE_NEW_REVIEW.format(year=2026))).to_be_visible()
        serious["review-form"] = await check_page(boss, "review-form", watched, tmp_path)
        await boss.get_by_label(V.CONSOLE_REVIEW_ORG).select_option(str(commune.commune.id))
        for label, days in ((V.CONSOLE_SELF_DEADLINE, 7), (V.CONSOLE_CELL_DEADLINE, 14), (V.CONSOLE_DECIDE_DEADLINE, 21)):
            await boss.get_by_label(label).fill((today + dt.timedelta(days=days)).isoformat())
        await boss.get_by_role("button", name=V.CONSOLE_OPEN_REVIEW, exact=True).click()
        await expect(boss.locator(".done")).to_have_text(V.CONSOLE_REVIEW_OPENED_OK)

        # A member sends a self-assessment; the cell votes their proposal by hands.
        member = a.members[0]
        entry = (await session.execute(select(ReviewEntry).where(ReviewEntry.member_id == member.id))).scalar_one()
        await review.submit_self(session, actor=await load_actor(session, member), entry_id=entry.id, rating=Rating.EXCELLENT,
                                 text="Năm 2026 tôi vận động bà con trồng 5 ha quế.", now=clock.now())
        await session.commit()

        await boss.reload()
        await boss.get_by_role("link", name=a.org.name, exact=True).click()
        await expect(boss.get_by_role("heading", level=1)).to_have_text(V.CONSOLE_CELL_REVIEW_TITLE.format(year=2026, cell=a.org.name))
        card = boss.locator(f"#entry-{entry.id}")
        await expect(card).to_contain_text("trồng 5 ha quế")
        serious["review-cell"] = await check_page(boss, "review-cell", watched, tmp_path)
        await card.get_by_role("button", name=f"{V.CONSOLE_VOTE_RATING}: {member.full_name}").click()
        await expect(boss.locator(".done")).to_have_text(V.CONSOLE_RATING_VOTE_OK)
        card = boss.locator(f"#entry-{entry.id}")
        await card.get_by_label(V.CONSOLE_DECIDE_PICK).select_option("excellent")
        await card.get_by_role("button", name=f"{V.CONSOLE_DECIDE}: {member.full_name}").click()
        await expect(boss.locator(".done")).to_have_text(V.CONSOLE_DECIDED_OK)
        await expect(boss.locator(f"#entry-{entry.id}")).to_contain_text(V.RATINGS["excellent"])
        serious["review-decided"] = await check_page(boss, "review-decided", watched, tmp_path)

        await boss.get_by_role("navigation").get_by_role("link", name=V.CONSOLE_NAV_REVIEW, exact=True).click()
        await boss.get_by_role("link", name=D.ANNUAL_LINK, exact=True).click()
        await expect(boss.get_by_role("heading", level=2, name=D.ANNUAL_TABLE_RATINGS.format(year=2026))).to_be_visible()
        serious["annual"] = await check_page(boss, "annual", watched, tmp_path)
        async with boss.expect_download() as got:
            await boss.get_by_role("link", name=D.ANNUAL_DOWNLOAD_XLSX).click()
        download = await got.value
        assert download.suggested_filename == f"bao-cao-nam-{commune.commune.id}-2026.xlsx"
        assert Path(await download.path()).read_bytes()[:2] == b"PK"
        await browser.close()

    vote = (await session.execute(select(Vote).where(Vote.subject.is_(None)).execution_options(populate_existing=True))).scalar_one()
    assert (vote.kind, vote.meeting_id is not None) == (BallotKind.SECRET, True)
    cycle = (await session.execute(select(ReviewCycle))).scalar_one()
    assert cycle.org_id == commune.commune.id
    decided = (await session.execute(select(ReviewEntry).where(ReviewEntry.id == entry.id).execution_options(populate_existing=True))).scalar_one()
    assert decided.final_rating == Rating.EXCELLENT
    assert watched.errors == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe
