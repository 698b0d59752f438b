"""Per-role metrics scraped during a two-worker broadcast (issue 18, item 9).

    python -m bench.role_metrics --database-url postgresql+asyncpg://… --redis-url redis://…/N
                                 [--recipients 600] [--rate 30] [--workers 2] [--scrape-every 0.5]

1. Starts the sandbox (Telegram's limits on) and seeds N linked members with one queued message each
   (bench.broadcast.seed: the tables are dropped and recreated).
2. Starts the workers as the production does: `sotay run --only worker`, each its own process and
   SOTAY_HTTP_PORT, sharing PostgreSQL and the Redis budget.
3. Scrapes every worker's /metrics every `--scrape-every` seconds while they send, until every row
   is final, then once more after they stop sending.
4. Compares what was scraped with the truth: each worker's `sotay_sends_total{result="sent"}` with the
   rows whose `sent_by` names that process, the 429 counters with the sandbox's, and the outbox
   depth each worker reports with the table.

Prints one JSON line. Needs PostgreSQL and Redis (the production shape); numbers, never assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bench.broadcast import OUR_TOKEN, USER_BASE, Sandbox, _env, free_port, http_429, outbox_snapshot, seed

SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"
FINAL_STATES = ("sent", "failed", "unreachable", "cancelled")
TIMEOUT_SECONDS = 900


def parse(text: str) -> dict[str, float]:
    """`name{label="v",…}` → value, for the sotay_* samples."""
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.name.startswith("sotay_"):
                continue
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def _sent(samples: dict[str, float]) -> float:
    """sotay_sends_total{…result="sent"} over every platform (the label set grew a platform)."""
    return sum(v for k, v in samples.items() if k.startswith("sotay_sends_total{") and 'result="sent"' in k)


def start_worker(n: int, args: argparse.Namespace, api_base: str, port: int, log_dir: Path) -> subprocess.Popen[bytes]:
    env = _env() | {
        "SOTAY_DATABASE_URL": args.database_url, "SOTAY_REDIS_URL": args.redis_url, "SOTAY_SECRET_KEY": SECRET_KEY,
        "SOTAY_TELEGRAM_TOKEN": OUR_TOKEN, "SOTAY_TELEGRAM_API_BASE": api_base, "SOTAY_HTTP_PORT": str(port),
        "SOTAY_DATA_DIR": str(log_dir / f"data-{n}"), "SOTAY_SEND_RATE_PER_SECOND": str(args.rate), "SOTAY_LOG_JSON": "true",
    }
    command = [sys.executable, "-c", "from sotay.cli import main; main()", "run", "--only", "worker"]
    return subprocess.Popen(command, env=env, stdout=(log_dir / f"worker-{n}.log").open("wb"), stderr=subprocess.STDOUT)


async def sent_by(database_url: str) -> dict[str, int]:
    from core.db import create_engine
    from core.delivery.models import OutboxMessage

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(
                select(OutboxMessage.sent_by, func.count()).where(OutboxMessage.state == "sent").group_by(OutboxMessage.sent_by)
            )).all()
    finally:
        await engine.dispose()
    return {str(k): int(v) for k, v in rows}


async def scrape(client: httpx.AsyncClient, port: int) -> tuple[dict[str, float] | None, float]:
    started = time.perf_counter()
    try:
        answer = await client.get(f"http://127.0.0.1:{port}/metrics")
        answer.raise_for_status()
    except httpx.HTTPError:
        return None, time.perf_counter() - started
    return parse(answer.text), time.perf_counter() - started


async def run(args: argparse.Namespace) -> dict[str, Any]:
    log_dir = Path(tempfile.mkdtemp(prefix="sotay-role-metrics-"))
    sandbox = await Sandbox.start(log_dir / "sandbox.log")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            users = [{"id": USER_BASE + i, "first_name": f"Đảng viên {i + 1}"} for i in range(args.recipients)]
            for start in range(0, len(users), 1000):
                await client.post(f"{sandbox.base_url}/sandbox/users/batch", json={"users": users[start : start + 1000]})
            if args.faults:  # some 429s (and 5xx) to count
                await client.post(f"{sandbox.base_url}/sandbox/bots/{OUR_TOKEN}/fault-rate", json={"rate": args.faults, "codes": [429, 500]})
        chats = await seed(args.database_url, args.recipients)
        ports = [free_port() for _ in range(args.workers)]
        processes = [start_worker(n, args, sandbox.base_url, port, log_dir) for n, port in enumerate(ports)]
        launched = time.monotonic()
        async with httpx.AsyncClient(timeout=10) as client:
            for port in ports:  # up: their health check answers (they may have begun sending)
                while True:
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                            break
                    if time.monotonic() - launched > 120:
                        raise RuntimeError(f"a worker did not start; logs in {log_dir}")
                    await asyncio.sleep(0.1)
        started = time.monotonic()
        start_up_seconds = round(started - launched, 2)
        series: list[dict[str, Any]] = []
        latencies: list[float] = []
        failed_scrapes = 0
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                await asyncio.sleep(args.scrape_every)
                elapsed = time.monotonic() - started
                if elapsed > TIMEOUT_SECONDS:
                    raise RuntimeError(f"the broadcast did not finish in time; logs in {log_dir}")
                point: dict[str, Any] = {"t": round(elapsed, 2), "workers": []}
                for port in ports:
                    samples, latency = await scrape(client, port)
                    if samples is None:
                        failed_scrapes += 1
                    else:
                        latencies.append(latency)
                    point["workers"].append(samples)
                states, _, _, _ = await outbox_snapshot(args.database_url)
                point["table"] = states
                series.append(point)
                if sum(states.get(s, 0) for s in FINAL_STATES) >= len(chats):
                    break
            await asyncio.sleep(args.scrape_every)
            final = [(await scrape(client, port))[0] or {} for port in ports]
        states, _, first, last = await outbox_snapshot(args.database_url)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
    try:
        by_worker = await sent_by(args.database_url)
        sandbox_429 = await http_429(sandbox, OUR_TOKEN)
    finally:
        sandbox.stop()

    hostname = socket.gethostname()
    workers = []
    for process, samples in zip(processes, final, strict=True):
        worker_id = f"{hostname}:{process.pid}"[:128]
        scraped_sent = _sent(samples)
        during = [p["workers"][len(workers)] for p in series if p["workers"][len(workers)] is not None]
        workers.append({
            "sent_by": worker_id,
            "rows_sent_by_it": by_worker.get(worker_id, 0),
            "scraped_sends": {k.split("{", 1)[1].rstrip("}"): v for k, v in samples.items() if k.startswith("sotay_sends_total{") and v},
            "scraped_sent_matches_rows": scraped_sent == by_worker.get(worker_id, 0),
            "scraped_429": samples.get("sotay_telegram_429_total", 0.0),
            "ticks": samples.get("sotay_ticks_total", 0.0),
            "budget_unreachable": samples.get('sotay_delivery_budget_unreachable{platform="telegram"}'),
            "scrapes_during_broadcast": len(during),
            "scrapes_showing_progress": len({_sent(d) for d in during}),
        })
    # Each worker reports the outbox depth from the table at its scrape: do they agree with it?
    depth_gaps = []
    for point in series:
        for samples in point["workers"]:
            if samples is not None:
                pending = samples.get('sotay_outbox_depth{state="pending"}')
                if pending is not None:
                    depth_gaps.append(abs(pending - point["table"].get("pending", 0)))
    window = (last - first) if first is not None and last is not None else 0.0
    latencies.sort()
    return {
        "recipients": len(chats),
        "faults": args.faults,
        "worker_start_up_seconds": start_up_seconds,
        "workers": workers,
        "rows_sent": states.get("sent", 0),
        "rows_sent_by_unknown": sum(v for k, v in by_worker.items() if k not in {w["sent_by"] for w in workers}),
        "scraped_sent_total": sum(_sent(samples) for samples in final),
        "scraped_429_total": sum(w["scraped_429"] for w in workers),
        "sandbox_429": sandbox_429,
        "outbox": states,
        "achieved_rate": round((states.get("sent", 0) - 1) / window, 2) if window > 0 else 0.0,
        "configured_rate": args.rate,
        "scrape_points": len(series),
        "failed_scrapes": failed_scrapes,
        "scrape_ms_median": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "scrape_ms_max": round(1000 * latencies[-1], 1) if latencies else None,
        "pending_depth_max_gap_vs_table": max(depth_gaps) if depth_gaps else None,
        "logs": str(log_dir),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("SOTAY_BENCH_DATABASE_URL"), required="SOTAY_BENCH_DATABASE_URL" not in os.environ)
    parser.add_argument("--redis-url", default=os.environ.get("SOTAY_BENCH_REDIS_URL"), required="SOTAY_BENCH_REDIS_URL" not in os.environ)
    parser.add_argument("--recipients", type=int, default=600)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scrape-every", type=float, default=0.5)
    parser.add_argument("--faults", type=float, default=0.0, help="share of sends the sandbox answers 429 or 500")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        print(json.dumps(asyncio.run(run(args)), ensure_ascii=False))


if __name__ == "__main__":
    main()
