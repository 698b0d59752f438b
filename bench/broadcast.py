"""Broadcast benchmark: the outbox and its worker against the sandbox, limits on, versus a naive sender.

    python -m bench.broadcast --recipients 3000 --rate 30 [--faults 0.1] [--kill-after 20]
                              [--database-url URL] [--redis-url URL] [--workers 2] [--no-baseline]
                              [--alongside] [--peer-time-limit S] [--paid [--paid-rate 1000]]

`--round-trip-ms` makes the sandbox answer every call that much later (half on the way in, half on the
way out), as Telegram does from a server far from its data centres (Vietnam ↔ Telegram: ~100–250 ms);
a sender that waits for each answer before the next (aiogram's loop) is bounded by it, one that keeps
many sends on the wire (ours, `AIORateLimiter`) is not.

`--alongside` runs each peer in its own process at the moment our broadcast is queued (instead of
after it); a peer still sending after `--peer-time-limit` stops (or is killed a minute later) and is
counted as far as it got. `--paid` queues the broadcast as a paid one (allow_paid_broadcast, our
worker with SOTAY_PAID_BROADCAST=0.1 and its 1,000/s lane) and gives the peers the flag too.

1. Starts the sandbox (a subprocess, Telegram's limits on: 30/s per bot, 1/s per chat) with two bots.
2. Seeds N linked members in a fresh database (a temporary SQLite file unless --database-url, whose
   tables are dropped and recreated) and queues one message each in the outbox.
3. Runs the delivery worker as separate processes (the production `sotay.delivery.build_worker`,
   through aiogram and HTTP). With --kill-after S, SIGKILLs the first worker S seconds in, counts
   what was in flight (received by the sandbox but not recorded as sent), and starts a new one.
4. Counts from the sandbox what each chat really received: duplicates and lost.
5. The same N messages through fair peers, each with its own bot (its own 30/s budget) in the same
   sandbox: aiogram's documented broadcast loop (send, pause 1/rate, wait `retry_after` on 429) and
   python-telegram-bot's `AIORateLimiter` (`pip install -e '.[bench]'`); `--peers naive_gather`
   adds the first-attempt `asyncio.gather` with retries.

Prints one JSON line. `achieved_rate` is measured over the sending window (first to last delivery,
as recorded by the worker; for a peer, first to last accepted send), `seconds` is the wall time
from queueing the broadcast (the workers already running) to the last record, for a peer from its
first send to its last; `ratio` = achieved_rate / configured_rate; `delivered_per_s_wall` =
delivered ÷ `seconds`, the figure compared across senders (`vs_best_fair_peer`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

OUR_TOKEN = "7000001:BENCHbroadcastOutboxWorker0000000000"
PAID_PRICE = "0.1"  # Stars per message (Telegram's fee for allow_paid_broadcast)
NAIVE_TOKEN = "7000002:BENCHbroadcastNaiveGather00000000000"
AIOGRAM_TOKEN = "7000003:BENCHbroadcastAiogramLoop000000000000"
PTB_TOKEN = "7000004:BENCHbroadcastPtbRateLimiter0000000000"
PEER_TOKENS = {"aiogram_loop": AIOGRAM_TOKEN, "ptb_rate_limiter": PTB_TOKEN, "naive_gather": NAIVE_TOKEN}
USER_BASE = 700_000_000
KIND = "bench"
SOURCE = "bench:broadcast"
MESSAGE = "📢 <b>THÔNG BÁO</b> — Đảng bộ xã Mù Cang Chải\n\nHọp chi bộ định kỳ lúc 8 giờ sáng Chủ Nhật tại nhà văn hóa thôn."
TIMEOUT_SECONDS = 1800


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOTAY_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# ---------------------------------------------------------------- the sandbox


@dataclass
class Sandbox:
    process: subprocess.Popen[bytes]
    base_url: str

    @classmethod
    async def start(cls, log: Path, *, round_trip_ms: float = 0.0) -> Sandbox:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", str(port), "--token", OUR_TOKEN, "--round-trip-ms", str(round_trip_ms),
             *[arg for token in PEER_TOKENS.values() for arg in ("--token", token)]],
            env=_env(), stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{base_url}/sandbox/health")).status_code == 200:
                        return cls(process, base_url)
                await asyncio.sleep(0.05)
        process.kill()
        raise RuntimeError(f"the sandbox did not start; see {log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        if self.process.poll() is None:
            self.process.kill()


async def received(sandbox: Sandbox, token: str) -> dict[int, int]:
    async with httpx.AsyncClient(timeout=60) as client:
        counts = (await client.get(f"{sandbox.base_url}/sandbox/bots/{token}/received")).json()["counts"]
    return {int(chat): int(n) for chat, n in counts.items()}


async def paid_sends(sandbox: Sandbox, token: str) -> int:
    async with httpx.AsyncClient(timeout=60) as client:
        stats = (await client.get(f"{sandbox.base_url}/sandbox/bots/{token}/stats")).json()
    return int(stats["calls"].get("paid_broadcast", 0))


async def http_429(sandbox: Sandbox, token: str) -> int:
    async with httpx.AsyncClient(timeout=60) as client:
        stats = (await client.get(f"{sandbox.base_url}/sandbox/bots/{token}/stats")).json()
    return int(stats["calls"].get("http_429", 0))


def delivery_counts(counts: dict[int, int], chats: list[int]) -> tuple[int, int]:
    """(duplicates, lost) over the intended recipients."""
    duplicates = sum(max(0, counts.get(chat, 0) - 1) for chat in chats)
    lost = sum(1 for chat in chats if counts.get(chat, 0) == 0)
    return duplicates, lost


# ---------------------------------------------------------------- the database


async def seed(database_url: str, recipients: int) -> list[int]:
    """N linked members in cells of 100 under one commune (the broadcast is queued later)."""
    from core.crypto import FieldCipher
    from core.db import create_engine, create_session_factory, is_sqlite, transaction
    from core.models import metadata
    from core.orgs.models import ChannelLink, Gender, Member, OrgKind
    from core.orgs.service import create_org, encrypt_personal

    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        if not is_sqlite(database_url):
            await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await connection.run_sync(metadata.create_all)
    cipher = FieldCipher("bench-secret-key-that-is-long-enough-0123456789")
    factory = create_session_factory(engine)
    chats = [USER_BASE + i for i in range(recipients)]
    async with transaction(factory) as session:
        province = await create_org(session, name="Đảng bộ tỉnh Lào Cai", kind=OrgKind.COMMITTEE, parent=None)
        commune = await create_org(session, name="Đảng bộ xã Mù Cang Chải", kind=OrgKind.COMMITTEE, parent=province)
        member_ids: list[int] = []
        cell = None
        for i, _chat in enumerate(chats):
            if i % 100 == 0:
                cell = await create_org(session, name=f"Chi bộ thôn {i // 100 + 1}", kind=OrgKind.CELL, parent=commune)
                await session.flush()
            assert cell is not None
            member = Member(
                org_id=cell.id, full_name=f"Đảng viên {i + 1}", date_of_birth=dt.date(1960, 1, 1), gender=Gender.MALE,
                joined_on=dt.date(1985, 1, 1), official_on=dt.date(1986, 1, 1), card_number=f"B{i:08d}",
            )
            encrypt_personal(member, cipher, citizen_id=f"0019{i:08d}", phone=None)
            session.add(member)
            if i % 500 == 499:
                await session.flush()
        await session.flush()
        members = (await session.execute(select(Member.id).order_by(Member.id))).scalars().all()
        for member_id, chat in zip(members, chats, strict=True):
            session.add(ChannelLink(member_id=member_id, platform="telegram", platform_user_id=str(chat), chat_id=str(chat)))
            member_ids.append(member_id)
        await session.flush()
    await engine.dispose()
    return chats


async def enqueue_broadcast(database_url: str, *, paid: bool = False) -> None:
    """One message to each member, queued in one transaction, as a notice is."""
    from core.db import create_engine, create_session_factory, transaction
    from core.delivery.outbox import enqueue_many
    from core.orgs.models import Member
    from core.ports import OutboundMessage

    engine = create_engine(database_url)
    async with transaction(create_session_factory(engine)) as session:
        member_ids = list((await session.execute(select(Member.id).order_by(Member.id))).scalars())
        await enqueue_many(session, member_ids=member_ids, kind=KIND, source=SOURCE, message=OutboundMessage(text=MESSAGE), paid=paid)
    await engine.dispose()


class OutboxProgress:
    """How many rows are finished, asked every quarter second on one connection pool: the watch loop
    must not cost the database a new connection (a PostgreSQL backend) and a scan of every sent row
    each time, nor take the CPU the worker and the sandbox are measured on."""

    def __init__(self, database_url: str) -> None:
        from core.db import create_engine

        self.engine = create_engine(database_url)

    async def finished(self) -> int:
        from core.delivery.models import OutboxMessage

        done = OutboxMessage.state.in_(["sent", "failed", "unreachable", "cancelled"])
        async with self.engine.connect() as connection:
            return int((await connection.execute(select(func.count()).where(done))).scalar_one())

    async def close(self) -> None:
        await self.engine.dispose()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sandbox_answers(sandbox: Sandbox) -> int:
    """Every Bot API answer the sandbox has given, all bots together (ours and the peers')."""
    async with httpx.AsyncClient(timeout=60) as client:
        total = 0
        for token in (OUR_TOKEN, *PEER_TOKENS.values()):
            stats = (await client.get(f"{sandbox.base_url}/sandbox/bots/{token}/stats")).json()
            total += sum(int(n) for n in stats["responses"].values())
    return total


async def outbox_snapshot(database_url: str) -> tuple[dict[str, int], set[int], float | None, float | None]:
    """Counts by state, the chats recorded as sent, and the first and last `sent_at` (epoch seconds)."""
    from core.db import create_engine
    from core.delivery.models import OutboxMessage

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            states = dict((await connection.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))).all())
            sent = (await connection.execute(select(OutboxMessage.chat_id).where(OutboxMessage.state == "sent"))).scalars().all()
            first, last = (await connection.execute(
                select(func.min(OutboxMessage.sent_at), func.max(OutboxMessage.sent_at)).where(OutboxMessage.state == "sent")
            )).one()
    finally:
        await engine.dispose()

    def epoch(value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.timezone.utc).timestamp()

    return ({getattr(k, "value", k): int(v) for k, v in states.items()}, {int(c) for c in sent}, epoch(first), epoch(last))


