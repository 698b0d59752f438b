"""The annual review over real HTTP for a cell of 8: the province opens it through the API, one member
sends a voice self-assessment in the chat, the cell votes her proposed rating by taps, the commune's
committee decides in the chat and is stopped at the 20% limit, a member asks for reconsideration, and
the province reads the roll-up (JSON and CSV)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select

from core import texts
from core.orgs.models import OrgKind, OrgRole, RoleKind
from core.orgs.service import create_org
from core.orgs.tokens import create_token
from core.votes.models import Rating, ReviewEntry
from tests.e2e.walk import until
from tests.factories import add_member, make_cell

pytestmark = pytest.mark.e2e
T = texts.votes
SECRETARY, VOICE_MEMBER, THIRD = 3001, 3003, 3005
COMMUNE_COMMITTEE, PROVINCE_COMMITTEE = 5001, 6001
VOICE = b"OggS" + bytes(range(256)) * 4


@pytest.mark.parametrize("app", ["polling"], indirect=True)
async def test_review_cycle_for_a_cell_of_eight_and_the_roll_up(app, people, e2e_sessions, e2e_cipher) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    async with e2e_sessions() as session:
        province = await create_org(session, name="Đảng bộ tỉnh Lai Châu", kind=OrgKind.COMMITTEE, parent=None)
        commune = await create_org(session, name="Đảng bộ xã Bum Nưa", kind=OrgKind.COMMITTEE, parent=province)
        cell = await make_cell(session, e2e_cipher, commune, "Chi bộ bản Nậm Củm", size=6, user_id_base=3001)
        office = await make_cell(session, e2e_cipher, commune, "Chi bộ cơ quan", size=0, user_id_base=3101)
        commune_member = await add_member(session, e2e_cipher, office.org, "Ủy viên Đảng ủy xã", link_to=COMMUNE_COMMITTEE)
        province_member = await add_member(session, e2e_cipher, office.org, "Ủy viên Tỉnh ủy", link_to=PROVINCE_COMMITTEE)
        session.add(OrgRole(member_id=commune_member.id, org_id=commune.id, role=RoleKind.COMMITTEE_MEMBER))
        session.add(OrgRole(member_id=province_member.id, org_id=province.id, role=RoleKind.COMMITTEE_MEMBER))
        await session.flush()
        tokens = {m.id: (await create_token(session, member=m, now=now, ttl=dt.timedelta(days=1))).token
                  for m in [*cell.everyone, province_member]}
        await session.commit()
    members = cell.everyone
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in [*range(3001, 3009), COMMUNE_COMMITTEE, PROVINCE_COMMITTEE]])

    def auth(member_id: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[member_id]}"}

    async def entry_of(member_id: int) -> ReviewEntry:
        async with e2e_sessions() as session:
            return (await session.execute(select(ReviewEntry).where(ReviewEntry.member_id == member_id))).scalar_one()

    async with httpx.AsyncClient(base_url=app.process.base_url, timeout=30) as api:
        opened = await api.post("/api/v1/reviews", headers=auth(province_member.id), json={
            "org_id": province.id, "year": 2026, "self_deadline": (now + dt.timedelta(days=2)).isoformat(),
            "cell_deadline": (now + dt.timedelta(days=3)).isoformat(), "decide_deadline": (now + dt.timedelta(days=4)).isoformat()})
        assert opened.status_code == 201, opened.text
        assert opened.json()["members"] == 12  # 8 + the office cell's 4; 20% → at most 2 excellent

        # The voice member: the notice → ✍️ → a voice note → her proposal.
        notice = await people.wait_for_message(VOICE_MEMBER, lambda m: "ĐÁNH GIÁ, XẾP LOẠI" in m.text and bool(m.buttons), timeout=25)
        await people.press(VOICE_MEMBER, notice.message_id, notice.button("Tự kiểm điểm"))
        await people.wait_for_message(VOICE_MEMBER, lambda m: "bản tự kiểm điểm ngắn" in m.text)
        await people.send_voice(VOICE_MEMBER, VOICE, duration=30)
        ratings = await people.wait_for_message(VOICE_MEMBER, lambda m: any("Hoàn thành tốt" in t for t, _ in m.buttons))
        await people.press(VOICE_MEMBER, ratings.message_id, ratings.button("Hoàn thành tốt nhiệm vụ"))
        await people.wait_for_message(VOICE_MEMBER, lambda m: "Đã gửi bản tự kiểm điểm" in m.text)
        # «Đã gửi» is shown from inside the handler, before the update's transaction commits: wait for the row.
        voice_entry = await until(lambda: entry_of(members[2].id), lambda e: e.self_rating is not None)
        assert voice_entry.self_voice_file_id and voice_entry.self_rating == Rating.GOOD
        # The others through the API.
        for member in members:
            if member.id != members[2].id:
                entry = await entry_of(member.id)
                answer = await api.post(f"/api/v1/reviews/entries/{entry.id}/self", headers=auth(member.id),
                                        json={"rating": "good", "text": "Hoàn thành nhiệm vụ được giao."})
                assert answer.status_code == 200, answer.text

        # The secretary: 🗳 Biểu quyết → 📋 Đánh giá → the cell → the voice member → hears her → proposes «xuất sắc».
        await people.send_text(SECRETARY, T.BTN_VOTES)
        menu = await people.wait_for_message(SECRETARY, lambda m: any("Đánh giá, xếp loại" in t for t, _ in m.buttons))
        await people.press(SECRETARY, menu.message_id, menu.button("Đánh giá, xếp loại"))
        home = await people.wait_for_message(SECRETARY, lambda m: any(cell.org.name in t for t, _ in m.buttons))
        await people.press(SECRETARY, home.message_id, home.button(cell.org.name))
        listing = await people.wait_for_message(SECRETARY, lambda m: any(d == f"rvv:{voice_entry.id}" for _, d in m.buttons))
        await people.press(SECRETARY, listing.message_id, f"rvv:{voice_entry.id}")
        heard = await people.wait_for_message(SECRETARY, lambda m: bool(m.attachment) and m.attachment["kind"] == "voice")
        assert await people.download(heard.attachment) == VOICE
        propose = await people.wait_for_message(SECRETARY, lambda m: any("xuất sắc" in t for t, _ in m.buttons))
        await people.press(SECRETARY, propose.message_id, propose.button("xuất sắc"))
        card = await people.wait_for_message(SECRETARY, lambda m: "Đã mở biểu quyết" in m.text and bool(m.buttons))
        for user in (3001, 3002, 3004, 3005, 3006):  # not 3003: nobody votes on their own rating
            ballot = await people.wait_for_message(user, lambda m: "Đề nghị xếp loại" in m.text and any("Tán thành" in t for t, _ in m.buttons),
                                                   timeout=25)
            answer = await people.press(user, ballot.message_id, ballot.button("Tán thành"))
            assert "Đã ghi nhận" in answer["text"]
        await people.press(SECRETARY, card.message_id, card.button("Kết thúc biểu quyết"))
        await people.wait_for_message(SECRETARY, lambda m: "KẾT QUẢ BIỂU QUYẾT" in m.text and "Được thông qua" in m.text)
        assert (await until(lambda: entry_of(members[2].id), lambda e: e.cell_rating is not None)).cell_rating == Rating.EXCELLENT
        # The rest by hands in the room, recorded through the API.
        for index, member in enumerate(members):
            if member.id == members[2].id:
                continue
            entry = await entry_of(member.id)
            proposal = "excellent" if index in (3, 4) else "good"
            vote = await api.post(f"/api/v1/reviews/entries/{entry.id}/vote", headers=auth(members[0].id), json={"rating": proposal, "kind": "hand"})
            assert vote.status_code == 201, vote.text
            counted = await api.post(f"/api/v1/votes/{vote.json()['id']}/hand-counts", headers=auth(members[0].id), json={"counts": [6, 1, 0]})
            assert counted.json()["passed"] is True

        # The commune's committee decides in the chat: 🗳 → 📋 → ⚖️ the cell → a member → a rating.
        entries = {m.id: await until(lambda m=m: entry_of(m.id), lambda e: e.cell_rating is not None) for m in members}
        await people.send_text(COMMUNE_COMMITTEE, T.BTN_VOTES)
        menu = await people.wait_for_message(COMMUNE_COMMITTEE, lambda m: any("Đánh giá, xếp loại" in t for t, _ in m.buttons))
        await people.press(COMMUNE_COMMITTEE, menu.message_id, menu.button("Đánh giá, xếp loại"))
        home = await people.wait_for_message(COMMUNE_COMMITTEE, lambda m: any(commune.name in t for t, _ in m.buttons))
        await people.press(COMMUNE_COMMITTEE, home.message_id, home.button(commune.name))
        figures = await people.wait_for_message(COMMUNE_COMMITTEE, lambda m: "Xếp loại năm 2026" in m.text and bool(m.buttons))
        await people.press(COMMUNE_COMMITTEE, figures.message_id, figures.button(cell.org.name))
        for index, expected in ((2, None), (3, None), (4, "Vượt giới hạn")):
            entry = entries[members[index].id]
            listing = await people.wait_for_message(COMMUNE_COMMITTEE, lambda m, e=entry: any(d == f"rvx:{e.id}" for _, d in m.buttons))
            await people.press(COMMUNE_COMMITTEE, listing.message_id, f"rvx:{entry.id}")
            choice = await people.wait_for_message(COMMUNE_COMMITTEE, lambda m, e=entry: any(d == f"rvy:{e.id}:excellent" for _, d in m.buttons))
            answer = await people.press(COMMUNE_COMMITTEE, choice.message_id, f"rvy:{entry.id}:excellent")
            if expected:
                assert answer["text"].startswith(expected) and answer["show_alert"]
        # The two accepted decisions were answered before their commits: wait for them before reading who is left.
        for index in (2, 3):
            assert (await until(lambda i=index: entry_of(members[i].id), lambda e: e.final_rating is not None)).final_rating == Rating.EXCELLENT
        assert (await entry_of(members[4].id)).final_rating is None
        for member in members:
            if (await entry_of(member.id)).final_rating is None:
                # The commune committee member has no token here: the province decides the rest through the API.
                decided = await api.post(f"/api/v1/reviews/entries/{entries[member.id].id}/decision", headers=auth(province_member.id),
                                         json={"rating": "good"})
                assert decided.status_code == 200, decided.text

        # Each member is told; one asks for reconsideration, once, and the province's committee hears of it.
        result = await people.wait_for_message(THIRD, lambda m: "KẾT QUẢ XẾP LOẠI" in m.text and bool(m.buttons), timeout=25)
        assert "Hoàn thành tốt nhiệm vụ" in result.text
        await people.press(THIRD, result.message_id, result.button("xem xét lại"))
        await people.wait_for_message(THIRD, lambda m: "lý do đề nghị xem xét lại" in m.text)
        await people.send_text(THIRD, "Tôi được huyện tặng giấy khen năm 2026.")
        await people.wait_for_message(THIRD, lambda m: "Đã gửi đề nghị xem xét lại" in m.text)
        answer = await people.press(THIRD, result.message_id, result.button("xem xét lại"))
        assert answer["text"] == T.RECONSIDER_ONCE
        await people.wait_for_message(PROVINCE_COMMITTEE, lambda m: "XEM XÉT LẠI" in m.text and "giấy khen" in m.text, timeout=25)
        final = await api.post(f"/api/v1/reviews/entries/{entries[members[4].id].id}/decision", headers=auth(province_member.id),
                               json={"rating": "good"})
        assert final.status_code == 200
        await people.wait_for_message(THIRD, lambda m: "kết quả cuối cùng" in m.text, timeout=25)

        # The roll-up over the province.
        body = (await api.get(f"/api/v1/orgs/{province.id}/review-figures", headers=auth(province_member.id))).json()
        assert body["totals"]["total"] == 12 and body["totals"]["ratings"]["excellent"] == 2 and body["totals"]["ratings"]["good"] == 6
        [child] = body["children"]
        assert child["name"] == commune.name and child["total"] == 12
        by_cell = {c["name"]: c for c in body["cells"]}
        assert by_cell[cell.org.name]["total"] == 8 and by_cell[cell.org.name]["pending"] == 0
        csv_file = await api.get(f"/api/v1/orgs/{province.id}/review-figures", params={"format": "csv"}, headers=auth(province_member.id))
        assert cell.org.name in csv_file.content.decode("utf-8-sig")
        # A cell secretary may not read the province's figures.
        assert (await api.get(f"/api/v1/orgs/{province.id}/review-figures", headers=auth(members[0].id))).status_code in (403, 404)
