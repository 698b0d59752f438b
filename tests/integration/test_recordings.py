"""Recordings through the API the web console calls and through core: an MP3 upload made a voice
note, recordings served before the synthetic voice at publishing (by language, Vietnamese as the
fallback), named readers, the committee's language list, the once-only reminder to record, and
the browser's MP3 of a recording (the listen link Zalo members open)."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
import soundfile
from sqlalchemy import select

from core import texts
from core.clock import local_tz
from core.delivery.models import OutboxMessage
from core.media_links import MediaLinks, safari_audio_format
from core.ports import OutboundMessage
from core.listening.models import Recording, RecordingReminder
from core.recordings.scheduled import REMINDER_DELAY, remind_to_record
from core.scheduling.context import TickContext
from tests.conftest import TEST_SECRET_KEY
from tests.unit.resolutions.helpers import CountingSpeaker
from voice.service import VoiceRenderer

V = texts.recordings
TEXT = (
    "Nghị quyết về tăng cường củng cố tổ chức cơ sở đảng. Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng "
    "hoàn thành tốt nhiệm vụ. Đổi mới sinh hoạt chi bộ."
)


def tone(seconds: float, fmt: str, pitch: float = 220.0) -> bytes:
    rate = 44_100 if fmt == "MP3" else 16_000
    t = np.arange(int(rate * seconds), dtype=np.float32) / rate
    buffer = io.BytesIO()
    samples = (0.3 * np.sin(2 * np.pi * pitch * t)).astype(np.float32)
    if fmt == "MP3":
        soundfile.write(buffer, samples, rate, format="MP3", subtype="MPEG_LAYER_III")
    else:
        soundfile.write(buffer, samples, rate, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def speaker(runtime, tmp_path) -> CountingSpeaker:  # type: ignore[no-untyped-def]
    speaker = CountingSpeaker()
    runtime.services["voice_renderer"] = VoiceRenderer(speaker, tmp_path / "voice")
    return speaker


async def draft(api_client, headers, org_id: int) -> int:  # type: ignore[no-untyped-def]
    form = {"kind": "NQ", "title": "Về củng cố tổ chức cơ sở đảng", "code": "05-NQ/ĐU", "org_id": str(org_id), "text": TEXT}
    response = await api_client.post("/api/v1/documents", data=form, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def upload(api_client, headers, document_id: int, language: str, data: bytes, name: str = "doc.mp3"):  # type: ignore[no-untyped-def]
    return await api_client.put(f"/api/v1/documents/{document_id}/recordings/{language}", files={"file": (name, data)}, headers=headers)


def rows_of(rows: list[OutboxMessage], marker: str) -> dict[int, OutboundMessage]:
    return {r.member_id: OutboundMessage.from_payload(r.payload) for r in rows if marker in r.idempotency_key}


async def test_recordings_before_publishing_replace_the_synthetic_voice_by_language(api_client, session, commune, bearer, speaker, runtime) -> None:
    cell_a = commune.cells[0]
    secretary = cell_a.secretary
    hmong, thai, deaf = cell_a.members[0], cell_a.members[1], cell_a.members[2]
    headers = await bearer(secretary)
    document_id = await draft(api_client, headers, cell_a.org.id)

    # Members choose their language through the API too (the console's 👤 Hồ sơ).
    for member, code in ((hmong, "hmong"), (thai, "thai")):
        response = await api_client.put("/api/v1/voice-languages/mine", json={"code": code}, headers=await bearer(member))
        assert response.status_code == 200 and response.json()["code"] == code
    bad = await api_client.put("/api/v1/voice-languages/mine", json={"code": "klingon"}, headers=await bearer(hmong))
    assert bad.status_code == 422 and bad.json()["message"] == V.UNKNOWN_LANGUAGE
    deaf.voice_enabled = False
    await session.commit()

    # The secretary uploads an MP3 in Vietnamese and a WAV in Hmông to the draft: kept as OGG/Opus voice notes.
    response = await upload(api_client, headers, document_id, "vi", tone(2.0, "MP3"))
    assert response.status_code == 200, response.text
    assert response.json() | {"recorded_by_id": 0} == {"language": "vi", "language_name": "Tiếng Việt", "duration": 2,
                                                      "size": response.json()["size"], "recorded_by_id": 0, "queued": 0}
    assert (await upload(api_client, headers, document_id, "hmong", tone(1.5, "WAV", 330), "doc.wav")).status_code == 200
    stored = {r.language: r for r in (await session.execute(select(Recording))).scalars()}
    for recording in stored.values():
        with open(recording.path, "rb") as handle:
            head = handle.read(64)
        assert head.startswith(b"OggS") and b"OpusHead" in head
    listing = (await api_client.get(f"/api/v1/documents/{document_id}/recordings", headers=headers)).json()
    assert [(r["language"], r["duration"]) for r in listing] == [("hmong", 2), ("vi", 2)]

    # Refusals: not audio, an unknown language, someone of another province, a member who was not asked.
    refused = await upload(api_client, headers, document_id, "vi", b"%PDF-1.4 not audio", "x.pdf")
    assert refused.status_code == 422 and refused.json()["message"] == V.UNREADABLE
    assert (await upload(api_client, headers, document_id, "klingon", tone(1.2, "WAV"), "x.wav")).status_code == 422
    assert (await upload(api_client, await bearer(commune.other_cell.secretary), document_id, "vi", tone(1.2, "WAV"), "x.wav")).status_code == 404
    assert (await upload(api_client, await bearer(hmong), document_id, "vi", tone(1.2, "WAV"), "x.wav")).status_code == 404  # a draft: its author only

    response = await api_client.post(f"/api/v1/documents/{document_id}/publish", headers=headers)
    assert response.status_code == 200, response.text
    rows = list((await session.execute(select(OutboxMessage).where(OutboxMessage.source == f"document:{document_id}"))).scalars())
    vietnamese, in_hmong, synthetic = rows_of(rows, "|rec-vi-"), rows_of(rows, "|rec-hmong-"), rows_of(rows, "|voice")
    listeners = {m.id for m in (*cell_a.everyone, commune.committee_member)} - {secretary.id, deaf.id}  # he belongs to cell A
    assert set(in_hmong) == {hmong.id}
    assert set(vietnamese) == listeners - {hmong.id}  # the Thái member too: no recording in Thái
    assert not synthetic and deaf.id not in vietnamese
    assert response.json()["voice_variants"] == 2 and speaker.calls == []  # two recordings, nothing synthesised
    message = vietnamese[thai.id]
    assert message.attachment is not None and message.attachment.path == stored["vi"].path
    assert message.attachment.cache_key == f"rec:{stored['vi'].sha256}" and "bản ghi âm tiếng việt" in message.text

    # After publishing, a new Thái recording goes at once to the Thái member only.
    response = await upload(api_client, headers, document_id, "thai", tone(1.2, "WAV", 440), "t.wav")
    assert response.status_code == 200 and response.json()["queued"] == 1
    rows = list((await session.execute(select(OutboxMessage).where(OutboxMessage.source == f"document:{document_id}"))).scalars())
    assert set(rows_of(rows, "|rec-thai-")) == {thai.id}

    # The browser's copy of a recording (the listen link a Zalo member opens): MP3 for iPhones, OGG for the rest.
    links = MediaLinks(TEST_SECRET_KEY.encode(), "https://sotay.example", runtime.settings.data_dir / "media", dt.timedelta(hours=1))
    url = links.publish(kind="voice", path=stored["vi"].path, title="Tóm tắt")
    ref = links.open(url.rsplit("/", 1)[1])
    assert ref is not None
    browser = links.audio_file(ref, safari_audio_format())
    assert browser is not None
    samples, rate = soundfile.read(str(browser))
    assert abs(len(samples) / rate - 2.0) < 0.3
    if safari_audio_format() == "mp3":
        data = browser.read_bytes()
        assert browser.suffix == ".mp3" and (data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0))  # an MPEG frame


async def test_named_reader_records_and_committee_extends_the_languages(api_client, session, commune, bearer, speaker) -> None:
    cell_a = commune.cells[0]
    headers = await bearer(cell_a.secretary)
    document_id = await draft(api_client, headers, cell_a.org.id)
    assert (await api_client.post(f"/api/v1/documents/{document_id}/publish", headers=headers)).status_code == 200
    reader = cell_a.members[0]
    reader_headers = await bearer(reader)
    assert (await upload(api_client, reader_headers, document_id, "vi", tone(1.2, "WAV"), "r.wav")).status_code == 403
    named = await api_client.post(f"/api/v1/documents/{document_id}/readers", json={"member_id": reader.id}, headers=headers)
    assert named.status_code == 201
    told = (await session.execute(select(OutboxMessage).where(OutboxMessage.member_id == reader.id,
                                                             OutboxMessage.idempotency_key.contains("reader")))).scalars().one()
    assert OutboundMessage.from_payload(told.payload).buttons[0][0].callback_data == f"rec:open:{document_id}:"
    outsider = commune.cells[1].members[0]
    refused = await api_client.post(f"/api/v1/documents/{document_id}/readers", json={"member_id": outsider.id}, headers=headers)
    assert refused.status_code == 422 and refused.json()["message"] == V.READER_MUST_BE_IN_REACH
    response = await upload(api_client, reader_headers, document_id, "vi", tone(1.2, "WAV"), "r.wav")
    assert response.status_code == 200 and response.json()["queued"] >= 1

    # The committee extends the list; a cell member may not; a name already there is refused.
    committee = await bearer(commune.committee_member)
    added = await api_client.post("/api/v1/voice-languages", json={"name": "Giáy"}, headers=committee)
    assert added.status_code == 201 and added.json() == {"code": "giay", "name": "Tiếng Giáy"}
    assert (await api_client.post("/api/v1/voice-languages", json={"name": "Tiếng Giáy"}, headers=committee)).status_code == 409
    assert (await api_client.post("/api/v1/voice-languages", json={"name": "Mường"}, headers=headers)).status_code == 403
    names = [language["name"] for language in (await api_client.get("/api/v1/voice-languages", headers=reader_headers)).json()]
    assert names[0] == "Tiếng Việt" and names[-1] == "Tiếng Giáy" and "Tiếng Hmông" in names


async def test_the_secretary_is_reminded_once_when_listeners_have_no_recording(api_client, session, commune, bearer, speaker, clock) -> None:
    cell_a = commune.cells[0]
    headers = await bearer(cell_a.secretary)
    silent = await draft(api_client, headers, cell_a.org.id)
    recorded = await draft(api_client, headers, cell_a.org.id)
    for document_id in (silent, recorded):
        assert (await api_client.post(f"/api/v1/documents/{document_id}/publish", headers=headers)).status_code == 200
    assert (await upload(api_client, headers, recorded, "vi", tone(1.2, "WAV"), "r.wav")).status_code == 200

    async def tick(after: dt.timedelta) -> int:
        done = await remind_to_record(session, TickContext(now=clock.now() + after, tz=local_tz()))
        await session.commit()
        return done

    assert await tick(REMINDER_DELAY - dt.timedelta(minutes=1)) == 0  # not yet: maybe they record right now
    assert await tick(REMINDER_DELAY + dt.timedelta(minutes=1)) == 1
    assert await tick(REMINDER_DELAY + dt.timedelta(hours=2)) == 0  # once
    reminders = (await session.execute(select(RecordingReminder))).scalars().all()
    assert [(r.document_id, r.member_id) for r in reminders] == [(silent, cell_a.secretary.id)]
    row = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "recording_reminder"))).scalars().one()
    message = OutboundMessage.from_payload(row.payload)
    assert row.member_id == cell_a.secretary.id and message.buttons[0][0].text == V.BTN_RECORD
    assert "chưa có bản ghi âm" in message.text


async def test_the_reminder_timings_are_settings(api_client, session, commune, bearer, speaker, clock, tmp_path) -> None:
    from pydantic import ValidationError

    from sotay.settings import Settings

    settings = Settings(demo=True, secret_key=TEST_SECRET_KEY, data_dir=tmp_path / "data",
                        recording_reminder_minutes=5, recording_reminder_window_days=0.5)
    headers = await bearer(commune.cells[0].secretary)
    document_id = await draft(api_client, headers, commune.cells[0].org.id)
    assert (await api_client.post(f"/api/v1/documents/{document_id}/publish", headers=headers)).status_code == 200

    async def tick(after: dt.timedelta) -> int:
        done = await remind_to_record(session, settings.tick_context(clock.now() + after))
        await session.commit()
        return done

    assert await tick(dt.timedelta(minutes=4)) == 0
    assert await tick(dt.timedelta(hours=13)) == 0  # outside a half-day window: too old to remind
    assert await tick(dt.timedelta(minutes=6)) == 1  # the default (30 minutes) would not be due yet
    assert REMINDER_DELAY == dt.timedelta(minutes=30) and Settings(demo=True, secret_key=TEST_SECRET_KEY).tick_context(
        clock.now()).recording_reminder_window == dt.timedelta(days=7)
    with pytest.raises(ValidationError, match="RECORDING_REMINDER_WINDOW_DAYS"):
        Settings(demo=True, secret_key=TEST_SECRET_KEY, recording_reminder_minutes=120, recording_reminder_window_days=0.05)