# ---------------------------------------------------------------- our worker


@dataclass
class Workers:
    args: argparse.Namespace
    api_base: str
    log_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)

    def start_one(self) -> subprocess.Popen[bytes]:
        n = len(self.processes)
        out = self.log_dir / f"worker-{n}.json"
        command = [
            sys.executable, "-m", "bench.broadcast", "worker", "--database-url", self.args.database_url, "--api-base", self.api_base,
            "--rate", str(self.args.rate), "--lease", str(self.args.lease), "--out", str(out),
        ]
        if self.args.paid:
            command += ["--paid-price", str(PAID_PRICE), "--paid-rate", str(self.args.paid_rate)]
        if self.args.redis_url:
            command += ["--redis-url", self.args.redis_url]
        process = subprocess.Popen(command, env=_env(), stdout=(self.log_dir / f"worker-{n}.log").open("wb"), stderr=subprocess.STDOUT)
        self.processes.append(process)
        self.outputs.append(out)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()

    def stats(self) -> list[dict[str, Any]]:
        return [json.loads(path.read_text()) for path in self.outputs if path.exists()]


async def run_worker(argv: list[str]) -> None:
    """One worker process: the production wiring, sending until SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--lease", type=float, required=True)
    parser.add_argument("--redis-url")
    parser.add_argument("--out", required=True)
    parser.add_argument("--paid-price")
    parser.add_argument("--paid-rate", type=float, default=1000.0)
    args = parser.parse_args(argv)

    from bot.dispatcher import create_bot
    from core.clock import SystemClock
    from core.db import create_engine, create_session_factory
    from sotay.delivery import build_worker
    from sotay.settings import Settings

    settings = Settings(
        demo=True, data_dir=Path(tempfile.gettempdir()), database_url=args.database_url, redis_url=args.redis_url,
        telegram_token=OUR_TOKEN, telegram_api_base=args.api_base, send_rate_per_second=args.rate,
        paid_broadcast=args.paid_price, paid_broadcast_rate=args.paid_rate,
    )
    engine = create_engine(args.database_url)
    bot = create_bot(OUR_TOKEN, args.api_base)
    worker = build_worker(settings, bot=bot, session_factory=create_session_factory(engine), clock=SystemClock(),
                          lease=dt.timedelta(seconds=args.lease))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    Path(args.out + ".ready").touch()  # imported and wired: the broadcast may be queued
    cpu_at_ready = time.process_time()
    try:
        await worker.run(stop)
    finally:
        Path(args.out).write_text(json.dumps(worker.stats.as_dict() | {
            "in_flight_high_water": worker.in_flight_high_water, "cpu_seconds": round(time.process_time(), 2), "cpu_seconds_after_ready": round(time.process_time() - cpu_at_ready, 2),
            "concurrency": worker.concurrency, "batch_size": worker.batch_size,
        }))
        await worker.budget.close()
        await bot.session.close()
        await engine.dispose()


async def run_outbox(args: argparse.Namespace, sandbox: Sandbox, chats: list[int], log_dir: Path) -> dict[str, Any]:
    workers = Workers(args, f"{sandbox.base_url}", log_dir)
    for _ in range(args.workers):
        workers.start_one()
    # A worker is already running when a secretary sends a notice: the clock starts when the
    # broadcast is queued, not while worker processes import (tens of seconds on a loaded machine).
    for _ in range(int(TIMEOUT_SECONDS / 0.1)):
        if all(Path(str(out) + ".ready").exists() for out in workers.outputs):
            break
        await asyncio.sleep(0.1)
    await enqueue_broadcast(args.database_url, paid=args.paid)
    started = time.monotonic()
    sandbox_cpu, sandbox_answered = cpu_seconds(sandbox.process.pid), await sandbox_answers(sandbox)
    peers = start_peers_alongside(args, sandbox, log_dir) if args.alongside else []
    kill: dict[str, Any] | None = None
    n = len(chats)
    progress = OutboxProgress(args.database_url)
    try:
        while True:
            await asyncio.sleep(0.25)
            elapsed = time.monotonic() - started
            if elapsed > TIMEOUT_SECONDS:
                raise RuntimeError("the broadcast did not finish in time")
            if args.kill_after is not None and kill is None and elapsed >= args.kill_after:
                victim = workers.processes[0]
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                await asyncio.sleep(0.5)  # let the sandbox finish the requests already on the wire
                _, recorded, _, _ = await outbox_snapshot(args.database_url)
                got = await received(sandbox, OUR_TOKEN)
                delivered_unrecorded = {chat for chat in chats if got.get(chat, 0) and chat not in recorded}
                # Other workers record their own in-flight answers within moments; the dead one's
                # rows stay unrecorded until their lease expires and they are sent again.
                await asyncio.sleep(1.5)
                _, recorded_later, _, _ = await outbox_snapshot(args.database_url)
                kill = {"at_seconds": round(elapsed, 1), "sent_before_kill": len(recorded),
                        "in_flight_at_kill": len(delivered_unrecorded - recorded_later)}
                await asyncio.sleep(max(0.0, args.restart_after - 2.0))
                workers.start_one()
            if await progress.finished() >= n:
                break
        seconds = time.monotonic() - started
        sandbox_cpu = cpu_seconds(sandbox.process.pid) - sandbox_cpu
        sandbox_answered = await sandbox_answers(sandbox) - sandbox_answered
    finally:
        await progress.close()
        workers.stop_all()
    rate = args.limit
    states, _, first, last = await outbox_snapshot(args.database_url)
    counts = await received(sandbox, OUR_TOKEN)
    duplicates, lost = delivery_counts(counts, chats)
    window = (last - first) if first is not None and last is not None else 0.0
    achieved = (states.get("sent", 0) - 1) / window if window > 0 else 0.0
    result: dict[str, Any] = {
        "recipients": n,
        "seconds": round(seconds, 2),
        "achieved_rate": round(achieved, 2),
        "configured_rate": rate,
        "ratio": round(achieved / rate, 3),
        "http_429": await http_429(sandbox, OUR_TOKEN),
        "paid_sends": await paid_sends(sandbox, OUR_TOKEN),
        "duplicates": duplicates,
        "lost": lost,
        "outbox": states,
        "workers": workers.stats(),
    }
    # CPU per message: our workers' over every message they recorded as sent (from the moment they
    # were ready), and the sandbox's (Telegram's stand-in: its cost is not ours) over every answer
    # it gave meanwhile, the peers' included.
    sent = sum(int(w.get("sent", 0)) for w in result["workers"])
    worker_cpu = sum(float(w.get("cpu_seconds_after_ready", 0.0)) for w in result["workers"])
    result["cpu_ms_per_message"] = {
        "workers": round(1000 * worker_cpu / sent, 3) if sent else None,
        "sandbox": round(1000 * sandbox_cpu / sandbox_answered, 3) if sandbox_answered else None,
    }
    if kill is not None:
        result["kill"] = kill
    if peers:
        result["alongside"] = await finish_peers(args, sandbox, chats, started, peers)
    return result


# ---------------------------------------------------------------- the naive baseline


async def run_naive(args: argparse.Namespace, sandbox: Sandbox, chats: list[int]) -> dict[str, Any]:
    """What a first attempt looks like: every message at once, retry on 429 after retry_after, on 5xx after 1 s."""
    from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

    from bot.dispatcher import create_bot

    bot = create_bot(NAIVE_TOKEN, sandbox.base_url)

    async def one(chat: int) -> None:
        for _ in range(args.naive_retries):
            try:
                await bot.send_message(chat, MESSAGE)
                return
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError, asyncio.TimeoutError):
                await asyncio.sleep(1)

    started = time.monotonic()
    try:
        await asyncio.gather(*(one(chat) for chat in chats))
    finally:
        await bot.session.close()
    seconds = time.monotonic() - started
    counts = await received(sandbox, NAIVE_TOKEN)
    duplicates, lost = delivery_counts(counts, chats)
    delivered = sum(1 for chat in chats if counts.get(chat, 0))
    achieved = delivered / seconds if seconds else 0.0
    return {
        "recipients": len(chats),
        "seconds": round(seconds, 2),
        "achieved_rate": round(achieved, 2),
        "configured_rate": None,
        "ratio": round(achieved / args.rate, 3),
        "http_429": await http_429(sandbox, NAIVE_TOKEN),
        "duplicates": duplicates,
        "lost": lost,
        "retries": args.naive_retries,
    }


# ---------------------------------------------------------------- fair peers


def _peer_result(chats: list[int], counts: dict[int, int], seconds: float, sent_times: list[float], http_429: int,
                 args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    """Counted as ours is: the rate over the window from the first to the last accepted send, and
    everything delivered over the whole time."""
    duplicates, lost = delivery_counts(counts, chats)
    delivered = sum(1 for chat in chats if counts.get(chat, 0))
    window = max(sent_times) - min(sent_times) if len(sent_times) > 1 else 0.0
    achieved = (len(sent_times) - 1) / window if window > 0 else 0.0
    return {
        "recipients": len(chats), "seconds": round(seconds, 2), "achieved_rate": round(achieved, 2),
        "ratio": round(achieved / args.limit, 3), "delivered_per_s_wall": round(delivered / seconds, 2) if seconds else 0.0,
        "delivered": delivered, "finished": delivered + extra.get("gave_up", 0) >= len(chats),
        "http_429": http_429, "duplicates": duplicates, "lost": lost, **extra,
    }


async def run_aiogram_loop(args: argparse.Namespace, sandbox: Sandbox, chats: list[int]) -> dict[str, Any]:
    """aiogram's documented broadcast: one message after another, a pause of 1/rate between them,
    on 429 wait `retry_after` and send again. The documented loop gives up on any other error; a
    5xx is sent again here (up to 5 tries, 1 s apart) so that faults cost it time, not messages."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError

    bot = Bot(AIOGRAM_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.base_url)))
    failed = 0
    sent_times: list[float] = []

    async def send(chat: int) -> None:
        nonlocal failed
        tries = 0
        while True:
            try:
                await bot.send_message(chat, MESSAGE, parse_mode="HTML", allow_paid_broadcast=True if args.paid else None)
                sent_times.append(time.monotonic())
                return
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError):
                tries += 1
                if tries >= 5:
                    failed += 1
                    return
                await asyncio.sleep(1)
            except TelegramAPIError:
                failed += 1
                return

    started = time.monotonic()
    try:
        for chat in chats:
            if time.monotonic() - started > args.peer_time_limit:
                break  # out of time: counted as far as it got (`finished` false)
            await send(chat)
            await asyncio.sleep(1 / args.limit)
    finally:
        await bot.session.close()
    seconds = time.monotonic() - started
    return _peer_result(chats, await received(sandbox, AIOGRAM_TOKEN), seconds, sent_times, await http_429(sandbox, AIOGRAM_TOKEN), args,
                        gave_up=failed, loadavg=_load())


