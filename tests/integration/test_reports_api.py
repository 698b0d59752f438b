"""/api/v1/orgs/{id}/figures and /api/v1/reports over the real FastAPI app: figures rolled up
(JSON, CSV, XLSX), who may see them (not another province, not a sibling commune), and a cell's
report drafted, annotated, sent and received."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from core.delivery.models import OutboxMessage
from core.meetings.models import Attendance, Invitation, Meeting, MeetingKind, MeetingStatus
from core.orgs.models import OrgKind, OrgRole, RoleKind
from core.orgs.service import create_org
from core.reporting import reports
from tests.factories import Commune, add_member, make_cell, make_commune


@pytest.fixture
async def commune(session, cipher) -> Commune:  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    held_at = dt.datetime(2026, 11, 4, 12, 30, tzinfo=dt.timezone.utc)
    for cell in commune.cells:
        meeting = Meeting(cell_id=cell.org.id, kind=MeetingKind.REGULAR, starts_at=held_at, place="Nhà văn hóa", status=MeetingStatus.HELD)
        session.add(meeting)
        await session.flush()
        for index, member in enumerate(cell.everyone):
            session.add(Invitation(meeting_id=meeting.id, member_id=member.id, invited_at=held_at))
            session.add(Attendance(meeting_id=meeting.id, member_id=member.id, present=index != 2, recorded_at=held_at))
    await session.commit()
    return commune



async def test_figures_and_their_access(api_client, session, cipher, commune, bearer) -> None:
    committee = await bearer(commune.committee_member)
    response = await api_client.get(f"/api/v1/orgs/{commune.commune.id}/figures", params={"month": "2026-11"}, headers=committee)
    assert response.status_code == 200, response.text
    body = response.json()
    november = body["months"][0]["figures"]
    assert (november["meetings_held"], november["invited"], november["present"], november["absent_unexcused"]) == (2, 12, 10, 2)
    assert november["attendance_rate"] == pytest.approx(10 / 12, abs=1e-4)
    assert [c["name"] for c in body["children"]] == sorted(c.org.name for c in commune.cells)
    six = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/figures", params={"month": "2026-11", "months": 6}, headers=committee)).json()
    assert [m["month"] for m in six["months"]] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    csv = await api_client.get(f"/api/v1/orgs/{commune.commune.id}/figures", params={"format": "csv", "month": "2026-11"}, headers=committee)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv") and "Tổng cộng" in csv.content.decode("utf-8-sig")
    xlsx = await api_client.get(f"/api/v1/orgs/{commune.commune.id}/figures", params={"format": "xlsx", "month": "2026-11", "months": 3}, headers=committee)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Tổng hợp", "Theo tháng", "Theo chi bộ"]

    # Who may not see them: another province, a sibling commune, a cell's member, another cell.
    sibling = await create_org(session, name="Đảng bộ xã Bên cạnh", kind=OrgKind.COMMITTEE, parent=commune.province)
    sibling_cell = await make_cell(session, cipher, sibling, "Chi bộ bên cạnh")
    sibling_member = await add_member(session, cipher, sibling_cell.org, "Ủy viên xã bên")
    session.add(OrgRole(member_id=sibling_member.id, org_id=sibling.id, role=RoleKind.COMMITTEE_MEMBER))
    await session.commit()
    sibling_headers = await bearer(sibling_member)
    # 403 for an organisation the caller knows (their own, those above it); 404 for any other.
    for headers, org_id, status in (
        (sibling_headers, commune.commune.id, 404), (sibling_headers, commune.cells[0].org.id, 404), (committee, sibling.id, 404),
        (committee, commune.province.id, 403), (committee, commune.other_province.id, 404),
        (await bearer(commune.other_cell.secretary), commune.commune.id, 404),
        (await bearer(commune.cells[1].secretary), commune.cells[0].org.id, 404),
        (await bearer(commune.cells[0].members[0]), commune.cells[0].org.id, 403),
    ):
        response = await api_client.get(f"/api/v1/orgs/{org_id}/figures", headers=headers)
        assert response.status_code == status, (org_id, response.text)
    bad = await api_client.get(f"/api/v1/orgs/{commune.commune.id}/figures", params={"month": "2026-13"}, headers=committee)
    assert bad.status_code == 422


async def test_report_drafted_sent_and_received(api_client, session, commune, bearer) -> None:
    cell = commune.cells[0].org
    secretary = await bearer(commune.cells[0].secretary)
    committee = await bearer(commune.committee_member)
    draft = (await api_client.get(f"/api/v1/reports/{cell.id}/2026-11", headers=secretary)).json()
    assert draft["state"] == "draft" and draft["figures"]["present"] == 5
    response = await api_client.patch(f"/api/v1/reports/{cell.id}/2026-11", json={"note": "Đề nghị cấp tài liệu."}, headers=secretary)
    assert response.status_code == 200 and response.json()["note"] == "Đề nghị cấp tài liệu."
    assert (await api_client.post(f"/api/v1/reports/{cell.id}/2026-11/send", json={}, headers=committee)).status_code == 403
    assert (await api_client.post(f"/api/v1/reports/{commune.cells[1].org.id}/2026-11/send", json={}, headers=secretary)).status_code == 404
    sent = await api_client.post(f"/api/v1/reports/{cell.id}/2026-11/send", json={}, headers=secretary)
    assert sent.status_code == 200 and sent.json()["state"] == "sent" and sent.json()["note"] == "Đề nghị cấp tài liệu."
    assert (await api_client.post(f"/api/v1/reports/{cell.id}/2026-11/send", json={}, headers=secretary)).status_code == 409
    assert (await api_client.get(f"/api/v1/reports/{cell.id}/2099-01", headers=secretary)).status_code == 422
    told = list((await session.execute(select(OutboxMessage).where(OutboxMessage.kind == reports.SENT_KIND))).scalars())
    assert [row.member_id for row in told] == [commune.committee_member.id]

    box = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/reports", params={"month": "2026-11"}, headers=committee)).json()
    assert (box["sent"], box["total"]) == (1, 2)
    read = (await api_client.get(f"/api/v1/reports/{cell.id}/2026-11", headers=committee)).json()
    assert read["state"] == "sent" and read["read_at"] is not None
    foreign = await bearer(commune.other_cell.secretary)
    assert (await api_client.get(f"/api/v1/reports/{cell.id}/2026-11", headers=foreign)).status_code == 404
    assert (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/reports", headers=foreign)).status_code == 404
