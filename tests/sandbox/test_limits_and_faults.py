"""Telegram's refusals: flood limits (429), bad requests (400), blocked users (403), big uploads (413),
unknown tokens and methods; and the faults a test or benchmark injects on purpose."""

from __future__ import annotations

import httpx
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from sandbox.botapi import METHODS
from sandbox.client import SandboxClient
from sandbox.limits import Limits, RateLimiter
from sandbox.server import SandboxServer
from tests.sandbox.conftest import MAI, TOKEN


def send(text: str, chat_id: int = MAI) -> dict:
    return {"chat_id": chat_id, "text": text}


def stop_the_refill(server: SandboxServer) -> None:
    """The bot's buckets no longer refill with time: what a test counts does not depend on how fast
    its requests go (on a busy machine a second can pass between the first and the last)."""
    bot = server.world.bot(TOKEN)
    bot.rate = RateLimiter(bot.limits, clock=lambda: 0.0)


async def test_per_chat_limit_answers_429_in_telegrams_shape(people: SandboxClient, http: httpx.AsyncClient, server: SandboxServer) -> None:
    await people.set_limits(enabled=True, per_chat_per_second=1, per_chat_burst=3)
    stop_the_refill(server)
    answers = [await http.post(f"/bot{TOKEN}/sendMessage", json=send(f"m{i}")) for i in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[3].json() == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                 "parameters": {"retry_after": 1}}
    assert [m.text for m in await people.bot_messages(MAI)] == ["m0", "m1", "m2"]  # refused sends leave no trace
    stats = await people.stats()
    assert stats["http_429"] == 2 and stats["calls"]["http_429"] == 2 and stats["responses"] == {"200": 3, "429": 2}


async def test_per_bot_limit_spans_chats(people: SandboxClient, http: httpx.AsyncClient, server: SandboxServer) -> None:
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in range(1001, 1006)])
    await people.set_limits(enabled=True, per_bot_per_second=0.5, per_bot_burst=4)
    stop_the_refill(server)
    codes = [(await http.post(f"/bot{TOKEN}/sendMessage", json=send("x", uid))).status_code for uid in range(1001, 1006)]
    assert codes == [200, 200, 200, 200, 429]
    assert (await http.post(f"/bot{TOKEN}/sendMessage", json=send("y", 1005))).json()["parameters"]["retry_after"] == 2


def test_rate_limiter_refills_with_time_and_limits_groups_per_minute() -> None:
    now = [0.0]
    limiter = RateLimiter(Limits(per_chat_per_second=1, per_chat_burst=1, per_group_per_minute=20), clock=lambda: now[0])
    assert limiter.retry_after(MAI) == 0
    assert limiter.retry_after(MAI) == 1
    now[0] = 1.0
    assert limiter.retry_after(MAI) == 0
    assert all(limiter.retry_after(-100) == 0 for _ in range(20))
    assert limiter.retry_after(-100) == 3  # 20 a minute: the next one in 3 s
    assert RateLimiter(Limits(enabled=False)).retry_after(MAI) == 0


