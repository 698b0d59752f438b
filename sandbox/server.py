"""The sandbox HTTP server: Telegram's Bot API for bots, a control API for simulated people.

Bot side:   /bot<token>/<method>, /file/bot<token>/<file_path>   (what api.telegram.org serves)
User side:  /sandbox/...   JSON; CORS for loopback origins only, so a page on another loopback port
            can drive it and a page on any other site cannot
Chat page:  /sandbox/ui/   (static files from sandbox/web)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Self
from urllib.parse import quote, urlsplit

import aiohttp
from aiohttp import web

from sandbox.botapi import BotApi, Params, Upload, command_scope
from sandbox.control import FaultRoutes, follow_chat, json_response, received_by_chat
from sandbox.errors import ApiError, as_int, bad_request, json_object
from sandbox.limits import Limits
from sandbox.media import make_sample_voice
from sandbox.people import OWN_CONTACT, People
from sandbox.state import BotAccount, Stats, World
from sandbox.web import INDEX_HTML_PATH, WEB_DIR
from sandbox.webhooks import WebhookDelivery
from sandbox.zalo import ZaloLimits, ZaloSide

__all__ = ["Limits", "SandboxServer"]

log = logging.getLogger("sandbox")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Request bodies: uploads are streamed and checked against the bot's limit; this only caps JSON/forms
# (people's base64 uploads included).
MAX_BODY_BYTES = 100 * 1024 * 1024
DEFAULT_PRESS_WAIT = 10.0
FILE_ACTIONS = ("voice", "audio", "document", "photo", "video")


_json = json_response


def _error(error: ApiError) -> web.Response:
    return _json(error.body(), status=error.code)


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def allowed_origin(origin: str | None, host: str | None) -> bool:
    """A browser page may drive the control API only from this machine: an origin on a loopback
    host (any port), or the sandbox's own origin. Requests without an Origin (scripts, tests) pass."""
    if origin is None:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    return parts.hostname in LOOPBACK_HOSTS or (host is not None and parts.netloc == host)


