"""POST /api/v1/notices/with-file: a notice with one file over HTTP, delivered exactly like one a
secretary sends in the bot (caption with header and footer, «✅ Đã xem»), the file uploaded to
Telegram once and then sent by its id; refused files say why and leave nothing behind."""

from __future__ import annotations

import io

import pytest
from aiogram.types import FSInputFile
from sqlalchemy import func, select

from core import texts
from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.models import MediaFile, OutboxMessage
from core.delivery.worker import DeliveryWorker
from core.notices import files, render, service
from core.notices.models import AttachmentKind, Notice
from core.audit import AuditEvent
from core.orgs.service import load_actor
from core.render import plain_text

UNLIMITED = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)
PATH = "/api/v1/notices/with-file"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
OGG = b"OggS\x00\x02" + b"\0" * 64




def _upload(name: str, content: bytes, mime: str = "application/octet-stream") -> dict[str, tuple[str, io.BytesIO, str]]:
    return {"file": (name, io.BytesIO(content), mime)}


async def _rows(session, notice_id: int) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    query = select(OutboxMessage).where(OutboxMessage.source == f"notice:{notice_id}", OutboxMessage.kind == service.KIND)
    return list((await session.execute(query.order_by(OutboxMessage.id))).scalars())


async def test_a_photo_reaches_every_member_like_a_bot_notice_uploaded_once(api_client, session, session_factory, commune, bearer,
                                                                             clock, harness, runtime) -> None:
    from bot.messenger import TelegramMessenger

    cell = commune.cells[0]
    headers = await bearer(cell.secretary)
    caption = "Sơ đồ chỗ ngồi họp chi bộ <Chủ Nhật> & lịch trực."
    response = await api_client.post(PATH, data={"org_id": str(cell.org.id), "text": caption},
                                     files=_upload("So do.png", PNG, "image/png"), headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["attachment"], created["attachment_name"], created["text"]) == ("photo", "So do.png", caption)
    assert created["counts"]["linked"] == created["counts"]["pending"] == created["counts"]["recipients"] == len(cell.everyone)

    notice = await session.get(Notice, created["id"])
    assert notice is not None and notice.attachment_file_id is None
    assert notice.attachment_path and notice.attachment_path.startswith(str(runtime.settings.data_dir / "files" / "notices"))
    with open(notice.attachment_path, "rb") as stored:
        assert stored.read() == PNG
    # The outbox row carries the stored file, keyed by content, with the caption members read.
    rows = await _rows(session, notice.id)
    assert len(rows) == created["counts"]["linked"]
    body = render.body(org_name=cell.org.name, text=caption, author_name=cell.secretary.full_name)
    assert "&lt;Chủ Nhật&gt; &amp;" in body and texts.notices.NOTICE_FOOTER.format(author=cell.secretary.full_name) in body
    attachment = rows[0].payload["attachment"]
    assert attachment == {"kind": "photo", "path": notice.attachment_path, "filename": "So do.png",
                          "cache_key": files.cache_key_of(AttachmentKind.PHOTO, notice.attachment_path)}
    assert all(row.payload["text"] == body for row in rows)

    # The same notice as the bot makes it (a Telegram file id) reads the same, with the same button.
    actor = await load_actor(session, cell.secretary)
    from_bot = await service.create_notice(session, actor=actor, org_id=cell.org.id, text=caption, now=clock.now(),
                                           attachment=files.NoticeAttachment(AttachmentKind.PHOTO, "AgACAgIAAxk-photo"))
    bot_rows = await _rows(session, from_bot.id)
    await session.commit()
    assert bot_rows[0].payload["text"] == rows[0].payload["text"]
    # «🔊 Nghe» under a notice with words: a person's reading, else the machine voice (core.recordings.subjects).
    expected = [[texts.notices.BTN_SEEN], [texts.recordings.BTN_LISTEN]]
    assert [[b["text"] for b in line] for line in bot_rows[0].payload["buttons"]] == expected
    assert [[b["text"] for b in line] for line in rows[0].payload["buttons"]] == expected
    assert rows[0].payload["buttons"][0][0]["callback_data"] == f"{render.SEEN_PREFIX}:{notice.id}"

    # The worker sends through the real Telegram messenger: one upload from disk, then by file id.
    before = len(harness.session.calls)
    worker = DeliveryWorker(session_factory, TelegramMessenger(harness.bot), LocalTokenBucket(UNLIMITED), clock,
                            quiet_kinds={service.KIND}, bot_key="42")
    await worker.drain()
    sends = [c for c in harness.session.calls[before:] if type(c).__name__ == "SendPhoto" and c.caption == body]
    assert len(sends) == 2 * len(rows)  # this notice and the one made as the bot does
    uploads = [c for c in sends if isinstance(c.photo, FSInputFile)]
    assert len(uploads) == 1 and uploads[0].photo.path == notice.attachment_path
    by_id = [c for c in sends if isinstance(c.photo, str)]
    assert {c.photo for c in by_id} - {"AgACAgIAAxk-photo"}
    # Sent as HTML: explicitly, or by the bot's default (what Telegram receives either way).
    assert all((c.parse_mode if isinstance(c.parse_mode, str) else harness.bot.default[c.parse_mode.name]) == "HTML" for c in sends)
    assert all(c.reply_markup.inline_keyboard[0][0].text == texts.notices.BTN_SEEN for c in sends)
    assert {int(c.chat_id) for c in sends} == {int(row.chat_id) for row in rows}
    remembered = (await session.execute(select(MediaFile.cache_key, MediaFile.file_id))).all()
    assert [key for key, _ in remembered] == [attachment["cache_key"]]
    # Uploading the same file again: stored once, sent by the remembered id, never uploaded twice.
    again = await api_client.post(PATH, data={"org_id": str(cell.org.id)}, files=_upload("lan-2.png", PNG), headers=headers)
    assert again.status_code == 201 and again.json()["text"] == ""
    before = len(harness.session.calls)
    await worker.drain()
    resent = [c for c in harness.session.calls[before:] if type(c).__name__ == "SendPhoto"]
    assert len(resent) == len(rows) and all(c.photo == remembered[0][1] for c in resent)
    events = (await session.execute(select(AuditEvent).where(AuditEvent.action == "notice.created"))).scalars().all()
    # Once each, by core: over the API (naming the token), as the bot does (here with no account), and again over the API.
    assert [(e.detail["attachment"], (e.actor_platform_user or "").startswith("api:token:")) for e in events] == [
        ("photo", True), ("photo", False), ("photo", True),
    ]


