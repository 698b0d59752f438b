"""Keeping the sandbox's world on disk, so `sotay demo` stays coherent across restarts.

The database keeps the commune's life; without this, the simulated phones would start empty after a
restart (no invitation to answer, no absence to decide, no voice note). What people see is kept:
people, chats with their history and keyboards, files, polls, and each bot's next update id. What a
running server holds only for a moment (long polls, pending button presses, rate buckets, faults)
is not.

The snapshot is a pickle of the sandbox's own plain dataclasses, written by this process into the
demo's own data folder and read back only from there (never from elsewhere): it is not an exchange
format.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
from pathlib import Path
from typing import Any

from sandbox.state import Chat, World
from sandbox.zalo.state import ZaloWorld

log = logging.getLogger("sandbox")
SNAPSHOT = "sandbox-state.pickle"
FORMAT = 1


def _telegram(world: World) -> dict[str, Any]:
    chats = {}
    for key, chat in world.chats.items():
        next_id = max((entry.message_id for entry in chat.entries), default=0) + 1
        chats[key] = {"entries": chat.entries, "next_id": next_id, "reply_keyboard": chat.reply_keyboard,
                      "keyboard_collapsed": chat.keyboard_collapsed, "blocked": chat.blocked}
    return {"people": world.people, "chats": chats, "files": world.files, "polls": world.polls, "version": world.version,
            "next_updates": {token: bot.updates._next_id for token, bot in world.bots.items()}}


def _zalo(world: ZaloWorld) -> dict[str, Any]:
    return {"people": world.people, "chats": world.chats, "images": world.images, "version": world.version}


def save(folder: Path, world: World, zalo: ZaloWorld | None = None) -> None:
    """Write the snapshot atomically (a crash mid-write leaves the previous one)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"format": FORMAT, "telegram": _telegram(world), "zalo": _zalo(zalo) if zalo is not None else None}
    temporary = folder / (SNAPSHOT + ".tmp")
    with temporary.open("wb") as handle:
        pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / SNAPSHOT)


def load(folder: Path, world: World, zalo: ZaloWorld | None = None) -> bool:
    """Restore a snapshot written by `save` into fresh worlds; False when there is none (or it is unreadable)."""
    path = folder / SNAPSHOT
    if not path.exists():
        return False
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)  # noqa: S301 - our own file in our own data folder (see the module's note)
        if data.get("format") != FORMAT:
            return False
    except Exception as exc:  # a torn or foreign file: start fresh rather than not at all
        log.warning("sandbox snapshot %s unreadable (%s): starting with empty chats", path, type(exc).__name__)
        return False
    telegram = data["telegram"]
    world.people.update(telegram["people"])
    for key, saved in telegram["chats"].items():
        chat = Chat(key[0], key[1], reply_keyboard=saved["reply_keyboard"], keyboard_collapsed=saved["keyboard_collapsed"],
                    blocked=saved["blocked"])
        for entry in saved["entries"]:
            chat.add(entry)
        chat.message_ids = itertools.count(saved["next_id"])
        world.chats[key] = chat
    world.files = telegram["files"]
    world.polls = telegram["polls"]
    world.version = max(world.version, telegram["version"])
    for token, next_id in telegram["next_updates"].items():
        if token in world.bots:
            world.bots[token].updates.continue_after(next_id - 1)
    if zalo is not None and data.get("zalo"):
        saved_zalo = data["zalo"]
        zalo.people.update(saved_zalo["people"])
        zalo.chats.update(saved_zalo["chats"])
        zalo.images.update(saved_zalo["images"])
        zalo.version = max(zalo.version, saved_zalo["version"])
    return True
