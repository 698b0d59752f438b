"""What the fuzzer found, held in place: one id type, one day type and one month type everywhere;
every write audited with its token; meeting documents uploaded over HTTP checked like the bot's;
body size limits on every route."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from api.deps import get_audit_trail
from core import texts
from core.delivery.models import OutboxMessage
from core.errors import InvalidInput
from core.meetings import service as meetings
from core.meetings.models import MeetingDocument
from core.orgs.management import MAX_ID
from core.audit import AuditEvent
from core.orgs.service import load_actor
from core.orgs.tokens import create_token
from core.reporting import figures, reports
from core.render import plain_text
from tests.factories import make_commune

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TOO_BIG = 2**63  # one more than the largest 64-bit id


@pytest.fixture
async def setup(session, cipher, clock):  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    issued = await create_token(session, member=commune.cells[0].secretary, now=clock.now())
    await session.commit()
    return commune, {"Authorization": f"Bearer {issued.token}"}, issued.record.id


def _app(api_client):  # type: ignore[no-untyped-def]
    return api_client._transport.app  # type: ignore[attr-defined]


def _inputs(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(operation, name, schema) of every parameter and every JSON/form property a client sends."""
    found: list[tuple[str, str, dict[str, Any]]] = []

    def walk(label: str, name: str, schema: dict[str, Any]) -> None:
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        for option in schema.get("anyOf", []):
            walk(label, name, option)
        if schema.get("type") == "array":
            walk(label, name, schema.get("items", {}))
        for key, sub in schema.get("properties", {}).items():
            walk(label, key, sub)
        if schema.get("type") in ("integer", "string"):
            found.append((label, name, schema))

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                walk(label, parameter["name"], parameter["schema"])
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(label, "body", content["schema"])
    return found


