"""The sandbox's Zalo side answers bots as the Zalo Bot Platform does: shapes, long polling, refusals, limits."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox.client import shared_tls_context
from sandbox.limits import Limits
from sandbox.server import SandboxServer
from sandbox.zalo import ZaloLimits
from sandbox.zalo_client import ZaloSandboxClient

ZALO_TOKEN = "1459232241454765289:ZaloSandboxTestSecret0123456789"
HEX20 = re.compile(r"[0-9a-f]{20}")


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(limits=Limits(enabled=False), zalo_bots={ZALO_TOKEN: "Sổ tay"},
                             zalo_limits=ZaloLimits(enabled=False), webhook_max_retry=0.4) as server:
        yield server


@pytest.fixture
async def http(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server.base_url}/zalo", verify=shared_tls_context(), timeout=30) as client:
        yield client


@pytest.fixture
async def people(server: SandboxServer) -> AsyncIterator[ZaloSandboxClient]:
    async with ZaloSandboxClient(server.base_url, ZALO_TOKEN) as client:
        yield client


async def call(http: httpx.AsyncClient, method: str, body: dict[str, Any] | None = None,
               token: str = ZALO_TOKEN) -> tuple[int, dict[str, Any]]:
    response = await http.post(f"/bot{token}/{method}", json=body or {})
    return response.status_code, response.json()


async def lan(people: ZaloSandboxClient) -> str:
    """A person who has written to the bot once (so the bot may answer), that message taken off the queue."""
    person = await people.create_user("Trần Thị Lan")
    await people.send_text(person["id"], "Xin chào")
    return str(person["id"])


async def test_get_me_answers_the_documented_fields(http: httpx.AsyncClient) -> None:
    status, body = await call(http, "getMe")
    assert status == 200 and body["ok"] is True
    assert body["result"]["id"] == "1459232241454765289"
    assert body["result"]["account_type"] == "BASIC" and body["result"]["can_join_groups"] is False
    assert body["result"]["account_name"].startswith("bot.")


async def test_unknown_or_malformed_token_is_unauthorized() -> None:
    async with SandboxServer(zalo_bots={ZALO_TOKEN: None}, auto_register=False) as server, \
            httpx.AsyncClient(base_url=f"{server.base_url}/zalo") as http:
        assert (await call(http, "getMe"))[0] == 200
        status, body = await call(http, "getMe", token="999:OtherSecretToken")
        assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    async with SandboxServer() as server, httpx.AsyncClient(base_url=f"{server.base_url}/zalo") as http:
        assert (await call(http, "getMe", token="999:short"))[0] == 401  # a secret under 8 characters
        assert (await call(http, "getMe", token="999:LongEnoughSecret"))[0] == 200  # auto-registered


async def test_a_zalo_bot_is_not_a_telegram_bot(server: SandboxServer, http: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as raw:
        telegram = (await raw.post(f"/bot{ZALO_TOKEN}/getMe")).json()
    assert telegram["result"]["id"] == 1459232241454765289 and telegram["result"]["is_bot"] is True  # Telegram's shape
    zalo = (await call(http, "getMe"))[1]
    assert zalo["result"]["id"] == "1459232241454765289" and "is_bot" not in zalo["result"]
    assert ZALO_TOKEN in server.world.bots and ZALO_TOKEN in server.zalo.world.bots
    assert server.world.bots[ZALO_TOKEN] is not server.zalo.world.bots[ZALO_TOKEN]


async def test_get_updates_returns_one_update_and_takes_it_off_the_queue(
        http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    person = await people.create_user("Trần Thị Lan")
    await people.send_text(person["id"], "một")
    await people.send_text(person["id"], "hai")
    status, first = await call(http, "getUpdates", {"timeout": "30"})  # the docs pass the timeout as a string
    assert status == 200 and first["ok"] is True
    update = first["result"]
    assert isinstance(update, dict) and update["event_name"] == "message.text.received"
    message = update["message"]
    assert message["text"] == "một" and HEX20.fullmatch(message["message_id"])
    assert message["from"] == {"id": person["id"], "display_name": "Trần Thị Lan", "is_bot": False}
    assert message["chat"] == {"id": person["id"], "chat_type": "PRIVATE"}
    assert isinstance(message["date"], int) and message["date"] > 10**12  # milliseconds
    second = (await call(http, "getUpdates", {"timeout": 0}))[1]["result"]
    assert second["message"]["text"] == "hai"
    assert await people.pending_updates() == []  # no offset, no redelivery: taken is gone


async def test_an_empty_long_poll_ends_with_408_in_http_200(http: httpx.AsyncClient) -> None:
    status, body = await call(http, "getUpdates", {"timeout": 0})
    assert (status, body) == (200, {"ok": False, "error_code": 408, "description": "Request timeout"})


async def test_a_waiting_long_poll_wakes_when_a_person_writes(http: httpx.AsyncClient, people: ZaloSandboxClient,
                                                              server: SandboxServer) -> None:
    person = await people.create_user("Lê Văn Hùng")
    bot = server.zalo.world.bots[ZALO_TOKEN]
    poll = asyncio.create_task(call(http, "getUpdates", {"timeout": 20}))
    while bot.poller_generation == 0:  # the poll has arrived and waits
        await asyncio.sleep(0.01)
    await people.send_text(person["id"], "có")
    status, body = await asyncio.wait_for(poll, 10)
    assert status == 200 and body["result"]["message"]["text"] == "có"


async def test_a_second_poller_ends_the_first_with_409(http: httpx.AsyncClient, people: ZaloSandboxClient,
                                                       server: SandboxServer) -> None:
    person = await people.create_user("Lê Văn Hùng")
    bot = server.zalo.world.bots[ZALO_TOKEN]
    first = asyncio.create_task(call(http, "getUpdates", {"timeout": 20}))
    while bot.poller_generation == 0:
        await asyncio.sleep(0.01)
    second = asyncio.create_task(call(http, "getUpdates", {"timeout": 20}))
    status, body = await asyncio.wait_for(first, 10)
    assert (status, body["error_code"]) == (409, 409)
    assert body["description"] == "Conflict: terminated by other getUpdates request"
    await people.send_text(person["id"], "dự")
    assert (await asyncio.wait_for(second, 10))[1]["result"]["message"]["text"] == "dự"


async def test_pollers_may_share_the_queue_when_polling_is_not_exclusive(
        http: httpx.AsyncClient, people: ZaloSandboxClient, server: SandboxServer) -> None:
    await people.set_limits(exclusive_polling=False)
    person = await people.create_user("Lê Văn Hùng")
    bot = server.zalo.world.bots[ZALO_TOKEN]
    polls = [asyncio.create_task(call(http, "getUpdates", {"timeout": 20})) for _ in range(2)]
    while bot.poller_generation < 2:
        await asyncio.sleep(0.01)
    await people.send_text(person["id"], "một")
    await people.send_text(person["id"], "hai")
    texts = sorted(body["result"]["message"]["text"] for _, body in await asyncio.wait_for(asyncio.gather(*polls), 10))
    assert texts == ["hai", "một"]  # each update went to exactly one poller


async def test_send_message_answers_an_id_and_shows_in_the_chat(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    status, body = await call(http, "sendMessage", {"chat_id": chat_id, "text": "Trả lời 1 để dự họp"})
    assert status == 200 and set(body["result"]) == {"message_id", "date"}
    assert HEX20.fullmatch(body["result"]["message_id"]) and body["result"]["date"] > 10**12
    [sent] = await people.bot_messages(chat_id)
    assert (sent.message_id, sent.kind, sent.text) == (body["result"]["message_id"], "text", "Trả lời 1 để dự họp")
    assert [m.from_bot for m in await people.messages(chat_id)] == [False, True]  # both directions, in order


async def test_buttons_and_formatting_are_ignored_not_refused(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    markup = {"inline_keyboard": [[{"text": "Dự", "callback_data": "yes"}]]}
    status, _ = await call(http, "sendMessage", {"chat_id": chat_id, "text": "<b>Họp</b>", "reply_markup": markup,
                                                 "parse_mode": "HTML"})
    assert status == 200
    [sent] = await people.bot_messages(chat_id)
    assert sent.text == "<b>Họp</b>"  # shown verbatim: no formatting
    assert sent.ignored_fields == ["parse_mode", "reply_markup"]
    assert "reply_markup" not in sent.raw and "buttons" not in sent.raw


@pytest.mark.parametrize(("body", "description"), [
    ({"text": "x"}, "Bad Request: chat_id is required"),
    ({"chat_id": "ffffffffffffffffffff", "text": "x"}, "Bad Request: chat not found"),
    ({"chat_id": "LAN", "text": ""}, "Bad Request: text must be between 1 and 2000 characters"),
    ({"chat_id": "LAN", "text": "   "}, "Bad Request: text must be between 1 and 2000 characters"),
    ({"chat_id": "LAN", "text": "a" * 2001}, "Bad Request: text must be between 1 and 2000 characters"),
    ({"chat_id": "LAN"}, "Bad Request: text must be between 1 and 2000 characters"),
])
async def test_send_message_refusals_use_the_platform_error_shape(http: httpx.AsyncClient, people: ZaloSandboxClient,
                                                                  body: dict[str, Any], description: str) -> None:
    chat_id = await lan(people)
    body = {key: chat_id if value == "LAN" else value for key, value in body.items()}
    status, answer = await call(http, "sendMessage", body)
    assert (status, answer) == (400, {"ok": False, "error_code": 400, "description": description})
    assert await people.bot_messages(chat_id) == []  # a refused call leaves no trace


async def test_text_of_exactly_2000_characters_is_accepted(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    assert (await call(http, "sendMessage", {"chat_id": chat_id, "text": "ă" * 2000}))[0] == 200


async def test_a_bot_cannot_write_first_to_someone_who_never_wrote(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    silent = await people.create_user("Phạm Thị Hoa")
    status, body = await call(http, "sendMessage", {"chat_id": silent["id"], "text": "Xin chào"})
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    await people.set_limits(require_contact=False)
    assert (await call(http, "sendMessage", {"chat_id": silent["id"], "text": "Xin chào"}))[0] == 200


async def test_methods_the_platform_lacks_are_not_found(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    for method in ("sendVoice", "sendDocument", "editMessageText", "answerCallbackQuery"):
        status, body = await call(http, method, {"chat_id": chat_id, "text": "x"})
        assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_send_chat_action_answers_ok_without_result_and_shows_typing(
        http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    status, body = await call(http, "sendChatAction", {"chat_id": chat_id, "action": "typing"})
    assert (status, body) == (200, {"ok": True})
    assert (await people.chat(chat_id))["action"] == "typing"
    status, body = await call(http, "sendChatAction", {"chat_id": chat_id, "action": "record_voice"})
    assert (status, body["description"]) == (400, "Bad Request: action is invalid")


async def test_send_sticker(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    assert (await call(http, "sendSticker", {"chat_id": chat_id, "sticker": "0e078a2fb66a5f34067b"}))[0] == 200
    status, body = await call(http, "sendSticker", {"chat_id": chat_id})
    assert (status, body["description"]) == (400, "Bad Request: sticker is required")
    [sent] = await people.bot_messages(chat_id)
    assert (sent.kind, sent.sticker) == ("sticker", "0e078a2fb66a5f34067b")


async def test_per_chat_rate_limit_refuses_with_429_and_spends_nothing(
        http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    await people.set_limits(enabled=True, per_chat_per_second=0.01, per_chat_burst=3)
    statuses = [(await call(http, "sendMessage", {"chat_id": chat_id, "text": f"tin {i}"}))[0] for i in range(3)]
    status, body = await call(http, "sendMessage", {"chat_id": chat_id, "text": "tin 3"})
    assert statuses == [200, 200, 200]
    assert (status, body["error_code"]) == (429, 429)
    assert body["description"].startswith("Too Many Requests: retry after ") and body["parameters"]["retry_after"] >= 1
    assert [m.text for m in await people.bot_messages(chat_id)] == ["tin 0", "tin 1", "tin 2"]
    # sendChatAction is not counted
    assert (await call(http, "sendChatAction", {"chat_id": chat_id, "action": "typing"}))[0] == 200
    stats = await people.stats()
    assert stats["http_429"] == 1 and stats["methods"]["sendMessage"] == 4


async def test_per_bot_rate_limit_covers_all_chats(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chats = [await lan(people) for _ in range(3)]
    await people.set_limits(enabled=True, per_bot_per_second=0.01, per_bot_burst=2)
    statuses = [(await call(http, "sendMessage", {"chat_id": chat, "text": "x"}))[0] for chat in chats]
    assert statuses == [200, 200, 429]


async def test_the_default_limits_are_on_and_conservative() -> None:
    limits = ZaloLimits()
    assert limits.enabled and limits.per_bot_per_second == 10 and limits.per_chat_per_second == 1
    assert limits.per_chat_burst == 3 and limits.max_text == 2000


async def test_injected_faults(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    await people.inject_fault("sendMessage", 500)
    status, body = await call(http, "sendMessage", {"chat_id": chat_id, "text": "một"})
    assert (status, body) == (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    await people.inject_fault("send*", 502, after_effect=True)  # sent, but the answer is lost
    assert (await call(http, "sendMessage", {"chat_id": chat_id, "text": "hai"}))[0] == 502
    assert (await call(http, "sendMessage", {"chat_id": chat_id, "text": "ba"}))[0] == 200
    assert [m.text for m in await people.bot_messages(chat_id)] == ["hai", "ba"]


async def test_form_bodies_and_query_strings_are_read_too(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    form = await http.post(f"/bot{ZALO_TOKEN}/sendMessage", data={"chat_id": chat_id, "text": "form"})
    query = await http.get(f"/bot{ZALO_TOKEN}/sendMessage", params={"chat_id": chat_id, "text": "query"})
    broken = await http.post(f"/bot{ZALO_TOKEN}/sendMessage", content=b"{not json", headers={"Content-Type": "application/json"})
    assert (form.status_code, query.status_code, broken.status_code) == (200, 200, 400)
    assert [m.text for m in await people.bot_messages(chat_id)] == ["form", "query"]


async def test_a_chat_marked_as_contacted_may_be_written_to(server: SandboxServer, http: httpx.AsyncClient,
                                                            people: ZaloSandboxClient) -> None:
    """What `sotay demo` needs after a restart: people who linked earlier wrote to the bot before."""
    earlier = await people.create_user("Phạm Thị Hoa")
    assert (await call(http, "sendMessage", {"chat_id": earlier["id"], "text": "x"}))[0] == 400
    server.zalo.world.mark_contacted(server.zalo.world.bots[ZALO_TOKEN], earlier["id"])
    assert (await call(http, "sendMessage", {"chat_id": earlier["id"], "text": "x"}))[0] == 200


async def test_a_photo_url_that_fails_costs_no_rate_budget(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    await people.set_limits(enabled=True, per_chat_per_second=0.01, per_chat_burst=1)
    status, _ = await call(http, "sendPhoto", {"chat_id": chat_id, "photo": "http://127.0.0.1:9/none.png"})
    assert status == 400
    assert (await call(http, "sendMessage", {"chat_id": chat_id, "text": "vẫn gửi được"}))[0] == 200


async def test_a_fault_rate_fails_a_share_of_sends_only(http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    chat_id = await lan(people)
    await people.set_fault_rate(1.0, codes=(502,))
    assert (await call(http, "sendMessage", {"chat_id": chat_id, "text": "x"}))[0] == 502
    assert (await call(http, "sendChatAction", {"chat_id": chat_id, "action": "typing"}))[0] == 200
    assert (await call(http, "getMe"))[0] == 200
    await people.set_fault_rate(0.0)
    assert (await call(http, "sendMessage", {"chat_id": chat_id, "text": "x"}))[0] == 200
    assert (await people.stats())["calls"]["sendMessage"] == 2