async def run_ptb(args: argparse.Namespace, sandbox: Sandbox, chats: list[int]) -> dict[str, Any]:
    """python-telegram-bot's AIORateLimiter (what a PTB user reaches for): every send at once through
    the limiter (overall `--rate`/s, 1/s per chat, 429 retried by the limiter up to 5 times); a 5xx
    is sent again up to 5 tries, 1 s apart, as for the aiogram loop."""
    try:
        from telegram.error import NetworkError, RetryAfter, TelegramError
        from telegram.ext import AIORateLimiter, ExtBot
        from telegram.request import HTTPXRequest
    except ImportError:
        return {"skipped": "python-telegram-bot is not installed: pip install -e '.[bench]'"}

    # Paid: the limiter's own 1,000/s lane for sends that carry allow_paid_broadcast.
    limiter = AIORateLimiter(overall_max_rate=args.rate, overall_time_period=1, max_retries=5)
    request = HTTPXRequest(connection_pool_size=64, pool_timeout=600, read_timeout=60, write_timeout=60, connect_timeout=30)
    bot = ExtBot(PTB_TOKEN, base_url=f"{sandbox.base_url}/bot", request=request, rate_limiter=limiter)
    failed = 0
    sent_times: list[float] = []

    async def send(chat: int) -> None:
        nonlocal failed
        for _ in range(5):
            try:
                await bot.send_message(chat, MESSAGE, parse_mode="HTML", allow_paid_broadcast=args.paid or None)
                sent_times.append(time.monotonic())
                return
            except RetryAfter:  # the limiter's own retries are spent
                break
            except NetworkError:
                await asyncio.sleep(1)
            except TelegramError:
                break
        failed += 1

    async with bot:  # getMe first, as PTB does, outside the clock
        started = time.monotonic()
        tasks = [asyncio.ensure_future(send(chat)) for chat in chats]
        _, unfinished = await asyncio.wait(tasks, timeout=args.peer_time_limit)
        for task in unfinished:  # out of time: counted as far as it got (`finished` false)
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        seconds = time.monotonic() - started
    return _peer_result(chats, await received(sandbox, PTB_TOKEN), seconds, sent_times, await http_429(sandbox, PTB_TOKEN), args,
                        gave_up=failed, loadavg=_load())


