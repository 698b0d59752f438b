"""Votes and the review in the web console: a secretary sees the cell's open vote (how many voted,
never who chose what in a secret one), closes it with the form token and sees the counts; a
committee reads the year's ratings per cell and rolled up, and downloads them; another cell's
secretary and a missing token are refused and change nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import texts
from core.audit import AuditEvent
from core.orgs.service import load_actor
from core.votes import review, service
from core.votes.models import BallotKind, Rating, ReviewEntry, Vote, VoteStatus
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune

V = texts.votes
COMMITTEE = 5001


async def _vote(session, vote_id: int) -> Vote:  # type: ignore[no-untyped-def]
    return (await session.execute(select(Vote).where(Vote.id == vote_id).execution_options(populate_existing=True))).scalar_one()


async def test_a_secretary_follows_and_closes_a_secret_vote(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    secretary = await load_actor(session, a.secretary)
    opened = await service.open_vote(session, actor=secretary, cell_id=a.org.id, question="Kết nạp quần chúng Giàng A Sử", now=clock.now(),
                                     kind=BallotKind.SECRET)
    for person, option in ((a.secretary, 0), (a.deputy, 0), (a.members[0], 1)):
        await service.cast(session, actor=await load_actor(session, person), vote_id=opened.vote.id, option=option, cipher=cipher, now=clock.now())
    await session.commit()

    # Another cell's secretary: refused, and the vote stays open.
    other = await sign_in(api_client, console_harness, SECRETARY_B)
    assert (await api_client.get(f"/console/votes?org={a.org.id}")).status_code in (403, 404)
    refused = await api_client.post(f"/console/votes/{opened.vote.id}/close", data={"csrf": csrf_of(other)})
    assert refused.status_code in (403, 404) and (await _vote(session, opened.vote.id)).status == VoteStatus.OPEN
    api_client.cookies.clear()

    home = await sign_in(api_client, console_harness, SECRETARY_A)
    page = await api_client.get("/console/votes")
    assert page.status_code == 200 and "Kết nạp quần chúng Giàng A Sử" in page.text and "3/7" in page.text and V.CONSOLE_CLOSE in page.text
    assert (await api_client.post(f"/console/votes/{opened.vote.id}/close", data={})).status_code == 403  # no form token
    assert (await _vote(session, opened.vote.id)).status == VoteStatus.OPEN
    closed = await api_client.post(f"/console/votes/{opened.vote.id}/close", data={"csrf": csrf_of(home)})
    assert closed.status_code == 303
    after = await api_client.get(closed.headers["location"])
    assert V.CONSOLE_CLOSED_OK in after.text and V.CONSOLE_INVALID in after.text and "Tán thành 2, Không tán thành 1" in after.text
    vote = await _vote(session, opened.vote.id)
    assert (vote.status, vote.counts) == (VoteStatus.CLOSED, [2, 1, 0])
    events = (await session.execute(select(AuditEvent).where(AuditEvent.action == "console.vote.close"))).scalars().all()
    assert [e.target for e in events] == [f"vote:{vote.id}"]


async def test_a_committee_reads_and_downloads_the_years_ratings(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    now = clock.now()
    committee = await load_actor(session, commune.committee_member)
    await review.open_cycle(session, actor=committee, org_id=commune.commune.id, year=2026, self_deadline=now + dt.timedelta(days=1),
                            cell_deadline=now + dt.timedelta(days=2), decide_deadline=now + dt.timedelta(days=3), now=now)
    entries = (await session.execute(select(ReviewEntry).where(ReviewEntry.cell_id == commune.cells[1].org.id))).scalars().all()
    await review.decide(session, actor=committee, entry_id=entries[0].id, rating=Rating.EXCELLENT, now=now)
    await review.decide(session, actor=committee, entry_id=entries[1].id, rating=Rating.GOOD, now=now)
    await session.commit()
    await sign_in(api_client, console_harness, COMMITTEE)
    page = await api_client.get(f"/console/votes/review?org={commune.commune.id}")
    assert page.status_code == 200, page.text[:2000]
    assert V.CONSOLE_REVIEW_TITLE.format(year=2026) in page.text
    for cell in commune.cells:
        assert cell.org.name in page.text
    assert commune.other_cell.org.name not in page.text
    csv_file = await api_client.get(f"/console/votes/review/export?org={commune.commune.id}&year=2026&format=csv")
    lines = csv_file.content.decode("utf-8-sig").splitlines()
    assert csv_file.status_code == 200 and any(line.startswith(f"{commune.cells[1].org.name},6,1,1,0,0,4") for line in lines), lines
    xlsx = await api_client.get(f"/console/votes/review/export?org={commune.commune.id}&year=2026&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    empty = await api_client.get(f"/console/votes/review?org={commune.commune.id}&year=2025")
    assert V.CONSOLE_REVIEW_EMPTY.format(year=2025, org=commune.commune.name) in empty.text
    assert (await api_client.get(f"/console/votes/review?org={commune.other_cell.org.id}")).status_code in (403, 404)


async def test_a_hand_vote_is_recorded_with_its_counts(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    opened = await service.open_vote(session, actor=await load_actor(session, a.secretary), cell_id=a.org.id, question="Bầu tổ trưởng tổ đảng",
                                     now=clock.now(), kind=BallotKind.HAND)
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    page = await api_client.get("/console/votes")
    assert V.CONSOLE_RECORD_HANDS in page.text and 'name="count2"' in page.text and V.CONSOLE_CLOSE not in page.text
    path = f"/console/votes/{opened.vote.id}/hand-counts"
    for counts, message in (({"count0": "9", "count1": "1", "count2": "0"}, "nhiều hơn số đảng viên có quyền biểu quyết"),
                            ({"count0": "năm", "count1": "1", "count2": "0"}, None), ({"count0": "5", "count1": "1"}, None)):
        refused = await api_client.post(path, data={"csrf": csrf_of(home), **counts})
        assert refused.status_code == 422 and "text/html" in refused.headers["content-type"], refused.text[:500]
        assert message is None or message in refused.text
        assert (await _vote(session, opened.vote.id)).status == VoteStatus.OPEN
    recorded = await api_client.post(path, data={"csrf": csrf_of(home), "count0": "5", "count1": "1", "count2": "1"})
    assert recorded.status_code == 303
    vote = await _vote(session, opened.vote.id)
    assert (vote.status, vote.counts, vote.valid, vote.passed) == (VoteStatus.CLOSED, [5, 1, 1], True, True)
    assert "Tán thành 5, Không tán thành 1, Không biểu quyết 1" in (await api_client.get(recorded.headers["location"])).text


async def _vote_count(session) -> int:  # type: ignore[no-untyped-def]
    return len((await session.execute(select(Vote.id))).scalars().all())


async def test_the_new_vote_form_takes_two_to_six_options_of_the_secretarys_own(api_client, console_harness, session, cipher) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    page = await api_client.get("/console/votes")
    assert page.text.count('name="option"') == 3 and V.CONSOLE_OPTION_ADD in page.text
    for option in V.DEFAULT_OPTIONS:
        assert f'value="{option}"' in page.text
    token = csrf_of(home)
    hx = {"HX-Request": "true", "X-CSRF-Token": token}

    # «Thêm lựa chọn» through htmx: the fieldset comes back with one more empty field, up to six, then no more.
    options = ["Đồng chí Hoàng Văn Sáng", "Đồng chí Lò Thị Hoa", "Không biểu quyết"]
    grown = await api_client.post("/console/votes/options", data={"cell_id": a.org.id, "edit": "add", "option": options}, headers=hx)
    assert grown.status_code == 200 and grown.text.count('name="option"') == 4 and "<html" not in grown.text
    assert 'value="Đồng chí Lò Thị Hoa"' in grown.text and "autofocus" in grown.text
    six = options + ["a", "b", "c"]
    full = await api_client.post("/console/votes/options", data={"cell_id": a.org.id, "edit": "add", "option": six}, headers=hx)
    assert full.text.count('name="option"') == 6 and V.CONSOLE_OPTION_ADD not in full.text and V.CONSOLE_OPTIONS_FULL.format(max=6) in full.text
    # «Bỏ»: that field goes; two is the least, with no «Bỏ» left.
    fewer = await api_client.post("/console/votes/options", data={"cell_id": a.org.id, "edit": "remove-1", "option": options}, headers=hx)
    assert fewer.text.count('name="option"') == 2 and "Lò Thị Hoa" not in fewer.text and V.CONSOLE_OPTION_REMOVE_LABEL.format(n=1) not in fewer.text
    # Without script: the same buttons post the whole form, and the page comes back with what was typed.
    plain = await api_client.post("/console/votes/options", data={"csrf": token, "cell_id": a.org.id, "edit": "add", "option": options,
                                                                   "question": "Bầu bí thư chi bộ", "kind": "secret"})
    assert plain.status_code == 200 and "<html" in plain.text and "Bầu bí thư chi bộ</textarea>" in plain.text
    assert plain.text.count('name="option"') == 4 and '<option value="secret" selected>' in plain.text
    # No form token: refused.
    assert (await api_client.post("/console/votes/options", data={"cell_id": a.org.id, "edit": "add", "option": options})).status_code == 403

    # Opened with the options typed; core judges them: twins (case and accents aside) and a seventh are refused politely.
    form = {"csrf": token, "cell_id": a.org.id, "question": "Bầu bí thư chi bộ", "kind": "secret", "closes_in": 0}
    twins = await api_client.post("/console/votes/open", data={**form, "option": ["Đồng ý", "dong y"]})
    assert twins.status_code == 422 and V.OPTIONS_DUPLICATE.format(option="dong y") in twins.text
    seven = await api_client.post("/console/votes/open", data={**form, "option": [*six, "d"]})
    assert seven.status_code == 422 and V.TOO_MANY_OPTIONS.format(limit=6) in seven.text
    one = await api_client.post("/console/votes/open", data={**form, "option": ["Đồng ý", "  "]})
    assert one.status_code == 422 and V.TOO_FEW_OPTIONS in one.text
    assert await _vote_count(session) == 0
    opened = await api_client.post("/console/votes/open", data={**form, "option": ["  Đồng chí Hoàng Văn Sáng ", *options[1:]]})
    assert opened.status_code == 303
    [vote] = (await session.execute(select(Vote))).scalars().all()
    assert vote.options == options and vote.kind == BallotKind.SECRET
    after = await api_client.get(opened.headers["location"])
    assert "Bầu bí thư chi bộ" in after.text
    events = (await session.execute(select(AuditEvent).where(AuditEvent.action == "console.vote.open"))).scalars().all()
    assert [e.target for e in events] == [f"vote:{vote.id}"]