@pytest.mark.parametrize(
    ("name", "content", "kind", "method"),
    [
        ("Kế hoạch tháng 12.pdf", PDF, "document", "SendDocument"),
        ("anh.JPG", JPEG, "photo", "SendPhoto"),
        ("loi-nhan.ogg", OGG, "voice", "SendVoice"),
        ("ban-do-lon.png", PNG + b"\0" * files.MAX_PHOTO_BYTES, "document", "SendDocument"),  # too big for a Telegram photo
    ],
)
async def test_each_kind_of_file_goes_out_as_the_bot_would_send_it(api_client, session, session_factory, commune, bearer, clock,
                                                                   harness, name, content, kind, method) -> None:
    from bot.messenger import TelegramMessenger

    cell = commune.cells[0]
    response = await api_client.post(PATH, data={"org_id": str(cell.org.id), "text": "Đồng chí xem tệp."}, files=_upload(name, content),
                                     headers=await bearer(cell.secretary))
    assert response.status_code == 201, response.text
    assert response.json()["attachment"] == kind and response.json()["attachment_name"] == name
    before = len(harness.session.calls)
    await DeliveryWorker(session_factory, TelegramMessenger(harness.bot), LocalTokenBucket(UNLIMITED), clock,
                         quiet_kinds={service.KIND}).drain()
    sent = [type(c).__name__ for c in harness.session.calls[before:]]
    assert sent == [method] * response.json()["counts"]["linked"]


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        # A type a notice does not take, or content that is not what the name says: 415.
        ("virus.exe", b"MZ\x90\x00", 415, texts.notices.FILE_TYPE_REFUSED.format(name="virus.exe")),
        ("bai-hat.mp3", b"ID3\x03", 415, texts.notices.FILE_TYPE_REFUSED.format(name="bai-hat.mp3")),
        ("khong-phai.pdf", b"MZ\x90\x00 renamed", 415, texts.files.FILE_CONTENT_MISMATCH.format(name="khong-phai.pdf", extension=".pdf")),
        ("anh-gia.png", PDF, 415, texts.files.FILE_CONTENT_MISMATCH.format(name="anh-gia.png", extension=".png")),
        ("loi-nhan.ogg", b"RIFF....WAVE", 415, texts.files.FILE_CONTENT_MISMATCH.format(name="loi-nhan.ogg", extension=".ogg")),
        # Anything else wrong with the file is invalid input: 422.
        ("rong.pdf", b"", 422, texts.files.FILE_EMPTY.format(name="rong.pdf")),
        ("", PDF, 422, None),
    ],
)
async def test_a_refused_file_says_why_and_sends_nothing(api_client, session, commune, bearer, runtime, name, content, status,
                                                         message) -> None:
    cell = commune.cells[0]
    response = await api_client.post(PATH, data={"org_id": str(cell.org.id), "text": "Thông báo"}, files=_upload(name, content),
                                     headers=await bearer(cell.secretary))
    assert response.status_code == status, response.text
    assert response.json()["error"] == {415: "unsupported_file_type", 422: "invalid_input"}[status]
    if message is not None:
        assert response.json()["message"] == plain_text(message)  # the chat's <b> is not JSON's
    assert (await session.scalar(select(func.count(Notice.id)))) == 0
    assert (await session.scalar(select(func.count(OutboxMessage.id)))) == 0
    assert not (runtime.settings.data_dir / "files" / "notices").exists()