def _load() -> list[float]:
    with open("/proc/loadavg") as file:
        return [float(x) for x in file.read().split()[:3]]


# ---------------------------------------------------------------- peers in their own processes, alongside ours

RUNNERS = {"aiogram_loop": "run_aiogram_loop", "ptb_rate_limiter": "run_ptb", "naive_gather": "run_naive"}


def start_peers_alongside(args: argparse.Namespace, sandbox: Sandbox, log_dir: Path) -> list[tuple[str, subprocess.Popen[bytes], Path]]:
    """Each fair peer in its own process, started when our broadcast is queued: the same sandbox, the
    same machine at the same moment (the sandbox serves three bots at once), each with its own bot."""
    started = []
    for name in [] if args.no_baseline else args.peers:
        out = log_dir / f"peer-{name}.json"
        command = [sys.executable, "-m", "bench.broadcast", "peer", name, "--api-base", sandbox.base_url, "--out", str(out),
                   "--recipients", str(args.recipients), "--rate", str(args.rate), "--peer-time-limit", str(args.peer_time_limit)]
        if args.paid:
            command += ["--paid", "--paid-rate", str(args.paid_rate)]
        process = subprocess.Popen(command, env=_env(), stdout=(log_dir / f"peer-{name}.log").open("wb"), stderr=subprocess.STDOUT)
        started.append((name, process, out))
    return started


