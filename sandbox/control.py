"""What the control APIs of the Telegram and Zalo sides share: JSON answers and the fault routes."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Hashable
from typing import Any

from aiohttp import web

from sandbox.errors import as_int, bad_request


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON with Vietnamese left readable (no \\u escapes)."""
    return web.json_response(data, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False))


MAX_CHAT_WAIT = 30.0


async def follow_chat(world: Any, request: web.Request, chat: Hashable | None = None) -> int:
    """A chat read's `after=<version>` (only what changed since) and `wait=<s>` (a long poll: hold the
    answer until something changes, at most MAX_CHAT_WAIT): waits as asked and returns `after`.

    With `chat` (the key of the chat read) only a change to that chat answers the long poll, the moment
    it happens; changes to other people's chats do not wake it. While the chat shows what the bot is
    doing ("typing…"), the wait ends when that would fade, so the page clears it. Without `chat`, any
    change in the sandbox answers."""
    after = as_int(request.query.get("after", 0), "after")
    if after < 0:
        raise bad_request("after must be a version, 0 or more")
    try:
        wait = float(request.query.get("wait", 0))
    except ValueError:
        raise bad_request("wait must be a number of seconds") from None
    if not math.isfinite(wait) or wait < 0:
        raise bad_request("wait must be a number of seconds, 0 or more")
    wait = min(wait, MAX_CHAT_WAIT)
    if not wait:
        return after
    if chat is None:
        await world.wait_for_change(after, wait)
        return after
    shown = world.chats.get(chat)
    if shown is not None and shown.current_action():
        wait = min(wait, max(0.0, shown.action_until - time.monotonic()) + 0.05)
    await world.wait_for_chat(chat, after, wait)
    return after


def chat_changes(world: Any, bot: Any, person_id: Any, after: int, as_json: Callable[[Any], dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """What a person's phone shows, on either side: the chat (None before any message) and its
    messages changed since version `after`, with what the bot is doing now ("typing"…)."""
    world.person(person_id)
    chat = world.existing_chat(bot, person_id)
    entries = chat.entries if chat else []
    view = {"version": world.version, "messages": [as_json(entry) for entry in entries if entry.version > after],
            "action": chat.current_action() if chat else None}
    return chat, view


def received_by_chat(world: Any, bot: Any, text_of: Callable[[Any], str]) -> dict[str, Any]:
    """What each chat got from one bot, on either side: the benchmark counts duplicates and losses here."""
    counts: dict[str, int] = {}
    texts: dict[str, list[str]] = {}
    for (token, person_id), chat in world.chats.items():
        if token != bot.token:
            continue
        sent = [e for e in chat.entries if e.sender == "bot"]
        counts[str(person_id)] = len(sent)
        texts[str(person_id)] = [text_of(e) for e in sent]
    return {"counts": counts, "texts": texts}


class FaultRoutes:
    """GET/POST/DELETE …/faults and POST …/fault-rate over a bot's FaultPlan, the same on both sides.
    The class mixing this in finds the bot of a request (`_bot`) and reads a body (`_body`)."""

    def _bot(self, request: web.Request) -> Any:
        raise NotImplementedError

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raise NotImplementedError

    async def list_faults(self, request: web.Request) -> web.Response:
        return json_response(self._bot(request).faults.as_json())

    async def add_fault(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        bot.faults.schedule_from(await self._body(request))
        return json_response({"ok": True, **bot.faults.as_json()})

    async def clear_faults(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        bot.faults.clear()
        return json_response({"ok": True, **bot.faults.as_json()})

    async def set_fault_rate(self, request: web.Request) -> web.Response:
        """A share of send* calls (sendChatAction excepted) fails with one of `codes`: for benchmarks."""
        bot = self._bot(request)
        bot.faults.set_rate_from(await self._body(request))
        return json_response({"ok": True, **bot.faults.as_json()})
