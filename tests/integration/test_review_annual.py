"""The annual review's remaining rules: the member under review does not vote on their own rating
(no ballot, a polite refusal, the quorum and the majority count the others), and the year's ratings
in the figures: the monthly figures' workbook carries them on a sheet of their own, and the annual
report (core/reporting/annual.py) shows them in the API (JSON, CSV, XLSX) and in the bot, with those
not decided yet and those under reconsideration apart."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import select

from core import texts
from core.delivery.models import OutboxMessage
from core.orgs.service import load_actor
from core.votes import review, service
from core.votes.models import BallotKind, Rating, ReviewEntry, Vote
from tests.botkit import inline_buttons, texts_of

T = texts.votes
R = texts.reports
COMMITTEE = 5001  # make_commune's committee member


async def entry_of(session, member_id: int) -> ReviewEntry:  # type: ignore[no-untyped-def]
    query = select(ReviewEntry).where(ReviewEntry.member_id == member_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one()


async def open_review(session, commune, clock):  # type: ignore[no-untyped-def]
    now = clock.now()
    committee = await load_actor(session, commune.committee_member)
    await review.open_cycle(session, actor=committee, org_id=commune.commune.id, year=2026, self_deadline=now + dt.timedelta(days=1),
                            cell_deadline=now + dt.timedelta(days=2), decide_deadline=now + dt.timedelta(days=3), now=now)
    await session.commit()
    return committee


async def test_the_member_under_review_does_not_vote_on_their_own_rating(api_client, bearer, session, commune, clock) -> None:
    await open_review(session, commune, clock)
    b = commune.cells[1]  # six members: five others decide
    concerned = b.members[0]
    entry = await entry_of(session, concerned.id)
    secretary = await bearer(b.secretary)

    opened = await api_client.post(f"/api/v1/reviews/entries/{entry.id}/vote", headers=secretary, json={"rating": "good", "kind": "open"})
    assert opened.status_code == 201, opened.text
    vote_id = opened.json()["id"]
    assert opened.json()["eligible"] == 5
    ballots = (await session.execute(select(OutboxMessage.member_id).where(OutboxMessage.kind == service.KIND_BALLOT))).scalars().all()
    assert sorted(ballots) == sorted(m.id for m in b.everyone if m.id != concerned.id)
    refused = await api_client.post(f"/api/v1/votes/{vote_id}/ballot", headers=await bearer(concerned), json={"option": 0})
    assert refused.status_code == 403 and T.OWN_RATING_REFUSED in refused.text
    # Three of the five approve: more than half of the five (it would not be of six).
    for person in (b.secretary, b.deputy, b.members[1]):
        answer = await api_client.post(f"/api/v1/votes/{vote_id}/ballot", headers=await bearer(person), json={"option": 0})
        assert answer.status_code == 200, answer.text
    closed = await api_client.post(f"/api/v1/votes/{vote_id}/close", headers=secretary)
    assert closed.json()["counts"] == [3, 0, 0] and closed.json()["eligible"] == 5 and closed.json()["passed"] is True
    assert (await entry_of(session, concerned.id)).cell_rating == Rating.GOOD

    # By hands in the room: the count may not include them either.
    other = await entry_of(session, b.members[1].id)
    actor = await load_actor(session, b.secretary)
    hands = await review.open_rating_vote(session, actor=actor, entry_id=other.id, rating=Rating.EXCELLENT, now=clock.now(), kind=BallotKind.HAND)
    try:
        await service.record_hand_counts(session, actor=actor, vote_id=hands.vote.id, counts=[4, 1, 1], now=clock.now())
        raise AssertionError("six hands counted where five may vote")
    except Exception as error:  # noqa: BLE001 - the domain error's message is what is checked
        assert str(error) == T.HAND_COUNTS_TOO_MANY.format(total=6, eligible=5)
    await service.record_hand_counts(session, actor=actor, vote_id=hands.vote.id, counts=[3, 1, 1], now=clock.now())
    vote = await session.get(Vote, hands.vote.id)
    assert vote is not None and (vote.eligible_count, vote.passed) == (5, True)
    # An ordinary vote of the cell: everyone, the same member included.
    plain = await service.open_vote(session, actor=actor, cell_id=b.org.id, question="Thông qua nghị quyết", now=clock.now())
    assert concerned.id in await service.eligible_ids(session, plain.vote)


async def _ratings_world(session, commune, clock) -> None:  # type: ignore[no-untyped-def]
    committee = await open_review(session, commune, clock)
    a, b = commune.cells
    now = clock.now()
    await review.decide(session, actor=committee, entry_id=(await entry_of(session, a.members[0].id)).id, rating=Rating.GOOD, now=now)
    second = await entry_of(session, a.members[1].id)
    await review.decide(session, actor=committee, entry_id=second.id, rating=Rating.COMPLETE, now=now)
    await review.decide(session, actor=committee, entry_id=(await entry_of(session, b.members[0].id)).id, rating=Rating.GOOD, now=now)
    await review.request_reconsideration(session, actor=await load_actor(session, a.members[1]), entry_id=second.id,
                                         reason="Tôi được khen thưởng năm 2026.", now=now)
    await session.commit()


async def test_the_annual_report_carries_the_years_ratings(api_client, bearer, session, commune, clock) -> None:
    await _ratings_world(session, commune, clock)
    a, b = commune.cells
    headers = await bearer(commune.committee_member)
    url = f"/api/v1/orgs/{commune.commune.id}/annual-report"

    body = (await api_client.get(f"{url}?year=2026", headers=headers)).json()
    assert body["year"] == 2026 and [m["month"] for m in body["months"]] == [f"2026-{m:02d}" for m in range(1, 12)]
    totals = body["ratings"]["totals"]
    assert (totals["total"], totals["ratings"]["good"], totals["ratings"]["complete"], totals["pending"], totals["reconsidering"]) == (13, 2, 1, 10, 1)
    by_cell = {c["name"]: c for c in body["ratings"]["cells"]}
    assert by_cell[a.org.name]["reconsidering"] == 1 and by_cell[b.org.name]["reconsidering"] == 0 and by_cell[b.org.name]["pending"] == 5
    assert {c["name"] for c in body["children"]} == {a.org.name, b.org.name}
    assert body["figures"]["members"] == 13  # as of the last month
    # Not theirs: another cell's secretary, a year to come, a year before any.
    assert (await api_client.get(url, headers=await bearer(commune.other_cell.secretary))).status_code in (403, 404)
    assert (await api_client.get(f"{url}?year=2027", headers=headers)).status_code == 422
    assert (await api_client.get(f"{url}?year=1999", headers=headers)).status_code == 422
    # A cell's own annual report: its members only.
    own = (await api_client.get(f"/api/v1/orgs/{b.org.id}/annual-report?year=2026", headers=await bearer(b.secretary))).json()
    assert own["ratings"]["totals"]["total"] == 6 and own["ratings"]["totals"]["ratings"]["good"] == 1

    sheet = await api_client.get(f"{url}?year=2026&format=csv", headers=headers)
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert rows[0][-1] == R.ANNUAL_RATING_HEADERS[-1] and rows[-1][0] == R.EXPORT_TOTAL
    assert rows[-1][-7:] == ["13", "0", "2", "1", "0", "10", "1"]
    book = load_workbook(io.BytesIO((await api_client.get(f"{url}?year=2026&format=xlsx", headers=headers)).content))
    assert book.sheetnames[0] == "Năm 2026" and "Theo tháng" in book.sheetnames and "Xếp loại 2026" in book.sheetnames
    rated = list(book["Xếp loại 2026"].iter_rows(values_only=True))
    assert rated[0] == T.EXPORT_HEADERS and rated[-1] == (R.EXPORT_TOTAL, 13, 0, 2, 1, 0, 10, 1)
    assert (a.org.name, 7, 0, 1, 1, 0, 5, 1) in rated


async def test_the_monthly_figures_workbook_has_the_years_ratings_sheet(api_client, bearer, session, commune, clock) -> None:
    await _ratings_world(session, commune, clock)
    headers = await bearer(commune.committee_member)
    url = f"/api/v1/orgs/{commune.commune.id}/figures"
    book = load_workbook(io.BytesIO((await api_client.get(f"{url}?month=2026-11&format=xlsx", headers=headers)).content))
    assert "Xếp loại 2026" in book.sheetnames
    rows = list(book["Xếp loại 2026"].iter_rows(values_only=True))
    assert rows[-1] == (R.EXPORT_TOTAL, 13, 0, 2, 1, 0, 10, 1)
    earlier = load_workbook(io.BytesIO((await api_client.get(f"{url}?month=2025-11&format=xlsx", headers=headers)).content))
    assert not any(name.startswith("Xếp loại") for name in earlier.sheetnames)  # no review that year
    figures = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/review-figures?year=2026", headers=headers)).json()
    assert figures["totals"]["reconsidering"] == 1


async def test_the_annual_report_in_the_bot(harness, session, commune, clock) -> None:
    await _ratings_world(session, commune, clock)
    org = commune.commune.id
    calls = await harness.press(COMMITTEE, f"rf:show:{org}:202611")
    assert f"rf:year:{org}:2026" in [d for call in calls for _, d in inline_buttons(call)]
    calls = await harness.press(COMMITTEE, f"rf:year:{org}:2026")
    shown = "\n".join(texts_of(calls))
    assert "Báo cáo năm 2026" in shown and R.ANNUAL_RATINGS_TOTAL.format(
        total=13, excellent=0, good=2, complete=1, incomplete=0, pending=10, reconsidering=1) in shown
    buttons = [d for call in calls for _, d in inline_buttons(call)]
    assert f"rf:year:{org}:2025" in buttons and f"rf:year:{org}:2027" not in buttons and f"rf:yxlsx:{org}:2026" in buttons
    sent = [c for c in await harness.press(COMMITTEE, f"rf:yxlsx:{org}:2026") if type(c).__name__ == "SendDocument"]
    assert len(sent) == 1
    # A year with no review says so; another organisation's report is not theirs.
    assert R.ANNUAL_RATINGS_NONE.format(year=2025) in "\n".join(texts_of(await harness.press(COMMITTEE, f"rf:year:{org}:2025")))
    refused = await harness.press(COMMITTEE, f"rf:year:{commune.other_province.id}:2026")
    assert not any("Báo cáo năm" in t for t in texts_of(refused))