async def finish_peers(args: argparse.Namespace, sandbox: Sandbox, chats: list[int], started: float,
                       peers: list[tuple[str, subprocess.Popen[bytes], Path]]) -> dict[str, Any]:
    """Each peer's own count; a peer that does not stop within a minute of its time limit (PTB with
    30,000 requests gathered spends it in httpcore's pool and never answers its cancellation) is
    killed and counted from what the sandbox received."""
    results: dict[str, Any] = {}
    for name, process, out in peers:
        while process.poll() is None and time.monotonic() - started < args.peer_time_limit + 60:
            await asyncio.sleep(1)
        if process.poll() is None:
            process.kill()
            process.wait()
            counts = await received(sandbox, PEER_TOKENS[name])
            delivered = sum(1 for chat in chats if counts.get(chat, 0))
            results[name] = {"killed_after_seconds": round(time.monotonic() - started), "delivered": delivered, "finished": False,
                             "delivered_per_s_wall": round(delivered / (time.monotonic() - started), 2), "loadavg": _load()}
            continue
        results[name] = json.loads(out.read_text()) if out.exists() else {"error": f"exit {process.returncode}"}
    return results


async def run_peer(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=list(RUNNERS))
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--out", required=True)
    add_rate_arguments(parser)
    args = parser.parse_args(argv)
    args.limit = args.paid_rate if args.paid else args.rate
    args.naive_retries = 5
    sandbox = Sandbox(process=None, base_url=args.api_base)  # type: ignore[arg-type]
    chats = [USER_BASE + i for i in range(args.recipients)]
    Path(args.out).write_text(json.dumps(await globals()[RUNNERS[args.name]](args, sandbox, chats)))


