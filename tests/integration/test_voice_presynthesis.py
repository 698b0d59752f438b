"""Readings made ahead (core.recordings.presynthesis): publishing queues a durable row, the worker
renders with real espeak-ng each variant the listeners chose (none a person's recording serves),
a restart half way resumes, a tap afterwards sends the cached note without synthesising, and a
changed text is rendered again."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from aiogram.methods import SendVoice
from sqlalchemy import select

from core.listening.models import SubjectKind, VoicePresynthesis
from core.meetings import service as meetings
from core.orgs.models import SpeechSpeed
from core.orgs.service import load_actor
from core.recordings import subjects
from core.recordings.audio import prepare_recording
from core.recordings.presynthesis import LEASE, Presynthesiser
from tests.botkit import BotHarness
from tests.integration.test_recordings import tone
from tests.integration.test_recordings_subjects import NOTICE_TEXT, held_meeting, notice_of
from voice.audio import Pcm
from voice.engines import EspeakSpeaker
from voice.service import VoiceRenderer

SOUTH_SLOW, CENTRAL, PLAIN = ("vi-vn-x-south", "slow"), ("vi-vn-x-central", "normal"), ("vi", "normal")


class Crash(BaseException):
    """The process dies (a restart): nothing catches it."""


class SpyEspeak:
    """Real espeak-ng, with every synthesis written down; `before` runs before each one."""

    name = "espeak"

    def __init__(self, before: Callable[[int], object] | None = None) -> None:
        self.inner = EspeakSpeaker()
        self.calls: list[tuple[str, str, str]] = []
        self.before = before

    async def synthesize(self, text: str, *, voice: str, speed: str) -> Pcm:
        if self.before is not None:
            outcome = self.before(len(self.calls))
            if hasattr(outcome, "__await__"):
                await outcome  # type: ignore[misc]
        self.calls.append((text, voice, speed))
        return await self.inner.synthesize(text, voice=voice, speed=speed)

    def variants(self) -> list[tuple[str, str]]:
        return sorted((voice, speed) for _, voice, speed in self.calls)


@pytest.fixture
async def listeners(session, commune):  # type: ignore[no-untyped-def]
    """Cell A: one member listens slowly in the southern voice, one turned voice off, one listens in
    Hmông with the central voice; the deputy and the rest keep the default (Vietnamese, normal)."""
    slow, silent, hmong = commune.cells[0].members[:3]
    slow.voice_name, slow.speech_speed = SOUTH_SLOW[0], SpeechSpeed.SLOW
    silent.voice_enabled, silent.voice_name = False, "vi-vn-x-central"
    hmong.voice_name, hmong.listen_language = CENTRAL[0], "hmong"
    await session.commit()
    return commune


def worker(session_factory, clock, tmp_path, speaker) -> Presynthesiser:  # type: ignore[no-untyped-def]
    return Presynthesiser(session_factory, VoiceRenderer(speaker, tmp_path / "audio"), clock)


async def row_of(session, kind: str, subject_id: int) -> VoicePresynthesis:  # type: ignore[no-untyped-def]
    query = select(VoicePresynthesis).where(VoicePresynthesis.subject_kind == kind, VoicePresynthesis.subject_id == subject_id)
    return (await session.execute(query.execution_options(populate_existing=True))).scalars().one()


async def test_a_published_notice_is_read_ahead_and_a_tap_sends_it_without_synthesising(
    listeners, session, session_factory, cipher, clock, tmp_path,
) -> None:
    notice_id = await notice_of(session, listeners, clock)
    assert (await row_of(session, SubjectKind.NOTICE, notice_id)).done_at is None  # queued with the notice

    speaker = SpyEspeak()
    ahead = worker(session_factory, clock, tmp_path, speaker)
    assert await ahead.run_once() is True
    # Each variant a listener chose, once; not the one of the member who turned voice off.
    assert speaker.variants() == sorted([PLAIN, SOUTH_SLOW, CENTRAL])
    assert all(text.startswith("Chi bộ họp") for text, _, _ in speaker.calls)
    assert (await row_of(session, SubjectKind.NOTICE, notice_id)).done_at == clock.now()
    assert await ahead.run_once() is False  # nothing left

    # «🔊 Nghe» through the bot, with the same audio cache: the note goes out, nothing is synthesised.
    from bot.dispatcher import build_dispatcher

    renderer = VoiceRenderer(speaker, tmp_path / "audio")  # another process's renderer on the same cache
    harness = BotHarness(build_dispatcher(session_factory=session_factory, cipher=cipher, clock=clock, files_dir=tmp_path / "files",
                                          voice_renderer=renderer, settings=SimpleNamespace(data_dir=tmp_path, tts="espeak")))
    before = len(speaker.calls)
    for user in (1002, 1003):  # the deputy (Vietnamese, normal) and the slow southern listener
        sent = [call for call in await harness.press(user, f"rs:listen:notice:{notice_id}:") if isinstance(call, SendVoice)]
        assert len(sent) == 1 and "Giọng đọc máy" in (sent[0].caption or "")
    assert len(speaker.calls) == before and renderer.cache_hits == 2 and renderer.cache_misses == 0


async def test_variants_a_persons_recording_serves_are_not_synthesised(listeners, session, session_factory, clock, tmp_path) -> None:
    notice_id = await notice_of(session, listeners, clock)
    actor = await load_actor(session, listeners.cells[0].secretary)
    await subjects.add_recording(session, actor=actor, kind=SubjectKind.NOTICE, subject_id=notice_id, language="hmong",
                                 audio=prepare_recording(tone(1.2, "WAV")), store_dir=tmp_path / "recordings", now=clock.now())
    await session.commit()
    speaker = SpyEspeak()
    assert await worker(session_factory, clock, tmp_path, speaker).run_once()
    assert speaker.variants() == sorted([PLAIN, SOUTH_SLOW])  # the Hmông listener hears the person


async def test_a_restart_half_way_resumes_where_it_stopped(listeners, session, session_factory, clock, tmp_path) -> None:
    notice_id = await notice_of(session, listeners, clock)

    def die_on_the_second(index: int) -> None:
        if index == 1:
            raise Crash()

    first = SpyEspeak(die_on_the_second)
    with pytest.raises(Crash):
        await worker(session_factory, clock, tmp_path, first).run_once()
    assert len(first.calls) == 1 and (await row_of(session, SubjectKind.NOTICE, notice_id)).done_at is None

    # The new process: the row is still leased to the dead one, then due again.
    second = SpyEspeak()
    restarted = worker(session_factory, clock, tmp_path, second)
    assert await restarted.run_once() is False
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await restarted.run_once() is True
    # What the first process finished is cached: only the other two variants are synthesised.
    assert sorted(first.variants() + second.variants()) == sorted([PLAIN, SOUTH_SLOW, CENTRAL])
    assert (await row_of(session, SubjectKind.NOTICE, notice_id)).done_at is not None


async def test_conclusions_sent_again_are_read_again_even_while_the_old_text_is_being_read(
    listeners, session, session_factory, clock, tmp_path,
) -> None:
    meeting_id, absent = await held_meeting(session, listeners, clock, text="Chi bộ thống nhất làm đường.")
    cell = listeners.cells[0]
    secretary, listener = cell.secretary, cell.members[3]
    first_queued = (await row_of(session, SubjectKind.CONCLUSIONS, meeting_id)).queued_at

    async def send_again(index: int) -> None:
        if index == 0:  # while the first variant of the old text is being synthesised
            async with session_factory() as other:
                await meetings.send_conclusions(other, actor=await load_actor(other, secretary), meeting_id=meeting_id,
                                                text="Chi bộ thống nhất trồng rừng.", now=first_queued)  # the same instant: told apart by the row's generation
                await other.commit()

    speaker = SpyEspeak(send_again)
    ahead = worker(session_factory, clock, tmp_path, speaker)
    assert await ahead.run_once() is True
    assert (await row_of(session, SubjectKind.CONCLUSIONS, meeting_id)).done_at is None  # the old text's work does not count
    old = len(speaker.calls)
    assert await ahead.run_once() is True
    # The new text, in every variant its absent listeners chose.
    assert {text for text, _, _ in speaker.calls[old:]} == {"Chi bộ thống nhất trồng rừng."}
    assert sorted((v, s) for _, v, s in speaker.calls[old:]) == sorted([PLAIN, SOUTH_SLOW, CENTRAL])
    assert (await row_of(session, SubjectKind.CONCLUSIONS, meeting_id)).done_at is not None

    # A tap now hears the new conclusions, from the cache.
    assert listener.id in absent
    heard = await subjects.listen(session, actor=await load_actor(session, listener), kind=SubjectKind.CONCLUSIONS, subject_id=meeting_id)
    renderer = VoiceRenderer(speaker, tmp_path / "audio")
    before = len(speaker.calls)
    notes = await renderer.render(heard.text, voice="vi", speed="normal")
    assert "trồng rừng" in heard.text and notes and len(speaker.calls) == before


async def test_conclusions_sent_by_voice_and_stopped_notices_need_no_machine_reading(
    listeners, session, session_factory, clock, tmp_path,
) -> None:
    from core.notices import service as notices

    notice_id = await notice_of(session, listeners, clock)
    actor = await load_actor(session, listeners.cells[0].secretary)
    await notices.cancel_notice(session, actor=actor, notice_id=notice_id, now=clock.now())
    await session.commit()
    speaker = SpyEspeak()
    assert await worker(session_factory, clock, tmp_path, speaker).run_once() is True
    assert speaker.calls == [] and (await row_of(session, SubjectKind.NOTICE, notice_id)).done_at is not None
    assert NOTICE_TEXT


async def test_a_member_who_changes_speed_finds_the_new_variant_made_before_the_next_tap(
    listeners, session, session_factory, cipher, clock, tmp_path,
) -> None:
    from bot.dispatcher import build_dispatcher

    notice_id = await notice_of(session, listeners, clock)
    meeting_id, _ = await held_meeting(session, listeners, clock)
    speaker = SpyEspeak()
    ahead = worker(session_factory, clock, tmp_path, speaker)
    while await ahead.run_once():
        pass
    made = len(speaker.calls)

    # The deputy (Vietnamese voice, normal) switches to slow speech in 👤 Hồ sơ → 🔊 Giọng đọc.
    harness = BotHarness(build_dispatcher(session_factory=session_factory, cipher=cipher, clock=clock, files_dir=tmp_path / "files",
                                          voice_renderer=VoiceRenderer(speaker, tmp_path / "audio"),
                                          settings=SimpleNamespace(data_dir=tmp_path, tts="espeak")))
    clock.advance(minutes=5)
    await harness.press(1002, "vp:speed:slow")
    assert (await row_of(session, SubjectKind.NOTICE, notice_id)).done_at is None  # read ahead again
    while await ahead.run_once():
        pass
    # Only the new variant is synthesised: once for the notice (the deputy is not absent from the meeting).
    assert [(voice, speed) for _, voice, speed in speaker.calls[made:]] == [("vi", "slow")]
    sent = [call for call in await harness.press(1002, f"rs:listen:notice:{notice_id}:") if isinstance(call, SendVoice)]
    assert len(sent) == 1 and len(speaker.calls) == made + 1
    assert (await row_of(session, SubjectKind.CONCLUSIONS, meeting_id)).done_at is not None


async def test_a_vote_result_added_to_sent_conclusions_has_them_read_again(listeners, session, session_factory, clock, tmp_path) -> None:
    from core.votes import service as votes
    from core.votes.models import BallotKind

    meeting_id, _ = await held_meeting(session, listeners, clock, text="Chi bộ thống nhất làm đường.")
    speaker = SpyEspeak()
    ahead = worker(session_factory, clock, tmp_path, speaker)
    assert await ahead.run_once() and (await row_of(session, SubjectKind.CONCLUSIONS, meeting_id)).done_at is not None

    secretary = await load_actor(session, listeners.cells[0].secretary)
    opened = await votes.open_vote(session, actor=secretary, cell_id=listeners.cells[0].org.id, question="Kết nạp quần chúng Lò Văn A",
                                   now=clock.now(), meeting_id=meeting_id, kind=BallotKind.HAND)
    await votes.record_hand_counts(session, actor=secretary, vote_id=opened.vote.id, counts=[5, 1, 0], now=clock.now())
    await session.commit()
    assert (await row_of(session, SubjectKind.CONCLUSIONS, meeting_id)).done_at is None
    made = len(speaker.calls)
    assert await ahead.run_once()
    assert all("Lò Văn A" in text for text, _, _ in speaker.calls[made:]) and len(speaker.calls) > made
