"""Reminders at scale: `python -m bench.reminders [--invitations 1000000] [--due 100000] [--database-url URL] [--keep]`

Creates a scratch PostgreSQL database next to `--database-url` (default: $SOTAY_TEST_DATABASE_URL,
else the local server), fills it with INSERT … SELECT generate_series — N invitations (cells of
50 linked members, one upcoming meeting each over the next 30 days, already planned: 3 reminder
rows per invitation) — and measures:

- `tick_query_*`: the tick's claim query (`core.scheduling.reminders.claim_query`, the real one:
  index range scan on (state, due_at), FOR UPDATE SKIP LOCKED, LIMIT) on a typical tick, when nothing is due;
- `idle_tick_*`: every reminder job of a tick (plan, send, prune), each in its own transaction
  as `sotay.scheduler.run_tick` runs them, nothing to do (the steady state);
- `due_batch_query_*`: the claim query when a full batch (20,000) is due;
- `enqueue_seconds`: queueing `--due` due reminders into the outbox through the real tick job
  (on PostgreSQL: the batch claimed, joined to invitations and accounts and grouped in one
  statement, each distinct text rendered once, one INSERT … SELECT unnest(arrays) ON CONFLICT DO
  NOTHING, state updates by array), tick after tick; `enqueue_two_schedulers_*`: the same with two schedulers
  draining at once (two engines in this one process: their Python shares one core, their
  database work does not).

Prints one JSON object. Goals: tick query < 50 ms at 1M invitations; 100,000 queued in < 5 s, two
schedulers no slower than one.
The scratch database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import create_engine, create_session_factory, transaction
from core.delivery.models import OutboxMessage
from core.models import metadata
from core.scheduling import reminders
from core.ticks import TickContext

MEMBERS_PER_CELL = 50
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_URL = os.environ.get("SOTAY_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


async def build(url: str, invitations: int, due: int, now: dt.datetime) -> float:
    cells = invitations // MEMBERS_PER_CELL
    naive_now = now.replace(tzinfo=None)
    engine = create_engine(url)
    started = time.perf_counter()
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        statements = [
            "INSERT INTO orgs (id, parent_id, kind, name, path, depth, show_lunar_date, settings, created_at) "
            "VALUES (1, NULL, 'committee', 'Tỉnh', '/1/', 0, false, '{}', :now)",
            "INSERT INTO orgs (id, parent_id, kind, name, path, depth, show_lunar_date, settings, created_at) "
            "SELECT g + 1, 1, 'cell', 'Chi bộ ' || g, '/1/' || (g + 1) || '/', 1, false, '{}', :now FROM generate_series(1, :cells) g",
            "INSERT INTO members (id, org_id, full_name, date_of_birth, gender, joined_on, card_number, citizen_id_encrypted, "
            "citizen_id_hash, exempt, exempt_receives_notices, voice_enabled, speech_speed, voice_name, active, created_at, updated_at) "
            "SELECT g, 2 + (g - 1) / :per, 'Đảng viên ' || g, DATE '1960-01-01', 'male', DATE '1990-01-01', 'B' || g, "
            "'\\x01'::bytea, md5(g::text), false, false, true, 'normal', 'vi', true, :now, :now FROM generate_series(1, :n) g",
            "INSERT INTO channel_links (member_id, platform, platform_user_id, chat_id, linked_at) "
            "SELECT g, 'telegram', g::text, g::text, :now FROM generate_series(1, :n) g",
            # One meeting per cell, over the next 30 days, at 19:30 local (12:30 UTC).
            "INSERT INTO meetings (id, cell_id, kind, starts_at, place, agenda, status, version, conclusions_revision, created_at, updated_at) "
            "SELECT g, g + 1, 'regular', date_trunc('day', CAST(:now AS timestamp)) + (g % 30 + 3) * interval '1 day' + interval '12 hours 30 minutes', "
            "'Nhà văn hóa thôn', '', 'scheduled', 1, 0, :created, :created FROM generate_series(1, :cells) g",
            "INSERT INTO meeting_invitations (id, meeting_id, member_id, obliged, answer, revision, invited_at) "
            "SELECT g, 1 + (g - 1) / :per, g, true, CASE WHEN g % 3 = 0 THEN 'attending' ELSE 'none' END, 0, :created "
            "FROM generate_series(1, :n) g",
            # Planned already (the steady state): each meeting's plan row, and 3 reminders per invitation.
            "INSERT INTO meeting_reminder_plans (meeting_id, planned_for, meeting_version, invitations, planned_at) "
            "SELECT id, starts_at, 1, :per, :now FROM meetings",
            "INSERT INTO meeting_reminders (invitation_id, meeting_id, kind, due_at, planned_for, state, created_at) "
            "SELECT i.id, i.meeting_id, k.kind, m.starts_at - k.before, m.starts_at, 'pending', :now "
            "FROM meeting_invitations i JOIN meetings m ON m.id = i.meeting_id "
            "CROSS JOIN (VALUES ('nudge', interval '48 hours'), ('eve', interval '24 hours 30 minutes'), ('before', interval '2 hours')) "
            "AS k(kind, before)",
            # `due` eve reminders (whole meetings) are due five minutes ago.
            "UPDATE meeting_reminders SET due_at = CAST(:now AS timestamp) - interval '5 minutes' WHERE kind = 'eve' AND invitation_id <= :due",
        ]
        # Meetings were created (and invitations sent) a day ago.
        params = {"now": naive_now, "created": naive_now - dt.timedelta(days=1), "cells": cells, "n": invitations,
                  "per": MEMBERS_PER_CELL, "due": due}
        for statement in statements:
            await connection.execute(text(statement), params)
        for sequence_table in ("orgs", "members", "meetings", "meeting_invitations"):
            await connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{sequence_table}', 'id'), (SELECT max(id) FROM {sequence_table}))"))
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(name: str, values: list[float]) -> dict[str, float]:
    return {f"{name}_median_ms": round(statistics.median(values), 2), f"{name}_p95_ms": round(percentile(values, 0.95), 2)}


async def timed(factory: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[Any]], repeat: int) -> list[float]:
    """Milliseconds per query, each in its own transaction (already begun), rolled back: nothing changes."""
    timings = []
    for _ in range(repeat):
        async with factory() as session:
            await session.execute(text("SELECT 1"))  # connection checked out, transaction begun
            started = time.perf_counter()
            await work(session)
            timings.append((time.perf_counter() - started) * 1000)
            await session.rollback()
    return timings


async def timed_ticks(factory: async_sessionmaker[AsyncSession], context: TickContext, repeat: int) -> list[float]:
    """Milliseconds per idle tick of every reminder job, each in its own transaction as `run_tick` does."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        for job in (reminders.plan_reminders, reminders.send_due_reminders, reminders.prune_reminders):
            async with transaction(factory) as session:
                done = await job(session, context)
            assert done == 0, job.__name__
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def drain(factory: async_sessionmaker[AsyncSession], context: TickContext) -> tuple[int, int]:
    """Run the send job tick after tick, as `run_tick` does, until nothing is due: (ticks, queued)."""
    ticks = queued = 0
    while True:
        async with transaction(factory) as session:
            done = await reminders.send_due_reminders(session, context)
        if done == 0:
            return ticks, queued
        ticks += 1
        queued += done


