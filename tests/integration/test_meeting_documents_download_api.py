"""GET /api/v1/meetings/{meeting_id}/documents/{document_id}: the file, to whoever may see the meeting;
404 to anyone else and for another meeting's document; 409 with a reason for a file kept only in Telegram."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from urllib.parse import quote

import pytest

from core import texts
from core.meetings import documents, service
from core.meetings.models import DocumentKind, MeetingKind
from core.orgs.models import OrgKind
from core.orgs.service import create_org, load_actor
from core.orgs.tokens import create_token
from tests.factories import make_cell, make_commune

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
async def world(session, cipher, clock):  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    sibling_commune = await create_org(session, name="Đảng bộ xã Khác", kind=OrgKind.COMMITTEE, parent=commune.province)
    sibling = await make_cell(session, cipher, sibling_commune, "Chi bộ thôn Bên cạnh")
    a = commune.cells[0]
    tokens = {}
    for name, member in {
        "secretary_a": a.secretary, "member_a": a.members[0], "secretary_b": commune.cells[1].secretary, "committee": commune.committee_member,
        "sibling": sibling.secretary, "other_province": commune.other_cell.secretary,
    }.items():
        tokens[name] = {"Authorization": f"Bearer {(await create_token(session, member=member, now=clock.now())).token}"}
    actor = await load_actor(session, a.secretary)
    meetings = []
    for days in (7, 14):
        created = await service.create_meeting(session, actor=actor, cell_id=a.org.id, kind=MeetingKind.REGULAR,
                                               starts_at=clock.now() + dt.timedelta(days=days), place="Nhà văn hóa", agenda="", now=clock.now())
        meetings.append(created.meeting)
    await session.commit()
    return commune, meetings, tokens


async def _upload(api_client, meeting_id: int, headers, name: str, content: bytes) -> dict:  # type: ignore[no-untyped-def]
    response = await api_client.post(f"/api/v1/meetings/{meeting_id}/documents", files={"file": (name, io.BytesIO(content), "x/y")},
                                     headers=headers)
    assert response.status_code == 201, response.text
    return next(d for d in response.json()["documents"] if d["filename"] == name)


async def test_those_who_see_the_meeting_download_its_file_with_type_and_name(api_client, world) -> None:
    _, (meeting, _), tokens = world
    document = await _upload(api_client, meeting.id, tokens["secretary_a"], "Biên bản tháng 11.pdf", PDF)
    assert document["downloadable"] is True
    path = f"/api/v1/meetings/{meeting.id}/documents/{document['id']}"
    for who in ("secretary_a", "member_a", "committee"):
        response = await api_client.get(path, headers=tokens[who])
        assert response.status_code == 200, (who, response.text)
        assert response.content == PDF and response.headers["content-type"] == "application/pdf"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;") and f"filename*=utf-8''{quote('Biên bản tháng 11.pdf')}" in disposition
    image = await _upload(api_client, meeting.id, tokens["secretary_a"], "so-do.png", PNG)
    response = await api_client.get(f"/api/v1/meetings/{meeting.id}/documents/{image['id']}", headers=tokens["member_a"])
    assert response.content == PNG and response.headers["content-type"] == "image/png"
    assert 'filename="so-do.png"' in response.headers["content-disposition"]


async def test_anyone_else_and_another_meetings_document_get_404(api_client, world) -> None:
    _, (meeting, other_meeting), tokens = world
    document = await _upload(api_client, meeting.id, tokens["secretary_a"], "bien-ban.pdf", PDF)
    path = f"/api/v1/meetings/{meeting.id}/documents/{document['id']}"
    for who in ("secretary_b", "sibling", "other_province"):
        response = await api_client.get(path, headers=tokens[who])
        assert response.status_code == 404, (who, response.text)
        assert response.json() == {"error": "not_found", "message": texts.common.NOT_FOUND}
    for wrong in (f"/api/v1/meetings/{other_meeting.id}/documents/{document['id']}", f"/api/v1/meetings/{meeting.id}/documents/999999",
                  f"/api/v1/meetings/999999/documents/{document['id']}"):
        response = await api_client.get(wrong, headers=tokens["secretary_a"])
        assert response.status_code == 404 and response.json()["error"] == "not_found", wrong
    assert (await api_client.get(path)).status_code == 401


async def test_a_file_attached_in_telegram_or_lost_from_disk_is_409_with_a_reason(api_client, session, world, clock) -> None:
    commune, (meeting, _), tokens = world
    actor = await load_actor(session, commune.cells[0].secretary)
    from_bot = documents.DocumentUpload(file_id="BQACAgIAAxk-document", filename="Nghị quyết <12>.pdf", mime_type="application/pdf",
                                        size=1234, kind=DocumentKind.DOCUMENT)
    await service.edit_meeting(session, actor=actor, meeting_id=meeting.id, documents=[from_bot], now=clock.now())
    await session.commit()
    listed = (await api_client.get(f"/api/v1/meetings/{meeting.id}", headers=tokens["member_a"])).json()["documents"]
    assert [(d["filename"], d["downloadable"]) for d in listed] == [("Nghị quyết <12>.pdf", False)]
    response = await api_client.get(f"/api/v1/meetings/{meeting.id}/documents/{listed[0]['id']}", headers=tokens["member_a"])
    assert response.status_code == 409
    assert response.json() == {"error": "document_not_stored",
                               "message": texts.meetings.DOCUMENT_ONLY_IN_MESSENGER.format(name="Nghị quyết <12>.pdf")}
    # Uploaded, then the data directory lost it: said plainly, not a 500.
    uploaded = await _upload(api_client, meeting.id, tokens["secretary_a"], "mat.pdf", PDF + b"lost")
    stored = (await service.documents_of(session, meeting.id))[-1]
    assert stored.id == uploaded["id"] and stored.file_path
    Path(stored.file_path).unlink()
    response = await api_client.get(f"/api/v1/meetings/{meeting.id}/documents/{uploaded['id']}", headers=tokens["secretary_a"])
    assert response.status_code == 409 and response.json()["message"] == texts.meetings.DOCUMENT_FILE_MISSING.format(name="mat.pdf")


async def test_openapi_documents_the_download_and_the_notice_upload(api_client) -> None:
    spec = (await api_client.get("/openapi.json")).json()
    download = spec["paths"]["/api/v1/meetings/{meeting_id}/documents/{document_id}"]["get"]
    assert {"application/pdf", "image/png", "image/jpeg"} <= set(download["responses"]["200"]["content"])
    assert "409" in download["responses"] and "Telegram" in download["responses"]["409"]["description"]
    upload = spec["paths"]["/api/v1/notices/with-file"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    form = spec["components"]["schemas"][form["$ref"].rsplit("/", 1)[1]] if "$ref" in form else form
    assert set(form["required"]) == {"org_id", "file"} and {"413", "422", "409"} <= set(upload["responses"])
