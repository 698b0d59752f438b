"""Monthly figures at province scale: `python -m bench.rollup [--members 500000] [--cells 20000] [--database-url URL] [--keep]`

Creates a scratch PostgreSQL database next to `--database-url` (default: $SOTAY_TEST_DATABASE_URL,
else the local server) and fills it with INSERT … SELECT generate_series (all on the server):

- a province → communes (50 cells each) → `--cells` cells → `--members` members (exempt 1 in 20,
  4 in 5 linked to Telegram), a secretary per cell;
- a year of meetings: one regular meeting per cell per month, held, every member of the cell
  invited and attendance recorded (present ~85 %, excused ~6 %);
- studies: a province-wide campaign with a deadline in every third month (the last one in the
  measured month), every obliged member assigned, ~70 % studied, ~60 % finished a 5-question quiz;
- feedback: ~one item per 8 members over the year, ~70 % answered.

Then keeps the months (tick job `keep_figures`: the last twelve, the current and the next month
built once from the raw rows) and measures, each in its own (rolled back) transaction, on the last
full month:

- `province_rollup_*`: `core.reporting.figures.rollup` for the province: the stored rows of its
  20,000 cells (kept exact by every counted change) summed up to the province and its communes:
  what 📈 Số liệu tổng hợp, GET /orgs/{id}/figures, the console and the CSV/XLSX files show;
- `province_live_rollup_*`: the same month computed from the raw rows (a month not kept);
- `cell_report_*`: `core.reporting.reports.report_for` for random cells (live, always);
- `rsvp_settle_added_*`, `member_move_settle_added_*`: what keeping the figures adds to a write
  (an invitation's answer changed; a member moved to another cell): `figures.settle`, which the
  commit runs;
- `stored_equals_live`: after one committed change, `figures.check` finds no difference.

Prints one JSON object. Goals: province rollup < 2 s, one cell's report < 50 ms.
The scratch database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import time
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import create_engine, create_session_factory, transaction
from core.models import metadata
from core.meetings.models import Answer, Invitation, Meeting
from core.orgs.membership import sync_membership
from core.orgs.models import Member, Org
from core.orgs.service import load_actor
from core.reporting import figures, reports

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CELLS_PER_COMMUNE = 50
QUESTIONS = 5
DEFAULT_URL = os.environ.get("SOTAY_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


def _utc(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A naive UTC timestamp for a local time (the columns store naive UTC)."""
    return dt.datetime.combine(day, dt.time(hour, minute), TZ).astimezone(dt.timezone.utc).replace(tzinfo=None)


