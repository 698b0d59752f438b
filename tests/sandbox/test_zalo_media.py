"""Zalo images and stickers both ways: people's images reach the bot as downloadable URLs; the bot's
photos must be http(s) URLs the platform can download, or they are refused with its own words."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from sandbox.client import SandboxError, shared_tls_context
from sandbox.limits import Limits
from sandbox.server import SandboxServer
from sandbox.zalo import ZaloLimits
from sandbox.zalo_client import ZaloSandboxClient
from tests.sandbox.conftest import Receiver

ZALO_TOKEN = "1459232241454765289:ZaloSandboxTestSecret0123456789"


def png(width: int = 2, height: int = 1) -> bytes:
    """A tiny valid PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(limits=Limits(enabled=False), zalo_bots={ZALO_TOKEN: "Sổ tay"},
                             zalo_limits=ZaloLimits(enabled=False)) as server:
        yield server


@pytest.fixture
async def http(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server.base_url}/zalo", verify=shared_tls_context(), timeout=30) as client:
        yield client


@pytest.fixture
async def people(server: SandboxServer) -> AsyncIterator[ZaloSandboxClient]:
    async with ZaloSandboxClient(server.base_url, ZALO_TOKEN) as client:
        yield client


async def call(http: httpx.AsyncClient, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await http.post(f"/bot{ZALO_TOKEN}/{method}", json=body)
    return response.status_code, response.json()


async def next_update(http: httpx.AsyncClient) -> dict[str, Any]:
    status, body = await call(http, "getUpdates", {"timeout": 5})
    assert status == 200 and body["ok"], body
    update: dict[str, Any] = body["result"]
    return update


async def test_a_persons_image_reaches_the_bot_as_a_url_it_can_download(
        http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    person = await people.create_user("Trần Thị Lan")
    image = png()
    await people.send_image(person["id"], image, caption="Biên bản họp")
    update = await next_update(http)
    assert update["event_name"] == "message.image.received"
    message = update["message"]
    assert message["caption"] == "Biên bản họp" and "text" not in message
    assert message["photo"].startswith("http://127.0.0.1:") and "/sandbox/zalo/media/" in message["photo"]
    async with httpx.AsyncClient() as bot_side:  # the bot downloads it like a Zalo CDN URL
        downloaded = await bot_side.get(message["photo"])
    assert downloaded.status_code == 200 and downloaded.content == image
    assert downloaded.headers["content-type"] == "image/png"
    [shown] = await people.messages(person["id"])
    assert (shown.kind, shown.text, await people.download(shown)) == ("image", "Biên bản họp", image)


async def test_an_image_may_also_come_as_multipart(server: SandboxServer, http: httpx.AsyncClient,
                                                    people: ZaloSandboxClient) -> None:
    person = await people.create_user("Trần Thị Lan")
    async with httpx.AsyncClient(base_url=server.base_url) as control:
        response = await control.post(f"/sandbox/zalo/bots/default/users/{person['id']}/image",
                                      files={"file": ("anh.png", png(3, 3), "image/png")}, data={"caption": "ảnh"})
    assert response.status_code == 200 and response.json()["event_name"] == "message.image.received"
    assert (await next_update(http))["message"]["caption"] == "ảnh"


async def test_bytes_that_are_no_image_are_refused(people: ZaloSandboxClient) -> None:
    person = await people.create_user("Trần Thị Lan")
    with pytest.raises(SandboxError, match="not a PNG, JPEG, GIF or WebP"):
        await people.send_image(person["id"], b"%PDF-1.4 not an image")
    assert await people.pending_updates() == []


async def test_stickers_and_unsupported_messages(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    person = await people.create_user("Trần Thị Lan")
    await people.send_sticker(person["id"], "0e078a2fb66a5f34067b")
    await people.send_unsupported(person["id"])
    sticker = await next_update(http)
    assert sticker["event_name"] == "message.sticker.received"
    assert sticker["message"]["sticker"] == "0e078a2fb66a5f34067b" and "text" not in sticker["message"]
    unsupported = await next_update(http)
    assert unsupported["event_name"] == "message.unsupported.received"
    assert set(unsupported["message"]) == {"message_id", "date", "from", "chat"}  # no content at all
    assert [m.kind for m in await people.messages(person["id"])] == ["sticker", "unsupported"]


async def test_send_photo_downloads_the_url_and_keeps_a_copy(http: httpx.AsyncClient, people: ZaloSandboxClient,
                                                             serve_app: Receiver) -> None:
    person = await people.create_user("Trần Thị Lan")
    await people.send_text(person["id"], "ảnh đâu?")
    image = png(4, 4)
    app = web.Application()
    async def signed_image(request: web.Request) -> web.Response:
        return web.Response(body=image, content_type="image/png")

    app.router.add_get("/signed/anh.png", signed_image)
    _, port = await serve_app(app)
    url = f"http://127.0.0.1:{port}/signed/anh.png"
    status, body = await call(http, "sendPhoto", {"chat_id": person["id"], "photo": url, "caption": "Ảnh hội nghị"})
    assert status == 200 and set(body["result"]) == {"message_id", "date"}
    sent = (await people.bot_messages(person["id"]))[0]
    assert (sent.kind, sent.photo, sent.text) == ("image", url, "Ảnh hội nghị")
    assert sent.image_url != url and await people.download(sent) == image  # the sandbox's own copy


@pytest.mark.parametrize(("photo", "description"), [
    (None, "The photo must not be empty"),
    ("", "The photo must not be empty"),
    ("data:image/png;base64," + base64.b64encode(png()).decode(), "The photo must start with http:// or https://"),
    (base64.b64encode(png()).decode(), "The photo must start with http:// or https://"),
    ("AgACAgIAAxkBAAIBZ2", "The photo must start with http:// or https://"),
])
async def test_send_photo_refuses_what_is_not_a_url(http: httpx.AsyncClient, people: ZaloSandboxClient,
                                                    photo: str | None, description: str) -> None:
    person = await people.create_user("Trần Thị Lan")
    await people.send_text(person["id"], "x")
    body = {"chat_id": person["id"]} | ({"photo": photo} if photo is not None else {})
    status, answer = await call(http, "sendPhoto", body)
    assert (status, answer) == (400, {"ok": False, "error_code": 400, "description": description})
    assert await people.bot_messages(person["id"]) == []


async def test_send_photo_refuses_a_url_that_gives_no_image(http: httpx.AsyncClient, people: ZaloSandboxClient,
                                                            serve_app: Receiver) -> None:
    person = await people.create_user("Trần Thị Lan")
    await people.send_text(person["id"], "x")
    app = web.Application()
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html>not an image</html>", content_type="text/html")

    app.router.add_get("/page.html", page)
    _, port = await serve_app(app)
    for url in (f"http://127.0.0.1:{port}/page.html", f"http://127.0.0.1:{port}/missing.png", "http://127.0.0.1:9/closed.png"):
        status, answer = await call(http, "sendPhoto", {"chat_id": person["id"], "photo": url})
        assert (status, answer["description"]) == (400, "The photo URL is invalid"), url
    assert await people.bot_messages(person["id"]) == []


async def test_send_photo_caption_is_limited_to_2000(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    person = await people.create_user("Trần Thị Lan")
    await people.send_image(person["id"], png())
    url = (await next_update(http))["message"]["photo"]
    status, answer = await call(http, "sendPhoto", {"chat_id": person["id"], "photo": url, "caption": "c" * 2001})
    assert (status, answer["description"]) == (400, "Bad Request: caption must be between 1 and 2000 characters")
    assert (await call(http, "sendPhoto", {"chat_id": person["id"], "photo": url, "caption": "c" * 2000}))[0] == 200


async def test_without_fetching_only_the_scheme_is_checked(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    person = await people.create_user("Trần Thị Lan")
    await people.send_text(person["id"], "x")
    await people.set_limits(fetch_photos=False)
    assert (await call(http, "sendPhoto", {"chat_id": person["id"], "photo": "https://sotay.example/m/t1"}))[0] == 200
    assert (await call(http, "sendPhoto", {"chat_id": person["id"], "photo": "file:///etc/passwd"}))[0] == 400
    [sent] = await people.bot_messages(person["id"])
    assert (sent.photo, sent.image_url) == ("https://sotay.example/m/t1", None)
