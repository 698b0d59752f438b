"""Issue 17, item 1: a past month counts the members it had then (membership history), the same in
the bot's 📈 screen, the API's JSON, CSV and XLSX, and the cell's monthly report.

The world: a commune whose members were all admitted in 1985. Through the API, on the days
given, a secretary's committee moves one member of cell A to cell B (15 November), exempts another
(20 November), retires a third (10 November), and imports a new member on 7 December who was
admitted in 2001. The rule (core.orgs.membership): a month counts the spans covering its last day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select, update

from core.orgs.models import ChannelLink, Membership
from tests.botkit import texts_of

HEADER = ("Tổ chức đảng,Họ và tên,Ngày sinh,Giới tính,Ngày vào Đảng,Ngày chính thức,Số thẻ đảng viên,"
          "Số định danh cá nhân,Số điện thoại,Vai trò,Miễn sinh hoạt,Cấp ủy\n")
COMMITTEE = 5001


def at(day: int, month: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 3, 0, tzinfo=dt.timezone.utc)  # 10:00 in Hà Nội


async def test_past_months_count_the_members_they_had(api_client, harness, session, commune, bearer, clock) -> None:
    a, b = commune.cells
    committee = await bearer(commune.committee_member)
    moved, exempted, departed = a.members[0], a.members[1], a.members[2]
    await session.execute(update(ChannelLink).values(linked_at=at(1, 1)))  # everyone linked in January
    await session.commit()

    clock.set(at(10, 11))
    assert (await api_client.delete(f"/api/v1/members/{departed.id}", headers=committee)).status_code == 200
    clock.set(at(15, 11))
    response = await api_client.patch(f"/api/v1/members/{moved.id}", json={"org_id": b.org.id}, headers=committee)
    assert response.status_code == 200, response.text
    clock.set(at(20, 11))
    assert (await api_client.patch(f"/api/v1/members/{exempted.id}", json={"exempt": True}, headers=committee)).status_code == 200
    clock.set(at(7, 12))
    committee = await bearer(commune.committee_member)  # the first token lasted a day
    row = f"{commune.province.name}/{commune.commune.name}/{a.org.name},Lò Văn Mới,01/01/1970,Nam,01/01/2001,01/01/2002,IMP9,001070999999,,Đảng viên,Không,\n"
    imported = await api_client.post("/api/v1/members/import", files={"file": ("ds.csv", io.BytesIO((HEADER + row).encode()), "text/csv")},
                                      headers=committee)
    assert imported.json() == {"created": 1, "updated": 0, "unchanged": 0}

    # The history: one span per state, closed on the day of the change.
    spans = (await session.execute(select(Membership).where(Membership.member_id == moved.id).order_by(Membership.valid_from))).scalars().all()
    assert [(s.org_id, s.valid_from, s.valid_to) for s in spans] == [
        (a.org.id, dt.date(1985, 3, 3), dt.date(2026, 11, 15)), (b.org.id, dt.date(2026, 11, 15), None)]

    # Cell A: 6 of its own + the commune's committee member (who lives in A) + the one imported
    # today, a member since 2001 = 8 in October (7 linked). November: − moved − departed = 6, one
    # of them exempt, 5 linked; cell B: 6 + moved = 7.
    expected = {"2026-10": {a.org.id: (8, 0, 7), b.org.id: (6, 0, 6)}, "2026-11": {a.org.id: (6, 1, 5), b.org.id: (7, 0, 7)}}
    body = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/figures", params={"month": "2026-11", "months": 2},
                                 headers=committee)).json()
    for index, month in enumerate(("2026-10", "2026-11")):
        got = {c["org_id"]: tuple(c["months"][index]["figures"][k] for k in ("members", "exempt", "linked")) for c in body["children"]}
        assert got == expected[month], month
        assert body["months"][index]["figures"]["members"] == {"2026-10": 14, "2026-11": 13}[month]

    # CSV and XLSX of November say the same.
    response = await api_client.get(f"/api/v1/orgs/{commune.commune.id}/figures", params={"format": "csv", "month": "2026-11"}, headers=committee)
    rows = {r[0]: r for r in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows[a.org.name][1:4] == ["6", "1", "5"] and rows[b.org.name][1:4] == ["7", "0", "7"] and rows["Tổng cộng"][1] == "13"
    from openpyxl import load_workbook

    response = await api_client.get(f"/api/v1/orgs/{commune.commune.id}/figures", params={"format": "xlsx", "month": "2026-11"}, headers=committee)
    sheet = load_workbook(io.BytesIO(response.content))["Tổng hợp"]
    xlsx_rows = {r[0]: r for r in sheet.iter_rows(values_only=True)}
    assert xlsx_rows[a.org.name][1:4] == (6, 1, 5) and xlsx_rows["Tổng cộng"][1] == 13

    # The bot's 📈 screen for cell A in November, and in October.
    calls = await harness.press(COMMITTEE, f"rf:show:{a.org.id}:202611")
    assert "Đảng viên: <b>6</b> (miễn sinh hoạt: 1; đã liên kết Sổ tay: 5)" in "\n".join(texts_of(calls))
    calls = await harness.press(COMMITTEE, f"rf:show:{a.org.id}:202610")
    assert "Đảng viên: <b>8</b> (miễn sinh hoạt: 0; đã liên kết Sổ tay: 7)" in "\n".join(texts_of(calls))

    # The cell's November report, as its secretary drafts it.
    report = (await api_client.get(f"/api/v1/reports/{a.org.id}/2026-11", headers=await bearer(a.secretary))).json()
    assert (report["figures"]["members"], report["figures"]["exempt"], report["figures"]["linked"]) == (6, 1, 5)


async def test_same_day_changes_leave_no_empty_span_and_a_return_reopens(api_client, session, commune, bearer, clock) -> None:
    a, b = commune.cells
    committee = await bearer(commune.committee_member)
    member = a.members[0]
    clock.set(at(15, 11))
    await api_client.patch(f"/api/v1/members/{member.id}", json={"org_id": b.org.id}, headers=committee)
    await api_client.patch(f"/api/v1/members/{member.id}", json={"exempt": True}, headers=committee)  # same day: the new span is rewritten
    clock.set(at(2, 12))
    committee = await bearer(commune.committee_member)
    await api_client.patch(f"/api/v1/members/{member.id}", json={"active": False}, headers=committee)
    clock.set(at(5, 12))
    committee = await bearer(commune.committee_member)
    response = await api_client.patch(f"/api/v1/members/{member.id}", json={"active": True}, headers=committee)
    assert response.status_code == 200, response.text
    spans = (await session.execute(select(Membership).where(Membership.member_id == member.id).order_by(Membership.valid_from))).scalars().all()
    assert [(s.org_id, s.exempt, s.valid_from, s.valid_to) for s in spans] == [
        (a.org.id, False, dt.date(1985, 3, 3), dt.date(2026, 11, 15)),
        (b.org.id, True, dt.date(2026, 11, 15), dt.date(2026, 12, 2)),
        (b.org.id, True, dt.date(2026, 12, 5), None),
    ]
