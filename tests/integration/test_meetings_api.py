"""Meetings over the REST API (httpx over ASGI): scope checks, answers, attendance, statistics, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from core import texts
from core.delivery.models import OutboxMessage, OutboxState
from core.meetings import service
from core.meetings.models import Invitation, Meeting
from core.orgs.models import Member
from core.orgs.tokens import create_token

STARTS = "2026-12-05T19:30:00+07:00"



@pytest.fixture
async def auth(session, clock, commune):  # type: ignore[no-untyped-def]
    """Bearer headers by member, made on demand."""
    made: dict[int, dict[str, str]] = {}

    async def headers(member: Member) -> dict[str, str]:
        if member.id not in made:
            issued = await create_token(session, member=member, now=clock.now())
            await session.commit()
            made[member.id] = {"Authorization": f"Bearer {issued.token}"}
        return made[member.id]

    return headers


async def create(api_client, headers: dict[str, str], org_id: int, **changes: object):  # type: ignore[no-untyped-def]
    body = {"org_id": org_id, "kind": "regular", "starts_at": STARTS, "place": "Nhà văn hóa thôn", "agenda": "1. Việc tháng 12."}
    body.update(changes)
    return await api_client.post("/api/v1/meetings", json=body, headers=headers)


async def test_create_read_answer_decide_attend_and_statistics(api_client, session, commune, auth, clock) -> None:
    cell = commune.cells[0]
    secretary = await auth(cell.secretary)
    response = await create(api_client, secretary, cell.org.id, repeat_monthly=True)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["when"] == "Thứ Bảy, 05/12/2026 — 19:30" and created["status"] == "scheduled"
    assert created["starts_at"].startswith("2026-12-05T12:30:00") and created["rule_id"] is not None
    # Six in the cell plus the commune committee member who belongs to it; all linked.
    assert (created["invited"], created["queued"], created["unlinked_member_ids"]) == (7, 7, [])
    meeting_id = created["id"]
    assert await session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == service.KIND_INVITATION)) == 7

    # A member sees the meeting and only their own invitation; the secretary sees all, with stats.
    member = await auth(cell.members[0])
    mine = (await api_client.get(f"/api/v1/meetings/{meeting_id}", headers=member)).json()
    assert [i["member_id"] for i in mine["invitations"]] == [cell.members[0].id] and mine["stats"] is None
    full = (await api_client.get(f"/api/v1/meetings/{meeting_id}", headers=secretary)).json()
    assert len(full["invitations"]) == 7 and full["stats"]["invited"] == 7 and full["stats"]["no_answer"] == 7

    # Answers: one attends, one asks leave; the secretary approves.
    ok = await api_client.post(f"/api/v1/meetings/{meeting_id}/answer", json={"answer": "attending"}, headers=member)
    assert ok.status_code == 200 and ok.json()["answer"] == "attending"
    other = await auth(cell.members[1])
    missing = await api_client.post(f"/api/v1/meetings/{meeting_id}/answer", json={"answer": "absent"}, headers=other)
    assert missing.status_code == 422 and missing.json()["message"] == texts.meetings.ABSENCE_REASON_NEEDED
    leave = await api_client.post(
        f"/api/v1/meetings/{meeting_id}/answer", json={"answer": "absent", "reason": "other", "reason_text": "Đi khám bệnh ở huyện"},
        headers=other,
    )
    assert leave.status_code == 200 and leave.json()["answer"] == "absence_requested"
    invitation_id = leave.json()["id"]
    # Neither the member nor another cell's secretary may decide; to the latter it does not exist.
    refused = await api_client.post(f"/api/v1/meetings/invitations/{invitation_id}/decision", json={"approve": True}, headers=member)
    assert refused.status_code == 403 and refused.json() == {"error": "forbidden", "message": texts.meetings.NOT_LEADER}
    refused = await api_client.post(f"/api/v1/meetings/invitations/{invitation_id}/decision", json={"approve": True},
                                    headers=await auth(commune.cells[1].secretary))
    assert refused.status_code == 404 and refused.json()["error"] == "not_found"
    decided = await api_client.post(f"/api/v1/meetings/invitations/{invitation_id}/decision", json={"approve": True}, headers=secretary)
    assert decided.status_code == 200 and decided.json()["answer"] == "excused"
    again = await api_client.post(f"/api/v1/meetings/invitations/{invitation_id}/decision", json={"approve": False}, headers=secretary)
    assert again.status_code == 409

    # Attendance opens an hour before the start.
    everyone = [m.id for m in cell.everyone]
    early = await api_client.put(f"/api/v1/meetings/{meeting_id}/attendance", json={"present_member_ids": everyone}, headers=secretary)
    assert early.status_code == 409
    clock.set(dt.datetime(2026, 12, 5, 12, 45, tzinfo=dt.timezone.utc))
    late_answer = await api_client.post(f"/api/v1/meetings/{meeting_id}/answer", json={"answer": "attending"}, headers=other)
    assert late_answer.status_code == 409 and late_answer.json()["message"] == texts.meetings.ANSWERS_CLOSED
    outsider = await api_client.put(
        f"/api/v1/meetings/{meeting_id}/attendance", json={"present_member_ids": [commune.other_cell.members[0].id]}, headers=secretary
    )
    assert outsider.status_code == 422
    present = [cell.secretary.id, cell.deputy.id, cell.members[0].id, cell.members[2].id]
    recorded = await api_client.put(f"/api/v1/meetings/{meeting_id}/attendance", json={"present_member_ids": present}, headers=secretary)
    assert recorded.status_code == 200 and (recorded.json()["present"], recorded.json()["total"]) == (4, 7)

    summary = (await api_client.get(f"/api/v1/meetings/{meeting_id}/stats", headers=secretary)).json()
    assert summary == {
        "invited": 7, "attending": 1, "requested": 0, "excused": 1, "refused": 0, "no_answer": 5, "held": True,
        "present": 4, "absent_excused": 1, "absent_unexcused": 2, "rate": pytest.approx(4 / 7),
    }
    assert (await api_client.get(f"/api/v1/meetings/{meeting_id}/stats", headers=member)).status_code == 403

    exported = await api_client.get(f"/api/v1/meetings/{meeting_id}/stats?format=csv", headers=secretary)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == list(texts.meetings.EXPORT_MEETING_HEADERS) and len(rows) == 8
    leaving = next(r for r in rows if r[0] == cell.members[1].full_name)
    assert leaving[2:] == ["Vắng có phép", "Lý do khác", "Đi khám bệnh ở huyện", "Vắng"]

    # Conclusions reach the three absent.
    sent = await api_client.post(f"/api/v1/meetings/{meeting_id}/conclusions", json={"text": "Chi bộ thống nhất làm đường."}, headers=secretary)
    assert sent.status_code == 200 and sent.json() == {"sent_to": 3}

    # Statistics over time, for the cell and for the commune committee (per cell); exports.
    period = await api_client.get(f"/api/v1/orgs/{cell.org.id}/meeting-stats?from=2026-07-01&to=2026-12-31&by_member=true", headers=secretary)
    assert period.status_code == 200, period.text
    body = period.json()
    assert body["totals"] == {"meetings": 1, "invited": 7, "present": 4, "absent_excused": 1, "absent_unexcused": 2, "rate": pytest.approx(4 / 7)}
    assert [m["month"] for m in body["months"]] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    assert body["months"][-1]["present"] == 4 and len(body["members"]) == 7
    committee = await auth(commune.committee_member)
    by_cell = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/meeting-stats?from=2026-12-01&to=2026-12-31", headers=committee)).json()
    assert [(c["name"], c["present"]) for c in by_cell["cells"]] == [(cell.org.name, 4)]
    denied = await api_client.get(f"/api/v1/orgs/{commune.commune.id}/meeting-stats", headers=secretary)
    assert denied.status_code == 403
    xlsx = await api_client.get(f"/api/v1/orgs/{cell.org.id}/meeting-stats?from=2026-12-01&to=2026-12-31&format=xlsx", headers=secretary)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == [texts.meetings.SHEET_MONTHS, texts.meetings.SHEET_MEMBERS, texts.meetings.SHEET_DETAIL]
    assert book[texts.meetings.SHEET_MONTHS]["D2"].value == 4
    bad_period = await api_client.get(f"/api/v1/orgs/{cell.org.id}/meeting-stats?from=2026-12-31&to=2026-01-01", headers=secretary)
    assert bad_period.status_code == 422 and bad_period.json()["message"] == texts.meetings.PERIOD_INVALID

    # Held meetings cannot be cancelled.
    assert (await api_client.post(f"/api/v1/meetings/{meeting_id}/cancel", headers=secretary)).status_code == 409


async def test_scope_lists_and_refusals(api_client, session, commune, auth) -> None:
    cell_a, cell_b = commune.cells
    secretary_a = await auth(cell_a.secretary)
    meeting_a = (await create(api_client, secretary_a, cell_a.org.id)).json()["id"]
    chi_uy = (await create(api_client, secretary_a, cell_a.org.id, kind="committee", starts_at="2026-12-02T19:30:00+07:00")).json()
    assert chi_uy["invited"] == 2
    secretary_b = await auth(cell_b.secretary)
    meeting_b = (await create(api_client, secretary_b, cell_b.org.id)).json()["id"]

    listed = (await api_client.get("/api/v1/meetings", headers=secretary_a)).json()
    assert [m["id"] for m in listed["items"]] == [chi_uy["id"], meeting_a] and listed["total"] == 2
    # A plain member sees what they are invited to: not the chi ủy meeting, not the other cell's.
    member_a = await auth(cell_a.members[0])
    assert [m["id"] for m in (await api_client.get("/api/v1/meetings", headers=member_a)).json()["items"]] == [meeting_a]
    assert (await api_client.get(f"/api/v1/meetings/{chi_uy['id']}", headers=member_a)).status_code == 403
    # Another cell's meeting, and the other cell itself, do not exist for her.
    assert (await api_client.get(f"/api/v1/meetings/{meeting_b}", headers=member_a)).status_code == 404
    assert (await api_client.get(f"/api/v1/meetings?org_id={cell_b.org.id}", headers=member_a)).status_code == 404
    # The commune committee sees both cells' meetings.
    committee = await auth(commune.committee_member)
    listed = (await api_client.get(f"/api/v1/meetings?org_id={commune.commune.id}&from=2026-12-01&to=2026-12-31", headers=committee)).json()
    assert sorted(m["id"] for m in listed["items"]) == sorted([meeting_a, chi_uy["id"], meeting_b])
    # The other province sees nothing of it.
    outsider = await auth(commune.other_cell.secretary)
    assert (await api_client.get(f"/api/v1/meetings/{meeting_a}", headers=outsider)).status_code == 404
    assert (await api_client.get("/api/v1/meetings", headers=outsider)).json()["total"] == 0

    # Another cell's secretary cannot edit, cancel or record attendance (to her the meeting does not
    # exist); a member cannot either (it is her cell's: refused with a reason).
    for headers, status in ((secretary_b, 404), (member_a, 403)):
        assert (await api_client.patch(f"/api/v1/meetings/{meeting_a}", json={"place": "X"}, headers=headers)).status_code == status
        assert (await api_client.post(f"/api/v1/meetings/{meeting_a}/cancel", headers=headers)).status_code == status
        assert (await api_client.put(f"/api/v1/meetings/{meeting_a}/attendance", json={"present_member_ids": []}, headers=headers)).status_code == status
    assert (await create(api_client, secretary_b, cell_a.org.id)).status_code == 404
    assert (await create(api_client, member_a, cell_a.org.id)).status_code == 403
    # Someone else's meeting answer: only one's own invitation (another cell's meeting does not exist for her;
    # one of her own cell she is not invited to is refused with the reason).
    member_b = await auth(cell_b.members[0])
    refused = await api_client.post(f"/api/v1/meetings/{meeting_a}/answer", json={"answer": "attending"}, headers=member_b)
    assert refused.status_code == 404
    refused = await api_client.post(f"/api/v1/meetings/{chi_uy['id']}/answer", json={"answer": "attending"}, headers=member_a)
    assert refused.status_code == 403 and refused.json()["message"] == texts.meetings.NOT_INVITED_YOU
    # Unknown ids and no token.
    assert (await api_client.get("/api/v1/meetings/999999", headers=secretary_a)).status_code == 404
    assert (await api_client.get("/api/v1/meetings")).status_code == 401

    session.expire_all()
    assert [m.version for m in (await session.execute(select(Meeting).order_by(Meeting.id))).scalars()] == [1, 1, 1]


async def test_bad_input_leaves_nothing_half_created(api_client, session, commune, auth) -> None:
    cell = commune.cells[0]
    secretary = await auth(cell.secretary)
    past = await create(api_client, secretary, cell.org.id, starts_at="2026-11-20T19:30:00+07:00")
    assert past.status_code == 422 and "đã qua" in past.json()["message"]
    far = await create(api_client, secretary, cell.org.id, starts_at="2028-11-20T19:30:00+07:00")
    assert far.status_code == 422 and far.json()["message"] == texts.meetings.DATE_TOO_FAR
    impossible = await create(api_client, secretary, cell.org.id, starts_at="2026-02-31T19:30:00+07:00")
    assert impossible.status_code == 422 and impossible.json()["error"] == "invalid_input"
    naive = await create(api_client, secretary, cell.org.id, starts_at="2026-12-05T19:30:00")
    assert naive.status_code == 422
    blank = await create(api_client, secretary, cell.org.id, place="   ")
    assert blank.status_code == 422 and blank.json()["message"] == texts.meetings.PLACE_EMPTY
    committee_org = await create(api_client, await auth(commune.committee_member), commune.commune.id)
    assert committee_org.status_code == 422 and committee_org.json()["message"] == texts.meetings.NOT_A_CELL
    repeat_thematic = await create(api_client, secretary, cell.org.id, kind="thematic", repeat_monthly=True)
    assert repeat_thematic.status_code == 422 and repeat_thematic.json()["message"] == texts.meetings.REPEAT_ONLY_REGULAR
    assert await session.scalar(select(func.count(Meeting.id))) == 0
    assert await session.scalar(select(func.count(Invitation.id))) == 0
    assert await session.scalar(select(func.count(OutboxMessage.id))) == 0


async def test_edit_notifies_once_per_version_and_cancel(api_client, session, commune, auth) -> None:
    cell = commune.cells[0]
    secretary = await auth(cell.secretary)
    meeting_id = (await create(api_client, secretary, cell.org.id)).json()["id"]
    # The delivery worker has sent the invitations.
    await session.execute(update(OutboxMessage).values(state=OutboxState.SENT))
    await session.commit()
    unchanged = await api_client.patch(f"/api/v1/meetings/{meeting_id}", json={"place": "Nhà văn hóa thôn"}, headers=secretary)
    assert unchanged.status_code == 422 and unchanged.json()["message"] == texts.meetings.NOTHING_CHANGED
    past = await api_client.patch(f"/api/v1/meetings/{meeting_id}", json={"starts_at": "2026-11-01T08:00:00+07:00"}, headers=secretary)
    assert past.status_code == 422
    edited = await api_client.patch(
        f"/api/v1/meetings/{meeting_id}", json={"starts_at": "2026-12-06T08:00:00+07:00", "place": "Hội trường xã"}, headers=secretary
    )
    assert edited.status_code == 200 and edited.json()["changed"] == ["when", "place"] and edited.json()["version"] == 2
    assert edited.json()["queued"] == 7
    cancelled = await api_client.post(f"/api/v1/meetings/{meeting_id}/cancel", headers=secretary)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (await api_client.post(f"/api/v1/meetings/{meeting_id}/cancel", headers=secretary)).status_code == 409
    kinds = dict(
        (await session.execute(select(OutboxMessage.kind, func.count(OutboxMessage.id)).group_by(OutboxMessage.kind))).all()
    )
    assert kinds == {service.KIND_INVITATION: 7, service.KIND_CHANGED: 7, service.KIND_CANCELLED: 7}


async def test_openapi_documents_the_meeting_routes(api_client) -> None:
    schema = (await api_client.get("/openapi.json")).json()
    for path in ("/api/v1/meetings", "/api/v1/meetings/{meeting_id}", "/api/v1/meetings/{meeting_id}/attendance",
                 "/api/v1/meetings/{meeting_id}/stats", "/api/v1/orgs/{org_id}/meeting-stats"):
        assert path in schema["paths"], path
    assert schema["components"]["schemas"]["MeetingCreate"]["examples"]
