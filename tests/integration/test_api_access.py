"""A token sees and changes only its holder's scope: not another cell, a sibling commune or another province."""

import datetime as dt
import io

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.orgs.models import OrgKind
from core.orgs.service import citizen_id_of, create_org
from core.orgs.tokens import create_token, revoke
from tests.factories import make_cell, make_commune


@pytest.fixture
async def world(session, cipher, clock):
    commune = await make_commune(session, cipher, linked=True)
    sibling_commune = await create_org(session, name="Đảng bộ xã Khác", kind=OrgKind.COMMITTEE, parent=commune.province)
    sibling_cell = await make_cell(session, cipher, sibling_commune, "Chi bộ thôn Bên cạnh")
    tokens = {}
    for name, member in {
        "secretary_a": commune.cells[0].secretary,
        "member_a": commune.cells[0].members[0],
        "secretary_b": commune.cells[1].secretary,
        "committee": commune.committee_member,
        "other_province": commune.other_cell.secretary,
    }.items():
        tokens[name] = {"Authorization": f"Bearer {(await create_token(session, member=member, now=clock.now())).token}"}
    await session.commit()
    return commune, sibling_cell, tokens


async def test_cell_a_cannot_read_or_change_cell_b(api_client, world) -> None:
    commune, sibling, tokens = world
    a, b = commune.cells
    headers = tokens["secretary_a"]
    assert (await api_client.get(f"/api/v1/orgs/{a.org.id}/members", headers=headers)).json()["total"] == len(a.everyone) + 1
    for path in (f"/api/v1/orgs/{b.org.id}", f"/api/v1/orgs/{b.org.id}/members", f"/api/v1/members/{b.members[0].id}",
                 f"/api/v1/orgs/{sibling.org.id}/members", f"/api/v1/members/{sibling.members[0].id}",
                 f"/api/v1/orgs/{commune.other_cell.org.id}", f"/api/v1/members/{commune.other_cell.members[0].id}"):
        response = await api_client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"
    for method, path, body in (
        ("PATCH", f"/api/v1/members/{b.members[0].id}", {"full_name": "Đổi tên"}),
        ("DELETE", f"/api/v1/members/{b.members[0].id}", None),
        ("POST", f"/api/v1/members/{b.members[0].id}/invites", None),
        ("POST", f"/api/v1/members/{b.members[0].id}/reset-link", None),
        ("POST", "/api/v1/orgs", {"parent_id": commune.commune.id, "name": "Chi bộ mới", "kind": "cell"}),
    ):
        response = await api_client.request(method, path, json=body, headers=headers)
        assert response.status_code in (403, 404), (method, path, response.text)
    created = await api_client.post("/api/v1/members", headers=headers, json={
        "org_id": b.org.id, "full_name": "Người lạ", "date_of_birth": "1980-01-01", "gender": "male",
        "joined_on": "2000-01-01", "card_number": "X1", "citizen_id": "001080999999"})
    assert created.status_code in (403, 404)


async def test_committee_member_sees_the_commune_but_not_the_sibling_or_another_province(api_client, world) -> None:
    commune, sibling, tokens = world
    headers = tokens["committee"]
    tree = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/tree", headers=headers)).json()
    assert sorted(child["name"] for child in tree["children"]) == sorted(c.org.name for c in commune.cells)
    assert (await api_client.get(f"/api/v1/members/{commune.cells[1].members[0].id}", headers=headers)).status_code == 200
    assert (await api_client.get(f"/api/v1/orgs/{sibling.org.id}", headers=headers)).status_code == 404
    assert (await api_client.get(f"/api/v1/orgs/{commune.province.id}/tree", headers=headers)).status_code == 404
    assert (await api_client.get(f"/api/v1/orgs/{commune.other_cell.org.id}/members", headers=headers)).status_code == 404


async def test_a_member_sees_only_themselves(api_client, world, cipher) -> None:
    commune, _, tokens = world
    a = commune.cells[0]
    me = a.members[0]
    page = (await api_client.get(f"/api/v1/orgs/{a.org.id}/members", headers=tokens["member_a"])).json()
    assert [m["id"] for m in page["items"]] == [me.id]
    assert (await api_client.get(f"/api/v1/members/{a.members[1].id}", headers=tokens["member_a"])).status_code == 404
    assert (await api_client.patch(f"/api/v1/members/{me.id}", json={"full_name": "x"}, headers=tokens["member_a"])).status_code in (403, 404)


