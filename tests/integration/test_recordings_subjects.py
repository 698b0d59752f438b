"""A person's reading of a notice and of a meeting's conclusions, by language, under the same rule as
documents (the member's language, else Vietnamese, else the labelled synthetic voice): uploaded
through the API the console calls, delivered at once to the listeners each recording serves (a
Zalo member gets a listen link), heard on demand with «🔊 Nghe», refused to whoever may not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core import texts
from core.delivery.models import OutboxMessage
from core.errors import NotFound, PermissionDenied
from core.meetings import service as meetings
from core.meetings.models import MeetingKind
from core.notices import service as notices
from core.orgs.service import load_actor
from core.recordings import subjects
from core.recordings.models import Recording, SubjectKind
from tests.integration.test_recordings import rows_of, tone
from tests.zalokit import RecordingMedia

V = texts.recordings
NOTICE_TEXT = "Chi bộ họp bàn việc làm đường liên thôn vào tối thứ Bảy."


async def notice_of(session, commune, clock) -> int:  # type: ignore[no-untyped-def]
    actor = await load_actor(session, commune.cells[0].secretary)
    notice = await notices.create_notice(session, actor=actor, org_id=commune.cells[0].org.id, text=NOTICE_TEXT, now=clock.now())
    await session.commit()
    return notice.id


async def held_meeting(session, commune, clock, *, text: str = "Chi bộ thống nhất làm đường.") -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    cell = commune.cells[0]
    actor = await load_actor(session, cell.secretary)
    created = await meetings.create_meeting(session, actor=actor, cell_id=cell.org.id, kind=MeetingKind.REGULAR,
                                            starts_at=clock.now() + dt.timedelta(days=1), place="Nhà văn hóa", agenda="", now=clock.now())
    meeting_id = created.meeting.id
    later = created.meeting.starts_at + dt.timedelta(minutes=10)
    await meetings.set_attendance(session, actor=actor, meeting_id=meeting_id, present_member_ids=[cell.secretary.id, cell.deputy.id], now=later)
    await meetings.send_conclusions(session, actor=actor, meeting_id=meeting_id, text=text, now=later)
    await session.commit()
    return meeting_id, await meetings.absentee_ids(session, meeting_id)


async def outbox(session, source: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    return list((await session.execute(select(OutboxMessage).where(OutboxMessage.source == source))).scalars())


async def test_a_notice_read_aloud_reaches_each_listener_in_their_language_then_vietnamese(
    api_client, session, commune, bearer, clock,
) -> None:
    cell_a = commune.cells[0]
    hmong, thai, deaf = cell_a.members[0], cell_a.members[1], cell_a.members[2]
    hmong.listen_language, thai.listen_language, deaf.voice_enabled = "hmong", "thai", False
    await session.commit()
    notice_id = await notice_of(session, commune, clock)
    headers = await bearer(cell_a.secretary)
    url = f"/api/v1/notices/{notice_id}/recordings"

    # Hmông first: only the Hmông listener; nobody else is served by it (they keep the text, or ask «🔊 Nghe»).
    response = await api_client.put(f"{url}/hmong", files={"file": ("h.wav", tone(1.5, "WAV", 330))}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["queued"] == 1 and response.json()["language_name"] == "Tiếng Hmông"
    assert set(rows_of(await outbox(session, f"notice:{notice_id}"), "|rec0-hmong-")) == {hmong.id}

    # Then Vietnamese (an MP3, kept as OGG/Opus): every listener whose language has none, the Hmông one excepted.
    response = await api_client.put(f"{url}/vi", files={"file": ("v.mp3", tone(2.0, "MP3"))}, headers=headers)
    assert response.status_code == 200, response.text
    vietnamese = rows_of(await outbox(session, f"notice:{notice_id}"), "|rec0-vi-")
    recipients = {m.id for m in (*cell_a.everyone, commune.committee_member)} - {cell_a.secretary.id}
    assert set(vietnamese) == recipients - {hmong.id, deaf.id}
    message = vietnamese[thai.id]
    assert message.attachment is not None and message.attachment.kind == "voice" and message.attachment.path
    assert message.text == V.SUBJECT_RECORDING_CAPTION.format(heading=V.NOTICE_HEADING.format(org=cell_a.org.name), language="tiếng việt")
    with open(message.attachment.path, "rb") as handle:
        assert handle.read(4) == b"OggS"
    listing = (await api_client.get(url, headers=headers)).json()
    assert [(r["language"], r["duration"]) for r in listing] == [("hmong", 2), ("vi", 2)]

    # A Zalo member gets the same message as a listen link (Zalo carries no voice).
    from bot.zalo.messenger import ZaloMessenger

    media = RecordingMedia()
    shown: list[str] = []

    @dataclass
    class Sent:
        screen_id: int

    class Courier:
        def __init__(self) -> None:
            self.media = media

        async def send_screen(self, chat_id, text, *, choices, links, is_html):  # type: ignore[no-untyped-def]
            shown.append(text)
            return Sent(screen_id=len(shown))

    await ZaloMessenger(Courier()).send("zalo-user", message)  # type: ignore[arg-type]
    assert media.published[0].path == message.attachment.path and media.published[0].kind == "voice"
    assert shown[0].endswith(texts.conversation.LISTEN.format(url="https://sotay.example/m/token1"))

    # Refusals: a plain member, someone of another province, an unknown language, not audio, a stopped notice.
    member = await bearer(thai)
    assert (await api_client.put(f"{url}/vi", files={"file": ("x.wav", tone(1.2, "WAV"))}, headers=member)).status_code == 403
    outsider = await bearer(commune.other_cell.secretary)
    assert (await api_client.put(f"{url}/vi", files={"file": ("x.wav", tone(1.2, "WAV"))}, headers=outsider)).status_code == 404
    assert (await api_client.get(url, headers=outsider)).status_code == 404
    unknown = await api_client.put(f"{url}/klingon", files={"file": ("x.wav", tone(1.2, "WAV"))}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["message"] == V.UNKNOWN_LANGUAGE
    pdf = await api_client.put(f"{url}/vi", files={"file": ("x.pdf", b"%PDF-1.4 no")}, headers=headers)
    assert pdf.status_code == 422 and pdf.json()["message"] == V.UNREADABLE
    stopped = await notice_of(session, commune, clock)
    assert (await api_client.post(f"/api/v1/notices/{stopped}/cancel", headers=headers)).status_code == 200
    refused = await api_client.put(f"/api/v1/notices/{stopped}/recordings/vi", files={"file": ("x.wav", tone(1.2, "WAV"))}, headers=headers)
    assert refused.status_code == 409 and refused.json()["message"] == V.NOTICE_STOPPED


async def test_listening_follows_the_one_rule_and_labels_the_machine_voice(session, commune, clock, tmp_path) -> None:
    from core.recordings.audio import prepare_recording

    cell_a = commune.cells[0]
    hmong, thai, dao = cell_a.members[0], cell_a.members[1], cell_a.members[2]
    hmong.listen_language, thai.listen_language, dao.listen_language = "hmong", "thai", "dao"
    await session.commit()
    notice_id = await notice_of(session, commune, clock)
    secretary = await load_actor(session, cell_a.secretary)

    # Nothing recorded: the synthetic voice, labelled, reading the notice's own words.
    heard = await subjects.listen(session, actor=await load_actor(session, thai), kind=SubjectKind.NOTICE, subject_id=notice_id)
    assert heard.recording is None and heard.text == NOTICE_TEXT
    assert heard.caption == V.MACHINE_VOICE_CAPTION.format(heading=V.NOTICE_HEADING.format(org=cell_a.org.name))

    for language, pitch in (("hmong", 330.0), ("vi", 220.0)):
        await subjects.add_recording(session, actor=secretary, kind=SubjectKind.NOTICE, subject_id=notice_id, language=language,
                                     audio=prepare_recording(tone(1.2, "WAV", pitch)), store_dir=tmp_path, now=clock.now())
    await session.commit()
    for member, expected in ((hmong, "hmong"), (thai, "vi"), (dao, "vi"), (cell_a.deputy, "vi")):
        heard = await subjects.listen(session, actor=await load_actor(session, member), kind=SubjectKind.NOTICE, subject_id=notice_id)
        assert heard.recording is not None and heard.recording.language == expected, member.full_name

    # Only the Hmông recording left: the Thái member is back to the machine voice, not to Hmông.
    await session.delete((await session.execute(select(Recording).where(Recording.language == "vi"))).scalar_one())
    await session.commit()
    heard = await subjects.listen(session, actor=await load_actor(session, thai), kind=SubjectKind.NOTICE, subject_id=notice_id)
    assert heard.recording is None and "Giọng đọc máy" in heard.caption

    # Someone the notice did not reach may not listen to it.
    try:
        await subjects.listen(session, actor=await load_actor(session, commune.cells[1].members[0]), kind=SubjectKind.NOTICE,
                              subject_id=notice_id)
    except (NotFound, PermissionDenied):
        pass
    else:
        raise AssertionError("a member of another cell heard the notice")


async def test_conclusions_read_aloud_reach_the_absent_and_start_over_when_sent_again(
    api_client, session, commune, bearer, clock,
) -> None:
    cell_a = commune.cells[0]
    meeting_id, absent = await held_meeting(session, commune, clock)
    assert cell_a.secretary.id not in absent and len(absent) >= 3
    hmong = next(m for m in cell_a.members if m.id in absent)
    hmong.listen_language = "hmong"
    await session.commit()
    headers = await bearer(cell_a.secretary)
    url = f"/api/v1/meetings/{meeting_id}/conclusions/recordings"

    response = await api_client.put(f"{url}/vi", files={"file": ("v.wav", tone(1.5, "WAV"))}, headers=headers)
    assert response.status_code == 200, response.text
    vietnamese = rows_of(await outbox(session, f"meeting:{meeting_id}"), "|rec1-vi-")
    assert set(vietnamese) == set(absent)  # the Hmông member too: no Hmông recording yet
    caption = vietnamese[hmong.id].text
    assert caption.startswith("🎙 Kết luận cuộc họp ") and caption.endswith("bản ghi âm tiếng việt")
    response = await api_client.put(f"{url}/hmong", files={"file": ("h.wav", tone(1.5, "WAV", 330))}, headers=headers)
    assert response.status_code == 200 and response.json()["queued"] == 1
    assert [r["language"] for r in (await api_client.get(url, headers=headers)).json()] == ["hmong", "vi"]

    # Conclusions sent again are a new text: the old readings are dropped, the next ones keyed anew.
    actor = await load_actor(session, cell_a.secretary)
    await meetings.send_conclusions(session, actor=actor, meeting_id=meeting_id, text="Chi bộ bổ sung: làm đường xong trước Tết.", now=clock.now())
    await session.commit()
    assert (await api_client.get(url, headers=headers)).json() == []
    response = await api_client.put(f"{url}/vi", files={"file": ("v.wav", tone(1.5, "WAV"))}, headers=headers)
    assert response.status_code == 200 and response.json()["queued"] == len(absent)
    assert set(rows_of(await outbox(session, f"meeting:{meeting_id}"), "|rec2-vi-")) == set(absent)

    # Only whoever leads the cell records conclusions; a meeting without conclusions has nothing to read.
    assert (await api_client.put(f"{url}/vi", files={"file": ("x.wav", tone(1.2, "WAV"))}, headers=await bearer(hmong))).status_code == 403
    assert (await api_client.get(url, headers=await bearer(commune.other_cell.secretary))).status_code == 404
    fresh = await meetings.create_meeting(session, actor=actor, cell_id=cell_a.org.id, kind=MeetingKind.REGULAR,
                                          starts_at=clock.now() + dt.timedelta(days=3), place="Nhà văn hóa", agenda="", now=clock.now())
    await session.commit()
    refused = await api_client.put(f"/api/v1/meetings/{fresh.meeting.id}/conclusions/recordings/vi",
                                   files={"file": ("x.wav", tone(1.2, "WAV"))}, headers=headers)
    assert refused.status_code == 409 and refused.json()["message"] == V.CONCLUSIONS_NOT_SENT


async def test_the_buttons_carry_the_subject(session) -> None:
    assert subjects.record_button(SubjectKind.NOTICE, 7).callback_data == "rs:open:notice:7:"
    assert subjects.listen_button(SubjectKind.CONCLUSIONS, 9).callback_data == "rs:listen:conclusions:9:"


async def test_the_spoken_subject_is_what_the_synthetic_voice_reads_or_none(session, commune, clock) -> None:
    """core.recordings.subjects.spoken_subject, which reading ahead uses: a notice's words and its
    listeners, conclusions sent as text; nothing for a stopped notice, conclusions not sent or sent
    by voice, or a subject that is not there."""
    notice_id = await notice_of(session, commune, clock)
    spoken = await subjects.spoken_subject(session, kind=SubjectKind.NOTICE, subject_id=notice_id)
    assert spoken is not None and spoken.text == NOTICE_TEXT
    listeners = {member_id for member_id, _ in (await session.execute(spoken.listeners)).all()}
    assert {m.id for m in commune.cells[0].members} <= listeners  # its recipients with voice on
    meeting_id, _ = await held_meeting(session, commune, clock, text="Chi bộ thống nhất trồng rừng.")
    conclusions = await subjects.spoken_subject(session, kind=SubjectKind.CONCLUSIONS, subject_id=meeting_id)
    assert conclusions is not None and conclusions.text == "Chi bộ thống nhất trồng rừng." and conclusions.revision == 1

    secretary = await load_actor(session, commune.cells[0].secretary)
    await notices.cancel_notice(session, actor=secretary, notice_id=notice_id, now=clock.now())
    await meetings.send_conclusions(session, actor=secretary, meeting_id=meeting_id, voice_file_id="voice-1", voice_duration=20,
                                    now=clock.now() + dt.timedelta(days=2))
    await session.commit()
    assert await subjects.spoken_subject(session, kind=SubjectKind.NOTICE, subject_id=notice_id) is None
    assert await subjects.spoken_subject(session, kind=SubjectKind.CONCLUSIONS, subject_id=meeting_id) is None
    assert await subjects.spoken_subject(session, kind=SubjectKind.NOTICE, subject_id=10**6) is None
    assert await subjects.spoken_subject(session, kind=SubjectKind.CONCLUSIONS, subject_id=10**6) is None
    unsent = await meetings.create_meeting(session, actor=secretary, cell_id=commune.cells[0].org.id, kind=MeetingKind.REGULAR,
                                           starts_at=clock.now() + dt.timedelta(days=3), place="Nhà văn hóa", agenda="", now=clock.now())
    assert await subjects.spoken_subject(session, kind=SubjectKind.CONCLUSIONS, subject_id=unsent.meeting.id) is None
