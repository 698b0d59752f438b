"""The user side: what a simulated person does in their chat with a bot, and what they see there."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
import zlib
from typing import Any

from sandbox.botapi import BotApi, Params, Upload, snapshot
from sandbox.control import chat_changes
from sandbox.errors import ApiError, bad_request
from sandbox.formatting import detect_entities
from sandbox.keyboards import find_keyboard_button, has_callback_button
from sandbox.state import BotAccount, Chat, ChatEntry, PendingQuery, Person, World

OWN_CONTACT = "self"  # send_contact's default: the person shares their own card


class People:
    def __init__(self, world: World, api: BotApi) -> None:
        self.world = world
        self.api = api

    # ------------------------------------------------------------------ helpers

    def _chat(self, bot: BotAccount, person_id: int) -> tuple[Person, Chat]:
        person = self.world.person(person_id)
        chat = self.world.chat(bot, person_id)
        if chat.blocked:
            raise ApiError(409, "Conflict: this person blocked the bot; unblock it first")
        return person, chat

    def _message(self, person: Person, chat: Chat, reply_to_message_id: int | None) -> dict[str, Any]:
        replied = None
        if reply_to_message_id is not None:
            replied = chat.live(int(reply_to_message_id))
            if replied is None:
                raise bad_request("message to be replied not found")
        message: dict[str, Any] = {"message_id": next(chat.message_ids), "from": person.telegram_user(),
                                   "chat": person.private_chat(), "date": int(time.time())}
        if replied is not None:
            message["reply_to_message"] = snapshot(replied.message)
            message["reply_to_message"].pop("reply_to_message", None)  # Telegram nests one level only
        return message

    def _deliver(self, bot: BotAccount, chat: Chat, message: dict[str, Any]) -> dict[str, Any]:
        """The person's message appears in the chat and reaches the bot as an update."""
        chat.add(ChatEntry(message=message, sender="user", version=self.world.touch(chat.key)))
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.keyboard_collapsed = True
        update = bot.updates.push("message", snapshot(message))
        return {"message_id": message["message_id"], "update_id": update["update_id"] if update else None}

    # ------------------------------------------------------------------ messages

    def send_text(self, bot: BotAccount, person_id: int, text: str, *, reply_to_message_id: int | None = None) -> dict[str, Any]:
        if not text.strip():
            raise bad_request("text is empty")
        if len(text) > bot.limits.max_text:
            raise bad_request("message is too long")
        person, chat = self._chat(bot, person_id)
        message = self._message(person, chat, reply_to_message_id)
        message["text"] = text
        entities = detect_entities(text)
        if entities:
            message["entities"] = entities
        return self._deliver(bot, chat, message)

    def send_contact(self, bot: BotAccount, person_id: int, *, phone_number: str | None = None,
                     contact_user_id: int | str | None = OWN_CONTACT, first_name: str | None = None,
                     last_name: str | None = None) -> dict[str, Any]:
        """Share a contact card: one's own (user_id = the sender, phone from the profile) or anyone's."""
        person, chat = self._chat(bot, person_id)
        own = contact_user_id == OWN_CONTACT or contact_user_id == person_id
        phone = phone_number or (person.phone_number if own else None)
        if not phone:
            raise bad_request("phone_number is required (this person has none in their profile)")
        contact: dict[str, Any] = {"phone_number": str(phone),
                                   "first_name": first_name or (person.first_name if own else "Liên hệ")}
        surname = last_name or (person.last_name if own else None)
        if surname:
            contact["last_name"] = surname
        if own:
            contact["user_id"] = person_id
        elif contact_user_id is not None:
            contact["user_id"] = int(contact_user_id)
        message = self._message(person, chat, None)
        message["contact"] = contact
        return self._deliver(bot, chat, message)

    def send_file(self, bot: BotAccount, person_id: int, kind: str, upload: Upload, *, duration: int | None = None,
                  caption: str | None = None) -> dict[str, Any]:
        if kind not in ("voice", "audio", "document", "photo", "video"):
            raise bad_request(f"people cannot send a {kind}")
        person, chat = self._chat(bot, person_id)
        if caption is not None and len(caption) > bot.limits.max_caption:
            raise bad_request("message caption is too long")
        params = Params({"duration": duration} if duration is not None else {})
        stored = self.api.store_upload(bot, upload, kind, params)
        message = self._message(person, chat, None)
        message.update(self.api.media_fields(stored, kind, bot))
        if caption:
            message["caption"] = caption
        return self._deliver(bot, chat, message)

    def tap(self, bot: BotAccount, person_id: int, label: str) -> dict[str, Any]:
        """Tap a button of the reply keyboard shown now: a contact button shares the phone, others send their text."""
        chat = self.world.chat(bot, person_id)
        button = find_keyboard_button(chat.reply_keyboard, label)
        if button is None:
            shown = [b["text"] for row in (chat.reply_keyboard or {}).get("keyboard", []) for b in row]
            raise bad_request(f"no keyboard button {label!r}; the keyboard shows {shown}")
        if button.get("request_contact"):
            return self.send_contact(bot, person_id)
        return self.send_text(bot, person_id, label)

    # ------------------------------------------------------------------ buttons and polls

    async def press(self, bot: BotAccount, person_id: int, message_id: int, data: str, *, wait: float,
                    any_data: bool = False) -> dict[str, Any]:
        """Press an inline button; waits up to `wait` seconds for the bot's answerCallbackQuery.

        A late answer (within the query's lifetime) is still recorded on the message.
        `any_data` sends data no button carries, as a tampered client would.
        """
        person, chat = self._chat(bot, person_id)
        entry = chat.live(message_id)
        if entry is None:
            raise bad_request("message not found")
        if not any_data and not has_callback_button(entry.message.get("reply_markup"), data):
            raise bad_request(f"the message has no button with callback data {data!r}")
        query_id = bot.new_query_id()
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[dict[str, Any] | None] = loop.create_future()
        bot.pending_queries[query_id] = PendingQuery(entry, answered)
        loop.call_later(bot.limits.callback_query_ttl, bot.expire_query, query_id)
        bot.updates.push("callback_query", {
            "id": query_id, "from": person.telegram_user(), "message": snapshot(entry.message),
            "chat_instance": str(zlib.crc32(f"{bot.token}/{person_id}".encode())), "data": data,
        })
        answer: dict[str, Any] | None = None
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                answer = await asyncio.wait_for(asyncio.shield(answered), wait)
        if answer is None:
            return {"answered": False, "query_id": query_id}
        return {"answered": True, "query_id": query_id, **answer}

    def answer_poll(self, bot: BotAccount, person_id: int, poll_id: str, option_ids: list[int]) -> dict[str, Any]:
        person, chat = self._chat(bot, person_id)
        record = self.world.polls.get(poll_id)
        if record is None or record.bot_token != bot.token or record.chat_id != person_id:
            raise bad_request("no such poll in this chat")
        entry = chat.live(record.message_id)
        if entry is None:
            raise bad_request("the poll's message was deleted")
        record.refresh_closed()
        poll = record.poll
        if poll["is_closed"]:
            raise bad_request("the poll is closed")
        options = poll["options"]
        if any(not 0 <= i < len(options) for i in option_ids) or len(set(option_ids)) != len(option_ids):
            raise bad_request("wrong option ids")
        if len(option_ids) > 1 and not poll["allows_multiple_answers"]:
            raise bad_request("this poll allows one answer")
        previous = record.votes.get(person_id)
        if previous is not None and not poll["allows_revoting"]:
            raise bad_request("this poll does not allow changing the answer")
        if not option_ids and previous is None:
            raise bad_request("nothing to retract")
        for index in previous or []:
            options[index]["voter_count"] -= 1
        for index in option_ids:
            options[index]["voter_count"] += 1
        if option_ids:
            record.votes[person_id] = sorted(option_ids)
        else:
            record.votes.pop(person_id, None)
        poll["total_voter_count"] = len(record.votes)
        entry.poll_choice = sorted(option_ids) or None
        entry.version = self.world.touch(entry.chat_key)
        if not poll["is_anonymous"]:
            bot.updates.push("poll_answer", {
                "poll_id": poll_id, "user": person.telegram_user(), "option_ids": sorted(option_ids),
                "option_persistent_ids": [options[i]["persistent_id"] for i in sorted(option_ids)],
            })
        bot.updates.push("poll", copy.deepcopy(poll))  # a bot gets the new state of polls it sent
        result: dict[str, Any] = {"poll": copy.deepcopy(poll)}
        if poll["type"] == "quiz" and option_ids:
            result["correct"] = sorted(option_ids) == poll.get("correct_option_ids")
        return result

    # ------------------------------------------------------------------ blocking

    def set_blocked(self, bot: BotAccount, person_id: int, blocked: bool) -> dict[str, Any]:
        person = self.world.person(person_id)
        chat = self.world.chat(bot, person_id)
        if chat.blocked == blocked:
            return {"blocked": blocked}
        chat.blocked = blocked
        self.world.touch(chat.key)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        bot.updates.push("my_chat_member", {
            "chat": person.private_chat(), "from": person.telegram_user(), "date": int(time.time()),
            "old_chat_member": self._membership(bot, old), "new_chat_member": self._membership(bot, new),
        })
        return {"blocked": blocked}

    @staticmethod
    def _membership(bot: BotAccount, status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"status": status, "user": bot.user}
        if status == "kicked":
            member["until_date"] = 0
        return member

    # ------------------------------------------------------------------ reading

    def chat_view(self, bot: BotAccount, person_id: int, *, after: int = 0) -> dict[str, Any]:
        """What the person's phone shows: messages changed since version `after`, keyboard, state."""
        chat, view = chat_changes(self.world, bot, person_id, after, lambda entry: self.entry_json(bot, entry))
        return {
            **view,
            "keyboard": chat.reply_keyboard if chat else None,
            "keyboard_collapsed": chat.keyboard_collapsed if chat else False,
            "blocked": chat.blocked if chat else False,
        }

    def entry_json(self, bot: BotAccount, entry: ChatEntry) -> dict[str, Any]:
        message = entry.message
        reply_to = message.get("reply_to_message")
        return {
            "message_id": entry.message_id,
            "from": entry.sender,
            "date": message.get("date"),
            "edit_date": message.get("edit_date"),
            "text": message.get("text"),
            "caption": message.get("caption"),
            "entities": message.get("entities") or message.get("caption_entities") or [],
            "reply_markup": message.get("reply_markup"),
            "keyboard": entry.reply_keyboard,
            "attachment": self._attachment(bot, message),
            "poll": message.get("poll"),
            "poll_choice": entry.poll_choice,
            "contact": message.get("contact"),
            "reply_to": reply_to.get("message_id") if reply_to else None,
            "edits": entry.edits,
            "deleted": entry.deleted,
            "callback_answers": entry.callback_answers,
            "version": entry.version,
        }

    def _attachment(self, bot: BotAccount, message: dict[str, Any]) -> dict[str, Any] | None:
        for kind in ("voice", "audio", "video", "document", "photo"):
            if kind not in message:
                continue
            media = message[kind][-1] if kind == "photo" else message[kind]
            stored = self.world.files.by_unique_id(media["file_unique_id"])
            return {"kind": kind, "file_id": media["file_id"], "file_unique_id": media["file_unique_id"],
                    "url": f"/sandbox/files/{media['file_unique_id']}", "mime_type": stored.mime_type if stored else None,
                    "file_name": media.get("file_name") or (stored.file_name if stored else None),
                    "duration": media.get("duration"), "size": media.get("file_size"),
                    "width": media.get("width"), "height": media.get("height")}
        return None
