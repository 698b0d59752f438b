"""What a simulated Zalo person does (writes, sends an image or a sticker) and what their phone shows."""

from __future__ import annotations

from typing import Any

from sandbox.control import chat_changes, received_by_chat
from sandbox.errors import bad_request
from sandbox.zalo.state import (
    EVENT_IMAGE,
    EVENT_STICKER,
    EVENT_TEXT,
    EVENT_UNSUPPORTED,
    ZaloBot,
    ZaloEntry,
    ZaloWorld,
    now_ms,
    sniff_image,
)

DEFAULT_STICKER = "bfe8b1d5bb90521a0b81"
# The platform does not say how long a person's message may be; the sandbox lets people send long
# garbage (a bot must answer 10,000 characters politely) and only guards its own memory.
MAX_PERSON_TEXT = 50_000


class ZaloPeople:
    def __init__(self, world: ZaloWorld, media_url: Any) -> None:
        self.world = world
        self._media_url = media_url

    def _deliver(self, bot: ZaloBot, person_id: str, event_name: str, entry_fields: dict[str, Any],
                 message_fields: dict[str, Any]) -> dict[str, Any]:
        """The message shows in the person's chat and reaches the bot as one update."""
        person = self.world.person(person_id)
        chat = self.world.chat(bot, person_id)
        entry = ZaloEntry(message_id=self.world.new_message_id(), sender="user", date=now_ms(),
                          version=self.world.touch(chat.key), **entry_fields)
        chat.entries.append(entry)
        chat.contacted = True
        message = {"message_id": entry.message_id, "date": entry.date, "from": person.sender(), "chat": person.chat()}
        message.update({key: value for key, value in message_fields.items() if value is not None})
        bot.updates.push({"event_name": event_name, "message": message})
        return {"message_id": entry.message_id, "event_name": event_name, "queued": True}

    def send_text(self, bot: ZaloBot, person_id: str, text: str) -> dict[str, Any]:
        if not text.strip():
            raise bad_request("text is empty")
        if len(text) > MAX_PERSON_TEXT:
            raise bad_request(f"text must be at most {MAX_PERSON_TEXT} characters")
        return self._deliver(bot, person_id, EVENT_TEXT, {"kind": "text", "text": text}, {"text": text})

    def send_image(self, bot: ZaloBot, person_id: str, data: bytes, caption: str | None = None) -> dict[str, Any]:
        mime = sniff_image(data)
        if mime is None:
            raise bad_request("the bytes are not a PNG, JPEG, GIF or WebP image")
        stored = self.world.store_image(data, mime)
        url = self._media_url(stored.name)
        return self._deliver(bot, person_id, EVENT_IMAGE,
                             {"kind": "image", "photo": url, "image_url": url, "caption": caption or None},
                             {"photo": url, "caption": caption or None})

    def send_sticker(self, bot: ZaloBot, person_id: str, sticker: str | None = None) -> dict[str, Any]:
        sticker_id = (sticker or DEFAULT_STICKER).strip()
        return self._deliver(bot, person_id, EVENT_STICKER, {"kind": "sticker", "sticker": sticker_id},
                             {"sticker": sticker_id})

    def send_unsupported(self, bot: ZaloBot, person_id: str) -> dict[str, Any]:
        return self._deliver(bot, person_id, EVENT_UNSUPPORTED, {"kind": "unsupported"}, {})

    def chat_view(self, bot: ZaloBot, person_id: str, *, after: int = 0) -> dict[str, Any]:
        return chat_changes(self.world, bot, person_id, after, lambda entry: entry.as_json())[1]

    def received(self, bot: ZaloBot) -> dict[str, Any]:
        return received_by_chat(self.world, bot, lambda e: e.text or e.caption or "")
