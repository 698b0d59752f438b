"""Notices and meeting conclusions read aloud through the bot: the author records by voice message in
a language (🎙), members press «🔊 Nghe» and hear the reading in their language, else Vietnamese, else
the synthetic voice labelled as a machine's; on Zalo the same press gives a listen link, and the
recording step (a voice message Zalo cannot send) is declined politely."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage, SendVoice
from sqlalchemy import select

from core import texts
from core.delivery.models import OutboxMessage
from core.notices import service as notices
from core.orgs.service import load_actor
from core.ports import Button, OutboundMessage
from core.recordings import subjects
from core.recordings.audio import prepare_recording
from core.recordings.models import SubjectKind
from tests.botkit import BotHarness, inline_buttons, texts_of
from tests.integration.test_recordings import tone
from tests.integration.test_recordings_subjects import NOTICE_TEXT, held_meeting, notice_of
from tests.integration.test_zalo_bot import linked_on_zalo, media, number_of, phones, zalo_sandbox  # noqa: F401  (fixtures)
from tests.unit.resolutions.helpers import CountingSpeaker
from voice.service import VoiceRenderer

V = texts.recordings
SECRETARY, DEPUTY, FIRST, SECOND, THIRD = 1001, 1002, 1003, 1004, 1005  # cell A's Telegram users (tests/factories.py)


@pytest.fixture
def speaker() -> CountingSpeaker:
    return CountingSpeaker()


@pytest.fixture
def harness(session_factory, cipher, clock, tmp_path, speaker):  # type: ignore[no-untyped-def]
    from bot.dispatcher import build_dispatcher

    return BotHarness(build_dispatcher(session_factory=session_factory, cipher=cipher, clock=clock, files_dir=tmp_path / "files",
                                       voice_renderer=VoiceRenderer(speaker, tmp_path / "voice"),
                                       settings=SimpleNamespace(data_dir=tmp_path, tts="espeak")))


def voices(calls) -> list[SendVoice]:  # type: ignore[no-untyped-def]
    return [call for call in calls if isinstance(call, SendVoice)]


async def test_a_notice_is_recorded_by_voice_and_heard_by_the_one_rule(harness, session, commune, clock, speaker) -> None:
    cell_a = commune.cells[0]
    first, second = cell_a.members[0], cell_a.members[1]
    first.listen_language, second.listen_language = "hmong", "thai"
    await session.commit()
    notice_id = await notice_of(session, commune, clock)

    # Members get the notice with «Đã xem» and «🔊 Nghe».
    row = (await session.execute(select(OutboxMessage).where(OutboxMessage.source == f"notice:{notice_id}",
                                                             OutboxMessage.member_id == first.id))).scalars().one()
    buttons = [b.callback_data for line in OutboundMessage.from_payload(row.payload).buttons for b in line]
    assert buttons == [f"nts:{notice_id}", f"rs:listen:notice:{notice_id}:"]

    # Nothing recorded yet: the Thái member hears the machine voice, labelled, reading the notice.
    heard = await harness.press(SECOND, f"rs:listen:notice:{notice_id}:")
    assert len(voices(heard)) == 1 and voices(heard)[0].caption == subjects.machine_caption(
        (await subjects.recordable(session, actor=await load_actor(session, cell_a.secretary), kind=SubjectKind.NOTICE,
                                   subject_id=notice_id)))
    assert [text for text, _voice, _speed in speaker.calls] and NOTICE_TEXT.split()[0] in speaker.calls[0][0]

    # The secretary records in Hmông: the language list, the text to read, then a voice message.
    opened = await harness.press(SECRETARY, f"rs:open:notice:{notice_id}:")
    choices = [data for call in opened if isinstance(call, SendMessage) for _, data in inline_buttons(call)]
    assert f"rs:pick:notice:{notice_id}:hmong" in choices and f"rs:pick:notice:{notice_id}:vi" in choices
    asked = await harness.press(SECRETARY, f"rs:pick:notice:{notice_id}:hmong")
    assert any(NOTICE_TEXT in text and "Tiếng Hmông" in text for text in texts_of(asked))
    typed = await harness.text(SECRETARY, "đây không phải tin thoại")
    assert texts_of(typed) == [V.NOT_A_VOICE]
    saved = await harness.voice(SECRETARY, tone(1.5, "WAV", 330))
    assert texts_of(saved) == [V.RECORDING_SENT.format(language="Tiếng Hmông", seconds=2, count=1)]
    rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.idempotency_key.contains("|rec0-hmong-")))).scalars().all()
    assert [r.member_id for r in rows] == [first.id]

    # «🔊 Nghe» now: the Hmông member hears the person; the Thái member still the machine (no Vietnamese reading).
    heard = voices(await harness.press(FIRST, f"rs:listen:notice:{notice_id}:"))
    assert len(heard) == 1 and heard[0].caption is not None and heard[0].caption.endswith("bản ghi âm tiếng hmông")
    assert "Giọng đọc máy" in (voices(await harness.press(SECOND, f"rs:listen:notice:{notice_id}:"))[0].caption or "")

    # A plain member may not record; someone the notice did not reach may not listen.
    refused = await harness.press(FIRST, f"rs:open:notice:{notice_id}:")
    assert any(isinstance(c, AnswerCallbackQuery) and c.text for c in refused) and not voices(refused)
    outsider = await harness.press(2003, f"rs:listen:notice:{notice_id}:")
    assert not voices(outsider) and any(isinstance(c, AnswerCallbackQuery) and c.text for c in outsider)


async def test_the_final_report_offers_the_recording_and_conclusions_offer_both(harness, session, commune, clock) -> None:
    cell_a = commune.cells[0]
    actor = await load_actor(session, cell_a.secretary)
    notice = await notices.create_notice(session, actor=actor, org_id=cell_a.org.id, text=NOTICE_TEXT, now=clock.now(),
                                         status_chat_id=str(SECRETARY), status_message_id="77")
    await session.commit()
    for row in (await session.execute(select(OutboxMessage).where(OutboxMessage.source == notice.source))).scalars():
        row.state = "sent"  # type: ignore[assignment]
    await session.commit()
    await notices.refresh_progress(session, now=clock.now())
    await session.commit()
    found = (await session.execute(select(OutboxMessage).where(OutboxMessage.source == notice.author_source))).scalars().all()
    assert [r.idempotency_key.rsplit("|", 1)[1] for r in found] == ["final", "report"], [r.idempotency_key for r in found]
    report = found[1]
    rows = [[b.callback_data for b in line] for line in OutboundMessage.from_payload(report.payload).buttons]
    assert rows[-1] == [f"rs:open:notice:{notice.id}:"]

    meeting_id, absent = await held_meeting(session, commune, clock)
    sent = (await session.execute(select(OutboxMessage).where(OutboxMessage.source == f"meeting:{meeting_id}", OutboxMessage.member_id == absent[0],
                                                              OutboxMessage.kind == "meeting_conclusions"))).scalars().one()
    assert [b.callback_data for line in OutboundMessage.from_payload(sent.payload).buttons for b in line] == [
        f"rs:listen:conclusions:{meeting_id}:"]
    opened = await harness.press(SECRETARY, f"rs:open:conclusions:{meeting_id}:")
    assert any(f"rs:pick:conclusions:{meeting_id}:vi" == data for call in opened if isinstance(call, SendMessage)
               for _, data in inline_buttons(call))


async def test_on_zalo_nghe_gives_a_listen_link_and_recording_is_declined(phones, harness, session, cipher, clock, media, tmp_path) -> None:  # noqa: F811
    commune, member, lan = await linked_on_zalo(phones, session, cipher, clock)
    notice_id = await notice_of(session, commune, clock)
    actor = await load_actor(session, commune.cells[0].secretary)
    result = await subjects.add_recording(session, actor=actor, kind=SubjectKind.NOTICE, subject_id=notice_id, language="vi",
                                          audio=prepare_recording(tone(1.2, "WAV")), store_dir=tmp_path / "recordings", now=clock.now())
    await session.commit()
    row = (await session.execute(select(OutboxMessage).where(OutboxMessage.source == f"notice:{notice_id}", OutboxMessage.member_id == member.id,
                                                             OutboxMessage.idempotency_key.notlike("%rec%")))).scalars().one()
    shown = await phones.deliver(lan, OutboundMessage.from_payload(row.payload))
    listened = await phones.say(lan, number_of(shown[-1], V.BTN_LISTEN))
    assert "🔊 Nghe: https://sotay.example/m/token" in "\n".join(listened)
    assert [(p.kind, p.path) for p in media.published][-1] == ("voice", result.recording.path)
    # The recording step waits for a voice message, which Zalo cannot send: declined before it starts
    # (before any permission check: this member could not record anyway, and is told the Zalo reason).
    for data in (f"rs:pick:notice:{notice_id}:vi", "rec:pick:1:vi"):
        screen = OutboundMessage(text="🎙", buttons=((Button("Tiếng Việt", data),),))
        await phones.deliver(lan, screen)
        assert await phones.say(lan, "1") == [texts.conversation.NOT_HERE]
