"""📋 The annual quality review for a cell of 8, through the real Dispatcher and the API: the province
opens it, one member sends a voice self-assessment, the cell votes a proposed rating, the commune's
committee decides within the 20% limit on the top rating, a member asks for reconsideration once,
and the figures roll up over the subtree (JSON, CSV, XLSX and in the bot)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core import texts
from core.delivery.models import OutboxMessage
from core.orgs.models import OrgKind, OrgRole, RoleKind
from core.orgs.service import create_org, load_actor
from core.votes import review, service
from core.meetings.dates import LOCAL_TZ
from core.votes.models import BallotKind, Rating, ReviewCycle, ReviewEntry, Vote
from tests.botkit import inline_buttons, texts_of
from tests.factories import add_member, make_cell

T = texts.votes
SECRETARY, DEPUTY, VOICE_MEMBER, TEXT_MEMBER, THIRD = 3001, 3002, 3003, 3004, 3005
COMMUNE_COMMITTEE, PROVINCE_COMMITTEE = 5001, 6001
VOICE = b"OggS" + bytes(range(200))


@pytest.fixture
async def world(session, cipher):  # type: ignore[no-untyped-def]
    province = await create_org(session, name="Đảng bộ tỉnh Điện Biên", kind=OrgKind.COMMITTEE, parent=None)
    commune = await create_org(session, name="Đảng bộ xã Mường Phăng", kind=OrgKind.COMMITTEE, parent=province)
    other_commune = await create_org(session, name="Đảng bộ xã Nà Tấu", kind=OrgKind.COMMITTEE, parent=province)
    cell = await make_cell(session, cipher, commune, "Chi bộ bản Che Căn", size=6, user_id_base=3001)  # 8 members
    office = await make_cell(session, cipher, commune, "Chi bộ cơ quan xã", size=0, user_id_base=3101)
    far = await make_cell(session, cipher, other_commune, "Chi bộ bản Nà Nọi", size=0, user_id_base=4001)
    commune_member = await add_member(session, cipher, office.org, "Ủy viên Đảng ủy xã", link_to=COMMUNE_COMMITTEE)
    province_member = await add_member(session, cipher, far.org, "Ủy viên Tỉnh ủy", link_to=PROVINCE_COMMITTEE)
    session.add(OrgRole(member_id=commune_member.id, org_id=commune.id, role=RoleKind.COMMITTEE_MEMBER))
    session.add(OrgRole(member_id=province_member.id, org_id=province.id, role=RoleKind.COMMITTEE_MEMBER))
    await session.commit()
    return {"province": province, "commune": commune, "other_commune": other_commune, "cell": cell, "office": office, "far": far,
            "commune_member": commune_member, "province_member": province_member}


def alerts(calls) -> list[str]:  # type: ignore[no-untyped-def]
    return [call.text for call in calls if type(call).__name__ == "AnswerCallbackQuery" and call.text]


def data_of(calls, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [d for call in calls for _, d in inline_buttons(call) if d and d.startswith(prefix)]


async def entry_of(session, member_id: int) -> ReviewEntry:  # type: ignore[no-untyped-def]
    query = select(ReviewEntry).where(ReviewEntry.member_id == member_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one()


async def outbox(session, kind: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def test_review_cycle_for_a_cell_of_eight(harness, api_client, bearer, session, cipher, clock, world) -> None:
    cell = world["cell"]
    people = cell.everyone
    assert len(people) == 8
    now = clock.now()
    day = dt.timedelta(days=1)

    # The province opens the year's review over its whole subtree (14 members; 20% → at most 2 excellent).
    headers = await bearer(world["province_member"])
    refused = await api_client.post("/api/v1/reviews", headers=await bearer(cell.secretary), json={
        "org_id": world["province"].id, "year": 2026, "self_deadline": (now + day).isoformat(),
        "cell_deadline": (now + 2 * day).isoformat(), "decide_deadline": (now + 3 * day).isoformat()})
    assert refused.status_code in (403, 404)
    opened = await api_client.post("/api/v1/reviews", headers=headers, json={
        "org_id": world["province"].id, "year": 2026, "self_deadline": (now + day).isoformat(),
        "cell_deadline": (now + 2 * day).isoformat(), "decide_deadline": (now + 3 * day).isoformat(), "top_limit_percent": 20})
    assert opened.status_code == 201, opened.text
    assert opened.json()["members"] == 14
    again = await api_client.post("/api/v1/reviews", headers=await bearer(world["commune_member"]), json={
        "org_id": world["commune"].id, "year": 2026, "self_deadline": (now + day).isoformat(),
        "cell_deadline": (now + 2 * day).isoformat(), "decide_deadline": (now + 3 * day).isoformat()})
    assert again.status_code == 409  # the commune is already under the province's review this year
    notices = await outbox(session, review.KIND_REVIEW_OPENED)
    assert len(notices) == 14 and "ĐÁNH GIÁ, XẾP LOẠI" in notices[0].payload["text"]

    # One member: ✍️ Tự kiểm điểm → a voice note → proposes «Hoàn thành tốt nhiệm vụ».
    voice_entry = await entry_of(session, people[2].id)
    calls = await harness.press(VOICE_MEMBER, f"rvs:{voice_entry.id}")
    assert T.ASK_SELF_TEXT in texts_of(calls)
    calls = await harness.voice(VOICE_MEMBER, VOICE, duration=40)
    assert f"rvp:{voice_entry.id}:good" in data_of(calls, "rvp:")
    calls = await harness.press(VOICE_MEMBER, f"rvp:{voice_entry.id}:good")
    assert any("Đã gửi bản tự kiểm điểm" in t for t in texts_of(calls))
    voice_entry = await entry_of(session, people[2].id)
    assert voice_entry.self_voice_file_id and voice_entry.self_rating == Rating.GOOD and voice_entry.self_text is None
    # Another types it; someone else's entry is not theirs to fill.
    text_entry = await entry_of(session, people[3].id)
    assert alerts(await harness.press(TEXT_MEMBER, f"rvs:{voice_entry.id}")) == [texts.common.NOT_FOUND]
    await harness.press(TEXT_MEMBER, f"rvs:{text_entry.id}")
    await harness.text(TEXT_MEMBER, "Năm 2026 tôi hoàn thành tốt nhiệm vụ trưởng bản, vận động bà con trồng rừng.")
    await harness.press(TEXT_MEMBER, f"rvp:{text_entry.id}:excellent")
    # The rest through the API.
    for person in [people[0], people[1], *people[4:]]:
        entry = await entry_of(session, person.id)
        answer = await api_client.post(f"/api/v1/reviews/entries/{entry.id}/self", headers=await bearer(person),
                                       json={"rating": "good", "text": "Hoàn thành nhiệm vụ được giao."})
        assert answer.status_code == 200, answer.text

    # The cell votes a proposed rating: for the voice member, by buttons; the secretary hears the voice first.
    calls = await harness.press(SECRETARY, f"rvc:{cell.org.id}")
    assert f"rvv:{voice_entry.id}" in data_of(calls, "rvv:")
    calls = await harness.press(SECRETARY, f"rvv:{voice_entry.id}")
    assert any(type(c).__name__ == "SendVoice" and c.voice == voice_entry.self_voice_file_id for c in calls)
    calls = await harness.press(SECRETARY, f"rvq:{voice_entry.id}:excellent")
    vote_id = int(data_of(calls, "vto:close:")[0].rsplit(":", 1)[1])
    # The member under review gets no ballot about themselves, and a tap on one is refused politely.
    ballots = await outbox(session, service.KIND_BALLOT)
    assert people[2].id not in {m.member_id for m in ballots} and len({m.member_id for m in ballots}) == 7
    assert alerts(await harness.press(VOICE_MEMBER, f"vtb:{vote_id}:0")) == [T.OWN_RATING_REFUSED]
    for user in (3001, 3002, 3004, 3005, 3006):
        await harness.press(user, f"vtb:{vote_id}:0")
    await harness.press(3007, f"vtb:{vote_id}:1")
    calls = await harness.press(SECRETARY, f"vto:close:{vote_id}")
    assert any("Được thông qua" in t for t in texts_of(calls))
    counted = await session.get(Vote, vote_id, populate_existing=True)
    assert (counted.eligible_count, counted.voted_count, counted.counts) == (7, 6, [5, 1, 0])  # the seven others
    assert (await entry_of(session, people[2].id)).cell_rating == Rating.EXCELLENT
    # For the others the cell voted by hands in the room.
    secretary = await load_actor(session, cell.secretary)
    proposals = {people[3].id: Rating.EXCELLENT, people[4].id: Rating.EXCELLENT}
    for person in people:
        if person.id == people[2].id:
            continue
        entry = await entry_of(session, person.id)
        rated = await review.open_rating_vote(session, actor=secretary, entry_id=entry.id, rating=proposals.get(person.id), now=clock.now(),
                                              kind=BallotKind.HAND)
        await service.record_hand_counts(session, actor=secretary, vote_id=rated.vote.id, counts=[6, 1, 0], now=clock.now())
    await session.commit()
    entries = {p.id: await entry_of(session, p.id) for p in people}
    assert [entries[p.id].cell_rating for p in people].count(Rating.EXCELLENT) == 3

    # The commune's committee decides; the cell's secretary cannot.
    assert alerts(await harness.press(SECRETARY, f"rvy:{voice_entry.id}:excellent")) == [T.NOT_DECIDER]
    calls = await harness.press(COMMUNE_COMMITTEE, f"rvd:{cell.org.id}")
    assert f"rvx:{voice_entry.id}" in data_of(calls, "rvx:")
    await harness.press(COMMUNE_COMMITTEE, f"rvx:{voice_entry.id}")
    await harness.press(COMMUNE_COMMITTEE, f"rvy:{voice_entry.id}:excellent")
    await harness.press(COMMUNE_COMMITTEE, f"rvy:{entries[people[3].id].id}:excellent")
    third = entries[people[4].id]
    over = alerts(await harness.press(COMMUNE_COMMITTEE, f"rvy:{third.id}:excellent"))
    assert over == [T.OVER_TOP_LIMIT.format(limit=20, allowed=2, total=14, already=2)]
    assert (await entry_of(session, people[4].id)).final_rating is None
    for person in people:
        if entries[person.id].final_rating is None and person.id not in (people[2].id, people[3].id):
            await harness.press(COMMUNE_COMMITTEE, f"rvy:{entries[person.id].id}:good")
    finals = {p.id: (await entry_of(session, p.id)).final_rating for p in people}
    assert list(finals.values()).count(Rating.EXCELLENT) == 2 and None not in finals.values()
    # Each member is told, with a button to ask for reconsideration.
    told = await outbox(session, review.KIND_REVIEW_RESULT)
    assert {m.member_id for m in told} == {p.id for p in people}
    third_notice = next(m for m in told if m.member_id == people[4].id)
    assert "Hoàn thành tốt nhiệm vụ" in third_notice.payload["text"]
    assert third_notice.payload["buttons"][0][0]["callback_data"] == f"rvr:{third.id}"

    # Reconsideration: once, with a reason; the province's committee is told.
    calls = await harness.press(THIRD, f"rvr:{third.id}")
    assert T.ASK_RECONSIDER_REASON in texts_of(calls)
    calls = await harness.text(THIRD, "Tôi được huyện khen thưởng năm 2026, đề nghị xem xét mức xuất sắc.")
    assert T.RECONSIDER_SENT in texts_of(calls)
    assert alerts(await harness.press(THIRD, f"rvr:{third.id}")) == [T.RECONSIDER_ONCE]
    asked = await outbox(session, review.KIND_RECONSIDER)
    assert [m.member_id for m in asked] == [world["province_member"].id] and "khen thưởng" in asked[0].payload["text"]
    # Still over the limit on reconsideration; then decided, finally.
    assert alerts(await harness.press(COMMUNE_COMMITTEE, f"rvy:{third.id}:excellent"))[0].startswith("Vượt giới hạn")
    await harness.press(COMMUNE_COMMITTEE, f"rvy:{third.id}:good")
    final = await entry_of(session, people[4].id)
    assert final.reconsidered_at is not None and final.final_rating == Rating.GOOD
    last = (await outbox(session, review.KIND_REVIEW_RESULT))[-1]
    assert last.member_id == people[4].id and "Đây là kết quả cuối cùng" in last.payload["text"] and not last.payload["buttons"]
    assert alerts(await harness.press(COMMUNE_COMMITTEE, f"rvy:{third.id}:complete")) == [T.ALREADY_DECIDED]

    # Figures: per cell, rolled up per commune, over the province.
    figures = await api_client.get(f"/api/v1/orgs/{world['province'].id}/review-figures", headers=headers)
    assert figures.status_code == 200, figures.text
    body = figures.json()
    assert body["year"] == 2026 and body["totals"]["total"] == 14 and body["totals"]["ratings"]["excellent"] == 2
    assert body["totals"]["ratings"]["good"] == 6 and body["totals"]["pending"] == 6
    by_cell = {c["name"]: c for c in body["cells"]}
    assert by_cell[cell.org.name]["total"] == 8 and by_cell[cell.org.name]["pending"] == 0
    by_child = {c["name"]: c for c in body["children"]}
    assert by_child[world["commune"].name]["total"] == 11 and by_child[world["other_commune"].name]["total"] == 3
    assert by_child[world["commune"].name]["ratings"]["excellent"] == 2
    csv_file = await api_client.get(f"/api/v1/orgs/{world['province'].id}/review-figures?format=csv", headers=headers)
    assert csv_file.status_code == 200 and csv_file.content.startswith("\ufeff".encode())
    assert cell.org.name in csv_file.content.decode("utf-8-sig") and "Hoàn thành xuất sắc nhiệm vụ" in csv_file.content.decode("utf-8-sig")
    xlsx = await api_client.get(f"/api/v1/orgs/{world['province'].id}/review-figures?format=xlsx", headers=headers)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Tổ chức" and any(r[0] == cell.org.name and r[1] == 8 for r in rows)
    # The commune's committee sees its commune, not the province.
    commune_headers = await bearer(world["commune_member"])
    assert (await api_client.get(f"/api/v1/orgs/{world['province'].id}/review-figures", headers=commune_headers)).status_code in (403, 404)
    mine = (await api_client.get(f"/api/v1/orgs/{world['commune'].id}/review-figures", headers=commune_headers)).json()
    assert mine["totals"]["total"] == 11
    # And in the bot.
    calls = await harness.press(PROVINCE_COMMITTEE, f"rvf:{world['province'].id}")
    shown = "\n".join(texts_of(calls))
    assert "Xếp loại năm 2026" in shown and cell.org.name in shown and "XS 2" in shown


async def test_a_day_before_the_deadline_those_who_have_not_sent_are_reminded_once(session, clock, world) -> None:
    from core.meetings.dates import LOCAL_TZ
    from core.scheduling.context import TickContext

    now = clock.now()
    province = await load_actor(session, world["province_member"])
    opened = await review.open_cycle(session, actor=province, org_id=world["commune"].id, year=2026, now=now,
                                     self_deadline=now + dt.timedelta(hours=20), cell_deadline=now + dt.timedelta(days=2),
                                     decide_deadline=now + dt.timedelta(days=3))
    sender = await load_actor(session, world["cell"].members[0])
    entry = await entry_of(session, sender.member.id)
    await review.submit_self(session, actor=sender, entry_id=entry.id, rating=Rating.GOOD, text="Đã hoàn thành.", now=now)
    night = dt.datetime.combine(now.astimezone(LOCAL_TZ).date(), dt.time(23, 0), LOCAL_TZ).astimezone(dt.timezone.utc)
    assert await review.remind_self_assessment(session, TickContext(now=night, tz=LOCAL_TZ)) == 0
    assert await review.remind_self_assessment(session, TickContext(now=now - dt.timedelta(days=2), tz=LOCAL_TZ)) == 0  # too early
    assert await review.remind_self_assessment(session, TickContext(now=now, tz=LOCAL_TZ)) == opened.members - 1
    assert await review.remind_self_assessment(session, TickContext(now=now + dt.timedelta(hours=1), tz=LOCAL_TZ)) == 0
    reminded = await outbox(session, review.KIND_SELF_REMINDER)
    assert sender.member.id not in {m.member_id for m in reminded} and "Hạn cuối" in reminded[0].payload["text"]


async def test_a_committee_opens_the_years_review_in_the_chat(harness, session, commune, clock) -> None:
    committee_id, org = commune.commune.id, commune.commune
    # A cell's secretary has no such button, and a forged one opens nothing.
    assert not data_of(await harness.press(1001, "rvm:0"), "rvn:")
    assert alerts(await harness.press(1001, f"rvz:{committee_id}:0")) and await outbox(session, review.KIND_REVIEW_OPENED) == []
    home = await harness.press(5001, "rvm:0")
    assert data_of(home, "rvn:") == [f"rvn:{committee_id}"]
    presets = await harness.press(5001, f"rvn:{committee_id}")
    assert data_of(presets, "rvk:") == [f"rvk:{committee_id}:{i}" for i in range(len(review.PRESETS))]
    confirm = await harness.press(5001, f"rvk:{committee_id}:0")
    self_deadline, _, decide_deadline = review.preset_deadlines(0, now=clock.now())
    assert any(org.name in t and "Hạn tự kiểm điểm" in t for t in texts_of(confirm))
    assert data_of(confirm, "rvz:") == [f"rvz:{committee_id}:0"]
    assert await outbox(session, review.KIND_REVIEW_OPENED) == []  # nothing opens before the confirmation
    done = await harness.press(5001, f"rvz:{committee_id}:0")
    assert any("Đã mở đánh giá, xếp loại năm 2026 cho 13 đảng viên" in t for t in texts_of(done))
    assert len(await outbox(session, review.KIND_REVIEW_OPENED)) == 13  # both cells (6 + 6) and the committee member
    entry = await entry_of(session, commune.cells[1].members[0].id)
    cycle = await session.get(ReviewCycle, entry.cycle_id)
    assert (cycle.year, cycle.self_deadline, cycle.decide_deadline, cycle.top_limit_percent) == (2026, self_deadline, decide_deadline, 20)
    assert self_deadline.astimezone(LOCAL_TZ).hour == 17 and (self_deadline - clock.now()).days in (6, 7)
    # Opened: the button is gone, and the confirmation pressed again opens nothing more.
    assert not data_of(await harness.press(5001, "rvm:0"), "rvn:")
    assert alerts(await harness.press(5001, f"rvz:{committee_id}:0")) == [T.CYCLE_EXISTS.format(year=2026)]