async def build(url: str, members: int, cells: int, months: list[dt.date]) -> dict[str, float]:
    communes = max(1, -(-cells // CELLS_PER_COMMUNE))
    per_cell = members // cells
    first_cell = communes + 2  # ids: 1 province, 2..communes+1 communes, then cells
    year_start = _utc(months[0]) - dt.timedelta(days=30)
    campaign_months = [m for index, m in enumerate(months) if (len(months) - 1 - index) % 3 == 0]
    params: dict[str, Any] = {
        "communes": communes, "cells": cells, "members": cells * per_cell, "per": per_cell, "first_cell": first_cell,
        "per_commune": CELLS_PER_COMMUNE, "created": year_start, "linked": year_start + dt.timedelta(days=10),
    }
    steps: list[tuple[str, str]] = [
        ("orgs", "INSERT INTO orgs (id, parent_id, kind, name, path, depth, show_lunar_date, settings, created_at) "
                 "VALUES (1, NULL, 'committee', 'Đảng bộ tỉnh', '/1/', 0, false, '{}', :created)"),
        ("orgs", "INSERT INTO orgs (id, parent_id, kind, name, path, depth, show_lunar_date, settings, created_at) "
                 "SELECT g + 1, 1, 'committee', 'Đảng bộ xã ' || g, '/1/' || (g + 1) || '/', 1, false, '{}', :created "
                 "FROM generate_series(1, :communes) g"),
        ("orgs", "INSERT INTO orgs (id, parent_id, kind, name, path, depth, show_lunar_date, settings, created_at) "
                 "SELECT :first_cell + g, 2 + g / :per_commune, 'cell', 'Chi bộ ' || g, "
                 "'/1/' || (2 + g / :per_commune) || '/' || (:first_cell + g) || '/', 2, false, '{}', :created "
                 "FROM generate_series(0, :cells - 1) g"),
        ("members", "INSERT INTO members (id, org_id, full_name, date_of_birth, gender, joined_on, official_on, card_number, "
                    "citizen_id_encrypted, citizen_id_hash, exempt, exempt_receives_notices, voice_enabled, speech_speed, voice_name, "
                    "active, created_at, updated_at) "
                    "SELECT g, :first_cell + (g - 1) / :per, 'Đảng viên ' || g, DATE '1960-01-01', 'male', DATE '1990-01-01', "
                    "DATE '1991-01-01', 'T' || g, '\\x01'::bytea, md5(g::text), g % 20 = 0, false, true, 'normal', 'vi', true, "
                    ":created, :created FROM generate_series(1, :members) g"),
        ("members", "INSERT INTO memberships (member_id, org_id, exempt, valid_from) SELECT id, org_id, exempt, joined_on FROM members"),
        ("members", "INSERT INTO channel_links (member_id, platform, platform_user_id, chat_id, linked_at) "
                    "SELECT g, 'telegram', g::text, g::text, :linked FROM generate_series(1, :members) g WHERE g % 5 <> 0"),
        ("members", "INSERT INTO org_roles (member_id, org_id, role, created_at) "
                    "SELECT 1 + g * :per, :first_cell + g, 'secretary', :created FROM generate_series(0, :cells - 1) g"),
    ]
    for index, month in enumerate(months):
        steps.append(("meetings", (
            "INSERT INTO meetings (cell_id, kind, starts_at, place, agenda, status, version, conclusions_revision, created_at, updated_at) "
            f"SELECT id, 'regular', :m{index}, 'Nhà văn hóa', '', 'held', 1, 0, :created, :created FROM orgs WHERE kind = 'cell'"
        )))
        params[f"m{index}"] = _utc(month.replace(day=4), 19, 30)
    steps += [
        ("meetings", "INSERT INTO meeting_invitations (meeting_id, member_id, obliged, answer, revision, invited_at) "
                     "SELECT m.id, p.id, NOT p.exempt, CASE WHEN (p.id + m.id) % 16 = 0 THEN 'excused' ELSE 'attending' END, 0, m.created_at "
                     "FROM meetings m JOIN members p ON p.org_id = m.cell_id"),
        ("meetings", "INSERT INTO meeting_attendance (meeting_id, member_id, present, recorded_at) "
                     "SELECT i.meeting_id, i.member_id, i.answer <> 'excused' AND (i.member_id * 7 + i.meeting_id) % 11 <> 0, i.invited_at "
                     "FROM meeting_invitations i"),
    ]
    for index, month in enumerate(campaign_months):
        deadline = _utc(month.replace(day=15), 23, 59)
        params |= {f"d{index}": deadline, f"o{index}": deadline - dt.timedelta(days=30)}
        steps += [
            ("studies", "INSERT INTO documents (kind, code, title, full_text, summary, search_head, search_text, org_id, state, "
                        f"created_at, updated_at, published_at, recipients) VALUES ('NQ', '{index + 1}-NQ/TU', 'Nghị quyết {index + 1}', "
                        f"'Nội dung', 'Tóm tắt', 'nq', 'nq', 1, 'published', :o{index}, :o{index}, :o{index}, :members)"),
            ("studies", "INSERT INTO study_campaigns (document_id, org_id, deadline, opened_at, question_count) "
                        f"SELECT max(id), 1, :d{index}, :o{index}, {QUESTIONS} FROM documents"),
            ("studies", "INSERT INTO study_assignments (campaign_id, member_id, cell_id, assigned_at, studied_at, quiz_answered, "
                        "quiz_correct, quiz_completed_at) "
                        f"SELECT (SELECT max(id) FROM study_campaigns), p.id, p.org_id, :o{index}, "
                        f"CASE WHEN p.id % 10 < 7 THEN CAST(:o{index} AS timestamp) + interval '5 days' END, "
                        f"CASE WHEN p.id % 10 < 6 THEN {QUESTIONS} ELSE 0 END, CASE WHEN p.id % 10 < 6 THEN 2 + p.id % 4 ELSE 0 END, "
                        f"CASE WHEN p.id % 10 < 6 THEN CAST(:o{index} AS timestamp) + interval '6 days' END "
                        "FROM members p WHERE NOT p.exempt"),
        ]
    steps.append(("feedback", (
        "INSERT INTO feedback_items (reference, author_id, kind, addressed_org_id, current_org_id, text, state, created_at, answered_at) "
        "SELECT 'GY-' || g, g * 8, 'comment', p.org_id, p.org_id, 'Góp ý', CASE WHEN g % 10 < 7 THEN 'answered' ELSE 'open' END, "
        "CAST(:created AS timestamp) + (g % 360) * interval '1 day' + interval '40 days', "
        "CASE WHEN g % 10 < 7 THEN CAST(:created AS timestamp) + (g % 360) * interval '1 day' + interval '42 days' END "
        "FROM generate_series(1, :members / 8) g JOIN members p ON p.id = g * 8"
    )))
    timings: dict[str, float] = {}
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    for name, statement in steps:
        started = time.perf_counter()
        async with engine.begin() as connection:
            # Bulk load: the generated rows are consistent by construction, so foreign-key triggers are skipped.
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await connection.execute(text(statement), params)
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
    started = time.perf_counter()
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("orgs", "members", "memberships", "meetings", "meeting_invitations", "meeting_attendance", "documents", "study_campaigns",
                      "study_assignments", "feedback_items"):
            await connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        await connection.execute(text("VACUUM ANALYZE"))
    timings["vacuum_analyze"] = time.perf_counter() - started
    await engine.dispose()
    return {f"build_{name}_seconds": round(value, 1) for name, value in timings.items()}


async def timed(factory: async_sessionmaker[AsyncSession], work: Any, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        async with factory() as session:
            await session.execute(text("SELECT 1"))
            started = time.perf_counter()
            await work(session)
            timings.append((time.perf_counter() - started) * 1000)
            await session.rollback()
    return timings


def summary(name: str, values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        f"{name}_median_ms": round(statistics.median(values), 1),
        f"{name}_p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
        f"{name}_min_ms": round(ordered[0], 1),
    }


async def measure(url: str, month: dt.date, now: dt.datetime) -> dict[str, Any]:
    engine = create_engine(url)
    factory = create_session_factory(engine)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)  # tables added since the database was built (--reuse)
    async with factory() as session:
        province = await session.get(Org, 1)
        assert province is not None
        cell_ids = list((await session.execute(select(Org.id).where(Org.kind == "cell"))).scalars())
    result: dict[str, Any] = {}

    # Keeping the months (tick job `keep_figures`): each kept month built once from the raw rows.
    started = time.perf_counter()
    built_rows, builds = 0, []
    while True:
        one = time.perf_counter()
        async with transaction(factory) as session:
            rows = await figures.keep_months(session, now=now)
        if not rows:
            break
        built_rows += rows
        builds.append(time.perf_counter() - one)
    result["keep_window_seconds"] = round(time.perf_counter() - started, 1)
    result["kept_months"] = len(figures.kept_window(now))
    result["build_month_median_seconds"] = round(statistics.median(builds), 2) if builds else None
    result["stored_rows"] = built_rows

    async def province_rollup(session: AsyncSession) -> None:
        org = await session.get(Org, 1)
        assert org is not None
        await figures.rollup(session, org=org, months=[month], now=now)

    async def province_live(session: AsyncSession) -> None:
        org = await session.get(Org, 1)
        assert org is not None
        await figures.collect(session, figures.Scope(org), [month])  # what a month not kept costs

    picks = random.Random(7).sample(cell_ids, min(50, len(cell_ids)))
    pick = iter(picks * 4)

    async def cell_report(session: AsyncSession) -> None:
        cell_id = next(pick)
        secretary = (await session.execute(select(Member).where(Member.org_id == cell_id).order_by(Member.id).limit(1))).scalar_one()
        actor = await load_actor(session, secretary)
        await reports.report_for(session, actor=actor, cell_id=cell_id, month=month, now=now)

    async def rsvp_settle(session: AsyncSession) -> float:
        """An answer to an invitation changes; what settling it adds to that transaction."""
        cell_id = next(pick)
        invitation = (await session.execute(
            select(Invitation).join(Meeting, Meeting.id == Invitation.meeting_id).where(Meeting.cell_id == cell_id).limit(1)
        )).scalar_one()
        invitation.answer = Answer.EXCUSED if invitation.answer != Answer.EXCUSED else Answer.ATTENDING
        await session.flush()
        started = time.perf_counter()
        await figures.settle(session)
        return (time.perf_counter() - started) * 1000

    async def move_settle(session: AsyncSession) -> float:
        """A member moves to another cell (two cells' membership counts change)."""
        cell_id, target = next(pick), next(pick)
        member = (await session.execute(select(Member).where(Member.org_id == cell_id).order_by(Member.id.desc()).limit(1))).scalar_one()
        member.org_id = target
        await sync_membership(session, member, on=figures.local_month(now))
        started = time.perf_counter()
        await figures.settle(session)
        return (time.perf_counter() - started) * 1000

    async def settle_costs(work: Any, repeat: int) -> list[float]:
        costs = []
        for _ in range(repeat):
            async with factory() as session:
                costs.append(await work(session))
                await session.rollback()
        return costs

    await timed(factory, province_rollup, 1)  # warm the caches
    result |= summary("province_rollup", await timed(factory, province_rollup, 10))
    result |= summary("cell_report", await timed(factory, cell_report, len(picks)))
    result |= summary("province_live_rollup", await timed(factory, province_live, 3))
    result |= summary("rsvp_settle_added", await settle_costs(rsvp_settle, 30))
    result |= summary("member_move_settle_added", await settle_costs(move_settle, 20))
    # One committed change (settled by the commit itself), then the stored month against the raw rows.
    async with transaction(factory) as session:
        await rsvp_settle(session)
    started = time.perf_counter()
    async with factory() as session:
        differences = await figures.check(session, months=[month])
    result["check_seconds"] = round(time.perf_counter() - started, 1)
    result["stored_equals_live"] = not differences
    async with factory() as session:
        check = await figures.rollup(session, org=province, months=[month], now=now)
    totals = check.totals[0]
    result["check"] = {
        "members": totals.members, "linked": totals.linked, "meetings_held": totals.meetings_held, "invited": totals.invited,
        "attendance_rate": round(totals.attendance_rate or 0, 3), "study_assigned": totals.study_assigned,
        "study_rate": round(totals.study_rate or 0, 3), "average_score": round(totals.average_score or 0, 2),
        "feedback_received": totals.feedback_received, "feedback_answered": totals.feedback_answered, "communes": len(check.children),
    }
    result["load_after"] = os.getloadavg()[0]
    await engine.dispose()
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=500_000)
    parser.add_argument("--cells", type=int, default=20_000)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server; the scratch database is created next to this one")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", metavar="DATABASE", help="measure a scratch database kept by an earlier --keep run (no build)")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be PostgreSQL")
    now = dt.datetime.now(dt.timezone.utc)
    this_month = figures.local_month(now)
    months = [figures.add_months(this_month, offset) for offset in range(-12, 0)]  # the last twelve full months
    name = args.reuse or f"sotay_bench_rollup_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.database_url)
    if not args.reuse:
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.database_url.rsplit("/", 1)[0] + f"/{name}"
    build_times: dict[str, float] = {}
    build_seconds = 0.0
    load_before = os.getloadavg()[0]
    try:
        if not args.reuse:
            started = time.perf_counter()
            build_times = await build(url, args.members, args.cells, months)
            build_seconds = time.perf_counter() - started
        result = await measure(url, months[-1], now)
    finally:
        if not args.keep and not args.reuse:
            async with admin.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
    print(json.dumps({
        "members": args.members, "cells": args.cells, "month": f"{months[-1]:%Y-%m}", "build_seconds": round(build_seconds, 1), "load_before": load_before,
        **build_times, **result, "database": name if (args.keep or args.reuse) else None, "goals": {"province_rollup_ms": 2000, "cell_report_ms": 50},
        "load_1min_at_end": os.getloadavg()[0],
    }, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
