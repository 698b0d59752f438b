"""The sandbox's world written to disk and read back (what keeps `sotay demo` coherent across restarts)."""

from pathlib import Path

from sandbox import persist
from sandbox.people import People
from sandbox.botapi import BotApi
from sandbox.state import World

TOKEN = "1000000001:persist_test_token_abcdefghijk"


def _world() -> tuple[World, People]:
    world = World()
    world.add_bot(TOKEN, "persist_bot")
    return world, People(world, BotApi(world, on_webhook_change=lambda bot: None))


def test_people_chats_keyboards_and_update_ids_come_back(tmp_path: Path) -> None:
    world, people = _world()
    world.add_person(user_id=42, first_name="Mai", label="Bí thư")
    people.send_text(world.bots[TOKEN], 42, "xin chào\ndòng hai")
    chat = world.chats[(TOKEN, 42)]
    chat.reply_keyboard = {"keyboard": [[{"text": "📅 Lịch họp"}]]}
    persist.save(tmp_path, world)

    restored, restored_people = _world()
    assert persist.load(tmp_path, restored)
    assert restored.people[42].label == "Bí thư"
    again = restored.chats[(TOKEN, 42)]
    assert [e.message["text"] for e in again.entries] == ["xin chào\ndòng hai"]
    assert again.reply_keyboard == chat.reply_keyboard
    # Message ids and update ids go on after the saved ones (the bot remembers what it handled).
    sent = restored_people.send_text(restored.bots[TOKEN], 42, "lần nữa")
    assert sent["message_id"] == 2 and sent["update_id"] == 2


def test_no_snapshot_or_a_torn_one_starts_empty(tmp_path: Path) -> None:
    world, _ = _world()
    assert not persist.load(tmp_path, world)
    (tmp_path / persist.SNAPSHOT).write_bytes(b"\x80torn")
    assert not persist.load(tmp_path, world)
    assert world.chats == {}