async def test_huge_files_long_captions_and_missing_parts_are_refused(api_client, session, commune, bearer, runtime) -> None:
    cell = commune.cells[0]
    headers = await bearer(cell.secretary)
    huge = await api_client.post(PATH, data={"org_id": str(cell.org.id)}, files=_upload("lon.pdf", PDF + b"0" * files.MAX_FILE_BYTES),
                                 headers=headers)
    assert huge.status_code == 413 and huge.json()["error"] == "too_large"
    assert huge.json()["message"] == texts.api.TOO_LARGE.format(megabytes=files.MAX_FILE_BYTES // 1024 // 1024)
    long = await api_client.post(PATH, data={"org_id": str(cell.org.id), "text": "x" * (service.MAX_CAPTION_CHARS + 1)},
                                 files=_upload("a.pdf", PDF), headers=headers)
    assert long.status_code == 422 and long.json()["error"] == "invalid_input"
    # Long names leave less room for the caption: the same rule as in the bot, said in Vietnamese.
    cell.org.name = "Chi bộ " + "rất dài " * 30
    await session.commit()
    framed = await api_client.post(PATH, data={"org_id": str(cell.org.id), "text": "x" * service.MAX_CAPTION_CHARS},
                                   files=_upload("a.pdf", PDF), headers=headers)
    assert framed.status_code == 422 and framed.json()["message"].startswith("Lời chú thích")
    no_file = await api_client.post(PATH, data={"org_id": str(cell.org.id), "text": "x"}, headers=headers)
    assert no_file.status_code == 422
    as_json = await api_client.post(PATH, json={"org_id": cell.org.id, "text": "x"}, headers=headers)
    assert as_json.status_code == 422
    assert (await session.scalar(select(func.count(Notice.id)))) == 0


async def test_the_same_idempotency_key_sends_one_notice(api_client, session, commune, bearer) -> None:
    cell = commune.cells[0]
    headers = {**(await bearer(cell.secretary)), "Idempotency-Key": "bao-cao-12"}
    first = await api_client.post(PATH, data={"org_id": str(cell.org.id)}, files=_upload("bao-cao.pdf", PDF), headers=headers)
    second = await api_client.post(PATH, data={"org_id": str(cell.org.id)}, files=_upload("bao-cao.pdf", PDF), headers=headers)
    assert first.status_code == second.status_code == 201 and first.json()["id"] == second.json()["id"]
    assert (await session.scalar(select(func.count(Notice.id)))) == 1
    assert len(await _rows(session, first.json()["id"])) == first.json()["counts"]["linked"]


async def test_members_and_other_cells_cannot_send_and_nothing_is_stored(api_client, session, commune, bearer, runtime) -> None:
    a, b = commune.cells
    for member, org in ((a.members[0], a.org), (a.secretary, b.org), (a.secretary, commune.commune), (a.secretary, commune.other_cell.org)):
        response = await api_client.post(PATH, data={"org_id": str(org.id)}, files=_upload("a.pdf", PDF), headers=await bearer(member))
        assert response.status_code in (403, 404), response.text
    missing = await api_client.post(PATH, data={"org_id": "999999"}, files=_upload("a.pdf", PDF), headers=await bearer(a.secretary))
    assert missing.status_code == 404
    assert not (runtime.settings.data_dir / "files").exists(), "nothing is stored for a refused sender"
    # The commune committee sends to its whole subtree.
    committee = await api_client.post(PATH, data={"org_id": str(commune.commune.id)}, files=_upload("a.pdf", PDF),
                                      headers=await bearer(commune.committee_member))
    assert committee.status_code == 201 and committee.json()["counts"]["recipients"] > len(a.everyone)
    assert (await session.scalar(select(func.count(Notice.id)))) == 1