async def test_identifiers_masked_unless_revealed_and_audited(api_client, world, cipher, session) -> None:
    commune, _, tokens = world
    target = commune.cells[0].members[1]
    full = citizen_id_of(target, cipher)
    masked = (await api_client.get(f"/api/v1/members/{target.id}", headers=tokens["secretary_a"])).json()
    assert masked["citizen_id"] == f"{full[:4]}******{full[-2:]}" and masked["identifiers_masked"] is True
    revealed = (await api_client.get(f"/api/v1/members/{target.id}?reveal=true", headers=tokens["secretary_a"])).json()
    assert revealed["citizen_id"] == full
    events = (await session.execute(select(AuditEvent).where(AuditEvent.action == "api.member.reveal"))).scalars().all()
    assert [e.target for e in events] == [f"member:{target.id}"] and full not in str(events[0].detail)


async def test_expired_and_revoked_tokens_are_refused(api_client, world, session, clock) -> None:
    commune, _, _ = world
    member = commune.cells[0].secretary
    short = await create_token(session, member=member, now=clock.now(), ttl=dt.timedelta(hours=1))
    revoked = await create_token(session, member=member, now=clock.now())
    await revoke(session, token_id=revoked.record.id, now=clock.now())
    await session.commit()
    assert (await api_client.get("/api/v1/me", headers={"Authorization": f"Bearer {short.token}"})).status_code == 200
    assert (await api_client.get("/api/v1/me", headers={"Authorization": f"Bearer {revoked.token}"})).status_code == 401
    clock.advance(hours=1, seconds=1)
    expired = await api_client.get("/api/v1/me", headers={"Authorization": f"Bearer {short.token}"})
    assert expired.status_code == 401 and expired.json()["error"] == "unauthenticated"
    assert (await api_client.get("/api/v1/me")).status_code == 401


async def test_writes_are_audited_and_tokens_managed(api_client, world, session) -> None:
    commune, _, tokens = world
    a = commune.cells[0]
    headers = tokens["secretary_a"]
    changed = await api_client.patch(f"/api/v1/members/{a.members[0].id}", json={"exempt": True}, headers=headers)
    assert changed.status_code == 200 and changed.json()["exempt"] is True
    linked = await api_client.post(f"/api/v1/members/{a.members[1].id}/invites", headers=headers)
    assert linked.status_code == 409  # already tied to an account: a secretary must reset it first
    assert (await api_client.post(f"/api/v1/members/{a.members[1].id}/reset-link", headers=headers)).json() == {"reset": True, "platforms": ["telegram"]}
    invite = (await api_client.post(f"/api/v1/members/{a.members[1].id}/invites", headers=headers)).json()
    assert len(invite["code"]) >= 8
    created = (await api_client.post("/api/v1/tokens", json={"name": "Máy văn phòng", "days": 30}, headers=headers)).json()
    assert created["token"].startswith("sotay_")
    listed = (await api_client.get("/api/v1/tokens", headers=headers)).json()
    assert all("token" not in t for t in listed) and created["id"] in [t["id"] for t in listed]
    assert (await api_client.delete(f"/api/v1/tokens/{created['id']}", headers=tokens["secretary_b"])).status_code == 404
    assert (await api_client.delete(f"/api/v1/tokens/{created['id']}", headers=headers)).status_code == 200
    actions = {e.action for e in (await session.execute(select(AuditEvent))).scalars()}
    assert {"api.member.update", "api.member.invite", "api.member.reset_link", "api.token.create", "api.token.revoke"} <= actions


async def test_import_outside_the_callers_scope_is_rejected_with_line_and_column(api_client, world) -> None:
    commune, _, tokens = world
    header = "Tổ chức đảng,Họ và tên,Ngày sinh,Giới tính,Ngày vào Đảng,Ngày chính thức,Số thẻ đảng viên,Số định danh cá nhân,Số điện thoại,Vai trò,Miễn sinh hoạt\n"
    base = f"{commune.province.name}/{commune.commune.name}"
    rows = (f"{base}/{commune.cells[0].org.name},Lò Văn A,01/01/1970,Nam,01/01/1990,01/01/1991,IMP1,001070111111,0911111111,Đảng viên,Không\n"
            f"{base}/{commune.cells[1].org.name},Lò Văn B,01/01/1970,Nam,01/01/1990,01/01/1991,IMP2,001070222222,0911111112,Đảng viên,Không\n")
    files = {"file": ("ds.csv", io.BytesIO((header + rows).encode()), "text/csv")}
    refused = await api_client.post("/api/v1/members/import", files=files, headers=tokens["secretary_a"])
    assert refused.status_code == 422 and refused.json()["error"] == "import_rejected"
    assert [e["line"] for e in refused.json()["errors"]] == [3]
    files = {"file": ("ds.csv", io.BytesIO((header + rows).encode()), "text/csv")}
    accepted = await api_client.post("/api/v1/members/import", files=files, headers=tokens["committee"])
    assert accepted.status_code == 200 and accepted.json()["created"] == 2
    exe = {"file": ("ds.exe", io.BytesIO(b"MZ\x90\x00"), "application/octet-stream")}
    refused = await api_client.post("/api/v1/members/import", files=exe, headers=tokens["committee"])
    assert refused.status_code == 415 and refused.json()["error"] == "unsupported_file_type"


