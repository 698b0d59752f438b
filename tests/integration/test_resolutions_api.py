"""/api/v1/documents and /api/v1/study over the real FastAPI app: upload → drafted summary →
edit → publish (one synthesis per variant), library and search, original and audio, bookmarks,
study campaigns with quiz answers, and every refusal (empty summary, bad files, other cells)."""

from __future__ import annotations


import pytest
from sqlalchemy import select

from core import texts
from core.delivery.models import OutboxMessage
from core.ports import OutboundMessage
from core.render import plain_text
from tests.unit.resolutions.helpers import CountingSpeaker, docx_bytes, pdf_scanned, pdf_with_text, zip_bomb
from voice.service import VoiceRenderer

R = texts.resolutions
TEXT = (
    "Nghị quyết về tăng cường củng cố, xây dựng tổ chức cơ sở đảng và nâng cao chất lượng đội ngũ đảng viên. "
    "Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ. "
    "Đổi mới, nâng cao chất lượng sinh hoạt chi bộ ở mọi nơi. Tăng cường quản lý đảng viên bằng sổ tay điện tử. "
    "Chú trọng kết nạp đảng viên là người dân tộc thiểu số. Các cấp ủy thường xuyên kiểm tra, giám sát việc thực hiện."
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"



@pytest.fixture
def speaker(runtime, tmp_path) -> CountingSpeaker:  # type: ignore[no-untyped-def]
    speaker = CountingSpeaker()
    runtime.services["voice_renderer"] = VoiceRenderer(speaker, tmp_path / "voice")
    return speaker



async def create(api_client, headers, *, org_id: int, text: str = TEXT, title: str = "Về tăng cường củng cố tổ chức cơ sở đảng", code: str = "21-NQ/TW"):  # type: ignore[no-untyped-def]
    form = {"kind": "NQ", "title": title, "code": code, "issued_on": "2022-06-16", "org_id": str(org_id), "text": text}
    return await api_client.post("/api/v1/documents", data=form, headers=headers)


async def test_publish_through_the_api_with_one_synthesis_per_variant(api_client, session, commune, bearer, speaker) -> None:
    cell_a, cell_b = commune.cells
    cell_b.members[0].speech_speed = "slow"  # type: ignore[assignment]
    await session.commit()
    headers = await bearer(commune.committee_member)
    response = await create(api_client, headers, org_id=commune.commune.id)
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["state"] == "draft" and draft["code"] == "21-NQ/TW" and draft["summary"]
    document_id = draft["id"]

    # Nobody else sees the draft.
    other = await bearer(cell_a.members[0])
    assert (await api_client.get(f"/api/v1/documents/{document_id}", headers=other)).status_code == 404

    response = await api_client.patch(f"/api/v1/documents/{document_id}", json={"summary": "   "}, headers=headers)
    assert response.status_code == 422 and response.json()["message"] == R.SUMMARY_EMPTY
    response = await api_client.patch(f"/api/v1/documents/{document_id}", json={"summary": "Học tập Nghị quyết 21.\nMỗi đảng viên thực hiện."}, headers=headers)
    assert response.status_code == 200 and response.json()["summary"].startswith("Học tập")
    audience = (await api_client.get(f"/api/v1/documents/{document_id}/audience", headers=headers)).json()
    assert audience == {"org_id": commune.commune.id, "recipients": len(cell_a.everyone) + len(cell_b.everyone), "unlinked": 0}

    response = await api_client.post(f"/api/v1/documents/{document_id}/publish", headers=headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["recipients"] == result["queued"] == len(cell_a.everyone) + len(cell_b.everyone)
    assert result["voice_variants"] == 2 and sorted(s for _, _, s in speaker.calls) == ["normal", "slow"]
    rows = list((await session.execute(select(OutboxMessage).where(OutboxMessage.source == f"document:{document_id}"))).scalars())
    keys = {OutboundMessage.from_payload(r.payload).attachment.cache_key for r in rows if "|voice" in r.idempotency_key}
    assert len(keys) == 2
    assert (await api_client.post(f"/api/v1/documents/{document_id}/publish", headers=headers)).status_code == 409

    # Readers: search without diacritics, audio by file, bookmarks, «đã nghiên cứu».
    listing = (await api_client.get("/api/v1/documents", params={"q": "nghi quyet 21"}, headers=other)).json()
    assert [d["id"] for d in listing["items"]] == [document_id]
    foreign = await bearer(commune.other_cell.members[0])
    assert (await api_client.get("/api/v1/documents", params={"q": "21"}, headers=foreign)).json()["total"] == 0
    assert (await api_client.get(f"/api/v1/documents/{document_id}", headers=foreign)).status_code == 404
    audio = await api_client.get(f"/api/v1/documents/{document_id}/audio", headers=other)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/ogg" and audio.content[:4] == b"OggS"
    assert len(speaker.calls) == 2  # served from the cache
    original = await api_client.get(f"/api/v1/documents/{document_id}/original", headers=other)
    assert original.status_code == 200 and "Chú trọng kết nạp" in original.text
    assert (await api_client.put(f"/api/v1/documents/{document_id}/bookmark", headers=other)).json() == {"bookmarked": True, "changed": True}
    assert (await api_client.get("/api/v1/documents", params={"saved": True}, headers=other)).json()["total"] == 1
    assert (await api_client.post(f"/api/v1/documents/{document_id}/studied", headers=other)).json() == {"studied": True, "changed": True}
    assert (await api_client.post(f"/api/v1/documents/{document_id}/studied", headers=other)).json()["changed"] is False


async def test_uploads_and_their_refusals(api_client, session, commune, bearer, speaker) -> None:
    headers = await bearer(commune.cells[0].secretary)
    base = {"kind": "KH", "title": "Kế hoạch học tập của chi bộ", "org_id": str(commune.cells[0].org.id)}

    async def upload(data: bytes, name: str, mime: str):  # type: ignore[no-untyped-def]
        return await api_client.post("/api/v1/documents", data=base, files={"file": (name, data, mime)}, headers=headers)

    for data, name, mime, status, message in (
        (pdf_scanned(2), "scan.pdf", "application/pdf", 422, R.PDF_SCANNED),
        (zip_bomb(200), "bom.docx", DOCX, 422, R.DOCX_BOMB),
        # Not a type a document is read from: 415.
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "anh.png", "image/png", 415, R.FILE_UNSUPPORTED),
        (b"MZ\x90\x00" + b"\0" * 64, "nghi-quyet.pdf", "application/pdf", 415, R.FILE_UNSUPPORTED),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "cu.doc", "application/msword", 415, R.FILE_OLD_DOC),
    ):
        response = await upload(data, name, mime)
        assert response.status_code == status and response.json()["message"] == plain_text(message), name
        assert response.json()["error"] == {415: "unsupported_file_type", 422: "invalid_input"}[status], name
    response = await upload(pdf_with_text(["Trang."] * 101), "dai.pdf", "application/pdf")
    assert response.status_code == 422 and "101 trang" in response.json()["message"]
    response = await api_client.post("/api/v1/documents", data=base, headers=headers)
    assert response.status_code == 422 and response.json()["message"] == R.TEXT_EMPTY
    name = "Kế hoạch học tập.docx"
    response = await upload(docx_bytes(["Kế hoạch học tập nghị quyết trong tháng mười hai của chi bộ thôn.", "Đảng viên viết thu hoạch."]), name, DOCX)
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["original"]["mime_type"] == DOCX and document["original"]["filename"] == name
    original = await api_client.get(f"/api/v1/documents/{document['id']}/original", headers=headers)
    assert original.status_code == 200 and original.content[:2] == b"PK"
    # The Vietnamese name exactly (RFC 5987) and without diacritics for clients that read only `filename`.
    disposition = original.headers["content-disposition"]
    assert "filename*=utf-8''K%E1%BA%BF%20ho%E1%BA%A1ch" in disposition and 'filename="Ke hoach hoc tap.docx"' in disposition
    assert original.headers["x-content-type-options"] == "nosniff"
    # A member may not publish; a secretary may not target another cell.
    member = await bearer(commune.cells[0].members[0])
    response = await api_client.post("/api/v1/documents", data=base | {"text": TEXT}, headers=member)
    assert response.status_code == 403
    response = await api_client.post("/api/v1/documents", data=base | {"text": TEXT, "org_id": str(commune.cells[1].org.id)}, headers=headers)
    assert response.status_code == 404
    response = await api_client.delete(f"/api/v1/documents/{document['id']}", headers=headers)
    assert response.status_code == 204