@web.middleware
async def _control_errors_and_cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The control API answers errors in Telegram's shape and lets pages on loopback origins call it.
    Any other site's page is refused before the handler runs (a simple cross-site POST would
    otherwise act even though the browser hides the answer)."""
    if not request.path.startswith("/sandbox"):
        return await handler(request)
    origin = request.headers.get("Origin")
    if not allowed_origin(origin, request.host):
        return _json({"ok": False, "error_code": 403, "description": "Forbidden: origin not allowed"}, status=403)
    if request.method == "OPTIONS":
        response: web.StreamResponse = web.Response()
    else:
        try:
            response = await handler(request)
        except ApiError as error:
            response = _error(error)
        except web.HTTPException as error:
            if error.status < 400:
                raise
            response = _json({"ok": False, "error_code": error.status, "description": error.reason}, status=error.status)
    response.headers["Vary"] = "Origin"
    if origin is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    return response



def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One "bytes=a-b", "bytes=a-" or "bytes=-n" range, clamped to the file; None: the whole file."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, _, last = header[len("bytes="):].strip().partition("-")
    try:
        if not first:  # the last n bytes
            count = int(last)
            return (max(0, size - count), size - 1) if count > 0 else None
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    except ValueError:
        return None
    return (start, end) if start <= end or start >= size else None

class SandboxServer(FaultRoutes):
    """A Telegram-compatible Bot API server with simulated people, on loopback.

    `bots` registers tokens (token → username). Any token shaped like Telegram's is also accepted
    on first use unless `auto_register=False`. `limits` are Telegram's (on by default).
    `zalo_bots` (token → name) and `zalo_limits` are the Zalo side's (`self.zalo`, see sandbox.zalo).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        limits: Limits | None = None,
        bots: dict[str, str] | dict[str, str | None] | None = None,
        auto_register: bool = True,
        webhook_max_retry: float = 5.0,
        zalo_bots: dict[str, str | None] | None = None,
        zalo_limits: ZaloLimits | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.world = World(limits, auto_register=auto_register)
        self.webhooks: WebhookDelivery
        self.api = BotApi(self.world, on_webhook_change=lambda bot: self.webhooks.ensure_running(bot))
        self.webhooks = WebhookDelivery(self.world, self.api, max_retry=webhook_max_retry)
        self.people = People(self.world, self.api)
        # The Zalo side: its own bots, people and chats, at /zalo/bot<token>/… and /sandbox/zalo/…
        self.zalo = ZaloSide(lambda: self.base_url, limits=zalo_limits, bots=zalo_bots, auto_register=auto_register,
                             webhook_max_retry=webhook_max_retry)
        for token, username in (bots or {}).items():
            self.world.add_bot(token, username)
        self._runner: web.AppRunner | None = None
        self._sample_voice: bytes | None = None
        self.app = self._build_app()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def limits(self) -> Limits:
        return self.world.limits

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        # handler_cancellation: a client that hangs up (aiogram stopping its long poll) ends its handler
        self._runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            for address in self._runner.addresses:
                self.port = int(address[1])
                break
        log.info("sandbox listening at %s", self.base_url)

    async def stop(self) -> None:
        self.world.closing = True
        self.world.changed.fire()
        self.world.wake_chats()
        for bot in self.world.bots.values():
            bot.updates.arrived.fire()  # long polls return at once
            for pending in bot.pending_queries.values():
                pending.expire()  # people still waiting on a press get "not answered"
        await self.webhooks.close()
        await self.zalo.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------------ routes

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_control_errors_and_cors])
        add = app.router.add_route
        add("*", "/bot{token}/{method}", self.bot_api)
        add("GET", "/file/bot{token}/{path:.+}", self.bot_file)
        add("GET", "/sandbox/health", self.health)
        add("GET", "/sandbox/users", self.list_people)
        add("POST", "/sandbox/users", self.create_person)
        add("POST", "/sandbox/users/batch", self.create_people)
        add("GET", "/sandbox/users/{user_id}", self.get_person)
        add("GET", "/sandbox/bots", self.list_bots)
        add("POST", "/sandbox/bots", self.create_bot)
        add("GET", "/sandbox/limits", self.get_default_limits)
        add("POST", "/sandbox/limits", self.set_all_limits)
        add("GET", "/sandbox/bots/{bot}/stats", self.stats)
        add("POST", "/sandbox/bots/{bot}/stats/reset", self.reset_stats)
        add("GET", "/sandbox/bots/{bot}/faults", self.list_faults)
        add("POST", "/sandbox/bots/{bot}/faults", self.add_fault)
        add("DELETE", "/sandbox/bots/{bot}/faults", self.clear_faults)
        add("POST", "/sandbox/bots/{bot}/fault-rate", self.set_fault_rate)
        add("GET", "/sandbox/bots/{bot}/limits", self.get_limits)
        add("POST", "/sandbox/bots/{bot}/limits", self.set_limits)
        add("GET", "/sandbox/bots/{bot}/commands", self.commands)
        add("GET", "/sandbox/bots/{bot}/updates", self.pending_updates)
        add("GET", "/sandbox/bots/{bot}/chats/{user_id}", self.read_chat)
        add("GET", "/sandbox/bots/{bot}/received", self.received)
        add("POST", "/sandbox/bots/{bot}/users/{user_id}/{action}", self.person_acts)
        add("GET", "/sandbox/files/{key}", self.download)
        add("GET", "/sandbox/sample-voice", self.sample_voice)
        self.zalo.add_routes(app)
        add("GET", "/sandbox/ui", self.chat_page_redirect)
        add("GET", "/sandbox/ui/", self.chat_page)
        app.router.add_static("/sandbox/ui/", WEB_DIR)
        return app

    # ------------------------------------------------------------------------ bot side

    async def bot_api(self, request: web.Request) -> web.Response:
        try:
            bot = self.world.bot(request.match_info["token"])
        except ApiError as error:
            return _error(error)
        try:
            params = await self._read_params(request, bot)
        except ApiError as error:
            bot.stats.responses[error.code] += 1
            return _error(error)
        status, body = await self.api.execute(bot, request.match_info["method"], params)
        return _json(body, status=status)

    async def _read_params(self, request: web.Request, bot: BotAccount) -> Params:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, Upload] = {}
        if request.method != "POST" or not request.body_exists:
            return Params.decode(raw)
        try:
            if request.content_type == "multipart/form-data":
                fields, files = await self._read_multipart(request, bot.limits.max_upload_bytes)
                raw.update(fields)
            elif request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad_request("can't parse JSON object")
                raw.update(body)
            else:
                form = await request.post()
                raw.update({key: value for key, value in form.items() if isinstance(value, str)})
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        return Params.decode(raw, files)

    @staticmethod
    async def _read_multipart(request: web.Request, max_bytes: int) -> tuple[dict[str, str], dict[str, Upload]]:
        """Fields and files of a multipart body, streamed so an oversized upload is refused early."""
        if request.content_length is not None and request.content_length > max_bytes + 1024 * 1024:
            raise ApiError(413, "Request Entity Too Large")
        fields: dict[str, str] = {}
        files: dict[str, Upload] = {}
        total = 0
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader):
                continue  # nested multiparts are not part of the Bot API
            chunks: list[bytes] = []
            while chunk := await part.read_chunk(256 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise ApiError(413, "Request Entity Too Large")
                chunks.append(chunk)
            data = b"".join(chunks)
            if part.filename is not None:
                files[part.name or ""] = Upload(data, part.filename, part.headers.get("Content-Type"))
            else:
                fields[part.name or ""] = data.decode("utf-8", errors="replace")
        return fields, files

    async def bot_file(self, request: web.Request) -> web.Response:
        try:
            self.world.bot(request.match_info["token"])
        except ApiError as error:
            return _error(error)
        stored = self.world.files.by_path(request.match_info["path"])
        if stored is None:
            return _error(ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type=stored.mime_type)

    # ------------------------------------------------------------------------ control: helpers

    _body = staticmethod(json_object)

    def _bot(self, request: web.Request) -> BotAccount:
        return self.world.find_bot(request.match_info["bot"])

    _int = staticmethod(as_int)

    @staticmethod
    def _required(body: dict[str, Any], name: str) -> Any:
        if body.get(name) is None:
            raise bad_request(f"{name} is required")
        return body[name]

    # ------------------------------------------------------------------------ control: people and bots

    async def health(self, request: web.Request) -> web.Response:
        return _json({"ok": True, "bots": len(self.world.bots), "users": len(self.world.people)})

    async def list_people(self, request: web.Request) -> web.Response:
        return _json({"users": [person.as_json() for person in self.world.people.values()]})

    async def get_person(self, request: web.Request) -> web.Response:
        return _json(self.world.person(self._int(request.match_info["user_id"], "user id")).as_json())

    def _add_person(self, fields: dict[str, Any]) -> dict[str, Any]:
        user_id = fields.get("id", fields.get("user_id"))
        return self.world.add_person(
            user_id=self._int(user_id, "id") if user_id is not None else None, first_name=fields.get("first_name") or "",
            last_name=fields.get("last_name"), username=fields.get("username"), phone_number=fields.get("phone_number"),
            label=fields.get("label"), language_code=fields.get("language_code"),
        ).as_json()

    async def create_person(self, request: web.Request) -> web.Response:
        return _json(self._add_person(await self._body(request)))

    async def create_people(self, request: web.Request) -> web.Response:
        people = (await self._body(request)).get("users")
        if not isinstance(people, list):
            raise bad_request("users must be a list")
        return _json({"users": [self._add_person({"first_name": "Người dùng"} | person) for person in people]})

    async def list_bots(self, request: web.Request) -> web.Response:
        return _json({"bots": [bot.as_json() for bot in self.world.bots.values()]})

    async def create_bot(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        bot = self.world.add_bot(str(self._required(body, "token")), body.get("username"), body.get("first_name"))
        return _json(bot.user)

    async def commands(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        return _json({"commands": bot.commands.get(command_scope(Params()), [])})

    async def pending_updates(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        return _json({"updates": bot.updates.peek(100), "pending": len(bot.updates)})

    # ------------------------------------------------------------------------ control: limits, faults, stats

    async def get_default_limits(self, request: web.Request) -> web.Response:
        return _json(self.world.limits.as_dict())

    async def set_all_limits(self, request: web.Request) -> web.Response:
        changes = await self._body(request)
        self.world.limits = self._updated_limits(self.world.limits, changes)
        for bot in self.world.bots.values():
            bot.set_limits(self._updated_limits(bot.limits, changes))
        return _json(self.world.limits.as_dict())

    async def get_limits(self, request: web.Request) -> web.Response:
        return _json(self._bot(request).limits.as_dict())

    async def set_limits(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        bot.set_limits(self._updated_limits(bot.limits, await self._body(request)))
        return _json(bot.limits.as_dict())

    @staticmethod
    def _updated_limits(limits: Limits, changes: dict[str, Any]) -> Limits:
        try:
            return limits.updated(changes)
        except (TypeError, ValueError) as error:
            raise bad_request(str(error)) from None

    async def stats(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        return _json(bot.stats.as_json() | {"pending_updates": len(bot.updates),
                                            "webhook_url": bot.webhook.url if bot.webhook else None})

    async def reset_stats(self, request: web.Request) -> web.Response:
        self._bot(request).stats = Stats()
        return _json({"ok": True})





    # ------------------------------------------------------------------------ control: chats

    async def read_chat(self, request: web.Request) -> web.Response:
        """A person's chat. `after=<version>` returns only what changed since; `wait=<s>` holds until something does."""
        bot = self._bot(request)
        user_id = self._int(request.match_info["user_id"], "user id")
        self.world.person(user_id)
        after = await follow_chat(self.world, request, (bot.token, user_id))
        return _json(self.people.chat_view(bot, user_id, after=after))

    async def received(self, request: web.Request) -> web.Response:
        """What each chat got from the bot: the benchmark counts duplicates and losses here."""
        return _json(received_by_chat(self.world, self._bot(request), lambda e: e.message.get("text") or e.message.get("caption") or ""))

    async def download(self, request: web.Request) -> web.Response:
        stored = self.world.files.find(request.match_info["key"])
        if stored is None:
            raise ApiError(404, "Not Found: no such file")
        # Content-addressed: the bytes behind a key never change. Byte ranges, as Telegram's file
        # server answers them: a browser asks for the end of an OGG voice note to learn its length
        # (without them the page's player showed 0:00 and could not seek).
        headers = {"Cache-Control": "max-age=3600", "Accept-Ranges": "bytes"}
        if stored.file_name:
            headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(stored.file_name, safe='')}"
        data = stored.data
        wanted = _byte_range(request.headers.get("Range"), len(data))
        if wanted is None:
            return web.Response(body=data, content_type=stored.mime_type, headers=headers)
        start, end = wanted
        if start >= len(data):
            return web.Response(status=416, headers={**headers, "Content-Range": f"bytes */{len(data)}"})
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        return web.Response(status=206, body=data[start : end + 1], content_type=stored.mime_type, headers=headers)

    async def sample_voice(self, request: web.Request) -> web.Response:
        """A two-second OGG/Opus voice note the chat page sends when a person taps 🎤."""
        if self._sample_voice is None:
            self._sample_voice = await asyncio.to_thread(make_sample_voice)
        return web.Response(body=self._sample_voice, content_type="audio/ogg")

    async def chat_page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(INDEX_HTML_PATH)

    async def chat_page_redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/sandbox/ui/" + (f"?{request.query_string}" if request.query_string else ""))

    # ------------------------------------------------------------------------ control: a person acts

    async def person_acts(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        user_id = self._int(request.match_info["user_id"], "user id")
        self.world.person(user_id)
        action = request.match_info["action"]
        if action in FILE_ACTIONS:
            body, upload = await self._file_action_body(request)
            result = self.people.send_file(bot, user_id, action, upload,
                                           duration=self._int(body["duration"], "duration") if body.get("duration") is not None else None,
                                           caption=body.get("caption") or None)
            return _json({"ok": True, **result})
        body = await self._body(request)
        if action == "text":
            reply_to = body.get("reply_to_message_id")
            result = self.people.send_text(bot, user_id, str(body.get("text") or ""),
                                           reply_to_message_id=self._int(reply_to, "reply_to_message_id") if reply_to is not None else None)
        elif action == "contact":
            result = self.people.send_contact(bot, user_id, phone_number=body.get("phone_number"),
                                              contact_user_id=body.get("user_id", OWN_CONTACT),
                                              first_name=body.get("first_name"), last_name=body.get("last_name"))
        elif action == "tap":
            result = self.people.tap(bot, user_id, str(self._required(body, "text")))
        elif action == "press":
            wait = float(body.get("wait", DEFAULT_PRESS_WAIT))
            result = await self.people.press(bot, user_id, self._int(self._required(body, "message_id"), "message_id"),
                                             str(self._required(body, "data")), wait=min(wait, 60.0),
                                             any_data=bool(body.get("any_data", False)))
        elif action == "poll_answer":
            option_ids = body.get("option_ids")
            if not isinstance(option_ids, list):
                raise bad_request("option_ids must be a list")
            result = self.people.answer_poll(bot, user_id, str(self._required(body, "poll_id")),
                                             [self._int(i, "option id") for i in option_ids])
        elif action in ("block", "unblock"):
            result = self.people.set_blocked(bot, user_id, action == "block")
        else:
            raise ApiError(404, f"Not Found: a person cannot {action!r}")
        return _json({"ok": True, **result})

    async def _file_action_body(self, request: web.Request) -> tuple[dict[str, Any], Upload]:
        """A person's file: JSON with `data_base64`, or multipart with a `file` part (better for big files)."""
        if request.content_type == "multipart/form-data":
            fields, files = await self._read_multipart(request, MAX_BODY_BYTES)
            upload = files.get("file") or next(iter(files.values()), None)
            if upload is None:
                raise bad_request("send the bytes in a part named 'file'")
            if fields.get("mime_type"):
                upload.content_type = fields["mime_type"]
            if fields.get("file_name"):
                upload.filename = fields["file_name"]
            return dict(fields), upload
        body = await self._body(request)
        try:
            data = base64.b64decode(str(body.get("data_base64") or ""), validate=True)
        except (binascii.Error, ValueError):
            raise bad_request("data_base64 is not base64") from None
        if not data:
            raise bad_request("data_base64 is empty")
        return body, Upload(data, body.get("file_name"), body.get("mime_type"))