async def test_rate_limit_per_person(api_client, world) -> None:
    from api.ratelimit import FixedWindowLimiter

    _, _, tokens = world
    api_client._transport.app.state.rate_limiter = FixedWindowLimiter(limit=3)  # type: ignore[attr-defined]
    answers = [await api_client.get("/api/v1/me", headers=tokens["member_a"]) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["error"] == "rate_limited" and int(answers[3].headers["Retry-After"]) >= 1
    assert (await api_client.get("/api/v1/me", headers=tokens["secretary_a"])).status_code == 200  # another person's budget


async def test_metrics_are_served_to_loopback(api_client, world) -> None:
    _, _, tokens = world
    await api_client.get("/api/v1/me", headers=tokens["member_a"])
    response = await api_client.get("/metrics")
    assert response.status_code == 200
    assert "sotay_api_requests_total" in response.text and "sotay_outbox_depth" in response.text
    assert (await api_client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})).status_code == 403


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def _foreign_objects(session, clock, commune, sibling, files_dir):  # type: ignore[no-untyped-def]
    """A meeting, notice (with an uploaded file, kept under `files_dir`), feedback item and draft document
    in cell B, and a meeting in the sibling commune."""
    from core.feedback import service as feedback
    from core.feedback.models import FeedbackKind
    from core.meetings import service as meetings
    from core.meetings.models import MeetingKind
    from core.notices import files as notice_files, service as notices
    from core.orgs.service import load_actor
    from core.resolutions import service as resolutions
    from core.resolutions.models import DocumentKind

    b = commune.cells[1]
    starts = clock.now() + dt.timedelta(days=10)
    secretary_b = await load_actor(session, b.secretary)
    meeting_b = (await meetings.create_meeting(session, actor=secretary_b, cell_id=b.org.id, kind=MeetingKind.REGULAR, starts_at=starts,
                                               place="Nhà văn hóa", agenda="", repeat_monthly=True, now=clock.now())).meeting
    sibling_actor = await load_actor(session, sibling.secretary)
    meeting_sibling = (await meetings.create_meeting(session, actor=sibling_actor, cell_id=sibling.org.id, kind=MeetingKind.REGULAR,
                                                     starts_at=starts, place="Hội trường", agenda="", now=clock.now())).meeting
    notice_b = await notices.create_notice(session, actor=secretary_b, org_id=b.org.id, text="Thông báo của chi bộ B", now=clock.now(),
                                           attachment=notice_files.store_upload(files_dir, PDF, filename="Kế hoạch chi bộ B.pdf"))
    item_b = await feedback.submit(session, actor=await load_actor(session, b.members[0]), kind=FeedbackKind.PROPOSAL, org_id=b.org.id,
                                   content=feedback.Content(text="Đề nghị của đảng viên chi bộ B"), now=clock.now())
    draft_b = await resolutions.create_draft(session, actor=secretary_b, now=clock.now(), draft=resolutions.DraftInput(
        kind=DocumentKind.NQ, title="Nghị quyết chi bộ B", full_text="Chi bộ B họp bàn việc tháng mười hai. Mọi đảng viên tham gia."))
    invitation_b = (await meetings.answer_lines(session, meeting_id=meeting_b.id))[0].invitation
    await session.commit()
    return meeting_b, meeting_sibling, notice_b, item_b, draft_b, invitation_b


