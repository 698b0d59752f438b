"""What the control APIs of the Telegram and Zalo sides share: JSON answers and the fault routes."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON with Vietnamese left readable (no \\u escapes)."""
    return web.json_response(data, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False))


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
