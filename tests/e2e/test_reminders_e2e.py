"""Reminders over real HTTP (issue #6): the `sotay run` process against the sandbox, its clock moved
forward by the test (tests/e2e/shifted_clock.py), stopped and started again in the middle.

The secretary moves the evening reminder to 20:00 with ⏰ Cài đặt nhắc họp; a meeting is created
over the REST API; one member answers at once. Two days before, only those who have not answered
are nudged; the evening before, everyone is reminded at 20:00 (not 19:00); the process is then
restarted and nothing is sent twice; two hours before, the last reminder comes once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from core import texts
from core.delivery.models import OutboxMessage
from core.orgs.tokens import create_token
from core.delivery.models import OutboxState
from core.scheduling.models import MeetingReminder, ReminderKind, ReminderState
from tests.e2e.conftest import sotay_env, stop_cleanly
from tests.e2e.processes import SotayProcess, free_port, start_sotay, wait_for_ticks, wait_until_healthy
from tests.e2e.shifted_clock import ENV as CLOCK_ENV, set_clock
from tests.factories import make_commune

pytestmark = pytest.mark.e2e
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
SECRETARY, DEPUTY, ANSWERED, SILENT = 1001, 1002, 1003, 1004
CELL_A = (1001, 1002, 1003, 1004, 1005, 1006, 5001)  # with the commune committee member, who sits in cell A
EVE, BEFORE, NUDGE = "Nhắc lịch họp", "Sắp đến giờ họp", "chưa trả lời thư mời họp"


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), LOCAL)


async def texts_in(people, user: int, part: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.text for m in await people.bot_messages(user) if part in m.text]


async def reminders_sent(sessions, kind: ReminderKind) -> int:  # type: ignore[no-untyped-def]
    """Reminders of this kind queued for sending (planned ones wait as `pending` until due)."""
    async with sessions() as session:
        return int(await session.scalar(
            select(func.count()).select_from(MeetingReminder).where(MeetingReminder.kind == kind, MeetingReminder.state == ReminderState.SENT)
        ) or 0)


async def outbox_drained(sessions, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    """Until the delivery worker has taken every queued message (none pending or being sent)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with sessions() as session:
            waiting = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]))
            )
        if not waiting:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{waiting} messages still waiting in the outbox"
        await asyncio.sleep(0.1)