async def test_every_id_is_a_bounded_64_bit_integer_and_every_month_has_the_shared_pattern(api_client) -> None:
    inputs = _inputs(_app(api_client).openapi())
    ids = [(label, name, s) for label, name, s in inputs if (name == "id" or re.search(r"_ids?$", name)) and s.get("type") == "integer"]
    assert len(ids) > 40
    unbounded = [(label, name) for label, name, s in ids if s.get("maximum") != MAX_ID or s.get("minimum") != 1]
    assert unbounded == []
    months = [(label, s.get("pattern")) for label, name, s in inputs if name == "month"]
    assert months and all(pattern == figures.MONTH_RE for _, pattern in months), months


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/api/v1/feedback/{TOO_BIG}", None),
        ("POST", f"/api/v1/feedback/{TOO_BIG}/replies", {"text": "Trả lời"}),
        ("POST", f"/api/v1/feedback/{TOO_BIG}/forward", None),
        ("POST", f"/api/v1/feedback/{TOO_BIG}/close", None),
        ("GET", f"/api/v1/feedback?org_id={TOO_BIG}", None),
        ("POST", "/api/v1/feedback", {"kind": "proposal", "org_id": TOO_BIG, "text": "x"}),
        ("POST", "/api/v1/meetings", {"org_id": TOO_BIG, "kind": "regular", "starts_at": "2026-12-05T19:30:00+07:00", "place": "X"}),
        ("PUT", "/api/v1/meetings/1/attendance", {"present_member_ids": [TOO_BIG]}),
        ("GET", "/api/v1/orgs/1/figures?month=0001-01", None),
        ("GET", "/api/v1/orgs/1/figures?month=9999-12", None),
        ("GET", "/api/v1/orgs/1/reports?month=0001-01", None),
        ("GET", "/api/v1/reports/1/0001-01", None),
        ("PATCH", "/api/v1/reports/1/0001-01", {"note": "x"}),
        ("POST", "/api/v1/reports/1/9999-12/send", {}),
        ("GET", "/api/v1/meetings?from=0001-01-01", None),
        ("GET", "/api/v1/meetings?to=9999-12-31", None),
        ("GET", "/api/v1/orgs/1/meeting-stats?from=0001-01-01&to=0001-01-02", None),
        ("POST", "/api/v1/study/campaigns", {"document_id": 1, "org_id": 1, "deadline": "9999-12-31"}),
    ],
)
async def test_out_of_range_ids_days_and_months_are_refused_with_422(api_client, setup, method, path, body) -> None:
    _, headers, _ = setup
    response = await api_client.request(method, path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input" and response.json()["message"] == texts.api.INVALID_REQUEST


async def test_core_refuses_months_outside_its_range(session, setup, clock) -> None:
    commune, _, _ = setup
    for typed in ("10/0001", "0001-01", "9999-12", "1999-12"):
        with pytest.raises(InvalidInput) as refused:
            figures.parse_month(typed)
        assert refused.value.message == texts.reports.MONTH_INVALID
    assert figures.parse_month("10/2026") == dt.date(2026, 10, 1)
    actor = await load_actor(session, commune.cells[0].secretary)
    with pytest.raises(InvalidInput):
        await figures.org_figures(session, actor=actor, org_id=commune.cells[0].org.id, month=dt.date(1, 1, 1), history=24)
    with pytest.raises(InvalidInput):
        await reports.report_for(session, actor=actor, cell_id=commune.cells[0].org.id, month=dt.date(1, 1, 1), now=clock.now())
    with pytest.raises(InvalidInput):
        await reports.received(session, actor=actor, org_id=commune.commune.id, month=dt.date(9999, 12, 1))


async def test_every_write_route_records_an_audit_event() -> None:
    def depends_on(dependant: Any, call: Any) -> bool:
        return any(d.call is call or depends_on(d, call) for d in dependant.dependencies)

    from api.app import api_routers

    writes = [r for router in api_routers() for r in router.routes if isinstance(r, APIRoute) and r.methods & {"POST", "PUT", "PATCH", "DELETE"}]
    assert len(writes) > 30
    assert [f"{sorted(r.methods)} {r.path}" for r in writes if not depends_on(r.dependant, get_audit_trail)] == []


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


async def _meeting(session, commune, clock):  # type: ignore[no-untyped-def]
    from core.meetings.models import MeetingKind

    actor = await load_actor(session, commune.cells[0].secretary)
    created = await meetings.create_meeting(session, actor=actor, cell_id=commune.cells[0].org.id, kind=MeetingKind.REGULAR,
                                            starts_at=clock.now() + dt.timedelta(days=7), place="Nhà văn hóa", agenda="", now=clock.now())
    await session.commit()
    return created.meeting


async def test_a_document_attached_over_http_reaches_every_invitee_and_is_audited(api_client, session, setup, clock, runtime) -> None:
    commune, headers, token_id = setup
    meeting = await _meeting(session, commune, clock)
    files = {"file": ("Biên bản tháng 11.pdf", io.BytesIO(PDF), "application/pdf")}
    response = await api_client.post(f"/api/v1/meetings/{meeting.id}/documents", files=files, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["changed"] == ["documents"] and body["version"] == 2
    assert [(d["filename"], d["mime_type"], d["size"]) for d in body["documents"]] == [("Biên bản tháng 11.pdf", "application/pdf", len(PDF))]
    docx = {"file": ("ke-hoach.docx", io.BytesIO(_docx()), "application/octet-stream")}
    assert (await api_client.post(f"/api/v1/meetings/{meeting.id}/documents", files=docx, headers=headers)).status_code == 201
    stored = (await session.execute(select(MeetingDocument).order_by(MeetingDocument.id))).scalars().all()
    assert [d.file_id for d in stored] == [None, None] and all(d.file_path and d.file_path.startswith(str(runtime.settings.data_dir)) for d in stored)
    # Each invitee gets each file once, sent from disk and remembered by content (one upload per bot).
    rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == meetings.KIND_DOCUMENT).order_by(OutboxMessage.id))).scalars().all()
    invited = len(await meetings.invitations_of(session, meeting.id))
    assert len(rows) == 2 * invited
    attachment = rows[0].payload["attachment"]
    assert attachment["path"] == stored[0].file_path and attachment["cache_key"].startswith("meeting-document:")
    # Recorded once each, by core (as from the bot), with the token that asked.
    events = (await session.execute(select(AuditEvent).where(AuditEvent.action == "meeting.edited"))).scalars().all()
    assert [e.detail["fields"] for e in events] == [["documents"], ["documents"]]
    assert all(e.actor_platform_user == f"api:token:{token_id}" and e.target == f"meeting:{meeting.id}" for e in events)


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", 415, texts.meetings.FILE_TYPE_REFUSED.format(name="virus.exe")),
        ("khong-phai.pdf", b"MZ\x90\x00 renamed", 415, texts.meetings.FILE_CONTENT_MISMATCH.format(name="khong-phai.pdf", extension=".pdf")),
        ("rong.pdf", b"", 422, texts.meetings.FILE_EMPTY.format(name="rong.pdf")),
        ("", PDF, 422, None),
    ],
)
async def test_a_refused_document_says_why_and_changes_nothing(api_client, session, setup, clock, name, content, status, message) -> None:
    commune, headers, _ = setup
    meeting = await _meeting(session, commune, clock)
    files = {"file": (name, io.BytesIO(content), "application/octet-stream")}
    response = await api_client.post(f"/api/v1/meetings/{meeting.id}/documents", files=files, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] == {415: "unsupported_file_type", 422: "invalid_input"}[status]
    if message is not None:
        assert response.json()["message"] == plain_text(message)
    assert (await session.execute(select(MeetingDocument))).scalars().all() == []