def add_rate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=30.0, help="the worker's configured messages per second")
    parser.add_argument("--paid", action="store_true",
                        help="a paid broadcast: allow_paid_broadcast on every send, our paid lane at --paid-rate (peers alike)")
    parser.add_argument("--paid-rate", type=float, default=1000.0)
    parser.add_argument("--peer-time-limit", type=float, default=TIMEOUT_SECONDS,
                        help="a peer still sending after this many seconds stops and is counted as far as it got")


# ---------------------------------------------------------------- main


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sotay-bench-") as tmp:
        tmp_dir = Path(tmp)
        if args.database_url is None:
            args.database_url = f"sqlite+aiosqlite:///{tmp_dir / 'bench.db'}"
        sandbox = await Sandbox.start(tmp_dir / "sandbox.log", round_trip_ms=args.round_trip_ms)
        try:
            async with httpx.AsyncClient(timeout=60) as client:
                users = [{"id": USER_BASE + i, "first_name": f"Đảng viên {i + 1}"} for i in range(args.recipients)]
                for start in range(0, len(users), 1000):
                    await client.post(f"{sandbox.base_url}/sandbox/users/batch", json={"users": users[start : start + 1000]})
                for token in (OUR_TOKEN, *PEER_TOKENS.values()):
                    if args.faults:
                        await client.post(f"{sandbox.base_url}/sandbox/bots/{token}/fault-rate",
                                          json={"rate": args.faults, "codes": [429, 500, 502]})
            chats = await seed(args.database_url, args.recipients)
            result: dict[str, Any] = {"bench": "broadcast", "loadavg_before": _load()}
            result |= await run_outbox(args, sandbox, chats, tmp_dir)
            result["loadavg"] = _load()
            result["faults"] = args.faults
            result["round_trip_ms"] = args.round_trip_ms
            result["database"] = args.database_url.split(":", 1)[0]
            result["budget"] = "redis" if args.redis_url else "local"
            # Ours counted like the peers: every delivered message over the wall time from the start
            # (worker processes starting, importing and connecting included).
            result["delivered_per_s_wall"] = round((args.recipients - result["lost"]) / result["seconds"], 2) if result["seconds"] else 0.0
            peers: dict[str, Any] = result.pop("alongside", {})
            runners = {"aiogram_loop": run_aiogram_loop, "ptb_rate_limiter": run_ptb, "naive_gather": run_naive}
            for name in ([] if args.no_baseline or args.alongside else args.peers):
                peers[name] = await runners[name](args, sandbox, chats)
            result["peers"] = peers
            fair = [p["delivered_per_s_wall"] for name, p in peers.items() if name != "naive_gather" and "seconds" in p]
            if fair:
                result["vs_best_fair_peer"] = round(result["delivered_per_s_wall"] / max(fair), 3)
            result["goals"] = {"ratio": 0.97, "vs_best_fair_peer": 1.2, "lost": 0}
            if args.keep_logs:
                for log in tmp_dir.glob("*.log"):
                    (Path(args.keep_logs) / log.name).write_bytes(log.read_bytes())
            return result
        finally:
            sandbox.stop()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__.split("\n\n")[0])
    add_rate_arguments(parser)
    parser.add_argument("--alongside", action="store_true",
                        help="run the peers at the same time as ours, each in its own process, instead of after it")
    parser.add_argument("--round-trip-ms", type=float, default=0.0,
                        help="network round trip the sandbox adds to every Bot API call, as Telegram is far away (0: loopback)")
    parser.add_argument("--faults", type=float, default=0.0, help="share of sends answered 429/500/502 by the sandbox")
    parser.add_argument("--kill-after", type=float, help="SIGKILL the first worker after this many seconds, then restart it")
    parser.add_argument("--restart-after", type=float, default=2.0, help="seconds between the kill and the restart (at least 2: the in-flight count)")
    parser.add_argument("--lease", type=float, default=5.0, help="claim lease in seconds (how soon a dead worker's rows are taken over)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL for more than one)")
    parser.add_argument("--database-url", help="a PostgreSQL URL to use instead of a temporary SQLite file (its tables are recreated)")
    parser.add_argument("--redis-url", help="share the rate budget through Redis")
    parser.add_argument("--peers", type=lambda s: s.split(","), default=["aiogram_loop", "ptb_rate_limiter"],
                        help="baselines run after ours over the same sandbox: aiogram_loop, ptb_rate_limiter, naive_gather")
    parser.add_argument("--naive-retries", type=int, default=5)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep-logs", help="copy the sandbox and worker logs to this directory")
    args = parser.parse_args(argv)
    args.limit = args.paid_rate if args.paid else args.rate
    if args.workers > 1 and (args.database_url is None or args.database_url.startswith("sqlite")):
        parser.error("several workers need PostgreSQL (--database-url)")
    return args


def cli() -> None:
    if sys.argv[1:2] == ["worker"]:
        asyncio.run(run_worker(sys.argv[2:]))
        return
    if sys.argv[1:2] == ["peer"]:
        asyncio.run(run_peer(sys.argv[2:]))
        return
    print(json.dumps(asyncio.run(main(parse(sys.argv[1:]))), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    cli()