async def test_reminders_on_time_once_across_a_restart(sandbox, people, e2e_database_url, e2e_sessions, e2e_cipher, tmp_path: Path) -> None:
    meeting_day = dt.datetime.now(LOCAL).date() + dt.timedelta(days=10)
    clock_file = tmp_path / "clock"
    set_clock(clock_file, local(meeting_day - dt.timedelta(days=5), 10))
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=True)
        token = (await create_token(session, member=commune.cells[0].secretary, now=dt.datetime.now(dt.timezone.utc))).token
        await session.commit()
    cell_id = commune.cells[0].org.id
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in CELL_A])

    port = free_port()
    env = {**sotay_env(e2e_database_url, tmp_path / "data", sandbox.base_url, port, "polling"), CLOCK_ENV: str(clock_file)}

    def start(log_name: str) -> SotayProcess:
        return start_sotay(["run"], env, tmp_path / log_name, port, module="tests.e2e.shifted_clock")

    process = start("first.log")
    try:
        await wait_until_healthy(process)
        # The secretary: 📅 Lịch họp → ⏰ Cài đặt nhắc họp → 🌙 Tối hôm trước → lúc 20:00.
        await people.send_text(SECRETARY, texts.account.BTN_MEETINGS)
        menu = await people.wait_for_message(SECRETARY, lambda m: any(texts.reminders.BTN_SETTINGS in t for t, _ in m.buttons))
        await people.press(SECRETARY, menu.message_id, menu.button(texts.reminders.BTN_SETTINGS))
        screen = await people.wait_for_message(SECRETARY, lambda m: "Nhắc họp —" in m.text)
        assert "lúc 19:00" in screen.text
        await people.press(SECRETARY, screen.message_id, screen.button("🌙"))
        choices = await people.wait_for_message(SECRETARY, lambda m: m.text == texts.reminders.ASK_EVE)
        await people.press(SECRETARY, choices.message_id, choices.button("lúc 20:00"))
        await people.wait_for_message(SECRETARY, lambda m: "Nhắc họp —" in m.text and "lúc 20:00" in m.text)

        # A meeting on the day at 19:30, created over the REST API by the same secretary.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}) as api:
            created = await api.post("/api/v1/meetings", json={
                "org_id": cell_id, "kind": "regular", "starts_at": local(meeting_day, 19, 30).isoformat(), "place": "Nhà văn hóa thôn",
            })
            assert created.status_code == 201, created.text
        invitation = await people.wait_for_message(ANSWERED, lambda m: "THÔNG BÁO MỜI HỌP" in m.text, timeout=25)
        await people.press(ANSWERED, invitation.message_id, invitation.button("Tôi sẽ dự họp"))
        await people.wait_for_message(ANSWERED, lambda m: m.message_id == invitation.message_id and "Sẽ dự họp" in m.text)
        await people.wait_for_message(SILENT, lambda m: "THÔNG BÁO MỜI HỌP" in m.text, timeout=25)

        # Two days before: a nudge to those who have not answered, none to the one who has.
        set_clock(clock_file, local(meeting_day - dt.timedelta(days=2), 19, 31))
        await people.wait_for_message(SILENT, lambda m: NUDGE in m.text, timeout=25)
        # The evening before at 19:00 nothing yet (moved to 20:00); at 20:00, everyone.
        set_clock(clock_file, local(meeting_day - dt.timedelta(days=1), 19, 5))
        await wait_for_ticks(process)  # a whole tick has run at 19:05: what was due is queued by now
        assert await reminders_sent(e2e_sessions, ReminderKind.EVE) == 0
        await outbox_drained(e2e_sessions)
        assert await texts_in(people, ANSWERED, EVE) == []
        set_clock(clock_file, local(meeting_day - dt.timedelta(days=1), 20, 1))
        for user in (ANSWERED, SILENT):
            await people.wait_for_message(user, lambda m: EVE in m.text, timeout=25)
    except BaseException:
        await asyncio.to_thread(process.stop)
        raise
    await stop_cleanly(process)

    # Restarted (a deploy, a crash): what was sent is not sent again.
    process = start("second.log")
    try:
        await wait_until_healthy(process)
        await wait_for_ticks(process)  # the restarted scheduler has caught up: anything it would resend is queued
        await outbox_drained(e2e_sessions)
        # Two hours before: the last reminder, once.
        set_clock(clock_file, local(meeting_day, 17, 31))
        for user in (ANSWERED, SILENT):
            reminder = await people.wait_for_message(user, lambda m: BEFORE in m.text, timeout=25)
            assert "còn khoảng 2 tiếng" in reminder.text
        for user in CELL_A:  # everyone's has arrived (the counts below), however busy the machine
            await people.wait_for_message(user, lambda m: BEFORE in m.text, timeout=25)
        await wait_for_ticks(process)  # a second one would have been queued by now…
        await outbox_drained(e2e_sessions)  # …and sent
    except BaseException:
        await asyncio.to_thread(process.stop)
        raise
    await stop_cleanly(process)

    for user in CELL_A:
        assert len(await texts_in(people, user, EVE)) == 1, user
        assert len(await texts_in(people, user, BEFORE)) == 1, user
        assert len(await texts_in(people, user, NUDGE)) == (0 if user == ANSWERED else 1), user
    async with e2e_sessions() as session:
        sent = await session.scalar(select(func.count()).select_from(MeetingReminder).where(MeetingReminder.state == ReminderState.SENT))
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "reminder"))
    # 7 invited: 7 evening, 7 last and 6 nudge reminders.
    assert sent == queued == 20
