"""Publishing a document from the console: upload a file, edit the drafted summary, listen to its
voice, send it; another cell's secretary and a missing CSRF token change nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core import texts
from core.delivery.models import OutboxMessage
from core.resolutions.models import Document, DocumentState
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune
from tests.integration.test_resolutions_api import TEXT
from tests.unit.resolutions.helpers import CountingSpeaker
from voice.service import VoiceRenderer

D = texts.console_desk


@pytest.fixture
def speaker(runtime, tmp_path) -> CountingSpeaker:  # type: ignore[no-untyped-def]
    speaker = CountingSpeaker()
    runtime.services["voice_renderer"] = VoiceRenderer(speaker, tmp_path / "voice")
    return speaker


async def _document(session) -> Document | None:  # type: ignore[no-untyped-def]
    return (await session.execute(select(Document).execution_options(populate_existing=True))).scalars().first()


async def test_upload_edit_listen_publish(api_client, console_harness, session, cipher, clock, speaker) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    csrf = csrf_of(home)
    form = await api_client.get("/console/documents")
    assert form.status_code == 200 and a.org.name in form.text
    fields = {"kind": "NQ", "title": "Về củng cố tổ chức cơ sở đảng", "code": "21-NQ/TW", "issued_on": "2022-06-16", "org_id": str(a.org.id)}
    no_token = await api_client.post("/console/documents", data=fields, files={"file": ("nq21.txt", TEXT.encode(), "text/plain")})
    assert no_token.status_code == 403 and await _document(session) is None
    made = await api_client.post("/console/documents", data={"csrf": csrf, **fields}, files={"file": ("nq21.txt", TEXT.encode(), "text/plain")})
    assert made.status_code == 303
    draft = await api_client.get(made.headers["location"])
    document = await _document(session)
    assert document is not None and document.state == DocumentState.DRAFT and document.file_name == "nq21.txt"
    assert draft.status_code == 200 and document.summary.split()[0] in draft.text and D.DOC_PUBLISH in draft.text
    assert re.search(r"Sẽ gửi tới \d+ đảng viên", draft.text)

    saved = await api_client.post(f"/console/documents/{document.id}", data={"csrf": csrf, "summary": "Ba ý chính của Nghị quyết 21."})
    assert saved.status_code == 303
    assert (await _document(session)).summary == "Ba ý chính của Nghị quyết 21."  # type: ignore[union-attr]
    audio = await api_client.get(f"/console/documents/{document.id}/audio")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/ogg" and audio.content[:4] == b"OggS"

    published = await api_client.post(f"/console/documents/{document.id}/publish", data={"csrf": csrf})
    assert published.status_code == 303
    page = await api_client.get(published.headers["location"])
    assert D.DOC_PUBLISH not in page.text and "Ba ý chính của Nghị quyết 21." in page.text
    assert (await _document(session)).state == DocumentState.PUBLISHED  # type: ignore[union-attr]
    sent = int(await session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.source.like(f"%{document.id}%"))) or 0)
    assert sent >= len(a.everyone) - 1  # every linked member of the cell but the publisher


async def test_another_cells_secretary_cannot_publish_or_edit(api_client, console_harness, session, cipher, clock, speaker) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    made = await api_client.post("/console/documents", data={"csrf": csrf_of(home), "kind": "TB", "title": "Thông báo", "org_id": str(a.org.id),
                                                              "text": TEXT})
    document_id = int(made.headers["location"].rsplit("/", 1)[1])
    api_client.cookies.clear()
    home = await sign_in(api_client, console_harness, SECRETARY_B)
    csrf = csrf_of(home)
    assert (await api_client.get(f"/console/documents/{document_id}")).status_code == 404
    assert (await api_client.post(f"/console/documents/{document_id}", data={"csrf": csrf, "summary": "Sửa trộm"})).status_code == 404
    assert (await api_client.post(f"/console/documents/{document_id}/publish", data={"csrf": csrf})).status_code == 404
    elsewhere = await api_client.post("/console/documents", data={"csrf": csrf, "kind": "TB", "title": "X", "org_id": str(a.org.id), "text": TEXT})
    assert elsewhere.status_code in (403, 404)
    document = await _document(session)
    assert document is not None and document.state == DocumentState.DRAFT and document.summary != "Sửa trộm"
    assert int(await session.scalar(select(func.count(Document.id))) or 0) == 1
