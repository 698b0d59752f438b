"""`python -m bench.reminders [--invitations 1000000] [--due 100000] [--database-url URL]`

Builds a scratch PostgreSQL database with N invitations (20,000 cells of 50 linked members,
one upcoming meeting each) and their planned reminders, then measures:
- the tick's due-reminder query (the claim), median and p95 over repeated ticks when a
  typical handful is due, and when a batch is due;
- the time to queue `--due` due reminders into the outbox through the real tick job.
Prints one JSON object. Goals: tick query < 50 ms at 1M invitations; 100,000 in < 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import time
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from core.db import create_engine, create_session_factory
from core.delivery.models import OutboxMessage
from core.models import metadata
from core.scheduling.models import MeetingReminder, ReminderState
from core.scheduling.reminders import send_due_reminders
from core.scheduling.ticks import TickContext

MEMBERS_PER_CELL = 50
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def build(url: str, invitations: int, due: int, now: dt.datetime) -> None:
    cells = invitations // MEMBERS_PER_CELL
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        started = time.perf_counter()
        await connection.execute(text("INSERT INTO orgs (id, parent_id, kind, name, path, depth, show_lunar_date, settings, created_at) "
                                      "VALUES (1, NULL, 'committee', 'Tỉnh', '/1/', 0, false, '{}', now())"))
        await connection.execute(text(
            "INSERT INTO orgs (id, parent_id, kind, name, path, depth, show_lunar_date, settings, created_at) "
            "SELECT g + 1, 1, 'cell', 'Chi bộ ' || g, '/1/' || (g + 1) || '/', 1, false, '{}', now() FROM generate_series(1, :cells) g"
        ), {"cells": cells})
        await connection.execute(text(
            "INSERT INTO members (id, org_id, full_name, date_of_birth, gender, joined_on, card_number, citizen_id_encrypted, "
            "citizen_id_hash, exempt, exempt_receives_notices, voice_enabled, speech_speed, voice_name, active, created_at, updated_at) "
            "SELECT g, 2 + (g - 1) / :per, 'Đảng viên ' || g, DATE '1960-01-01', 'male', DATE '1990-01-01', 'B' || g, "
            "'\\x01'::bytea, md5(g::text), false, false, true, 'normal', 'vi', true, now(), now() "
            "FROM generate_series(1, :n) g"
        ), {"n": invitations, "per": MEMBERS_PER_CELL})
        await connection.execute(text(
            "INSERT INTO channel_links (member_id, platform, platform_user_id, chat_id, linked_at) "
            "SELECT g, 'telegram', g::text, g::text, now() FROM generate_series(1, :n) g"
        ), {"n": invitations})
        # One meeting per cell, spread over the next 30 days.
        await connection.execute(text(
            "INSERT INTO meetings (id, cell_id, kind, starts_at, place, agenda, status, version, conclusions_revision, created_at, updated_at) "
            "SELECT g, g + 1, 'regular', CAST(:now AS timestamp) + (g % 30 + 3) * interval '1 day', 'Nhà văn hóa', '', 'scheduled', 1, 0, now(), now() "
            "FROM generate_series(1, :cells) g"
        ), {"cells": cells, "now": now.replace(tzinfo=None)})
        await connection.execute(text(
            "INSERT INTO meeting_invitations (id, meeting_id, member_id, obliged, answer, revision, invited_at) "
            "SELECT g, 1 + (g - 1) / :per, g, true, 'none', 0, now() FROM generate_series(1, :n) g"
        ), {"n": invitations, "per": MEMBERS_PER_CELL})
        # Three reminders per invitation, in the future; `due` of them due now (whole meetings at a time).
        for offset, kind in enumerate(("nudge", "eve", "before")):
            await connection.execute(text(
                "INSERT INTO meeting_reminders (invitation_id, meeting_id, kind, due_at, planned_for, state, created_at) "
                "SELECT i.id, i.meeting_id, :kind, m.starts_at - (3 - :offset) * interval '10 hours', m.starts_at, 'pending', now() "
                "FROM meeting_invitations i JOIN meetings m ON m.id = i.meeting_id"
            ), {"kind": kind, "offset": offset})
        await connection.execute(text(
            "UPDATE meeting_reminders SET due_at = CAST(:due_at AS timestamp) WHERE kind = 'eve' AND invitation_id <= :due"
        ), {"due": due, "due_at": (now - dt.timedelta(minutes=5)).replace(tzinfo=None)})
        await connection.execute(text("ANALYZE"))
        print(f"# built {invitations} invitations in {time.perf_counter() - started:.1f}s", flush=True)
    await engine.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def measure(url: str, due: int, now: dt.datetime) -> dict[str, float | int]:
    engine = create_engine(url)
    factory = create_session_factory(engine)
    due_query = (
        select(MeetingReminder.id)
        .where(MeetingReminder.state == ReminderState.PENDING, MeetingReminder.due_at <= now)
        .order_by(MeetingReminder.due_at)
        .limit(500)
    )
    quiet_now = now - dt.timedelta(days=1)  # a typical tick: nothing much is due
    quiet_query = due_query.where(MeetingReminder.due_at <= quiet_now)
    timings: list[float] = []
    async with factory() as session:
        for _ in range(50):
            started = time.perf_counter()
            (await session.execute(quiet_query)).all()
            timings.append((time.perf_counter() - started) * 1000)
        batch: list[float] = []
        for _ in range(20):
            started = time.perf_counter()
            (await session.execute(due_query)).all()
            batch.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    ticks = 0
    sent = 0
    while sent < due:
        async with factory() as session:
            done = await send_due_reminders(session, TickContext(now=now, tz=TZ))
            await session.commit()
        ticks += 1
        sent += done
        if done == 0:
            break
    enqueue_seconds = time.perf_counter() - started
    async with factory() as session:
        queued = await session.scalar(select(func.count(OutboxMessage.id)))
    await engine.dispose()
    return {
        "tick_query_median_ms": round(statistics.median(timings), 2),
        "tick_query_p95_ms": round(percentile(timings, 0.95), 2),
        "due_batch_query_median_ms": round(statistics.median(batch), 2),
        "due_batch_query_p95_ms": round(percentile(batch, 0.95), 2),
        "enqueue_seconds": round(enqueue_seconds, 2),
        "enqueued": int(queued or 0),
        "ticks": ticks,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invitations", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
                        help="a PostgreSQL server; a scratch database is created next to this one and dropped after")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    now = dt.datetime.now(dt.timezone.utc)
    name = f"sotay_bench_reminders_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.database_url)
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.database_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        await build(url, args.invitations, args.due, now)
        result = await measure(url, args.due, now)
    finally:
        if not args.keep:
            async with admin.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
    print(json.dumps({"invitations": args.invitations, "reminder_rows": 3 * args.invitations, "due": args.due, **result}))


if __name__ == "__main__":
    asyncio.run(main())
