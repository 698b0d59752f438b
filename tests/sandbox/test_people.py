"""The user side: simulated people act in their chats and read what they got, over the control API."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sandbox.client import SandboxClient, SandboxError
from sandbox.media import make_sample_voice
from sandbox.server import SandboxServer
from sandbox.web import INDEX_HTML_PATH
from tests.sandbox.conftest import MAI, MAI_PHONE, TOKEN

BUTTONS = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Có", callback_data="yes"),
                                                  InlineKeyboardButton(text="Không", callback_data="no")]])


async def test_people_are_listed_with_display_names(people: SandboxClient, http: httpx.AsyncClient) -> None:
    await people.create_user("Páo", user_id=502, last_name="Giàng A", label="Bí thư")
    listed = {u["id"]: u for u in await people.users()}
    assert listed[502]["display_name"] == "Páo Giàng A" and listed[502]["label"] == "Bí thư"
    assert listed[MAI]["phone_number"] == MAI_PHONE
    missing = await http.get("/sandbox/users/999")
    assert missing.status_code == 404 and missing.json()["ok"] is False
    with pytest.raises(SandboxError, match="first_name is required"):
        await people.create_user("")


async def test_control_api_is_open_to_loopback_pages_only(http: httpx.AsyncClient) -> None:
    for origin in ("http://127.0.0.1:9999", "http://localhost:3000", "http://[::1]:8000"):
        preflight = await http.options("/sandbox/users", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == origin
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"] and preflight.headers["Vary"] == "Origin"
    own = (await http.get("/sandbox/health", headers={"Origin": str(http.base_url).rstrip("/")}))
    assert own.headers["Access-Control-Allow-Origin"] == str(http.base_url).rstrip("/")
    plain = await http.get("/sandbox/health")  # scripts send no Origin: served, no CORS header
    assert plain.status_code == 200 and "Access-Control-Allow-Origin" not in plain.headers
    assert "Access-Control-Allow-Origin" not in (await http.get(f"/bot{TOKEN}/getMe")).headers  # the Bot API is not


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.example:9999", "null", "file://"])
async def test_a_page_on_another_site_cannot_drive_people(http: httpx.AsyncClient, people: SandboxClient, origin: str) -> None:
    preflight = await http.options("/sandbox/users", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight.headers
    # A "simple" cross-site POST (no preflight) must not act either.
    before = len(await people.users())
    forged = await http.post("/sandbox/users", content='{"first_name": "Evil"}', headers={"Origin": origin, "Content-Type": "text/plain"})
    assert forged.status_code == 403 and forged.json()["ok"] is False
    assert len(await people.users()) == before


async def test_commands_in_text_become_bot_command_entities(bot: Bot, people: SandboxClient) -> None:
    await people.send_text(MAI, "/start inv_ABC123")
    [update] = await bot.get_updates()
    message = update.message
    assert message and message.text == "/start inv_ABC123" and message.from_user and message.from_user.id == MAI
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [("bot_command", 0, 6)]
    assert message.chat.id == MAI and message.chat.type == "private"


async def test_a_person_replies_to_a_bot_message(bot: Bot, people: SandboxClient) -> None:
    question = await bot.send_message(MAI, "Lý do vắng mặt?")
    await people.send_text(MAI, "Ốm", reply_to_message_id=question.message_id)
    [update] = await bot.get_updates()
    assert update.message and update.message.reply_to_message
    assert update.message.reply_to_message.message_id == question.message_id
    with pytest.raises(SandboxError, match="message to be replied not found"):
        await people.send_text(MAI, "?", reply_to_message_id=999)


async def test_contacts_own_and_someone_elses(bot: Bot, people: SandboxClient) -> None:
    await people.send_contact(MAI)  # own card, phone from the profile
    await people.send_contact(MAI, "0987654321", contact_user_id=777)
    await people.send_contact(MAI, "0911111111", contact_user_id=None)  # someone not on Telegram
    contacts = [u.message.contact for u in await bot.get_updates() if u.message]
    assert [(c.phone_number, c.user_id) for c in contacts if c] == [(MAI_PHONE, MAI), ("0987654321", 777), ("0911111111", None)]


async def test_peoples_files_reach_the_bot(bot: Bot, people: SandboxClient) -> None:
    voice = make_sample_voice(2.0)
    await people.send_voice(MAI, voice)
    await people.send_document(MAI, b"name,phone\n", "ds.csv", "text/csv", caption="Danh sách")
    updates = [u.message for u in await bot.get_updates() if u.message]
    assert updates[0].voice and updates[0].voice.duration == 2 and updates[0].voice.mime_type == "audio/ogg"
    assert updates[1].document and (updates[1].document.file_name, updates[1].caption) == ("ds.csv", "Danh sách")
    file = await bot.get_file(updates[0].voice.file_id)
    assert (await bot.download_file(file.file_path)).read() == voice
    chat = await people.messages(MAI)
    assert [m.from_bot for m in chat] == [False, False] and chat[0].attachment["kind"] == "voice"


async def test_big_files_can_be_sent_as_multipart(bot: Bot, people: SandboxClient, http: httpx.AsyncClient) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    answer = await http.post(f"/sandbox/bots/{TOKEN}/users/{MAI}/document", data={"caption": "Tài liệu"},
                             files={"file": ("tai-lieu.bin", data, "application/octet-stream")})
    assert answer.status_code == 200
    [update] = await bot.get_updates()
    assert update.message and update.message.document and update.message.document.file_size == len(data)
    assert await people.download((await people.messages(MAI))[0]) == data


async def test_press_needs_a_real_button_and_records_the_answer(bot: Bot, people: SandboxClient) -> None:
    sent = await bot.send_message(MAI, "Đồng ý?", reply_markup=BUTTONS)
    with pytest.raises(SandboxError, match="no button with callback data"):
        await people.press(MAI, sent.message_id, "forged")
    unanswered = await people.press(MAI, sent.message_id, "yes", wait=0.1)
    assert unanswered["answered"] is False
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query and query.data == "yes" and query.message and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Cảm ơn")  # late, but within the query's lifetime
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)  # once only
    [message] = await people.bot_messages(MAI)
    assert message.callback_answers == [{"text": "Cảm ơn", "show_alert": False}]
    tampered = await people.press(MAI, sent.message_id, "forged", wait=0, any_data=True)
    assert tampered["answered"] is False


async def test_callback_queries_expire(bot: Bot, people: SandboxClient) -> None:
    await people.set_limits(callback_query_ttl=0.2)
    sent = await bot.send_message(MAI, "Đồng ý?", reply_markup=BUTTONS)
    # The press ends when the query expires (0.2 s), not when the person's 10-minute wait would: the
    # minute's bound is a safety net far from both, not a timing to meet.
    assert (await asyncio.wait_for(people.press(MAI, sent.message_id, "no", wait=600), 60))["answered"] is False
    [update] = await bot.get_updates()
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(update.callback_query.id)


async def test_poll_voting_rules(bot: Bot, people: SandboxClient) -> None:
    regular = await bot.send_poll(MAI, "Họp lúc nào?", ["Sáng", "Chiều", "Tối"], is_anonymous=True)
    await people.answer_poll(MAI, regular.poll.id, [0])
    with pytest.raises(SandboxError, match="one answer"):
        await people.answer_poll(MAI, regular.poll.id, [0, 1])
    revoted = await people.answer_poll(MAI, regular.poll.id, [2])  # regular polls allow changing one's mind
    assert [o["voter_count"] for o in revoted["poll"]["options"]] == [0, 0, 1]
    retracted = await people.answer_poll(MAI, regular.poll.id, [])
    assert retracted["poll"]["total_voter_count"] == 0
    updates = await bot.get_updates()
    assert [u.poll.total_voter_count for u in updates if u.poll] == [1, 1, 0] and not any(u.poll_answer for u in updates)

    quiz = await bot.send_poll(MAI, "2 + 2?", ["4", "5"], type="quiz", correct_option_id=0)
    assert (await people.answer_poll(MAI, quiz.poll.id, [0]))["correct"] is True
    with pytest.raises(SandboxError, match="does not allow changing"):
        await people.answer_poll(MAI, quiz.poll.id, [1])
    await bot.stop_poll(MAI, regular.message_id)
    with pytest.raises(SandboxError, match="closed"):
        await people.answer_poll(MAI, regular.poll.id, [1])


async def test_blocked_person_cannot_write_until_unblocking(people: SandboxClient) -> None:
    await people.block(MAI)
    assert (await people.chat(MAI))["blocked"] is True
    with pytest.raises(SandboxError, match="unblock it first"):
        await people.send_text(MAI, "xin chào")
    await people.unblock(MAI)
    assert (await people.send_text(MAI, "xin chào"))["message_id"] == 1


async def test_chat_wait_returns_as_soon_as_something_changes(bot: Bot, people: SandboxClient) -> None:
    version = (await people.chat(MAI))["version"]
    waiting = asyncio.create_task(people.chat(MAI, after=version, wait=600))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    sent = await bot.send_message(MAI, "mới")
    changed = await asyncio.wait_for(waiting, 60)  # as soon as something changed: long before the 10-minute wait
    assert [m["text"] for m in changed["messages"]] == ["mới"] and changed["version"] > version
    await bot.edit_message_text("mới sửa", chat_id=MAI, message_id=sent.message_id)
    edited = await people.chat(MAI, after=changed["version"])
    assert [(m["text"], m["edits"]) for m in edited["messages"]] == [("mới sửa", ["mới"])]  # only what changed
    quiet = await people.chat(MAI, after=edited["version"], wait=0.3)
    assert quiet["messages"] == []


async def test_wait_for_message_sees_later_messages_and_times_out(bot: Bot, people: SandboxClient) -> None:
    async def reply_later() -> None:
        await asyncio.sleep(0.3)
        await bot.send_message(MAI, "trả lời")

    replying = asyncio.create_task(reply_later())
    found = await people.wait_for_message(MAI, lambda m: m.text == "trả lời", timeout=5)
    await replying
    assert found.from_bot
    with pytest.raises(TimeoutError, match="trả lời"):
        await people.wait_for_message(MAI, lambda m: m.text == "không có", timeout=0.3)


async def test_received_counts_what_each_chat_got(bot: Bot, people: SandboxClient) -> None:
    await people.create_users([{"id": 601, "first_name": "A"}, {"id": 602, "first_name": "B"}])
    for chat_id in (601, 601, 602):
        await bot.send_message(chat_id, f"tin cho {chat_id}")
    received = await people.received()
    assert received["counts"] == {"601": 2, "602": 1} and received["texts"]["602"] == ["tin cho 602"]


async def test_chat_page_is_served(http: httpx.AsyncClient) -> None:
    page = await http.get("/sandbox/ui/")
    assert page.status_code == 200 and page.text == INDEX_HTML_PATH.read_text(encoding="utf-8")
    assert (await http.get("/sandbox/ui/chat.js")).status_code == 200


def test_command_line_prints_its_address_and_serves() -> None:
    process = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", "0", "--token", f"{TOKEN}:cli_bot",
                                "--user", "501:Mai:0912345678"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = line.split()[4]
        assert line.startswith("sandbox Bot API at http://127.0.0.1:")
        assert httpx.get(f"{base_url}/bot{TOKEN}/getMe").json()["result"]["username"] == "cli_bot"
        assert httpx.get(f"{base_url}/sandbox/users").json()["users"][0]["phone_number"] == "0912345678"
    finally:
        process.terminate()
        assert process.wait(10) == 0  # SIGTERM is a clean stop


async def test_a_chat_long_poll_wakes_only_for_its_own_chat(bot: Bot, people: SandboxClient, server: SandboxServer) -> None:
    other = (await people.create_user("Páo", user_id=503))["id"]
    version = (await people.chat(MAI))["version"]
    waiting = asyncio.create_task(people.chat(MAI, after=version, wait=600))
    await asyncio.sleep(0.2)
    await bot.send_message(other, "cho người khác")  # another person's chat changed: Mai's long poll keeps waiting
    await bot.send_chat_action(other, "typing")
    await people.send_text(other, "xin chào")
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await bot.send_message(MAI, "cho Mai")
    answered = await asyncio.wait_for(waiting, 60)  # at once, long before the ten minutes
    assert [m["text"] for m in answered["messages"]] == ["cho Mai"]
    assert not server.world._chat_signals  # nobody waits now: no signal is kept for an idle chat


async def test_a_chat_long_poll_answers_at_once_when_the_chat_changed_before_it(bot: Bot, people: SandboxClient) -> None:
    version = (await people.chat(MAI))["version"]
    await bot.send_message(MAI, "đã có")
    first = await asyncio.wait_for(people.chat(MAI, wait=600), 60)  # a page's first read: what is there, at once
    assert [m["text"] for m in first["messages"]] == ["đã có"]
    later = await asyncio.wait_for(people.chat(MAI, after=version, wait=600), 60)  # missed while not polling
    assert [m["text"] for m in later["messages"]] == ["đã có"]


async def test_a_chat_long_poll_sees_edits_presses_answered_and_deletions(bot: Bot, people: SandboxClient) -> None:
    sent = await bot.send_message(MAI, "mời họp", reply_markup=BUTTONS)
    version = (await people.chat(MAI))["version"]
    waiting = asyncio.create_task(people.chat(MAI, after=version, wait=600))
    await asyncio.sleep(0.1)
    await bot.edit_message_text("mời họp (sửa)", chat_id=MAI, message_id=sent.message_id)
    edited = await asyncio.wait_for(waiting, 60)
    assert [m["text"] for m in edited["messages"]] == ["mời họp (sửa)"]
    waiting = asyncio.create_task(people.chat(MAI, after=edited["version"], wait=600))
    await asyncio.sleep(0.1)
    await bot.delete_message(MAI, sent.message_id)
    deleted = await asyncio.wait_for(waiting, 60)
    assert [m["deleted"] for m in deleted["messages"]] == [True]


@pytest.mark.parametrize("query", ["wait=-1", "wait=nan", "wait=inf", "wait=soon", "after=-5", "after=x&wait=1"])
async def test_a_chat_read_with_bad_parameters_is_refused(http: httpx.AsyncClient, people: SandboxClient, query: str) -> None:
    refused = await http.get(f"/sandbox/bots/default/chats/{MAI}?{query}")
    assert refused.status_code == 400 and refused.json()["ok"] is False and refused.json()["description"]