async def test_cell_a_cannot_touch_cell_b_or_the_sibling_commune_in_any_domain(api_client, world, session, clock, tmp_path) -> None:
    """Meetings (incl. attaching documents), invitations, notices, feedback, documents, study, reports and figures."""
    commune, sibling, tokens = world
    a, b = commune.cells
    meeting_b, meeting_sibling, notice_b, item_b, draft_b, invitation_b = await _foreign_objects(session, clock, commune, sibling,
                                                                                                 tmp_path / "elsewhere")
    headers = tokens["secretary_a"]
    month = f"{clock.now():%Y-%m}"
    reads = [
        f"/api/v1/meetings/{meeting_b.id}", f"/api/v1/meetings/{meeting_sibling.id}", f"/api/v1/meetings/{meeting_b.id}/stats",
        f"/api/v1/meetings/{meeting_b.id}/stats?format=csv", f"/api/v1/orgs/{b.org.id}/meeting-stats?format=xlsx",
        f"/api/v1/orgs/{sibling.org.id}/meeting-stats", f"/api/v1/notices/{notice_b.id}", f"/api/v1/notices/{notice_b.id}/file",
        f"/api/v1/feedback/{item_b.id}",
        f"/api/v1/documents/{draft_b.id}", f"/api/v1/documents/{draft_b.id}/original", f"/api/v1/documents/{draft_b.id}/audience",
        f"/api/v1/reports/{b.org.id}/{month}", f"/api/v1/reports/{sibling.org.id}/{month}", f"/api/v1/orgs/{b.org.id}/figures",
        f"/api/v1/orgs/{sibling.org.id}/figures?format=csv", f"/api/v1/orgs/{commune.commune.id}/reports",
        f"/api/v1/orgs/{b.org.id}/meeting-rules", f"/api/v1/orgs/{sibling.org.id}/meeting-rules",
        f"/api/v1/notices/audience?org_id={b.org.id}", f"/api/v1/notices/audience?org_id={sibling.org.id}",
    ]
    # Another cell's objects do not exist for her: 404, never a 403 that says "this exists, not yours".
    leaks = []
    for path in reads:
        response = await api_client.get(path, headers=headers)
        # The commune above her cell is hers to know of: a refusal with a reason there.
        if response.status_code != (403 if path == f"/api/v1/orgs/{commune.commune.id}/reports" else 404):
            leaks.append((path, response.status_code))
        assert set(response.json()) >= {"error", "message"} and response.json()["message"], path
    # B's notice file is there for B: the refusal above is about scope, not a missing file.
    assert (await api_client.get(f"/api/v1/notices/{notice_b.id}/file", headers=tokens["secretary_b"])).content == PDF
    writes = [
        ("PATCH", f"/api/v1/meetings/{meeting_b.id}", {"place": "Chỗ khác"}),
        ("POST", f"/api/v1/meetings/{meeting_b.id}/cancel", None),
        ("POST", f"/api/v1/meeting-rules/{meeting_b.rule_id}/stop", None),
        ("POST", f"/api/v1/meeting-rules/{meeting_sibling.rule_id or 999}/stop", None),
        ("POST", f"/api/v1/meetings/{meeting_sibling.id}/cancel", None),
        ("PUT", f"/api/v1/meetings/{meeting_b.id}/attendance", {"present_member_ids": [b.members[0].id]}),
        ("POST", f"/api/v1/meetings/{meeting_b.id}/conclusions", {"text": "Kết luận"}),
        ("POST", f"/api/v1/meetings/{meeting_b.id}/answer", {"answer": "attending"}),
        ("POST", f"/api/v1/meetings/invitations/{invitation_b.id}/decision", {"approve": True}),
        ("POST", "/api/v1/meetings", {"org_id": b.org.id, "kind": "regular", "starts_at": "2026-12-05T19:30:00+07:00", "place": "X"}),
        ("POST", "/api/v1/meetings", {"org_id": sibling.org.id, "kind": "regular", "starts_at": "2026-12-05T19:30:00+07:00", "place": "X"}),
        ("POST", "/api/v1/notices", {"org_id": b.org.id, "text": "Thông báo lạ"}),
        ("POST", "/api/v1/notices", {"org_id": sibling.org.id, "text": "Thông báo lạ"}),
        ("POST", f"/api/v1/notices/{notice_b.id}/cancel", None),
        ("POST", f"/api/v1/feedback/{item_b.id}/replies", {"text": "Trả lời"}),
        ("POST", f"/api/v1/feedback/{item_b.id}/forward", None),
        ("POST", f"/api/v1/feedback/{item_b.id}/close", None),
        ("POST", "/api/v1/feedback", {"kind": "proposal", "org_id": b.org.id, "text": "Góp ý"}),
        ("PATCH", f"/api/v1/documents/{draft_b.id}", {"summary": "Khác"}),
        ("DELETE", f"/api/v1/documents/{draft_b.id}", None),
        ("POST", f"/api/v1/documents/{draft_b.id}/publish", None),
        ("POST", "/api/v1/study/campaigns", {"document_id": draft_b.id, "org_id": b.org.id, "deadline": "2026-12-20"}),
        ("PATCH", f"/api/v1/reports/{b.org.id}/{month}", {"note": "Ghi chú"}),
        ("POST", f"/api/v1/reports/{b.org.id}/{month}/send", {}),
        ("POST", f"/api/v1/reports/{sibling.org.id}/{month}/send", {}),
    ]
    for method, path, body in writes:
        response = await api_client.request(method, path, json=body, headers=headers)
        if response.status_code != 404 or response.json()["error"] != "not_found":
            leaks.append((f"{method} {path}", response.status_code))
    for meeting in (meeting_b, meeting_sibling):
        files = {"file": ("bien-ban.pdf", io.BytesIO(PDF), "application/pdf")}
        response = await api_client.post(f"/api/v1/meetings/{meeting.id}/documents", files=files, headers=headers)
        if response.status_code != 404:
            leaks.append((f"POST /api/v1/meetings/{meeting.id}/documents", response.status_code))
    for org in (b.org, sibling.org, commune.other_cell.org):
        files = {"file": ("bien-ban.pdf", io.BytesIO(PDF), "application/pdf")}
        response = await api_client.post("/api/v1/notices/with-file", data={"org_id": str(org.id), "text": "Lạ"}, files=files, headers=headers)
        if response.status_code != 404:
            leaks.append((f"POST /api/v1/notices/with-file org {org.id}", response.status_code))
    assert leaks == [], "\n".join(map(str, leaks))
    assert not (tmp_path / "data" / "files").exists(), "nothing is stored for a refused upload"
    # Nothing changed, and every refused write left B's objects as they were.
    from core.meetings.models import Meeting, MeetingDocument, MeetingStatus

    row = (await session.execute(select(Meeting.status, Meeting.place).where(Meeting.id == meeting_b.id))).one()
    assert tuple(row) == (MeetingStatus.SCHEDULED, "Nhà văn hóa")
    from core.meetings.models import RecurrenceRule

    assert (await session.execute(select(RecurrenceRule.active).where(RecurrenceRule.id == meeting_b.rule_id))).scalar_one() is True
    assert (await session.execute(select(MeetingDocument))).scalars().all() == []


