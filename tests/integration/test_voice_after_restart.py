"""Issue 23's field report: "voice broke after a restart". The notice is read ahead into the audio
cache; members tap «🔊 Nghe» on Telegram and on Zalo; the bot process restarts (new renderer,
dispatcher, bot and Zalo channel over the same cache folder and database) and they tap again.
Against the sandbox (Telegram's side refuses a file id it never gave this bot, as Telegram does):

- after a restart, Telegram gets the note by its stored file id: nothing synthesised, nothing uploaded;
- when the stored id is unknown to Telegram, the note is uploaded again from the cache (still no
  synthesis) and the new id replaces the old;
- a Zalo member who got the notice before the restart and asks for it after gets a listen link to
  the same bytes, synthesised by nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import BufferedInputFile
from sqlalchemy import select, update

from bot import background
from bot.dispatcher import build_dispatcher, create_bot
from bot.messenger import TelegramMessenger
from bot.zalo.media import LinkPublisher
from bot.zalo.wiring import ZaloChannel, build_zalo
from core.delivery.models import MediaFile, OutboxMessage
from core.media_links import MediaLinks
from core.notices import service as notices
from core.ports import OutboundMessage
from core.recordings.presynthesis import Presynthesiser
from sandbox.client import SandboxClient
from sandbox.limits import Limits
from sandbox.server import SandboxServer
from sandbox.zalo import ZaloLimits
from sandbox.zalo_client import ZaloSandboxClient
from tests.conftest import TEST_SECRET_KEY
from tests.integration.test_recordings_subjects import NOTICE_TEXT, notice_of
from tests.integration.test_voice_presynthesis import SpyEspeak
from tests.integration.test_zalo_bot import linked_on_zalo, number_of
from tests.zalokit import ZALO_TOKEN, ZaloPhones
from voice.service import VoiceRenderer

TOKEN = "7000000021:voice_restart_bot_abcdefghijklmnop"
OTHER_TOKEN = "7000000022:voice_restart_other_abcdefghijklm"  # another bot: its file ids mean nothing to ours
TELEGRAM_USER = 1004  # the second plain member of cell A (tests/factories.py); the first listens on Zalo


@dataclass
class Process:
    """What one `sotay run` builds for the bot: the renderer, the dispatcher, both channels."""

    speaker: SpyEspeak
    renderer: VoiceRenderer
    bot: Bot
    dispatcher: Any
    zalo: ZaloChannel
    phones: ZaloPhones

    async def stop(self) -> None:
        await background.drain()
        await self.bot.session.close()
        await self.zalo.close()


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(port=0, bots={TOKEN: "sotay_restart_bot", OTHER_TOKEN: "other_bot"}, limits=Limits(enabled=False),
                             zalo_bots={ZALO_TOKEN: "Sổ tay"}, zalo_limits=ZaloLimits(enabled=False)) as server:
        yield server


def links(data: Path, clock) -> MediaLinks:  # type: ignore[no-untyped-def]
    return MediaLinks(TEST_SECRET_KEY.encode(), "https://sotay.example", data / "media", dt.timedelta(hours=72), clock=clock)


def start(sandbox: SandboxServer, zalo_people: ZaloSandboxClient, session_factory, cipher, clock, data: Path) -> Process:  # type: ignore[no-untyped-def]
    speaker = SpyEspeak()
    renderer = VoiceRenderer(speaker, data / "audio")
    dispatcher = build_dispatcher(session_factory=session_factory, cipher=cipher, clock=clock, files_dir=data / "files",
                                  voice_renderer=renderer, settings=SimpleNamespace(data_dir=data, tts="espeak"))
    zalo = build_zalo(ZALO_TOKEN, sandbox.base_url + "/zalo", dispatcher=dispatcher, session_factory=session_factory, clock=clock,
                      media=LinkPublisher(links(data, clock)))
    return Process(speaker, renderer, create_bot(TOKEN, sandbox.base_url), dispatcher, zalo, ZaloPhones(zalo, zalo_people))


async def tap_listen(process: Process, people: SandboxClient, message_id: int, data: str) -> Any:
    """The member taps «🔊 Nghe» under the notice; the voice note that arrives."""
    before = (await people.bot_messages(TELEGRAM_USER))[-1].message_id
    await people.press(TELEGRAM_USER, message_id, data, wait=0)
    for update_ in await process.bot.get_updates(timeout=0):
        await process.dispatcher.feed_update(process.bot, update_)
    await background.drain()
    return await people.wait_for_message(TELEGRAM_USER, lambda m: m.attachment is not None and m.attachment.get("kind") == "voice",
                                         after_message_id=before, timeout=10)


async def stored_id(session, key: str) -> str | None:  # type: ignore[no-untyped-def]
    query = (select(MediaFile.file_id).where(MediaFile.platform == "telegram", MediaFile.bot_id == TOKEN.split(":")[0],
                                             MediaFile.cache_key == key).execution_options(populate_existing=True))
    return (await session.execute(query)).scalar_one_or_none()


async def test_voice_keeps_working_after_a_restart_on_telegram_and_zalo(
    sandbox, session, session_factory, cipher, clock, tmp_path,
) -> None:
    data = tmp_path / "data"
    people = SandboxClient(sandbox.base_url, TOKEN)
    zalo_people = ZaloSandboxClient(sandbox.base_url, ZALO_TOKEN)
    await people.create_user("Mai", user_id=TELEGRAM_USER)
    first = start(sandbox, zalo_people, session_factory, cipher, clock, data)
    try:
        commune, zalo_member, lan = await linked_on_zalo(first.phones, session, cipher, clock)
        notice_id = await notice_of(session, commune, clock)
        # The worker reads it ahead: every listener keeps the default voice, so one variant.
        assert await Presynthesiser(session_factory, first.renderer, clock).run_once()
        assert [(voice, speed) for _, voice, speed in first.speaker.calls] == [("vi", "normal")]
        [note] = await first.renderer.render(NOTICE_TEXT)  # the note as cached (a hit)
        cached = note.data

        # The notice reaches both members (what the delivery worker does for each platform).
        telegram_row, zalo_row = await notice_payloads(session, notice_id, members=(commune.cells[0].members[1].id, zalo_member.id))
        await TelegramMessenger(first.bot).send(str(TELEGRAM_USER), telegram_row)
        shown = (await people.bot_messages(TELEGRAM_USER))[-1]
        listen_data = shown.button("🔊")
        zalo_screen = (await first.phones.deliver(lan, zalo_row))[-1]

        # Before the restart: Telegram uploads the cached note once.
        heard = await tap_listen(first, people, shown.message_id, listen_data)
        assert await people.download(heard) == cached and "Giọng đọc máy" in heard.text
        uploaded = await stored_id(session, note.key)
        assert uploaded is not None
        uploads = (await people.stats())["events"]["uploads"]
        assert len(first.speaker.calls) == 1  # the taps synthesised nothing
    finally:
        await first.stop()

    # The restart: new objects over the same cache folder and database.
    second = start(sandbox, zalo_people, session_factory, cipher, clock, data)
    try:
        heard = await tap_listen(second, people, shown.message_id, listen_data)
        assert await people.download(heard) == cached
        assert (await people.stats())["events"]["uploads"] == uploads  # by the stored file id
        assert await stored_id(session, note.key) == uploaded
        # The Zalo member got the notice before the restart and types «🔊 Nghe»'s number after it (Zalo
        # keeps no buttons: the numbered choices of the last screen live in the database).
        link = await zalo_listen(second.phones, lan, zalo_screen)
        opened = links(data, clock).open(token_of(link))
        assert opened is not None and opened.path.read_bytes() == cached
        assert second.speaker.calls == [] and (second.renderer.cache_hits, second.renderer.cache_misses) == (2, 0)
    finally:
        await second.stop()

    # The stored id is one Telegram does not know for this bot (another bot's): uploaded again from the cache.
    other = create_bot(OTHER_TOKEN, sandbox.base_url)
    try:
        stale = (await other.send_voice(TELEGRAM_USER, BufferedInputFile(cached, filename="a.ogg"))).voice.file_id  # type: ignore[union-attr]
    finally:
        await other.session.close()
    await session.execute(update(MediaFile).where(MediaFile.platform == "telegram", MediaFile.cache_key == note.key).values(file_id=stale))
    await session.commit()
    third = start(sandbox, zalo_people, session_factory, cipher, clock, data)
    try:
        heard = await tap_listen(third, people, shown.message_id, listen_data)
        assert await people.download(heard) == cached
        assert (await people.stats())["events"]["uploads"] == uploads + 1
        assert await stored_id(session, note.key) not in (None, stale)  # the new upload's id, for the next taps
        assert third.speaker.calls == []
    finally:
        await third.stop()
        await people.aclose()
        await zalo_people.aclose()


async def notice_payloads(session, notice_id: int, *, members: tuple[int, ...]) -> list[OutboundMessage]:  # type: ignore[no-untyped-def]
    """The notice's message to each of `members`, as queued."""
    rows = []
    for member_id in members:
        query = select(OutboxMessage.payload).where(OutboxMessage.kind == notices.KIND, OutboxMessage.source == f"notice:{notice_id}",
                                                    OutboxMessage.member_id == member_id)
        rows.append(OutboundMessage.from_payload((await session.execute(query)).scalar_one()))
    return rows


async def zalo_listen(phones: ZaloPhones, chat: str, screen: str) -> str:
    """The member types the number of «🔊 Nghe» under the notice; the listen link the bot answers."""
    answered = "\n".join(await phones.say(chat, number_of(screen, "🔊")))
    assert "🔊 Nghe: https://sotay.example/m/" in answered, answered
    return answered.split("🔊 Nghe: ", 1)[1].split()[0]


def token_of(link: str) -> str:
    return link.rsplit("/m/", 1)[1]
