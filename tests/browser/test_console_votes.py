"""Votes and the review in Debian's Chromium: a secretary opens «Biểu quyết», sees the cell's open
secret vote (how many voted), closes it and reads the result; a commune committee member reads the
year's ratings and downloads them. Every page: 0 console errors, 0 serious axe-core findings,
screenshots at 1280 px and 390 px."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from core import texts
from core.orgs.service import load_actor
from core.votes import review, service
from core.votes.models import BallotKind, Rating, ReviewEntry, Vote, VoteStatus
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


async def test_a_vote_closed_and_the_years_ratings_read_in_the_console(  # type: ignore[no-untyped-def]
    served: str, harness, session, cipher, clock, tmp_path: Path  # noqa: F811
) -> None:
    from playwright.async_api import async_playwright, expect

    commune = await make_commune(session, cipher)
    a, b = commune.cells
    now = clock.now()
    secretary = await load_actor(session, a.secretary)
    opened = await service.open_vote(session, actor=secretary, cell_id=a.org.id, question="Thông qua nghị quyết chi bộ tháng 12", now=now,
                                     kind=BallotKind.SECRET)
    for person in (a.secretary, a.deputy, *a.members):
        await service.cast(session, actor=await load_actor(session, person), vote_id=opened.vote.id, option=0, cipher=cipher, now=now)
    hands = await service.open_vote(session, actor=secretary, cell_id=a.org.id, question="Bầu tổ trưởng tổ đảng", now=now, kind=BallotKind.HAND)
    committee = await load_actor(session, commune.committee_member)
    await review.open_cycle(session, actor=committee, org_id=commune.commune.id, year=2026, self_deadline=now + dt.timedelta(days=1),
                            cell_deadline=now + dt.timedelta(days=2), decide_deadline=now + dt.timedelta(days=3), now=now)
    [first, *_] = (await session.execute(select(ReviewEntry).where(ReviewEntry.cell_id == b.org.id).order_by(ReviewEntry.id))).scalars()
    await review.decide(session, actor=committee, entry_id=first.id, rating=Rating.GOOD, now=now)
    await session.commit()
    secretary_link = await link_from_bot(harness, SECRETARY_A)
    committee_link = await link_from_bot(harness, COMMITTEE)
    watched = Watched()
    serious: dict[str, list] = {}

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = await _signed_in(browser, secretary_link, watched)
        await page.get_by_role("link", name=V.CONSOLE_NAV_VOTES, exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"{V.CONSOLE_VOTES_TITLE} — {a.org.name}")
        await expect(page.locator("table.votes")).to_contain_text("6/7")
        serious["votes-open"] = await check_page(page, "votes-open", watched, tmp_path)
        await page.get_by_role("button", name=f"{V.CONSOLE_CLOSE}: Thông qua nghị quyết chi bộ tháng 12").click()
        await expect(page.locator(".done")).to_have_text(V.CONSOLE_CLOSED_OK)
        await expect(page.locator("table.votes")).to_contain_text(V.CONSOLE_PASSED)
        await expect(page.get_by_role("button", name=f"{V.CONSOLE_CLOSE}: Thông qua nghị quyết chi bộ tháng 12")).to_have_count(0)
        serious["votes-closed"] = await check_page(page, "votes-closed", watched, tmp_path)
        # The vote held by raised hands: the counts typed into its form.
        form = page.locator("form.hand-counts")
        for label, count in (("Tán thành", "5"), ("Không tán thành", "1"), ("Không biểu quyết", "0")):
            await form.get_by_label(label, exact=True).fill(count)
        await page.get_by_role("button", name=f"{V.CONSOLE_RECORD_HANDS}: Bầu tổ trưởng tổ đảng").click()
        await expect(page.locator(".done")).to_have_text(V.CONSOLE_CLOSED_OK)
        await expect(page.locator("form.hand-counts")).to_have_count(0)
        serious["votes-hands"] = await check_page(page, "votes-hands", watched, tmp_path)

        boss = await _signed_in(browser, committee_link, watched)
        await boss.get_by_role("link", name=V.CONSOLE_NAV_REVIEW, exact=True).click()
        await expect(boss.get_by_role("heading", level=1)).to_contain_text(V.CONSOLE_REVIEW_TITLE.format(year=2026))
        await expect(boss.locator("main")).to_contain_text(b.org.name)
        serious["review-figures"] = await check_page(boss, "review-figures", watched, tmp_path)
        async with boss.expect_download() as got:
            await boss.get_by_role("link", name=D.DOWNLOAD_XLSX).click()
        download = await got.value
        assert download.suggested_filename.startswith("xep-loai-") and Path(await download.path()).read_bytes()[:2] == b"PK"
        await browser.close()

    vote = (await session.execute(select(Vote).where(Vote.id == opened.vote.id).execution_options(populate_existing=True))).scalar_one()
    assert (vote.status, vote.counts, vote.passed) == (VoteStatus.CLOSED, [6, 0, 0], True)
    by_hands = (await session.execute(select(Vote).where(Vote.id == hands.vote.id).execution_options(populate_existing=True))).scalar_one()
    assert (by_hands.status, by_hands.counts) == (VoteStatus.CLOSED, [5, 1, 0])
    assert watched.errors == [], watched.errors
    assert {name: found for name, found in serious.items() if found} == {}, watched.axe