async def test_a_meetings_documents_are_downloaded_only_by_those_who_see_the_meeting(api_client, world, session, clock, tmp_path) -> None:
    """Cell B's document: 404 to cell A's secretary and member, the sibling commune and another province; 200 to the commune committee.
    A's own meeting does not open B's document by its id."""
    from core.meetings import documents, service as meetings
    from core.meetings.models import MeetingKind
    from core.orgs.service import load_actor

    commune, sibling, tokens = world
    a, b = commune.cells
    meeting_b, meeting_sibling, *_ = await _foreign_objects(session, clock, commune, sibling, tmp_path / "elsewhere")
    secretary_b = await load_actor(session, b.secretary)
    upload = documents.store_upload(tmp_path / "elsewhere", PDF, filename="Biên bản chi bộ B.pdf")
    edited = await meetings.edit_meeting(session, actor=secretary_b, meeting_id=meeting_b.id, documents=[upload], now=clock.now())
    document_b = (await meetings.documents_of(session, meeting_b.id))[0]
    own = (await meetings.create_meeting(session, actor=await load_actor(session, a.secretary), cell_id=a.org.id, kind=MeetingKind.REGULAR,
                                         starts_at=clock.now() + dt.timedelta(days=3), place="Hội trường", agenda="", now=clock.now())).meeting
    await session.commit()
    assert edited.meeting.id == meeting_b.id
    path = f"/api/v1/meetings/{meeting_b.id}/documents/{document_b.id}"
    sibling_token = {"Authorization": f"Bearer {(await create_token(session, member=sibling.secretary, now=clock.now())).token}"}
    await session.commit()
    for headers in (tokens["secretary_a"], tokens["member_a"], tokens["other_province"], sibling_token):
        response = await api_client.get(path, headers=headers)
        assert response.status_code == 404 and response.json()["error"] == "not_found", response.text
    for wrong in (f"/api/v1/meetings/{own.id}/documents/{document_b.id}", f"/api/v1/meetings/{meeting_sibling.id}/documents/{document_b.id}"):
        assert (await api_client.get(wrong, headers=tokens["secretary_a"])).status_code == 404, wrong
    assert (await api_client.get(path, headers=tokens["secretary_b"])).content == PDF
    assert (await api_client.get(path, headers=tokens["committee"])).status_code == 200