async def test_study_campaign_over_the_api(api_client, session, commune, bearer, speaker) -> None:
    headers = await bearer(commune.committee_member)
    document_id = (await create(api_client, headers, org_id=commune.commune.id)).json()["id"]
    await api_client.post(f"/api/v1/documents/{document_id}/publish", headers=headers)
    body = {
        "document_id": document_id, "org_id": commune.commune.id, "deadline": "2026-12-15",
        "questions": [{"text": "Mục tiêu đến năm nào?", "options": ["2025", "2030"], "correct": 1}],
    }
    response = await api_client.post("/api/v1/study/campaigns", json=body, headers=headers)
    assert response.status_code == 201, response.text
    opened = response.json()
    campaign_id = opened["campaign"]["id"]
    assert opened["members"] == len(commune.cells[0].everyone) + len(commune.cells[1].everyone) + 1
    assert (await api_client.post("/api/v1/study/campaigns", json=body, headers=headers)).status_code == 409

    member = await bearer(commune.cells[1].members[0])
    quiz = (await api_client.get(f"/api/v1/documents/{document_id}/quiz", headers=member)).json()
    assert quiz["total"] == 1 and "correct" not in quiz["pending"][0]
    question_id = quiz["pending"][0]["id"]
    answer = await api_client.post(f"/api/v1/study/questions/{question_id}/answer", json={"option": 1}, headers=member)
    assert answer.json() == {"correct": True, "answered": 1, "correct_total": 1, "total": 1, "finished": True}
    again = await api_client.post(f"/api/v1/study/questions/{question_id}/answer", json={"option": 0}, headers=member)
    assert again.status_code == 409
    await api_client.post(f"/api/v1/documents/{document_id}/studied", headers=member)
    foreign = await bearer(commune.other_cell.members[0])
    assert (await api_client.post(f"/api/v1/study/questions/{question_id}/answer", json={"option": 1}, headers=foreign)).status_code == 404

    results = (await api_client.get(f"/api/v1/study/campaigns/{campaign_id}", headers=headers)).json()
    assert results["totals"]["studied"] == 1 and results["totals"]["quiz_done"] == 1 and results["totals"]["average_score"] == 10.0
    assert len(results["cells"]) == 2
    secretary_b = await bearer(commune.cells[1].secretary)
    part = (await api_client.get(f"/api/v1/study/campaigns/{campaign_id}", headers=secretary_b)).json()
    assert part["org_id"] == commune.cells[1].org.id and part["totals"]["total"] == len(commune.cells[1].everyone)
    assert (await api_client.get(f"/api/v1/study/campaigns/{campaign_id}", headers=foreign)).status_code == 404
    members = (await api_client.get(f"/api/v1/study/campaigns/{campaign_id}/members", headers=secretary_b)).json()
    assert {m["name"] for m in members if m["studied_at"]} == {commune.cells[1].members[0].full_name}
    assert (await api_client.post(f"/api/v1/study/campaigns/{campaign_id}/close", headers=secretary_b)).status_code == 404
    closed = (await api_client.post(f"/api/v1/study/campaigns/{campaign_id}/close", headers=headers)).json()
    assert closed["closed_at"] is not None
