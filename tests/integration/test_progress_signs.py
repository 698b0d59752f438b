"""Issue 17 item 12: no silent waits. A voice note being synthesised shows Telegram's "recording a voice
message" action and, while it is still not ready, a short «đang chuẩn bị…» message; synthesis runs in the
background, so the person's next tap is answered meanwhile — checked with a renderer that waits on an
event (no timing assertions)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.dispatcher import build_dispatcher
from core import texts
from tests.botkit import BotHarness
from tests.integration.test_resolutions_bot import MEMBER_A, published
from tests.unit.resolutions.helpers import CountingSpeaker
from voice.service import VoiceRenderer


class SlowRenderer:
    """The real renderer, held back until the test lets it go."""

    def __init__(self, inner: VoiceRenderer) -> None:
        self.inner = inner
        self.stats = inner.stats  # what callers read after a render (cache hits and misses)
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def render(self, text: str, *, voice: str = "vi", speed: str = "normal"):  # type: ignore[no-untyped-def]
        self.started.set()
        await self.release.wait()
        return await self.inner.render(text, voice=voice, speed=speed)


@pytest.fixture
def slow(tmp_path: Path) -> SlowRenderer:
    return SlowRenderer(VoiceRenderer(CountingSpeaker(), tmp_path / "voice"))


@pytest.fixture
def harness(session_factory, cipher, clock, tmp_path: Path, slow) -> BotHarness:  # type: ignore[no-untyped-def]
    return BotHarness(build_dispatcher(session_factory=session_factory, cipher=cipher, clock=clock, voice_renderer=slow,
                                       files_dir=tmp_path / "files"))


async def _until(condition, limit: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for something to happen (never used to prove that something did not)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        assert loop.time() < deadline, "it never happened"
        await asyncio.sleep(0.02)


async def test_listening_shows_the_voice_action_and_a_preparing_note_until_the_voice_is_ready(harness, session, commune, clock, slow) -> None:
    document = await published(session, commune, clock)
    calls = harness.session.calls
    pressed = asyncio.create_task(harness.press(MEMBER_A, f"rd:listen:{document.id}"))
    await slow.started.wait()

    def named(name: str) -> list:  # type: ignore[type-arg]
        return [call for call in calls if type(call).__name__ == name]

    await _until(lambda: any(getattr(c, "text", None) == texts.resolutions.VOICE_PREPARING for c in named("SendMessage")))
    actions = named("SendChatAction")
    assert actions and {a.action for a in actions} == {"record_voice"} and actions[0].chat_id == MEMBER_A
    assert not named("SendVoice")  # still being synthesised: the signs came first

    # Synthesis runs in the background: the same person's next tap is answered while the voice is still being made.
    library = harness.update(message=harness._message(MEMBER_A, text=texts.account.BTN_RESOLUTIONS))
    meanwhile = asyncio.create_task(harness.dispatcher.feed_update(harness.bot, library))
    await _until(meanwhile.done)
    assert any(texts.resolutions.LIBRARY_TITLE in (getattr(c, "text", None) or "") for c in named("SendMessage"))
    assert not named("SendVoice")

    slow.release.set()
    await pressed
    assert named("SendVoice")
    assert named("DeleteMessage")  # the «đang chuẩn bị…» note is taken away once the voice is there