async def test_huge_uploads_and_bodies_are_refused_with_413(api_client, session, setup, clock) -> None:
    from api.app import DEFAULT_BODY_LIMIT
    from api.routes.meetings import DOCUMENT_MAX_BYTES

    commune, headers, _ = setup
    meeting = await _meeting(session, commune, clock)
    files = {"file": ("lon.pdf", io.BytesIO(PDF + b"0" * DOCUMENT_MAX_BYTES), "application/pdf")}
    response = await api_client.post(f"/api/v1/meetings/{meeting.id}/documents", files=files, headers=headers)
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert response.json()["message"] == texts.api.TOO_LARGE.format(megabytes=DOCUMENT_MAX_BYTES // 1024 // 1024)
    big_json = {"text": "x" * DEFAULT_BODY_LIMIT}
    response = await api_client.post(f"/api/v1/meetings/{meeting.id}/conclusions", json=big_json, headers=headers)
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert (await session.execute(select(MeetingDocument))).scalars().all() == []


async def test_writes_from_every_domain_are_audited_with_the_token(api_client, session, setup, clock) -> None:
    commune, headers, token_id = setup
    cell = commune.cells[0]
    meeting = await _meeting(session, commune, clock)
    assert (await api_client.patch(f"/api/v1/meetings/{meeting.id}", json={"place": "Hội trường"}, headers=headers)).status_code == 200
    assert (await api_client.post("/api/v1/notices", json={"org_id": cell.org.id, "text": "Họp lúc 8 giờ"}, headers=headers)).status_code == 201
    month = f"{clock.now():%Y-%m}"
    assert (await api_client.patch(f"/api/v1/reports/{cell.org.id}/{month}", json={"note": "Ổn"}, headers=headers)).status_code == 200
    assert (await api_client.post(f"/api/v1/meetings/{meeting.id}/cancel", headers=headers)).status_code == 200
    # Each action once: core records meetings and notices (whichever channel asks), the API the rest;
    # the rows naming an account name the token (the setup's own rows, written directly, name none).
    events = (await session.execute(select(AuditEvent).where(AuditEvent.actor_member_id == cell.secretary.id,
                                                             AuditEvent.actor_platform_user.is_not(None)))).scalars().all()
    assert sorted(e.action for e in events) == ["api.report.note", "meeting.cancelled", "meeting.edited", "notice.created"]
    assert {e.actor_platform_user for e in events} == {f"api:token:{token_id}"}


async def test_monthly_rules_are_listed_and_stopped_and_a_notice_audience_previewed(api_client, session, setup, clock) -> None:
    from core.meetings.models import MeetingKind, RecurrenceRule

    commune, headers, token_id = setup
    cell = commune.cells[0]
    actor = await load_actor(session, cell.secretary)
    created = await meetings.create_meeting(session, actor=actor, cell_id=cell.org.id, kind=MeetingKind.REGULAR, repeat_monthly=True,
                                            starts_at=clock.now() + dt.timedelta(days=7), place="Nhà văn hóa", agenda="", now=clock.now())
    await session.commit()
    rules = (await api_client.get(f"/api/v1/orgs/{cell.org.id}/meeting-rules", headers=headers)).json()
    assert [(r["id"], r["active"]) for r in rules] == [(created.meeting.rule_id, True)] and rules[0]["next_starts_at"]
    stopped = await api_client.post(f"/api/v1/meeting-rules/{created.meeting.rule_id}/stop", headers=headers)
    assert stopped.status_code == 200 and stopped.json()["active"] is False and stopped.json()["next_starts_at"] is None
    assert (await api_client.get(f"/api/v1/orgs/{cell.org.id}/meeting-rules", headers=headers)).json() == []
    assert (await session.execute(select(RecurrenceRule.active))).scalar_one() is False
    missing = await api_client.post("/api/v1/meeting-rules/999999/stop", headers=headers)
    assert missing.status_code == 404 and missing.json()["message"] == texts.meetings.RULE_NOT_FOUND
    audience = (await api_client.get(f"/api/v1/notices/audience?org_id={cell.org.id}", headers=headers)).json()
    assert audience["org"]["id"] == cell.org.id and audience["recipients"] >= len(cell.members) and audience["unlinked"] == 0
    events = (await session.execute(select(AuditEvent).where(AuditEvent.action == "meeting_rule.stopped"))).scalars().all()
    assert [e.actor_platform_user for e in events] == [f"api:token:{token_id}"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/tokens", {"days": True}),
        ("/api/v1/tokens", {"days": "30"}),
        ("/api/v1/notices", {"org_id": True, "text": "x"}),
        ("/api/v1/meetings", {"org_id": "12", "kind": "regular", "starts_at": "2026-12-05T19:30:00+07:00", "place": "X"}),
        ("/api/v1/meetings/invitations/1/decision", {"approve": 1}),
        ("/api/v1/study/questions/1/answer", {"option": False}),
    ],
)
async def test_json_numbers_and_flags_are_not_coerced(api_client, setup, path, body) -> None:
    _, headers, _ = setup
    response = await api_client.post(path, json=body, headers=headers)
    assert response.status_code == 422 and response.json()["error"] == "invalid_input", response.text


async def test_docs_render_and_every_operation_shows_an_example(api_client) -> None:
    import json

    docs = await api_client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text and "/openapi.json" in docs.text
    spec = (await api_client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]

    def shows_example(node: object) -> bool:
        text = json.dumps(node)
        if '"examples"' in text or '"example"' in text:
            return True
        return any(shows_example(schemas[name]) for name in re.findall(r"#/components/schemas/([A-Za-z0-9_.-]+)", text))

    operations = [(f"{method.upper()} {path}", op) for path, ops in spec["paths"].items() if path.startswith("/api/v1") for method, op in ops.items()]
    success = lambda op: next((r for code, r in op["responses"].items() if code.startswith("2")), {})  # noqa: E731
    assert [label for label, op in operations
            if not shows_example({"parameters": op.get("parameters"), "body": op.get("requestBody"), "ok": success(op)})] == []
    assert spec["components"]["schemas"]["ErrorBody"]["examples"][0]["message"]
