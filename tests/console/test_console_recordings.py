"""A person's reading uploaded in the web console (#recording-slot) for a draft document, a notice and a
meeting's conclusions, by the same core calls as the API; the list of what has which languages; a
missing CSRF token, a member of another cell and a file that is not audio change nothing."""

from __future__ import annotations

import html
from pathlib import Path

from sqlalchemy import func, select

from core import texts
from core.delivery.models import OutboxMessage
from core.recordings.models import Recording
from tests.console.helpers import csrf_of
from tests.console.test_console_documents import speaker  # noqa: F401  (a counting voice, no real synthesis)
from tests.console.test_console_signin import SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune
from tests.integration.test_recordings import tone
from tests.integration.test_recordings_subjects import held_meeting, notice_of
from tests.integration.test_resolutions_api import TEXT

D = texts.console_desk


async def _recordings(session) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    rows = await session.execute(select(Recording.subject_kind, Recording.subject_id, Recording.language)
                                 .order_by(Recording.id).execution_options(populate_existing=True))
    return [tuple(row) for row in rows]


async def test_readings_are_uploaded_per_language_and_listed(api_client, console_harness, session, cipher, clock, speaker) -> None:  # noqa: F811
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    a.members[0].listen_language = "hmong"
    await session.commit()
    notice_id = await notice_of(session, commune, clock)
    meeting_id, absent = await held_meeting(session, commune, clock)
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    csrf = csrf_of(home)
    made = await api_client.post("/console/documents", data={"csrf": csrf, "kind": "NQ", "title": "Về củng cố tổ chức cơ sở đảng",
                                                              "org_id": str(a.org.id), "text": TEXT})
    document_id = int(made.headers["location"].rsplit("/", 1)[1])

    # The draft's slot lists every language, none recorded yet.
    page = (await api_client.get(f"/console/documents/{document_id}")).text
    assert 'id="recording-slot"' in page and D.REC_NONE.format(name="Tiếng Hmông") in page

    # A WAV for the draft, in Hmông: kept for the publication.
    wav = {"file": ("doc.wav", tone(1.5, "WAV", 330), "audio/wav")}
    uploaded = await api_client.post(f"/console/recordings/document/{document_id}", data={"csrf": csrf, "language": "hmong"}, files=wav)
    assert uploaded.status_code == 303 and uploaded.headers["location"] == f"/console/documents/{document_id}?rec=hmong#recording-slot"
    page = (await api_client.get(uploaded.headers["location"])).text
    assert html.escape(D.REC_SAVED_DRAFT.format(language="tiếng hmông")) in page and "✅ " + D.REC_HAS.format(name="Tiếng Hmông", seconds=2) in page

    # An MP3 for the notice in Vietnamese: sent at once to the listeners it serves (all but the Hmông one).
    mp3 = {"file": ("tb.mp3", tone(2.0, "MP3"), "audio/mpeg")}
    uploaded = await api_client.post(f"/console/recordings/notice/{notice_id}", data={"csrf": csrf, "language": "vi"}, files=mp3)
    assert uploaded.status_code == 303
    sent = int(uploaded.headers["location"].split("q=")[1].split("#")[0])
    queued = int(await session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.idempotency_key.contains("|rec0-vi-"))) or 0)
    assert sent == queued and queued >= 3
    page = (await api_client.get(uploaded.headers["location"])).text
    assert 'id="recording-slot"' in page and html.escape(D.REC_SAVED.format(language="tiếng việt", count=sent)) in page

    # The conclusions, in Vietnamese: to the absent members.
    uploaded = await api_client.post(f"/console/recordings/conclusions/{meeting_id}", data={"csrf": csrf, "language": "vi"},
                                     files={"file": ("kl.wav", tone(1.2, "WAV"), "audio/wav")})
    assert uploaded.status_code == 303 and uploaded.headers["location"] == f"/console/meetings/{meeting_id}?rec=vi&q={len(absent)}#recording-slot"
    page = (await api_client.get(uploaded.headers["location"])).text
    assert 'id="conclusions-recording-slot"' in page and html.escape(D.REC_SAVED.format(language="tiếng việt", count=len(absent))) in page
    assert await _recordings(session) == [("document", document_id, "hmong"), ("notice", notice_id, "vi"), ("conclusions", meeting_id, "vi")]

    # Each reading can be heard on its page before it goes out again: the stored OGG, nothing for a language not recorded.
    page = (await api_client.get(f"/console/notices/{notice_id}")).text
    assert f'<audio controls preload="none" aria-label="{D.REC_LISTEN.format(name="Tiếng Việt")}" src="/console/recordings/notice/{notice_id}/vi">' in page
    heard = await api_client.get(f"/console/recordings/notice/{notice_id}/vi")
    stored = await session.scalar(select(Recording.path).where(Recording.subject_kind == "notice", Recording.subject_id == notice_id))
    assert heard.status_code == 200 and heard.headers["content-type"] == "audio/ogg" and heard.content == Path(str(stored)).read_bytes()
    assert heard.content.startswith(b"OggS")
    assert (await api_client.get(f"/console/recordings/notice/{notice_id}/hmong")).status_code == 404
    assert (await api_client.get(f"/console/recordings/document/{document_id}/hmong")).status_code == 200

    # The list: each kind with the languages recorded, the rest on the machine voice.
    listing = await api_client.get("/console/recordings")
    assert listing.status_code == 200 and D.REC_LIST_TITLE in listing.text
    assert f'href="/console/documents/{document_id}#recording-slot"' in listing.text and f'/console/notices/{notice_id}#recording-slot' in listing.text
    assert f"/console/meetings/{meeting_id}#recording-slot" in listing.text and "Tiếng Hmông" in listing.text and "Tiếng Việt" in listing.text

    # Refusals that change nothing: no form token, not audio, an unknown language.
    before = await _recordings(session)
    assert (await api_client.post(f"/console/recordings/notice/{notice_id}", data={"language": "vi"}, files=mp3)).status_code == 403
    bad = await api_client.post(f"/console/recordings/notice/{notice_id}", data={"csrf": csrf, "language": "vi"},
                                files={"file": ("x.pdf", b"%PDF-1.4 not audio", "application/pdf")})
    assert bad.status_code == 422 and html.escape(texts.recordings.UNREADABLE) in bad.text
    unknown = await api_client.post(f"/console/recordings/notice/{notice_id}", data={"csrf": csrf, "language": "klingon"}, files=mp3)
    assert unknown.status_code == 422 and html.escape(texts.recordings.UNKNOWN_LANGUAGE) in unknown.text
    assert await _recordings(session) == before

    # Another cell's secretary sees no slot and may not upload.
    api_client.cookies.clear()
    csrf_b = csrf_of(await sign_in(api_client, console_harness, SECRETARY_B))
    for kind, subject_id in (("document", document_id), ("notice", notice_id), ("conclusions", meeting_id)):
        refused = await api_client.post(f"/console/recordings/{kind}/{subject_id}", data={"csrf": csrf_b, "language": "vi"}, files=mp3)
        assert refused.status_code in (403, 404), (kind, refused.status_code)
    for kind, subject_id in (("document", document_id), ("notice", notice_id), ("conclusions", meeting_id)):
        assert (await api_client.get(f"/console/recordings/{kind}/{subject_id}/vi")).status_code in (403, 404), kind
    listing = (await api_client.get("/console/recordings")).text
    assert f"/console/notices/{notice_id}#" not in listing
    assert await _recordings(session) == before
