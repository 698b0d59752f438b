"""The Zalo side's HTTP routes: the Bot Platform API for bots, and a control API for simulated people.

Bot side:   /zalo/bot<token>/<method>          (what bot-api.zaloplatforms.com serves)
User side:  /sandbox/zalo/...                  JSON, loopback-only CORS (the server's middleware), Telegram-side style
Images:     /sandbox/zalo/media/<name>         people's uploads and copies of the bot's photos
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.control import FaultRoutes, follow_chat, json_response
from sandbox.errors import ApiError, as_int, bad_request, json_object
from sandbox.zalo.api import ZaloApi
from sandbox.zalo.people import ZaloPeople
from sandbox.zalo.state import ZaloBot, ZaloLimits, ZaloStats, ZaloWorld
from sandbox.zalo.webhooks import ZaloWebhookDelivery

MAX_IMAGE_UPLOAD = 20 * 1024 * 1024


_json = json_response


class ZaloSide(FaultRoutes):
    """Everything Zalo in one sandbox server; `base_url` gives the server's address once it is known."""

    def __init__(self, base_url: Callable[[], str], *, limits: ZaloLimits | None = None,
                 bots: dict[str, str | None] | None = None, auto_register: bool = True,
                 webhook_max_retry: float = 5.0) -> None:
        self._base_url = base_url
        self.world = ZaloWorld(limits, auto_register=auto_register)
        self.webhooks = ZaloWebhookDelivery(self.world, max_retry=webhook_max_retry)
        self.api = ZaloApi(self.world, media_url=self.media_url, on_webhook_change=self.webhooks.ensure_running)
        self.people = ZaloPeople(self.world, self.media_url)
        for token, name in (bots or {}).items():
            self.world.add_bot(token, name)

    def media_url(self, name: str) -> str:
        return f"{self._base_url()}/sandbox/zalo/media/{name}"

    async def stop(self) -> None:
        self.world.closing = True
        self.world.changed.fire()
        self.world.wake_chats()
        for bot in self.world.bots.values():
            bot.updates.arrived.fire()  # long polls end at once
        await self.webhooks.close()
        await self.api.close()

    def add_routes(self, app: web.Application) -> None:
        add = app.router.add_route
        add("*", "/zalo/bot{token}/{method}", self.bot_api)
        add("GET", "/sandbox/zalo/health", self.health)
        add("GET", "/sandbox/zalo/bots", self.list_bots)
        add("POST", "/sandbox/zalo/bots", self.create_bot)
        add("GET", "/sandbox/zalo/users", self.list_people)
        add("POST", "/sandbox/zalo/users", self.create_person)
        add("GET", "/sandbox/zalo/users/{user_id}", self.get_person)
        add("POST", "/sandbox/zalo/bots/{bot}/users/{user_id}/{action}", self.person_acts)
        add("GET", "/sandbox/zalo/bots/{bot}/chats/{user_id}", self.read_chat)
        add("GET", "/sandbox/zalo/bots/{bot}/updates", self.pending_updates)
        add("GET", "/sandbox/zalo/bots/{bot}/received", self.received)
        add("GET", "/sandbox/zalo/bots/{bot}/stats", self.stats)
        add("POST", "/sandbox/zalo/bots/{bot}/stats/reset", self.reset_stats)
        add("GET", "/sandbox/zalo/bots/{bot}/faults", self.list_faults)
        add("POST", "/sandbox/zalo/bots/{bot}/faults", self.add_fault)
        add("DELETE", "/sandbox/zalo/bots/{bot}/faults", self.clear_faults)
        add("POST", "/sandbox/zalo/bots/{bot}/fault-rate", self.set_fault_rate)
        add("GET", "/sandbox/zalo/bots/{bot}/limits", self.get_limits)
        add("POST", "/sandbox/zalo/bots/{bot}/limits", self.set_limits)
        add("GET", "/sandbox/zalo/media/{name}", self.media)

    # ------------------------------------------------------------------------ bot side

    async def bot_api(self, request: web.Request) -> web.Response:
        try:
            bot = self.world.bot(request.match_info["token"])
            params = await self._read_params(request)
        except ApiError as error:
            return _json(error.body(), status=error.code)
        status, body = await self.api.execute(bot, request.match_info["method"], params)
        return _json(body, status=status)

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.body_exists:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            params.update(body)
        else:
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
        return params

    # ------------------------------------------------------------------------ control: helpers

    _body = staticmethod(json_object)

    def _bot(self, request: web.Request) -> ZaloBot:
        return self.world.find_bot(request.match_info["bot"])

    _int = staticmethod(as_int)

    # ------------------------------------------------------------------------ control: bots and people

    async def health(self, request: web.Request) -> web.Response:
        return _json({"ok": True, "bots": len(self.world.bots), "users": len(self.world.people)})

    async def list_bots(self, request: web.Request) -> web.Response:
        return _json({"bots": [bot.as_json() for bot in self.world.bots.values()]})

    async def create_bot(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if not body.get("token"):
            raise bad_request("token is required")
        return _json(self.world.add_bot(str(body["token"]), body.get("name")).as_json())

    async def list_people(self, request: web.Request) -> web.Response:
        return _json({"users": [person.as_json() for person in self.world.people.values()]})

    async def get_person(self, request: web.Request) -> web.Response:
        return _json(self.world.person(request.match_info["user_id"]).as_json())

    async def create_person(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        telegram_id = body.get("telegram_id")
        person_id = body.get("id", body.get("user_id"))
        person = self.world.add_person(
            display_name=body.get("display_name") or "", person_id=str(person_id) if person_id is not None else None,
            label=body.get("label"), telegram_id=self._int(telegram_id, "telegram_id") if telegram_id is not None else None,
        )
        return _json(person.as_json())

    # ------------------------------------------------------------------------ control: a person acts, reads

    async def person_acts(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        user_id = request.match_info["user_id"]
        self.world.person(user_id)
        action = request.match_info["action"]
        if action == "image":
            data, caption = await self._image_body(request)
            result = self.people.send_image(bot, user_id, data, caption)
        else:
            body = await self._body(request)
            if action == "text":
                result = self.people.send_text(bot, user_id, str(body.get("text") or ""))
            elif action == "sticker":
                result = self.people.send_sticker(bot, user_id, body.get("sticker"))
            elif action == "unsupported":
                result = self.people.send_unsupported(bot, user_id)
            else:
                raise ApiError(404, f"Not Found: a Zalo person cannot {action!r}")
        return _json({"ok": True, **result})

    @staticmethod
    async def _image_body(request: web.Request) -> tuple[bytes, str | None]:
        """JSON with `data_base64` (+ caption), or multipart with a `file` part (+ a `caption` field)."""
        if request.content_type == "multipart/form-data":
            data, caption = b"", None
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                content = await part.read()
                if len(content) > MAX_IMAGE_UPLOAD:
                    raise ApiError(413, "Request Entity Too Large")
                if part.filename is None and part.name == "caption":
                    caption = content.decode("utf-8", errors="replace") or None
                elif part.filename is not None or part.name == "file":
                    data = bytes(content)
            if not data:
                raise bad_request("send the image in a part named 'file'")
            return data, caption
        body = await ZaloSide._body(request)
        try:
            data = base64.b64decode(str(body.get("data_base64") or ""), validate=True)
        except (binascii.Error, ValueError):
            raise bad_request("data_base64 is not base64") from None
        if not data:
            raise bad_request("data_base64 is empty")
        return data, body.get("caption") or None

    async def read_chat(self, request: web.Request) -> web.Response:
        """A person's chat; `after=<version>` returns only what changed since, `wait=<s>` holds until it does."""
        bot = self._bot(request)
        user_id = request.match_info["user_id"]
        self.world.person(user_id)
        after = await follow_chat(self.world, request, (bot.token, user_id))
        return _json(self.people.chat_view(bot, user_id, after=after))

    async def pending_updates(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        return _json({"updates": bot.updates.all(), "pending": len(bot.updates)})

    async def received(self, request: web.Request) -> web.Response:
        return _json(self.people.received(self._bot(request)))

    async def media(self, request: web.Request) -> web.Response:
        stored = self.world.images.get(request.match_info["name"])
        if stored is None:
            raise ApiError(404, "Not Found: no such image")
        return web.Response(body=stored.data, content_type=stored.mime_type, headers={"Cache-Control": "max-age=3600"})

    # ------------------------------------------------------------------------ control: stats, faults, limits

    async def stats(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        return _json(bot.stats.as_json() | {"pending_updates": len(bot.updates),
                                            "webhook_url": bot.webhook.url if bot.webhook else None,
                                            "last_webhook_error": bot.last_webhook_error})

    async def reset_stats(self, request: web.Request) -> web.Response:
        self._bot(request).stats = ZaloStats()
        return _json({"ok": True})





    async def get_limits(self, request: web.Request) -> web.Response:
        return _json(self._bot(request).limits.as_dict())

    async def set_limits(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        try:
            bot.set_limits(bot.limits.updated(await self._body(request)))
        except (TypeError, ValueError) as error:
            raise bad_request(str(error)) from None
        return _json(bot.limits.as_dict())
