"""Driving the real Dispatcher from the sandbox's Zalo side: a person types on their Zalo phone
(the sandbox's control API), the adapter pulls the update with getUpdates and feeds it to the same
Dispatcher as Telegram's, and the test reads what the phone shows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import background
from bot.zalo.wiring import ZaloChannel
from core.ports import OutboundMessage
from sandbox.zalo_client import ZaloMessage, ZaloSandboxClient

ZALO_TOKEN = "1459232241454765289:ZALO_TEST_secret_abcdefgh"
BUTTON_WORDS = re.compile(r"\b(bấm|nút)\b", re.IGNORECASE)


def assert_zalo_wording(shown: Sequence[str]) -> list[str]:
    """Zalo has no buttons: no screen on a Zalo phone says "bấm" (press) or "nút" (button)."""
    for text in shown:
        assert not BUTTON_WORDS.search(text or ""), f"a Zalo screen speaks of buttons: {text!r}"
    return list(shown)


@dataclass
class PublishedMedia:
    kind: str
    path: str | None
    data: bytes | None
    filename: str | None


class RecordingMedia:
    """A MediaPublisher that remembers what it published and hands out fake signed URLs."""

    def __init__(self) -> None:
        self.published: list[PublishedMedia] = []

    async def publish(self, *, kind: str, path: str | None = None, data: bytes | None = None, filename: str | None = None,
                      title: str | None = None, text: str | None = None) -> str:
        self.published.append(PublishedMedia(kind, path, data, filename))
        return f"https://sotay.example/m/token{len(self.published)}"


class ZaloPhones:
    def __init__(self, channel: ZaloChannel, people: ZaloSandboxClient) -> None:
        self.channel = channel
        self.people = people

    async def person(self, name: str, user_id: str | None = None) -> str:
        created = await self.people.create_user(name, user_id=user_id)
        return str(created["id"])

    async def _pump(self) -> None:
        update = await self.channel.client.get_update(timeout=5)
        assert update is not None, "the sandbox queued no update"
        await self.channel.inbound.handle(update)

    async def _after(self, user_id: str, action: Any) -> list[str]:
        before = len(await self.people.bot_messages(user_id))
        await action
        await self._pump()
        await background.drain()  # what the update started after its handler returned (a voice note being made)
        return assert_zalo_wording([m.text for m in (await self.people.bot_messages(user_id))[before:]])

    async def say(self, user_id: str, text: str) -> list[str]:
        """What the bot answered, message by message."""
        return await self._after(user_id, self.people.send_text(user_id, text))

    async def sticker(self, user_id: str) -> list[str]:
        return await self._after(user_id, self.people.send_sticker(user_id))

    async def image(self, user_id: str, data: bytes, caption: str | None = None) -> list[str]:
        return await self._after(user_id, self.people.send_image(user_id, data, caption))

    async def deliver(self, chat_id: str, message: OutboundMessage) -> list[str]:
        """What the delivery worker does for a Zalo recipient."""
        before = len(await self.people.bot_messages(chat_id))
        await self.channel.messenger.send(chat_id, message)
        return assert_zalo_wording([m.text for m in (await self.people.bot_messages(chat_id))[before:]])

    async def screen(self, user_id: str) -> ZaloMessage:
        last = (await self.people.bot_messages(user_id))[-1]
        assert_zalo_wording([last.text])
        return last
