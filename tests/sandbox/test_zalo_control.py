"""The Zalo side's control API: people, chats read with after/wait, stats, limits, and `python -m sandbox`."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from sandbox.__main__ import build_parser
from sandbox.client import SandboxClient, SandboxError
from sandbox.limits import Limits
from sandbox.server import SandboxServer
from sandbox.zalo import ZaloLimits
from sandbox.zalo_client import ZaloSandboxClient

ZALO_TOKEN = "1459232241454765289:ZaloSandboxTestSecret0123456789"
HEX20 = re.compile(r"[0-9a-f]{20}")


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(limits=Limits(enabled=False), zalo_bots={ZALO_TOKEN: "Sổ tay"},
                             zalo_limits=ZaloLimits(enabled=False)) as server:
        yield server


@pytest.fixture
async def people(server: SandboxServer) -> AsyncIterator[ZaloSandboxClient]:
    async with ZaloSandboxClient(server.base_url) as client:  # "default": the first Zalo bot
        yield client


async def bot_sends(server: SandboxServer, chat_id: str, text: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{server.base_url}/zalo/bot{ZALO_TOKEN}/sendMessage",
                                   json={"chat_id": chat_id, "text": text})
    assert response.status_code == 200, response.text


async def test_people_get_zalo_like_ids_or_the_ones_given(people: ZaloSandboxClient) -> None:
    lan = await people.create_user("Trần Thị Lan", label="Đảng viên — Chi bộ 1")
    hung = await people.create_user("Lê Văn Hùng")
    given = await people.create_user("Phạm Thị Hoa", user_id="7b1d9a0c5e3f2a4b6c8d", telegram_id=1001)
    assert HEX20.fullmatch(lan["id"]) and HEX20.fullmatch(hung["id"]) and lan["id"] != hung["id"]
    assert given == {"id": "7b1d9a0c5e3f2a4b6c8d", "display_name": "Phạm Thị Hoa", "telegram_id": 1001,
                     "messenger": "zalo"}
    assert [p["display_name"] for p in await people.users()] == ["Trần Thị Lan", "Lê Văn Hùng", "Phạm Thị Hoa"]
    assert (await people.users())[0]["label"] == "Đảng viên — Chi bộ 1"


@pytest.mark.parametrize(("fields", "description"), [
    ({"display_name": ""}, "Bad Request: display_name is required"),
    ({"display_name": "X", "user_id": "bad id!"}, "Bad Request: a Zalo user id is 8 to 40 letters or digits"),
    ({"display_name": "X", "user_id": "abc"}, "Bad Request: a Zalo user id is 8 to 40 letters or digits"),
])
async def test_bad_people_are_refused(people: ZaloSandboxClient, fields: dict[str, str], description: str) -> None:
    with pytest.raises(SandboxError) as refused:
        await people.create_user(fields["display_name"], user_id=fields.get("user_id"))
    assert refused.value.status == 400 and str(refused.value.description).startswith(description)


async def test_zalo_people_are_not_telegram_people(server: SandboxServer, people: ZaloSandboxClient) -> None:
    await people.create_user("Trần Thị Lan")
    async with SandboxClient(server.base_url) as telegram:
        await telegram.create_user("Mai", user_id=501)
        assert [p["first_name"] for p in await telegram.users()] == ["Mai"]
    assert [p["display_name"] for p in await people.users()] == ["Trần Thị Lan"]


async def test_unknown_person_bot_or_action_is_404(people: ZaloSandboxClient, server: SandboxServer) -> None:
    lan = await people.create_user("Trần Thị Lan")
    for call in (people.send_text("ffffffffffffffffffff", "x"), people.chat("ffffffffffffffffffff"),
                 people._act(lan["id"], "voice")):
        with pytest.raises(SandboxError) as refused:
            await call
        assert refused.value.status == 404
    async with ZaloSandboxClient(server.base_url, "42") as nobody:
        with pytest.raises(SandboxError) as refused:
            await nobody.send_text(lan["id"], "x")
        assert refused.value.status == 404


async def test_a_person_may_send_long_garbage_but_not_nothing(people: ZaloSandboxClient) -> None:
    lan = await people.create_user("Trần Thị Lan")
    for text in ("", "   ", "x" * 50_001):
        with pytest.raises(SandboxError) as refused:
            await people.send_text(lan["id"], text)
        assert refused.value.status == 400
    assert await people.pending_updates() == []
    await people.send_text(lan["id"], "x" * 10_000)  # what a bot must answer politely
    [update] = await people.pending_updates()
    assert len(update["message"]["text"]) == 10_000


async def test_chat_shows_both_directions_and_waits_for_changes(server: SandboxServer, people: ZaloSandboxClient) -> None:
    lan = await people.create_user("Trần Thị Lan")
    sent = await people.send_text(lan["id"], "Xin chào")
    assert HEX20.fullmatch(sent["message_id"]) and sent["event_name"] == "message.text.received"
    first = await people.chat(lan["id"])
    assert [(m["from"], m["text"]) for m in first["messages"]] == [("user", "Xin chào")]
    waiting = asyncio.create_task(people.chat(lan["id"], after=first["version"], wait=20))
    await bot_sends(server, lan["id"], "Chào đồng chí")
    changed = await asyncio.wait_for(waiting, 10)
    assert [(m["from"], m["text"]) for m in changed["messages"]] == [("bot", "Chào đồng chí")]  # only what is new
    reply = await people.wait_for_message(lan["id"], lambda m: "đồng chí" in m.text)
    assert reply.from_bot and reply.kind == "text"


async def test_wait_for_message_waits_for_a_later_message(server: SandboxServer, people: ZaloSandboxClient) -> None:
    lan = await people.create_user("Trần Thị Lan")
    await people.send_text(lan["id"], "1")
    waiting = asyncio.create_task(people.wait_for_message(lan["id"], lambda m: m.text == "Đã ghi nhận"))
    await bot_sends(server, lan["id"], "Đang xử lý")
    await bot_sends(server, lan["id"], "Đã ghi nhận")
    assert (await asyncio.wait_for(waiting, 10)).text == "Đã ghi nhận"
    assert (await people.received())["counts"] == {lan["id"]: 2}


async def test_stats_count_calls_and_refusals_and_reset(server: SandboxServer, people: ZaloSandboxClient) -> None:
    lan = await people.create_user("Trần Thị Lan")
    await people.send_text(lan["id"], "x")
    await bot_sends(server, lan["id"], "một")
    async with httpx.AsyncClient() as http:
        await http.post(f"{server.base_url}/zalo/bot{ZALO_TOKEN}/sendMessage", json={"chat_id": lan["id"], "text": ""})
        await http.post(f"{server.base_url}/zalo/bot{ZALO_TOKEN}/getUpdates", json={"timeout": 0})
        await http.post(f"{server.base_url}/zalo/bot{ZALO_TOKEN}/getUpdates", json={"timeout": 0})
    stats = await people.stats()
    assert stats["methods"] == {"sendMessage": 2, "getUpdates": 2}
    assert stats["responses"] == {"200": 2, "400": 1, "408": 1}
    assert stats["refusals"] == {"Bad Request: text must be between 1 and 2000 characters": 1}  # a 408 is no refusal
    assert stats["events"]["messages_sent"] == 1
    await people.reset_stats()
    assert (await people.stats())["methods"] == {}


async def test_limits_can_be_read_and_changed(people: ZaloSandboxClient) -> None:
    assert (await people.limits())["max_text"] == 2000
    changed = await people.set_limits(enabled="true", per_chat_per_second=2, max_text="1000")
    assert (changed["enabled"], changed["per_chat_per_second"], changed["max_text"]) == (True, 2.0, 1000)
    with pytest.raises(SandboxError) as refused:
        await people.set_limits(buttons=True)
    assert refused.value.status == 400 and "unknown limits: buttons" in str(refused.value.description)


async def test_control_api_is_open_to_loopback_pages_only(server: SandboxServer) -> None:
    loopback = {"Origin": "http://localhost:5173"}
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        health = await http.get("/sandbox/zalo/health", headers=loopback)
        bots = await http.get("/sandbox/zalo/bots")
        preflight = await http.options("/sandbox/zalo/users", headers=loopback)
        foreign = await http.options("/sandbox/zalo/users", headers={"Origin": "https://evil.example"})
        forged = await http.post("/sandbox/zalo/users", content='{"display_name": "Evil"}',
                                 headers={"Origin": "https://evil.example", "Content-Type": "text/plain"})
        after = await http.get("/sandbox/zalo/health")
    assert health.json() == {"ok": True, "bots": 1, "users": 0}
    assert health.headers["Access-Control-Allow-Origin"] == "http://localhost:5173" and preflight.status_code == 200
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign.headers
    assert forged.status_code == 403 and after.json()["users"] == 0
    assert bots.json()["bots"] == [{"id": "1459232241454765289", "token": ZALO_TOKEN, "name": "Sổ tay",
                                    "webhook_url": None, "pending_updates": 0}]


async def test_bots_can_be_added_by_the_control_api(server: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        added = await http.post("/sandbox/zalo/bots", json={"token": "222:AnotherZaloSecret", "name": "Bot 2"})
        bad = await http.post("/sandbox/zalo/bots", json={"token": "not-a-token"})
    assert added.json()["id"] == "222" and bad.status_code == 400
    assert list(server.zalo.world.bots) == [ZALO_TOKEN, "222:AnotherZaloSecret"]


def test_command_line_takes_zalo_tokens_and_people() -> None:
    args = build_parser().parse_args(["--zalo-token", "1459232241454765289:SECRET12345:Sổ tay Zalo",
                                      "--zalo-token", "777:OtherSecret", "--zalo-user", "e4ea2cd5189df1c3a88c:Nguyễn Văn A"])
    assert args.zalo_token == [("1459232241454765289:SECRET12345", "Sổ tay Zalo"), ("777:OtherSecret", None)]
    assert args.zalo_user == [("e4ea2cd5189df1c3a88c", "Nguyễn Văn A")]
    for bad in (["--zalo-token", "abc:SECRET12345"], ["--zalo-token", "123:short"], ["--zalo-user", "x:Name"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(bad)


async def test_python_m_sandbox_serves_a_zalo_bot_next_to_telegram() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "--port", "0", "--zalo-token", f"{ZALO_TOKEN}:Sổ tay Zalo",
        "--zalo-user", "e4ea2cd5189df1c3a88c:Nguyễn Văn A", stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        base_url = re.search(r"http://[\d.]+:\d+", line)
        assert base_url, line
        async with httpx.AsyncClient(base_url=base_url.group(0)) as http:
            me = (await http.post(f"/zalo/bot{ZALO_TOKEN}/getMe")).json()["result"]
            users = (await http.get("/sandbox/zalo/users")).json()["users"]
        assert (me["id"], me["display_name"]) == ("1459232241454765289", "Sổ tay Zalo")
        assert [u["id"] for u in users] == ["e4ea2cd5189df1c3a88c"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_a_zalo_chat_long_poll_wakes_only_for_its_own_chat(server: SandboxServer, people: ZaloSandboxClient) -> None:
    lan = await people.create_user("Trần Thị Lan")
    await people.send_text(lan["id"], "Xin chào")
    other = await people.create_user("Lò Văn Pấng")  # a person added: nobody's chat changed
    await people.send_text(other["id"], "Chào")
    version = (await people.chat(lan["id"]))["version"]
    waiting = asyncio.create_task(people.chat(lan["id"], after=version, wait=600))
    await asyncio.sleep(0.2)
    await people.create_user("Hà Thị Mỷ")
    await bot_sends(server, other["id"], "Cho người khác")
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await bot_sends(server, lan["id"], "Cho Lan")
    answered = await asyncio.wait_for(waiting, 60)
    assert [m["text"] for m in answered["messages"]] == ["Cho Lan"]
