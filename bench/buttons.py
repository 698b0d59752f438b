"""Button-press latency: `python -m bench.buttons [--databases sqlite,postgres] [--concurrency 1,10,50] [--rounds 20]`

Feeds real `Update` objects through the product's dispatcher (every router, `DatabaseMiddleware`:
one session per update, who is asking, redelivery record, one update at a time per person) with a
real database write, and through a bare aiogram dispatcher whose handlers answer the same updates
without a database — side by side in one run, so the ratio holds on a loaded machine.

Each simulated member repeats, `--rounds` times, three presses a member makes:

- `menu`: 📅 Lịch họp typed from the main keyboard (reads the member's upcoming meetings);
- `rsvp`: ✅ Tôi sẽ dự họp on the invitation (`mti:yes:<id>`: the invitation row is updated);
- `absence`: a reason chosen for leave (`mtr:sick:<id>`: the invitation is updated and a request is
  queued in the outbox for each leader of the cell).

`--concurrency` members press at once (each member's own presses one after another, as a person
does), first back to back (`--think-ms 0`: saturation, where latency is mostly queueing: Little's
law gives concurrency ÷ throughput) and then with a person's pause between presses (`1000`: 0.5–1.5 s). The Bot API side answers at once from memory (no network), so the time is the server's:
from the update entering `Dispatcher.feed_update` to the handler's last Bot API call returning and
the transaction committed.

PostgreSQL: a scratch database is created next to `--database-url` (default
$SOTAY_TEST_DATABASE_URL, else the local server) and dropped at the end. SQLite: a file in a
temporary folder. `--redis-url` adds runs with the production FSM storage and cross-process turns
in Redis.

`--per-kind N` instead measures each kind of press on its own (one member, N of each, one after
another): the bot's CPU, SQL statements and SQLite thread hand-offs per press.

Prints one JSON line per (database, concurrency, dispatcher) with p50/p95/p99 in ms, updates per
second, the ratio to the bare handler's throughput from the same run, the bot's CPU per update, the
SQL statements per update of each kind (ours; COMMIT not counted), and the machine's load.
Goals: p95 < 50 ms, throughput ≥ 0.3 × bare.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import datetime as dt
import itertools
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core import texts
from core.clock import SystemClock
from core.crypto import FieldCipher
from core.db import create_engine, create_session_factory, transaction
from core.meetings import service as meetings
from core.meetings.models import MeetingKind
from core.models import metadata
from core.orgs.models import ChannelLink, Gender, Member, OrgKind, OrgRole, RoleKind
from core.orgs.service import create_org, encrypt_personal, load_actor

DEFAULT_URL = os.environ.get("SOTAY_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-buttons-secret-key-0123456789abcdef"
BOT_USER = User(id=42, is_bot=True, first_name="Sổ tay", username="sotay_bench_bot")
TOKEN = "42:BENCH_TOKEN_abcdefghijklmnopqrstuvwxyz"
CELL_SIZE = 10  # members per cell besides its secretary and deputy
USER_BASE = 100_000


def load() -> list[float]:
    with open("/proc/loadavg") as file:
        return [float(x) for x in file.read().split()[:3]]


class InstantSession(BaseSession):
    """Telegram's side answering at once from memory: the measured time is the server's own."""

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(10_000)
        self.calls = 0

    async def close(self) -> None:
        return None

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.calls += 1
        name = type(method).__name__
        if name == "GetMe":
            return BOT_USER
        if name.startswith(("Send", "Edit")):
            chat_id = int(getattr(method, "chat_id", None) or 0)
            return Message(message_id=getattr(method, "message_id", None) or next(self._ids), date=dt.datetime.now(dt.timezone.utc),
                           chat=Chat(id=chat_id, type="private"), from_user=BOT_USER, text=getattr(method, "text", None))
        return True

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - no files in this bench
        raise NotImplementedError
        yield b""


PRESS: contextvars.ContextVar[str | None] = contextvars.ContextVar("bench_press", default=None)  # the kind being handled


class Statements:
    """SQL statements the product's engine runs, by the kind of press being handled (the driver sets PRESS)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.counts: dict[str, int] = {}
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        kind = PRESS.get()
        if kind is not None:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def take(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts


UPDATE_IDS = itertools.count(1)  # one sequence for the whole run: a repeated update_id would be ignored as a redelivery


class FailedUpdates(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.kinds: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.kinds) < 3:
            self.kinds.append(record.getMessage())


class Updates:
    def __init__(self) -> None:
        self.ids = UPDATE_IDS

    def _user(self, user_id: int) -> User:
        return User(id=user_id, is_bot=False, first_name="Đảng viên", language_code="vi")

    def text(self, user_id: int, body: str) -> Update:
        message = Message(message_id=next(self.ids), date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=user_id, type="private"),
                          from_user=self._user(user_id), text=body)
        return Update(update_id=next(self.ids), message=message)

    def press(self, user_id: int, data: str) -> Update:
        message = Message(message_id=7, date=dt.datetime.now(dt.timezone.utc), chat=Chat(id=user_id, type="private"),
                          from_user=BOT_USER, text="…")
        query = CallbackQuery(id=str(next(self.ids)), from_user=self._user(user_id), chat_instance="ci", data=data, message=message)
        return Update(update_id=next(self.ids), callback_query=query)


