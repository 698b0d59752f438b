"""GET /api/v1/notices/{notice_id}/file: a notice's uploaded file, to whoever may read the notice (its
author, those who manage its organisation) with its type and its Vietnamese name; 404 to anyone
else and for a notice without a file; 409 with a reason for a file sent in Telegram (no copy here)."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import pytest

from core import texts
from core.notices import files, service
from core.notices.models import AttachmentKind, Notice
from core.orgs.models import OrgKind
from core.orgs.service import create_org, load_actor
from core.orgs.tokens import create_token
from tests.factories import make_cell

PATH = "/api/v1/notices/with-file"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
OGG = b"OggS\x00\x02" + b"\0" * 64


@pytest.fixture
async def tokens(session, cipher, clock, commune):  # type: ignore[no-untyped-def]
    """Headers of the people around cell A's notice: its author, a deputy, a member who received it,
    the commune committee, cell B, a sibling commune and another province."""
    sibling_commune = await create_org(session, name="Đảng bộ xã Khác", kind=OrgKind.COMMITTEE, parent=commune.province)
    sibling = await make_cell(session, cipher, sibling_commune, "Chi bộ thôn Bên cạnh")
    a, b = commune.cells
    issued = {}
    for name, member in {
        "secretary_a": a.secretary, "deputy_a": a.deputy, "member_a": a.members[0], "committee": commune.committee_member,
        "secretary_b": b.secretary, "sibling": sibling.secretary, "other_province": commune.other_cell.secretary,
    }.items():
        issued[name] = {"Authorization": f"Bearer {(await create_token(session, member=member, now=clock.now())).token}"}
    await session.commit()
    return issued


async def _send(api_client, org_id: int, headers, name: str, content: bytes) -> dict:  # type: ignore[no-untyped-def]
    response = await api_client.post(PATH, data={"org_id": str(org_id), "text": "Đồng chí xem tệp đính kèm."},
                                     files={"file": (name, io.BytesIO(content), "application/octet-stream")}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_author_and_managers_download_the_file_with_its_type_and_vietnamese_name(api_client, commune, tokens) -> None:
    notice = await _send(api_client, commune.cells[0].org.id, tokens["secretary_a"], "Kế hoạch tháng 12 «Đảng viên».pdf", PDF)
    assert notice["attachment_downloadable"] is True
    path = f"/api/v1/notices/{notice['id']}/file"
    for who in ("secretary_a", "deputy_a", "committee"):
        response = await api_client.get(path, headers=tokens[who])
        assert response.status_code == 200, (who, response.text)
        assert response.content == PDF and response.headers["content-type"] == "application/pdf"
        assert response.headers["x-content-type-options"] == "nosniff"
        disposition = response.headers["content-disposition"]
        # The exact name for every current client (RFC 5987), a plain ASCII one for the rest.
        assert disposition == ("attachment; filename=\"Ke hoach thang 12 _Dang vien_.pdf\"; "
                               f"filename*=utf-8''{quote('Kế hoạch tháng 12 «Đảng viên».pdf', safe='')}")
        assert disposition.encode("latin-1").isascii()


@pytest.mark.parametrize(
    ("name", "content", "media_type", "ascii_name"),
    [
        ("Sơ đồ chỗ ngồi.png", PNG, "image/png", "So do cho ngoi.png"),
        ("Lời nhắn của Bí thư.ogg", OGG, "audio/ogg", "Loi nhan cua Bi thu.ogg"),
        ("Báo cáo quý IV; bản 'chính' 100%.PDF", PDF, "application/pdf", "Bao cao quy IV; ban 'chinh' 100%.PDF"),
    ],
)
async def test_each_kind_of_file_comes_back_as_it_was_sent(api_client, commune, tokens, name, content, media_type, ascii_name) -> None:
    notice = await _send(api_client, commune.cells[0].org.id, tokens["secretary_a"], name, content)
    response = await api_client.get(f"/api/v1/notices/{notice['id']}/file", headers=tokens["secretary_a"])
    assert response.status_code == 200 and response.content == content
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"] == f"attachment; filename=\"{ascii_name}\"; filename*=utf-8''{quote(name, safe='')}"


def test_any_name_makes_a_header_every_client_reads() -> None:
    from api.downloads import content_disposition

    # Quotes, backslashes and line breaks cannot break out of the header: the fallback replaces them,
    # `filename*` percent-encodes them.
    header = content_disposition('Tờ trình "số 3"\\\r\nX-Evil: 1.pdf')
    assert header == ("attachment; filename=\"To trinh _so 3____X-Evil: 1.pdf\"; "
                      "filename*=utf-8''T%E1%BB%9D%20tr%C3%ACnh%20%22s%E1%BB%91%203%22%5C%0D%0AX-Evil%3A%201.pdf")
    assert header.isascii() and "\r" not in header and "\n" not in header


async def test_other_cells_communes_provinces_and_plain_members_get_404(api_client, commune, tokens) -> None:
    notice = await _send(api_client, commune.cells[0].org.id, tokens["secretary_a"], "Kế hoạch.pdf", PDF)
    path = f"/api/v1/notices/{notice['id']}/file"
    # A member received the notice in Telegram, but reads notices over the API no more than the notice itself.
    for who in ("secretary_b", "sibling", "other_province", "member_a"):
        assert (await api_client.get(f"/api/v1/notices/{notice['id']}", headers=tokens[who])).status_code == 404, who
        response = await api_client.get(path, headers=tokens[who])
        assert response.status_code == 404, (who, response.text)
        assert response.json() == {"error": "not_found", "message": texts.common.NOT_FOUND}
        assert PDF not in response.content
    missing = await api_client.get("/api/v1/notices/999999/file", headers=tokens["secretary_a"])
    assert missing.status_code == 404 and missing.json()["message"] == texts.common.NOT_FOUND
    assert (await api_client.get(path)).status_code == 401


async def test_a_notice_without_a_file_is_404_and_one_sent_in_telegram_or_lost_is_409(api_client, session, commune, tokens, clock) -> None:
    cell = commune.cells[0]
    headers = tokens["secretary_a"]
    text_only = await api_client.post("/api/v1/notices", json={"org_id": cell.org.id, "text": "Họp lúc 8 giờ"}, headers=headers)
    assert text_only.json()["attachment_downloadable"] is False
    response = await api_client.get(f"/api/v1/notices/{text_only.json()['id']}/file", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": texts.notices.NO_FILE}

    # Sent in the bot: Sổ tay holds Telegram's file id only.
    actor = await load_actor(session, cell.secretary)
    from_bot = await service.create_notice(session, actor=actor, org_id=cell.org.id, text="Ảnh sơ đồ", now=clock.now(),
                                           attachment=files.NoticeAttachment(AttachmentKind.PHOTO, "AgACAgIAAxk-photo"))
    await session.commit()
    listed = (await api_client.get(f"/api/v1/notices/{from_bot.id}", headers=headers)).json()
    assert (listed["attachment"], listed["attachment_name"], listed["attachment_downloadable"]) == ("photo", None, False)
    response = await api_client.get(f"/api/v1/notices/{from_bot.id}/file", headers=tokens["committee"])
    assert response.status_code == 409
    assert response.json() == {"error": "document_not_stored", "message": texts.notices.FILE_ONLY_IN_MESSENGER}

    # Uploaded, then the data directory lost it: said plainly, not a 500.
    uploaded = await _send(api_client, cell.org.id, headers, "Mất <tệp>.pdf", PDF + b"lost")
    stored = await session.get(Notice, uploaded["id"])
    assert stored is not None and stored.attachment_path
    Path(stored.attachment_path).unlink()
    response = await api_client.get(f"/api/v1/notices/{uploaded['id']}/file", headers=headers)
    assert response.status_code == 409
    assert response.json() == {"error": "document_not_stored", "message": texts.notices.FILE_MISSING.format(name="Mất <tệp>.pdf")}


async def test_openapi_documents_the_download_and_415_on_every_upload(api_client) -> None:
    spec = (await api_client.get("/openapi.json")).json()
    download = spec["paths"]["/api/v1/notices/{notice_id}/file"]["get"]
    ok = download["responses"]["200"]
    assert {"application/pdf", "image/png", "image/jpeg", "audio/ogg"} <= set(ok["content"])
    assert "filename*=utf-8''" in ok["headers"]["Content-Disposition"]["example"]
    for status in ("401", "404", "409", "429"):
        assert download["responses"][status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, status
    assert "Telegram" in download["responses"]["409"]["description"]
    uploads = {path: ops["post"] for path, ops in spec["paths"].items()
               if "post" in ops and "multipart/form-data" in ops["post"].get("requestBody", {}).get("content", {})}
    assert set(uploads) == {"/api/v1/meetings/{meeting_id}/documents", "/api/v1/notices/with-file", "/api/v1/documents",
                            "/api/v1/members/import"}
    for path, operation in uploads.items():
        refusal = operation["responses"].get("415")
        assert refusal and refusal["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, path
        assert "unsupported_file_type" in refusal["description"], path
        assert "413" in operation["responses"], path