async def test_bad_requests_use_telegrams_words(bot: Bot, people: SandboxClient) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(MAI, "x" * 4097)
    assert (await bot.send_message(MAI, "x" * 4096)).text
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(MAI, "  ")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "ai đó")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(MAI, "x", reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="đ" * 33)]]))  # 66 bytes
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag \"br\""):
        await bot.send_message(MAI, "dòng 1<br>dòng 2", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(MAI, "Nguyễn <Văn> A", parse_mode="HTML")  # a name not escaped
    assert len(await people.bot_messages(MAI)) == 1


async def test_blocked_user_is_403_and_the_bot_hears_of_it(bot: Bot, people: SandboxClient) -> None:
    await people.block(MAI)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(MAI, "x")
    await people.unblock(MAI)
    assert (await bot.send_message(MAI, "đã mở")).text == "đã mở"
    statuses = [(u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
                for u in await bot.get_updates() if u.my_chat_member]
    assert statuses == [("member", "kicked"), ("kicked", "member")]


async def test_injected_faults_map_to_aiogram_exceptions(bot: Bot, people: SandboxClient) -> None:
    await people.inject_fault("sendMessage", 429, count=1, retry_after=3)
    await people.inject_fault("send*", 502, count=1)
    with pytest.raises(TelegramRetryAfter) as rate:
        await bot.send_message(MAI, "a")
    assert rate.value.retry_after == 3
    with pytest.raises(TelegramServerError):
        await bot.send_voice(MAI, BufferedInputFile(b"OggS", "a.ogg"))
    assert (await bot.send_message(MAI, "c")).text == "c"
    assert [m.text for m in await people.bot_messages(MAI)] == ["c"]
    assert (await people.stats())["responses"] == {"200": 1, "429": 1, "502": 1}


async def test_a_fault_after_effect_delivers_but_loses_the_answer(bot: Bot, people: SandboxClient) -> None:
    """What a timeout after Telegram accepted a message looks like: the bot cannot know it was sent."""
    await people.inject_fault("sendMessage", 504, after_effect=True)
    with pytest.raises(TelegramServerError):
        await bot.send_message(MAI, "gửi rồi mà không biết")
    assert [m.text for m in await people.bot_messages(MAI)] == ["gửi rồi mà không biết"]


async def test_random_faults_hit_a_reproducible_share_of_sends(people: SandboxClient, http: httpx.AsyncClient) -> None:
    async def run() -> list[int]:
        await people.set_fault_rate(0.3, codes=(429, 500), seed=11)
        return [(await http.post(f"/bot{TOKEN}/sendMessage", json=send(f"{i}"))).status_code for i in range(60)]

    codes = await run()
    assert set(codes) == {200, 429, 500} and 8 <= codes.count(429) + codes.count(500) <= 30
    assert await run() == codes  # the same seed, the same faults
    assert (await http.post(f"/bot{TOKEN}/getMe")).status_code == 200  # only send* calls
    await people.clear_faults()
    after_clearing = [(await http.post(f"/bot{TOKEN}/sendMessage", json=send("ok"))).status_code for _ in range(10)]
    assert after_clearing == [200] * 10


async def test_upload_over_the_limit_is_413(bot: Bot, people: SandboxClient, http: httpx.AsyncClient) -> None:
    await people.set_limits(max_upload_bytes=1000)
    with pytest.raises(TelegramEntityTooLarge):
        await bot.send_document(MAI, BufferedInputFile(b"x" * 2000, "big.pdf"))
    answer = await http.post(f"/bot{TOKEN}/sendDocument", data={"chat_id": str(MAI)},
                             files={"document": ("big.bin", b"y" * 5000)})  # a plain multipart file field
    assert answer.status_code == 413 and answer.json() == {"ok": False, "error_code": 413, "description": "Request Entity Too Large"}
    small = await http.post(f"/bot{TOKEN}/sendDocument", data={"chat_id": str(MAI)}, files={"document": ("a.txt", b"ok")})
    assert small.json()["result"]["document"]["file_name"] == "a.txt"


async def test_every_body_encoding_is_understood(http: httpx.AsyncClient, people: SandboxClient) -> None:
    keyboard = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    form = await http.post(f"/bot{TOKEN}/sendMessage", data={"chat_id": str(MAI), "text": "form", "reply_markup": keyboard})
    query = await http.get(f"/bot{TOKEN}/sendMessage", params={"chat_id": MAI, "text": "query"})
    as_json = await http.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": MAI, "text": "json", "reply_markup": keyboard})
    assert [a.json()["result"]["text"] for a in (form, query, as_json)] == ["form", "query", "json"]
    assert form.json()["result"]["reply_markup"] == as_json.json()["result"]["reply_markup"] == {
        "inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    broken = await http.post(f"/bot{TOKEN}/sendMessage", data={"chat_id": str(MAI), "text": "x", "reply_markup": "{"})
    assert broken.status_code == 400 and "can't parse reply_markup JSON object" in broken.json()["description"]


async def test_unknown_method_and_tokens(server: SandboxServer, http: httpx.AsyncClient) -> None:
    unknown = await http.post(f"/bot{TOKEN}/launchRocket")
    bad_token = await http.post("/botnot-a-token/getMe")
    assert (unknown.status_code, unknown.json()) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert (bad_token.status_code, bad_token.json()) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    fresh = await http.get("/bot777:AUTO_registered_token_abcdef/getMe")  # Telegram-shaped: accepted on first use
    assert fresh.json()["result"]["username"] == "sandbox_777_bot"
    assert (await http.get(f"/bot{TOKEN}/GETME")).status_code == 200  # method names ignore case


async def test_a_sandbox_bug_answers_500_in_telegrams_shape(http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(api: object, bot: object, params: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setitem(METHODS, "getMe", broken)
    answer = await http.get(f"/bot{TOKEN}/getMe")
    assert (answer.status_code, answer.json()) == (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    assert (await http.get(f"/bot{TOKEN}/getWebhookInfo")).status_code == 200  # and keeps serving


async def test_auto_registration_can_be_switched_off() -> None:
    async with SandboxServer(bots={TOKEN: "only_bot"}, auto_register=False) as server, httpx.AsyncClient(base_url=server.base_url) as http:
        assert (await http.get("/bot777:AUTO_registered_token_abcdef/getMe")).status_code == 401
        assert (await http.get(f"/bot{TOKEN}/getMe")).json()["result"]["username"] == "only_bot"


async def test_paid_broadcasts_pass_the_bots_limit_only_with_the_flag(people: SandboxClient, http: httpx.AsyncClient,
                                                                     server: SandboxServer) -> None:
    """Telegram: about 30 messages a second, or up to 1,000 with allow_paid_broadcast (paid in Stars)."""
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in range(1001, 1041)])
    await people.set_limits(enabled=True, per_bot_per_second=30, per_bot_burst=30)
    stop_the_refill(server)
    free = [(await http.post(f"/bot{TOKEN}/sendMessage", json=send("x", uid))).status_code for uid in range(1001, 1041)]
    assert free == [200] * 30 + [429] * 10  # more than 30 in a second without the flag: refused
    paid = [(await http.post(f"/bot{TOKEN}/sendMessage", json=send("y", uid) | {"allow_paid_broadcast": True})).status_code
            for uid in range(1001, 1041)]
    assert paid == [200] * 40
    again = [(await http.post(f"/bot{TOKEN}/sendMessage", json=send("z", 1001) | {"allow_paid_broadcast": True})).status_code
             for _ in range(2)]
    assert again == [200, 429]  # a chat is paced as ever: its burst of 3 is spent
    assert (await people.stats())["calls"]["paid_broadcast"] == 41


async def test_aiogram_sends_the_paid_flag(people: SandboxClient, server: SandboxServer) -> None:
    from bot.dispatcher import create_bot
    from bot.messenger import TelegramMessenger
    from core.ports import OutboundMessage

    await people.create_users([{"id": 1001, "first_name": "Mai"}, {"id": 1002, "first_name": "Lan"}])
    bot = create_bot(TOKEN, server.base_url)
    try:
        messenger = TelegramMessenger(bot)
        await messenger.send("1001", OutboundMessage(text="thường"))
        await messenger.send("1002", OutboundMessage(text="khẩn", paid_broadcast=True))
    finally:
        await bot.session.close()
    assert (await people.stats())["calls"]["paid_broadcast"] == 1


async def test_a_round_trip_delays_the_call_on_its_way_in_and_its_answer_on_the_way_out(
    people: SandboxClient, http: httpx.AsyncClient, server: SandboxServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[list[str]] = []  # what Mai's chat held at each half of the trip

    async def travel() -> None:
        seen.append([e.message.get("text", "") for e in server.world.chat(server.world.bot(TOKEN), MAI).entries if e.sender == "bot"])

    monkeypatch.setattr(server.api, "_travel", travel)
    server.api.round_trip = 0.2
    answer = await http.post(f"/bot{TOKEN}/sendMessage", json=send("xin chào"))
    assert answer.status_code == 200
    assert seen == [[], ["xin chào"]]  # not yet delivered on the way in, delivered before the answer came back
    server.api.round_trip = 0.0
    await http.post(f"/bot{TOKEN}/sendMessage", json=send("lần hai"))
    assert len(seen) == 2  # loopback: no trip