def bare_dispatcher() -> Dispatcher:
    """What a minimal aiogram bot does for the same presses: answer, no database, no middleware."""
    router = Router()

    @router.message(F.text)
    async def menu(message: Message) -> None:
        await message.answer("📅 Lịch họp: <b>05/12 19:30</b>")

    @router.callback_query()
    async def press(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Đã ghi nhận", reply_markup=None)
        await query.answer("✅")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def seed(engine: AsyncEngine, members: int, cipher: FieldCipher, now: dt.datetime) -> list[tuple[int, int]]:
    """A province → commune → cells of CELL_SIZE members (with secretary and deputy), each cell with
    a meeting next week that invites everyone. Returns (telegram user id, invitation id) of the
    plain members who will press."""
    factory = create_session_factory(engine)
    serial = itertools.count(1)
    pressers: list[tuple[int, int]] = []
    async with transaction(factory) as session:
        province = await create_org(session, name="Đảng bộ tỉnh", kind=OrgKind.COMMITTEE, parent=None)
        commune = await create_org(session, name="Đảng bộ xã", kind=OrgKind.COMMITTEE, parent=province)
        cells = -(-members // CELL_SIZE)
        for c in range(cells):
            cell = await create_org(session, name=f"Chi bộ {c + 1}", kind=OrgKind.CELL, parent=commune)
            people: list[tuple[Member, RoleKind | None]] = []
            for role in (RoleKind.SECRETARY, RoleKind.DEPUTY, *([None] * CELL_SIZE)):
                n = next(serial)
                member = Member(org_id=cell.id, full_name=f"Đảng viên {n}", date_of_birth=dt.date(1970, 1, 1), gender=Gender.MALE,
                                joined_on=dt.date(1995, 1, 1), official_on=dt.date(1996, 1, 1), card_number=f"B{n:07d}")
                encrypt_personal(member, cipher, citizen_id=f"0010{n:08d}", phone=f"09{n:08d}")
                session.add(member)
                people.append((member, role))
            await session.flush()
            for member, role in people:
                if role is not None:
                    session.add(OrgRole(member_id=member.id, org_id=cell.id, role=role))
                user_id = USER_BASE + member.id
                session.add(ChannelLink(member_id=member.id, platform="telegram", platform_user_id=str(user_id), chat_id=str(user_id)))
            await session.flush()
            secretary = people[0][0]
            actor = await load_actor(session, secretary)
            result = await meetings.create_meeting(
                session, actor=actor, cell_id=cell.id, kind=MeetingKind.REGULAR, starts_at=now + dt.timedelta(days=7),
                place="Nhà văn hoá thôn", agenda="Sinh hoạt chi bộ", now=now,
            )
            invitations = {i.member_id: i.id for i in await meetings.invitations_of(session, result.meeting.id)}
            pressers += [(USER_BASE + m.id, invitations[m.id]) for m, role in people if role is None]
    return pressers[:members]


Step = tuple[str, Callable[[], Update]]


def script(updates: Updates, user_id: int, invitation_id: int, rounds: int) -> list[Step]:
    steps: list[Step] = []
    for _ in range(rounds):
        steps.append(("menu", lambda: updates.text(user_id, texts.account.BTN_MEETINGS)))
        steps.append(("rsvp", lambda: updates.press(user_id, f"mti:yes:{invitation_id}")))
        steps.append(("absence", lambda: updates.press(user_id, f"mtr:sick:{invitation_id}")))
    return steps


async def drive(dispatcher: Dispatcher, bot: Bot, pressers: list[tuple[int, int]], rounds: int, think: float = 0.0) -> dict[str, Any]:
    updates = Updates()
    timings: dict[str, list[float]] = {"menu": [], "rsvp": [], "absence": []}
    errors: list[str] = []

    async def member(user_id: int, invitation_id: int) -> None:
        for kind, make in script(updates, user_id, invitation_id, rounds):
            update = make()
            started = time.perf_counter()
            token = PRESS.set(kind)
            try:
                await dispatcher.feed_update(bot, update)
            except Exception as error:  # counted, not fatal: the figure must show it
                errors.append(f"{kind}: {type(error).__name__}: {error}")
            finally:
                PRESS.reset(token)
            timings[kind].append((time.perf_counter() - started) * 1000)
            if think:  # a person reads the screen before the next press
                await asyncio.sleep(think * random.uniform(0.5, 1.5))

    # The product's error handler (bot/routers/fallback.py) answers a failed update with an apology
    # and logs it: such updates are counted here, not hidden in the latency.
    failed = FailedUpdates()
    logging.getLogger("bot.routers.fallback").addHandler(failed)
    load_before = load()
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        await asyncio.gather(*(member(u, i) for u, i in pressers))
    finally:
        logging.getLogger("bot.routers.fallback").removeHandler(failed)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    every = sorted(t for values in timings.values() for t in values)

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {
        "updates": len(every), "seconds": round(wall, 3), "updates_per_s": round(len(every) / wall, 1), "per_kind": len(timings["menu"]),
        "cpu_ms_per_update": round(cpu * 1000 / len(every), 2),  # this process's CPU (the bot's); the PG server's is apart
        "p50_ms": round(statistics.median(every), 2), "p95_ms": pct(every, 0.95), "p99_ms": pct(every, 0.99), "max_ms": round(every[-1], 2),
        "p95_by_kind_ms": {kind: pct(values, 0.95) for kind, values in timings.items() if values},
        "errors": len(errors) + failed.count, "first_errors": (errors + failed.kinds)[:3], "loadavg_before": load_before, "loadavg_after": load(),
    }


async def product_dispatcher(url: str, redis_url: str | None) -> tuple[Dispatcher, AsyncEngine, Callable[[], Awaitable[None]]]:
    """The product's dispatcher on its own engine (returned: `Statements` listens on it)."""
    from bot.dispatcher import build_dispatcher, create_storage
    from bot.middlewares import RedisTurns

    engine = create_engine(url)
    shared = RedisTurns.from_url(redis_url) if redis_url else None
    storage = create_storage(redis_url)
    dispatcher = build_dispatcher(session_factory=create_session_factory(engine), cipher=FieldCipher(SECRET), clock=SystemClock(),
                                  storage=storage, shared_turns=shared, files_dir=tempfile.mkdtemp(prefix="sotay-bench-files-"))

    async def close() -> None:
        await storage.close()
        if shared is not None:
            await shared.close()
        await engine.dispose()

    return dispatcher, engine, close


async def run_database(label: str, url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    from bot.limits import install as install_limits

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    now = dt.datetime.now(dt.timezone.utc)
    pressers = await seed(engine, max(args.concurrency), FieldCipher(SECRET), now)
    await engine.dispose()
    results = []
    for concurrency, redis_url in itertools.product(args.concurrency, [None, args.redis_url] if args.redis_url else [None]):
        if redis_url:
            from redis.asyncio import Redis

            async with Redis.from_url(redis_url) as redis:
                await redis.flushdb()
        ours, engine, close = await product_dispatcher(url, redis_url)
        statements = Statements(engine)
        bot = install_limits(Bot(TOKEN, session=InstantSession(), default=DefaultBotProperties(parse_mode="HTML")))
        bare_bot = Bot(TOKEN, session=InstantSession(), default=DefaultBotProperties(parse_mode="HTML"))
        group = pressers[:concurrency]
        await drive(ours, bot, group[:1], 1)  # warm-up: imports, statement caches, pool
        for think_ms in args.think_ms:
            bare = await drive(bare_dispatcher(), bare_bot, group, args.rounds, think_ms / 1000)
            statements.take()
            product = await drive(ours, bot, group, args.rounds, think_ms / 1000)
            product["statements_per_update"] = {kind: round(n / product["per_kind"], 1) for kind, n in sorted(statements.take().items())}
            for name, figures in (("bare_aiogram", bare), ("sotay", product)):
                row = {"bench": "buttons", "database": label, "redis": bool(redis_url), "concurrency": concurrency, "think_ms": think_ms,
                       "dispatcher": name, **figures}
                if name == "sotay":
                    row["throughput_vs_bare"] = round(product["updates_per_s"] / bare["updates_per_s"], 3)
                    row["cpu_vs_bare"] = round(product["cpu_ms_per_update"] / max(bare["cpu_ms_per_update"], 0.001), 1)
                    row["goals"] = {"p95_ms": 50, "throughput_vs_bare": 0.3}
                print(json.dumps(row, ensure_ascii=False), flush=True)
                results.append(row)
        await close()
    return results


class ThreadHops:
    """SQLite: calls handed to aiosqlite's thread (each wakes it and the event loop), by kind of press."""

    def __init__(self) -> None:
        import aiosqlite

        self.counts: dict[str, int] = {}
        self._real = real = aiosqlite.Connection._execute
        hops = self

        async def counted(connection: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
            kind = PRESS.get()
            if kind is not None:
                hops.counts[kind] = hops.counts.get(kind, 0) + 1
            return await real(connection, function, *args, **kwargs)

        aiosqlite.Connection._execute = counted  # type: ignore[method-assign,assignment]

    def close(self) -> None:
        import aiosqlite

        aiosqlite.Connection._execute = self._real  # type: ignore[method-assign]


async def per_kind(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """`--per-kind N`: one member presses menu, RSVP, absence N times each, one after another; the
    bot's CPU, SQL statements and (SQLite) thread hand-offs per press of each kind."""
    from bot.limits import install as install_limits

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    (user_id, invitation_id), *_ = await seed(engine, 1, FieldCipher(SECRET), dt.datetime.now(dt.timezone.utc))
    await engine.dispose()
    ours, engine, close = await product_dispatcher(url, None)
    bot = install_limits(Bot(TOKEN, session=InstantSession(), default=DefaultBotProperties(parse_mode="HTML")))
    updates = Updates()
    for _, make in script(updates, user_id, invitation_id, 3):  # warm-up
        await ours.feed_update(bot, make())
    statements, hops = Statements(engine), ThreadHops()
    cpu: dict[str, float] = {}
    load_before = load()
    try:
        for kind, make in script(updates, user_id, invitation_id, args.per_kind):
            update = make()
            token = PRESS.set(kind)
            started = time.process_time()
            try:
                await ours.feed_update(bot, update)
            finally:
                cpu[kind] = cpu.get(kind, 0.0) + time.process_time() - started
                PRESS.reset(token)
    finally:
        hops.close()
        await close()
    n = args.per_kind
    row = {
        "bench": "buttons", "mode": "per_kind", "database": label, "presses_of_each_kind": n,
        "cpu_ms_per_press": {kind: round(seconds * 1000 / n, 2) for kind, seconds in cpu.items()},
        "statements_per_press": {kind: round(count / n, 1) for kind, count in statements.take().items()},
        "loadavg_before": load_before, "loadavg_after": load(),
    }
    if label == "sqlite":
        row["thread_hand_offs_per_press"] = {kind: round(count / n, 1) for kind, count in hops.counts.items()}
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


async def main(args: argparse.Namespace) -> None:
    run = per_kind if args.per_kind else run_database
    for database in args.databases:
        if database == "sqlite":
            folder = tempfile.mkdtemp(prefix="sotay-bench-buttons-")
            await run("sqlite", f"sqlite+aiosqlite:///{folder}/bench.db", args)
        elif database == "postgres":
            name = f"sotay_bench_buttons_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.database_url)
            async with admin.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = args.database_url.rsplit("/", 1)[0] + f"/{name}"
                await run("postgres", url, args)
            finally:
                async with admin.connect() as connection:
                    await connection.execution_options(isolation_level="AUTOCOMMIT")
                    await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                await admin.dispose()
        else:
            raise SystemExit(f"unknown database {database!r}")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.buttons", description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", type=lambda s: s.split(","), default=["sqlite", "postgres"])
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10, 50])
    parser.add_argument("--rounds", type=int, default=20, help="menu + RSVP + absence per member, this many times")
    parser.add_argument("--think-ms", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1000],
                        help="pause between one member's presses: 0 = back to back (saturation), 1000 = a quick person")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server; the scratch database is created next to it")
    parser.add_argument("--redis-url", default=None, help="also run with FSM storage and per-person turns in Redis (as in production)")
    parser.add_argument("--per-kind", type=int, default=0, metavar="N",
                        help="instead: one member, N presses of each kind; CPU, statements (and SQLite thread hand-offs) per press")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