async def outbox_rows(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count(OutboxMessage.id))) or 0)


async def reset(engine: Any, due: int) -> None:
    """Back to `due` eve reminders due and an empty outbox."""
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM outbox"))
        await connection.execute(text(
            "UPDATE meeting_reminders SET state = 'pending', sent_at = NULL, reason = NULL WHERE kind = 'eve' AND invitation_id <= :due"
        ), {"due": due})
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE meeting_reminders"))
        await connection.execute(text("VACUUM ANALYZE outbox"))


async def measure(url: str, due: int, now: dt.datetime) -> dict[str, Any]:
    engine = create_engine(url)
    factory = create_session_factory(engine)
    quiet_now = now - dt.timedelta(hours=1)  # a typical tick: the due reminders are not due yet

    async def claim(session: AsyncSession, at: dt.datetime) -> int:
        return len((await session.execute(reminders.claim_query(at, limit=reminders.SEND_BATCH, dialect="postgresql"))).all())

    await timed(factory, lambda s: claim(s, quiet_now), 5)  # warm the caches and the statement cache
    await timed_ticks(factory, TickContext(now=quiet_now, tz=TZ), 1)  # the first look at every meeting (sets the watermark)
    result: dict[str, Any] = {}
    result |= summary("tick_query", await timed(factory, lambda s: claim(s, quiet_now), 100))
    result |= summary("idle_tick", await timed_ticks(factory, TickContext(now=quiet_now, tz=TZ), 30))
    result |= summary("due_batch_query", await timed(factory, lambda s: claim(s, now), 10))

    context = TickContext(now=now, tz=TZ)
    started, cpu_started = time.perf_counter(), time.process_time()
    ticks, queued = await drain(factory, context)
    result["enqueue_seconds"] = round(time.perf_counter() - started, 2)
    result["enqueue_python_cpu_seconds"] = round(time.process_time() - cpu_started, 2)  # the rest is the database
    result["enqueue_ticks"] = ticks
    result["enqueued"] = queued
    result["outbox_rows"] = await outbox_rows(factory)

    # Again with two schedulers (two engines) draining at once: SKIP LOCKED splits the batches,
    # the outbox key keeps every reminder single; one's Python overlaps the other's database work.
    await reset(engine, due)
    engines = [create_engine(url) for _ in range(2)]
    started = time.perf_counter()
    drained = await asyncio.gather(*(drain(create_session_factory(e), context) for e in engines))
    result["enqueue_two_schedulers_seconds"] = round(time.perf_counter() - started, 2)
    result["enqueue_two_schedulers_enqueued"] = sum(count for _, count in drained)
    result["enqueue_two_schedulers_outbox_rows"] = await outbox_rows(factory)
    for extra in engines:
        await extra.dispose()
    await engine.dispose()
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invitations", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server; the scratch database is created next to this one")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be PostgreSQL")
    # 10:00 today in Hà Nội: outside quiet hours, whenever the benchmark runs.
    now = dt.datetime.combine(dt.datetime.now(TZ).date(), dt.time(10, 0), tzinfo=TZ).astimezone(dt.timezone.utc)
    name = f"sotay_bench_reminders_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.database_url)
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.database_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        build_seconds = await build(url, args.invitations, args.due, now)
        result = await measure(url, args.due, now)
    finally:
        if not args.keep:
            async with admin.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
    print(json.dumps({
        "loadavg_1min": os.getloadavg()[0], "cpus": os.cpu_count(),  # a shared machine: read the timings with these
        "invitations": args.invitations, "reminder_rows": 3 * args.invitations, "meetings": args.invitations // MEMBERS_PER_CELL,
        "due": args.due, "build_seconds": round(build_seconds, 1), **result,
        "goals": {"tick_query_ms": 50, "enqueue_100k_seconds": 5},
    }))


if __name__ == "__main__":
    asyncio.run(main())
