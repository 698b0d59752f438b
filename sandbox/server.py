"""The sandbox HTTP server: Telegram's Bot API for bots, a control API for simulated people.

Bot side:   /bot<token>/<method>, /file/bot<token>/<file_path>
User side:  /sandbox/... (JSON, CORS open, so a page on another loopback port can drive it)
Page:       /sandbox/ui/ (the chat page; see sandbox/web)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.botapi import BotApi, UploadedFiles, decode_params
from sandbox.state import DEFAULT_FAULT_DESCRIPTIONS, ApiError, BotState, ChatEntry, Fault, Limits, World

log = logging.getLogger("sandbox")
WEB_DIR = Path(__file__).parent / "web"
CALLBACK_ANSWER_TIMEOUT = 10.0


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: __import__("json").dumps(d, ensure_ascii=False))


@web.middleware
async def cors(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.method == "OPTIONS":
        response: web.StreamResponse = web.Response()
    else:
        response = await handler(request)
    if request.path.startswith("/sandbox"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    return response


class SandboxServer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        limits: Limits | None = None,
        bots: dict[str, str] | None = None,
        auto_register: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.world = World(limits)
        self.api = BotApi(self.world)
        self.auto_register = auto_register
        for token, username in (bots or {}).items():
            self.world.add_bot(token, username)
        self._runner: web.AppRunner | None = None
        self._webhook_session: aiohttp.ClientSession | None = None
        self._sample_voice: bytes | None = None
        self.app = self._build_app()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def limits(self) -> Limits:
        return self.world.limits

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # the bound socket tells the real port when 0 was asked for
        if server is not None and server.sockets:  # type: ignore[union-attr]
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._webhook_session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))

    async def stop(self) -> None:
        for bot in self.world.bots.values():
            if bot.webhook_task is not None:
                bot.webhook_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await bot.webhook_task
            bot.new_update.set()
        if self._webhook_session is not None:
            await self._webhook_session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ app

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=self.world.limits.max_upload_bytes + 5 * 1024 * 1024, middlewares=[cors])
        app.router.add_route("*", "/bot{token}/{method}", self.handle_bot_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        app.router.add_get("/sandbox/health", self.health)
        app.router.add_get("/sandbox/users", self.list_users)
        app.router.add_post("/sandbox/users", self.create_user)
        app.router.add_post("/sandbox/users/batch", self.create_users)
        app.router.add_post("/sandbox/bots", self.create_bot)
        app.router.add_get("/sandbox/bots", self.list_bots)
        app.router.add_get("/sandbox/bots/{bot}/stats", self.stats)
        app.router.add_post("/sandbox/bots/{bot}/faults", self.add_fault)
        app.router.add_post("/sandbox/bots/{bot}/fault-rate", self.set_fault_rate)
        app.router.add_post("/sandbox/bots/{bot}/limits", self.set_limits)
        app.router.add_get("/sandbox/bots/{bot}/commands", self.get_commands)
        app.router.add_get("/sandbox/bots/{bot}/chats/{user_id}", self.read_chat)
        app.router.add_get("/sandbox/bots/{bot}/received", self.received_counts)
        app.router.add_post("/sandbox/bots/{bot}/users/{user_id}/{action}", self.user_action)
        app.router.add_get("/sandbox/files/{file_id}", self.download_for_people)
        app.router.add_get("/sandbox/sample-voice", self.sample_voice)
        if WEB_DIR.exists():
            app.router.add_get("/sandbox/ui/", self.chat_page)
            app.router.add_static("/sandbox/ui/", WEB_DIR)
        return app

    async def health(self, request: web.Request) -> web.Response:
        return _json({"ok": True})

    async def chat_page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB_DIR / "index.html")

    def bot_for(self, token: str) -> BotState:
        bot = self.world.bot(token, auto_register=self.auto_register)
        if bot.webhook_task is None or bot.webhook_task.done():
            bot.webhook_task = asyncio.create_task(self._deliver_webhooks(bot))
        return bot

    # ------------------------------------------------------------------ bot side

    async def handle_bot_api(self, request: web.Request) -> web.Response:
        try:
            bot = self.bot_for(request.match_info["token"])
            params, files = await self._read_params(request)
            result = await self.api.call(bot, request.match_info["method"], params, files)
            return _json({"ok": True, "result": result})
        except ApiError as error:
            return _json(error.body(), status=error.code)
        except web.HTTPRequestEntityTooLarge:
            return _json(ApiError(413, "Request Entity Too Large").body(), status=413)

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], UploadedFiles]:
        raw: dict[str, Any] = dict(request.query)
        files: UploadedFiles = {}
        content_type = request.content_type
        if request.method == "POST" and request.can_read_body:
            if content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "Bad Request: can't parse JSON")
                raw.update(body)
            elif content_type == "multipart/form-data":
                reader = await request.multipart()
                total = 0
                async for part in reader:
                    if part is None or not isinstance(part, aiohttp.BodyPartReader):
                        continue
                    data = await part.read(decode=False)
                    total += len(data)
                    if total > self.world.limits.max_upload_bytes:
                        raise ApiError(413, "Request Entity Too Large")
                    if part.filename is not None:
                        files[part.name or ""] = (bytes(data), part.filename, part.headers.get("Content-Type"))
                    else:
                        raw[part.name or ""] = data.decode("utf-8", errors="replace")
            else:
                form = await request.post()
                raw.update({k: v for k, v in form.items() if isinstance(v, str)})
        return decode_params(raw), files

    async def handle_file(self, request: web.Request) -> web.Response:
        try:
            self.world.bot(request.match_info["token"], auto_register=self.auto_register)
        except ApiError as error:
            return _json(error.body(), status=error.code)
        path = request.match_info["path"]
        for stored in self.world.files.values():
            if stored.path == path:
                return web.Response(body=stored.data, content_type=stored.mime_type)
        return _json(ApiError(404, "Not Found").body(), status=404)

    async def _deliver_webhooks(self, bot: BotState) -> None:
        """Push updates to the bot's webhook, one at a time and in order, retrying forever."""
        delay = 0.2
        while True:
            if not bot.webhook_url or not bot.updates:
                bot.new_update.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(bot.new_update.wait(), 1.0)
                continue
            update = bot.updates[0]
            headers = {"Content-Type": "application/json"}
            if bot.webhook_secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = bot.webhook_secret
            try:
                assert self._webhook_session is not None
                async with self._webhook_session.post(bot.webhook_url, json=update, headers=headers) as response:
                    if 200 <= response.status < 300:
                        if bot.updates and bot.updates[0] is update:
                            bot.updates.pop(0)
                        delay = 0.2
                        continue
                    message = f"Wrong response from the webhook: {response.status} {response.reason}"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the bot is down or slow: remember, wait, try again
                message = f"Connection failed: {type(exc).__name__}"
            bot.last_error_date = int(time.time())
            bot.last_error_message = message
            bot.count("webhook_failures")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    # ------------------------------------------------------------------ user side

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="body must be JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="body must be a JSON object")
        return body

    async def list_users(self, request: web.Request) -> web.Response:
        return _json({"users": list(self.world.users.values())})

    async def create_user(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if not body.get("first_name"):
            return _json({"ok": False, "description": "first_name is required"}, status=400)
        user = self.world.add_user(user_id=body.get("id"), first_name=body["first_name"], last_name=body.get("last_name"),
                                   username=body.get("username"), phone_number=body.get("phone_number"), label=body.get("label"))
        return _json(user)

    async def create_users(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        created = [self.world.add_user(user_id=u.get("id"), first_name=u.get("first_name") or "Người dùng",
                                       last_name=u.get("last_name"), username=u.get("username"),
                                       phone_number=u.get("phone_number"), label=u.get("label")) for u in body.get("users", [])]
        return _json({"users": created})

    async def create_bot(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        bot = self.world.add_bot(str(body["token"]), body.get("username"))
        return _json(bot.user)

    async def list_bots(self, request: web.Request) -> web.Response:
        return _json({"bots": [{"username": b.username, "id": b.id} for b in self.world.bots.values()]})

    def _bot(self, request: web.Request) -> BotState:
        try:
            return self.world.default_bot(request.match_info["bot"])
        except ApiError as error:
            raise web.HTTPNotFound(text=error.description) from None

    async def stats(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        return _json({"calls": dict(bot.stats), "pending_updates": len(bot.updates), "webhook_url": bot.webhook_url})

    async def add_fault(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        body = await self._body(request)
        code = int(body.get("code", 500))
        description = body.get("description") or DEFAULT_FAULT_DESCRIPTIONS.get(code, "Error")
        bot.faults.append(Fault(method=str(body["method"]), code=code, remaining=int(body.get("count", 1)),
                                retry_after=body.get("retry_after"), description=description))
        return _json({"ok": True})

    async def set_fault_rate(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        body = await self._body(request)
        bot.fault_rate = float(body.get("rate", 0))
        bot.fault_codes = tuple(int(c) for c in body.get("codes", (429, 500, 502)))
        bot.random.seed(body.get("seed", 7))
        return _json({"ok": True})

    async def set_limits(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        body = await self._body(request)
        for key, value in body.items():
            if hasattr(bot.limits, key):
                setattr(bot.limits, key, type(getattr(bot.limits, key))(value))
        from sandbox.state import TokenBucket

        bot.bucket = TokenBucket(bot.limits.per_bot_per_second, bot.limits.per_bot_burst)
        bot.chat_buckets.clear()
        return _json({"ok": True})

    async def get_commands(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        return _json({"commands": bot.commands.get("{}", [])})

    def entry_json(self, entry: ChatEntry) -> dict[str, Any]:
        message = entry.message
        attachment = None
        for kind in ("voice", "audio", "document", "photo"):
            if kind in message:
                media = message[kind][-1] if kind == "photo" else message[kind]
                stored = self.world.files.get(media["file_id"])
                attachment = {"kind": kind, "file_id": media["file_id"], "url": f"/sandbox/files/{media['file_id']}",
                              "mime_type": stored.mime_type if stored else None, "file_name": media.get("file_name"),
                              "duration": media.get("duration"), "size": media.get("file_size")}
        return {
            "message_id": entry.message_id,
            "from": entry.sender,
            "date": message.get("date"),
            "text": message.get("text"),
            "caption": message.get("caption"),
            "html": entry.html,
            "reply_markup": message.get("reply_markup"),
            "keyboard": entry.keyboard,
            "attachment": attachment,
            "poll": message.get("poll"),
            "contact": message.get("contact"),
            "edits": entry.edits,
            "deleted": entry.deleted,
            "callback_answers": entry.callback_answers,
            "version": entry.version,
        }

    async def read_chat(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        user_id = int(request.match_info["user_id"])
        after = int(request.query.get("after", 0))
        wait = min(float(request.query.get("wait", 0)), 30.0)
        if wait:
            await self.world.wait_for_change(after, wait)
        entries = self.world.chats.get((bot.token, user_id), [])
        return _json({
            "version": self.world.version,
            "messages": [self.entry_json(e) for e in entries if e.version > after],
            "keyboard": self.world.keyboards.get((bot.token, user_id)),
            "blocked": (bot.token, user_id) in self.world.blocked,
        })

    async def received_counts(self, request: web.Request) -> web.Response:
        """How many messages each chat got from the bot: the benchmark's duplicate/lost count."""
        bot = self._bot(request)
        counts = {str(chat): sum(1 for e in entries if e.sender == "bot")
                  for (token, chat), entries in self.world.chats.items() if token == bot.token}
        texts: dict[str, list[str]] = {}
        for (token, chat), entries in self.world.chats.items():
            if token == bot.token:
                texts[str(chat)] = [e.message.get("text") or e.message.get("caption") or "" for e in entries if e.sender == "bot"]
        return _json({"counts": counts, "texts": texts})

    async def sample_voice(self, request: web.Request) -> web.Response:
        """A two-second OGG/Opus voice note the chat page sends when a person taps 🎤."""
        if self._sample_voice is None:
            self._sample_voice = make_sample_voice()
        return web.Response(body=self._sample_voice, content_type="audio/ogg")

    async def download_for_people(self, request: web.Request) -> web.Response:
        stored = self.world.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        headers = {}
        if stored.file_name:
            headers["Content-Disposition"] = f'inline; filename="{stored.file_name}"'
        return web.Response(body=stored.data, content_type=stored.mime_type, headers=headers)

    async def user_action(self, request: web.Request) -> web.Response:
        bot = self._bot(request)
        user_id = int(request.match_info["user_id"])
        if user_id not in self.world.users:
            return _json({"ok": False, "description": "unknown user: create it first"}, status=404)
        body = await self._body(request)
        action = request.match_info["action"]
        try:
            result = await self.perform(bot, user_id, action, body)
        except ApiError as error:
            return _json({"ok": False, "description": error.description}, status=error.code)
        return _json({"ok": True, **result})

    async def perform(self, bot: BotState, user_id: int, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """One thing a person does in their chat with the bot."""
        world = self.world
        user = world.public_user(user_id)
        if action == "block":
            world.blocked.add((bot.token, user_id))
            return {}
        if action == "unblock":
            world.blocked.discard((bot.token, user_id))
            return {}
        if action == "press":
            return await self._press(bot, user_id, int(body["message_id"]), str(body["data"]))
        if action == "poll_answer":
            poll = world.polls.get(str(body["poll_id"]))
            if poll is None or poll["bot"] != bot.token:
                raise ApiError(400, "unknown poll")
            option_ids = [int(o) for o in body.get("option_ids", [])]
            poll["answers"][user_id] = option_ids
            if not poll["message"]["poll"]["is_anonymous"]:
                options = poll["message"]["poll"]["options"]
                bot.push_update(poll_answer={
                    "poll_id": str(body["poll_id"]), "user": user, "option_ids": option_ids,
                    "option_persistent_ids": [options[i]["persistent_id"] for i in option_ids if 0 <= i < len(options)],
                })
            return {}
        message: dict[str, Any] = {"message_id": world.next_message_id(bot.token, user_id), "date": int(time.time()),
                                   "chat": world.chat_of(user_id), "from": user}
        if action == "text":
            text = str(body.get("text", ""))
            if not text:
                raise ApiError(400, "text is empty")
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        elif action == "contact":
            contact = {"phone_number": str(body["phone_number"]), "first_name": body.get("first_name") or user["first_name"]}
            contact_user_id = body.get("user_id", user_id)  # one's own card unless told otherwise
            if contact_user_id is not None:
                contact["user_id"] = int(contact_user_id)
            message["contact"] = contact
        elif action in ("voice", "document", "photo"):
            data = base64.b64decode(body.get("data_base64", ""))
            if not data:
                raise ApiError(400, "data_base64 is empty")
            mime = body.get("mime_type") or {"voice": "audio/ogg", "photo": "image/jpeg"}.get(action, "application/octet-stream")
            stored = world.store_file(data, kind=action, mime_type=mime, file_name=body.get("file_name"))
            message.update(BotApi.media_object(stored, action, {"duration": body.get("duration", 1)}))
            if body.get("caption"):
                message["caption"] = str(body["caption"])
        else:
            raise ApiError(404, f"unknown action {action}")
        await world.record(bot.token, user_id, lambda v: ChatEntry(message["message_id"], "user", message, v))
        update = bot.push_update(message=message)
        return {"message_id": message["message_id"], "update_id": update["update_id"]}

    async def _press(self, bot: BotState, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        entry = self.world.find(bot.token, user_id, message_id)
        query_id = f"{user_id}{message_id}{int(time.time() * 1000) % 10**9}"
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        bot.callback_waiters[query_id] = waiter
        bot.push_update(callback_query={"id": query_id, "from": self.world.public_user(user_id), "message": entry.message,
                                        "chat_instance": f"ci{user_id}", "data": data})
        try:
            answer = await asyncio.wait_for(asyncio.shield(waiter), CALLBACK_ANSWER_TIMEOUT)
        except asyncio.TimeoutError:
            bot.callback_waiters.pop(query_id, None)
            return {"answered": False}
        entry.callback_answers.append(answer)
        return {"answered": True, **answer}


def make_sample_voice(seconds: float = 2.0) -> bytes:
    """A short spoken-range tone as mono OGG/Opus (what Telegram's voice messages are)."""
    import io

    import numpy as np
    import soundfile

    rate = 48_000
    t = np.arange(int(rate * seconds)) / rate
    wave = 0.3 * np.sin(2 * np.pi * 220 * t) * np.sin(np.pi * t / seconds)
    buffer = io.BytesIO()
    soundfile.write(buffer, wave.astype("float32"), rate, format="OGG", subtype="OPUS")
    return buffer.getvalue()


async def serve_forever(host: str, port: int, bots: dict[str, str], limits: Limits | None = None) -> None:
    server = SandboxServer(host, port, bots=bots, limits=limits)
    await server.start()
    print(f"sandbox Bot API at {server.base_url}  (chat page: {server.base_url}/sandbox/ui/)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
