"""Training-ground load run: a hall of simulated trainees doing lessons at once against one `sotay demo`.

    python -m bench.training [--trainees 300] [--join-concurrency 50] [--url http://127.0.0.1:8080 --key KEY]

Without --url it starts `sotay demo` itself (a fresh data folder in a temporary directory, free ports)
and stops it at the end. Each simulated trainee behaves as the page on a phone does:

1. opens the trainer's link (GET /training/join) and gets a practice member of their own;
2. polls their chat every second (as chat.js does) and their lesson every two seconds (training.js),
   until the two practice invitations have arrived;
3. lesson 1: taps «✅ Tôi sẽ dự họp» on the first invitation;
4. lesson 2 (the trainer opened it): taps «🙏 Xin vắng mặt» on the second, picks the first reason, types one;
5. taps «📅 Lịch họp» once more (the conclusions);
and asks the room whether lessons 1 and 2 are done (checked by sotay against its database).

A "tap" is timed from the moment it is sent to the moment the page would show the bot's answer: the
trainee polls their chat every 0.2 s while waiting (the page polls at once after a tap, then every
second, so this is the answer's arrival, not the page's polling interval). An error is any HTTP
failure, an answer not seen within --answer-timeout, or a lesson not recorded as done. Prints JSON
lines: one per phase and a final summary with p50/p95/max, errors, the demo's CPU time over the
lessons and per tap (when this bench started the demo: a figure the machine's load disturbs far less
than latency does) and the machine's load (1-minute load average and cores) before and after.
Nothing here is a test assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

READY = "Sổ tay demo is running"
ATTEND = "✅ Tôi sẽ dự họp"
ABSENT = "🙏 Xin vắng mặt"
MEETINGS = "📅 Lịch họp"


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def load() -> dict[str, Any]:
    one, five, _ = os.getloadavg()
    return {"load_1m": round(one, 2), "load_5m": round(five, 2), "cores": os.cpu_count()}


def cpu_seconds(pid: int | None) -> float | None:
    """The demo process's CPU time so far (user + system, every thread): what the hall cost the server,
    whatever else the machine was doing (the wall-clock figures depend on the load; this much less)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Results:
    taps: list[float] = field(default_factory=list)  # seconds from tap to the bot's answer
    by_step: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lessons_done: int = 0
    joined: int = 0
    server_cpu_s: float | None = None  # the demo's CPU time over the lessons phase (when this bench started it)

    def tapped(self, step: str, seconds: float) -> None:
        self.taps.append(seconds)
        self.by_step.setdefault(step, []).append(seconds)


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))], 3)


class Trainee:
    def __init__(self, client: httpx.AsyncClient, api: str, sandbox: str, results: Results, answer_timeout: float) -> None:
        self.client = client
        self.api = api
        self.sandbox = sandbox
        self.results = results
        self.answer_timeout = answer_timeout
        self.user_id = 0
        self.messages: dict[int, dict[str, Any]] = {}
        self.version = 0

    async def join(self) -> None:
        # A phone of its own: no cookie from another trainee's join (the room would recognise that phone).
        async with httpx.AsyncClient(timeout=60) as phone:
            response = await phone.get(f"{self.api}/training/join", follow_redirects=False)
        if not response.is_redirect:
            response.raise_for_status()
            raise RuntimeError(f"join answered {response.status_code} without a redirect")
        match = re.search(r"[?&]user=(\d+)", response.headers["location"])
        assert match, response.headers["location"]
        self.user_id = int(match.group(1))

    async def poll(self) -> list[dict[str, Any]]:
        """What changed in this chat since the last poll (the page's `?after=` poll)."""
        response = await self.client.get(f"{self.sandbox}/sandbox/bots/default/chats/{self.user_id}", params={"after": self.version})
        response.raise_for_status()
        data = response.json()
        self.version = data["version"]
        for message in data["messages"]:
            self.messages[message["message_id"]] = message
        return [m for m in data["messages"] if m.get("from") == "bot"]

    def invitations(self) -> list[dict[str, Any]]:
        found = [m for m in self.messages.values() if m.get("from") == "bot" and "THÔNG BÁO MỜI HỌP" in (m.get("text") or "")
                 and not m.get("deleted")]
        return sorted(found, key=lambda m: m["message_id"])

    async def wait_for_invitations(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.invitations()) < 2:
            if time.monotonic() > deadline:
                raise TimeoutError("invitations did not arrive")
            await self.poll()
            if int(time.monotonic()) % 2 == 0:
                await self.lesson()  # the page asks every two seconds
            await asyncio.sleep(1.0)

    async def lesson(self, acted: bool = False) -> dict[str, Any]:
        response = await self.client.get(f"{self.api}/training/api/me", params={"user": self.user_id, "acted": int(acted)})
        response.raise_for_status()
        return dict(response.json())

    async def _answered(self, step: str, started: float, seen: Any) -> dict[str, Any]:
        """Poll (0.2 s) until a bot message is new or edited; record the time from `started`."""
        deadline = started + self.answer_timeout
        while time.monotonic() < deadline:
            for message in await self.poll():
                if seen(message):
                    self.results.tapped(step, time.monotonic() - started)
                    return message
            await asyncio.sleep(0.2)
        raise TimeoutError(f"no answer to {step} within {self.answer_timeout:.0f} s")

    @staticmethod
    def _button(message: dict[str, Any], label: str | None = None) -> str:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        for row in rows:
            for button in row:
                if button.get("callback_data") and (label is None or label in button.get("text", "")):
                    return str(button["callback_data"])
        raise LookupError(f"no button {label!r}")

    async def press(self, step: str, message: dict[str, Any], label: str | None, expect: Any = None) -> dict[str, Any]:
        """Tap an inline button; the answer is the first bot message new or edited after the tap."""
        data = self._button(message, label)
        started = time.monotonic()
        response = await self.client.post(f"{self.sandbox}/sandbox/bots/default/users/{self.user_id}/press",
                                          json={"message_id": message["message_id"], "data": data, "wait": 0})
        response.raise_for_status()
        return await self._answered(step, started, expect or (lambda m: True))

    async def send(self, step: str, action: str, text: str) -> dict[str, Any]:
        started = time.monotonic()
        response = await self.client.post(f"{self.sandbox}/sandbox/bots/default/users/{self.user_id}/{action}", json={"text": text})
        response.raise_for_status()
        return await self._answered(step, started, lambda m: True)

    async def until_done(self, key: str, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = await self.lesson(acted=True)  # as the page does a moment after a step
            if key in status.get("done", []):
                return True
            await asyncio.sleep(2.0)
        return False

    async def run(self, start_gate: asyncio.Event, invitation_timeout: float) -> None:
        await self.wait_for_invitations(invitation_timeout)
        await start_gate.wait()  # everyone taps at once
        first, second = self.invitations()[:2]
        await self.press("rsvp", first, ATTEND)
        if not await self.until_done("rsvp"):
            raise AssertionError("lesson rsvp not recorded as done")
        self.results.lessons_done += 1
        reasons = await self.press("excuse: ask", self.messages[second["message_id"]], ABSENT,
                                   expect=lambda m: "Lý do khác" in json.dumps(m.get("reply_markup") or {}, ensure_ascii=False))
        await self.press("excuse: reason", reasons, "Lý do khác", expect=lambda m: "gõ lý do" in (m.get("text") or ""))
        await self.send("excuse: text", "text", "Bận việc gia đình, xin phép chi bộ.")  # any answer: the request or a refusal
        if not await self.until_done("excuse"):
            raise AssertionError("lesson excuse not recorded as done")
        self.results.lessons_done += 1
        await self.send("meetings menu", "tap", MEETINGS)


async def run_load(api: str, sandbox: str, key: str, *, trainees: int, join_concurrency: int, answer_timeout: float,
                   invitation_timeout: float, demo_pid: int | None = None) -> Results:
    results = Results()
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for _ in range(4):  # the trainer opens every member lesson
            (await client.post(f"{api}/training/api/next", params={"key": key, "track": "member"})).raise_for_status()
        people = [Trainee(client, api, sandbox, results, answer_timeout) for _ in range(trainees)]
        gate = asyncio.Semaphore(join_concurrency)
        started = time.monotonic()

        async def join(trainee: Trainee) -> None:
            async with gate:
                try:
                    await trainee.join()
                    results.joined += 1
                except Exception as exc:
                    results.errors.append(f"join: {type(exc).__name__}: {exc}"[:200])

        await asyncio.gather(*(join(t) for t in people))
        emit(phase="joined", trainees=results.joined, seconds=round(time.monotonic() - started, 2), errors=len(results.errors), **load())
        joined = [t for t in people if t.user_id]
        start_gate = asyncio.Event()

        async def lesson(trainee: Trainee) -> None:
            try:
                await trainee.run(start_gate, invitation_timeout)
            except Exception as exc:
                results.errors.append(f"lessons: {type(exc).__name__}: {exc}"[:200])

        tasks = [asyncio.create_task(lesson(t)) for t in joined]
        # Everyone starts tapping together once every phone has its invitations (or after the timeout).
        waited = time.monotonic()
        while time.monotonic() - waited < invitation_timeout and not all(len(t.invitations()) >= 2 for t in joined):
            await asyncio.sleep(0.5)
        emit(phase="invitations delivered", seconds=round(time.monotonic() - waited, 2),
             phones_ready=sum(1 for t in joined if len(t.invitations()) >= 2), **load())
        start_gate.set()
        lessons_started, cpu_before = time.monotonic(), cpu_seconds(demo_pid)
        await asyncio.gather(*tasks)
        cpu_after = cpu_seconds(demo_pid)
        if cpu_before is not None and cpu_after is not None:
            results.server_cpu_s = round(cpu_after - cpu_before, 2)
        emit(phase="lessons", seconds=round(time.monotonic() - lessons_started, 2), server_cpu_s=results.server_cpu_s, **load())
    return results


def start_demo(folder: Path) -> tuple[subprocess.Popen[bytes], str, str, str, Path]:
    port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOTAY_")} | {"SOTAY_DATA_DIR": str(folder / "data"),
                                                                                "SOTAY_LOG_LEVEL": "WARNING"}
    log_path = folder / "demo.log"
    process = subprocess.Popen([sys.executable, "-m", "sotay.cli", "demo", "--port", str(port), "--sandbox-port", str(sandbox_port)],
                               env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[1])
    deadline = time.monotonic() + 300
    while READY not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"sotay demo did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    key = (folder / "data" / "demo" / "trainer-key.txt").read_text().strip()
    return process, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}", key, log_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainees", type=int, default=300)
    parser.add_argument("--join-concurrency", type=int, default=50)
    parser.add_argument("--answer-timeout", type=float, default=20.0)
    parser.add_argument("--invitation-timeout", type=float, default=180.0)
    parser.add_argument("--url", help="a running demo's address (default: start one)")
    parser.add_argument("--sandbox-url", help="its sandbox (default: the demo's port + 1)")
    parser.add_argument("--key", help="the trainer's key of a running demo")
    args = parser.parse_args()
    before = load()
    with tempfile.TemporaryDirectory(prefix="sotay-bench-training-") as temporary:
        process = None
        log_path = None
        if args.url:
            api = args.url.rstrip("/")
            sandbox = args.sandbox_url or re.sub(r":(\d+)$", lambda m: f":{int(m.group(1)) + 1}", api)
            key = args.key or ""
        else:
            process, api, sandbox, key, log_path = start_demo(Path(temporary))
        emit(phase="demo ready", api=api, **load())
        try:
            started = time.monotonic()
            results = asyncio.run(run_load(api, sandbox, key, trainees=args.trainees, join_concurrency=args.join_concurrency,
                                           answer_timeout=args.answer_timeout, invitation_timeout=args.invitation_timeout,
                                           demo_pid=process.pid if process is not None else None))
            seconds = time.monotonic() - started
        finally:
            if process is not None:
                process.terminate()
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
        tracebacks = log_path.read_text(errors="replace").count("Traceback") if log_path else None
        if tracebacks:
            kept = Path(tempfile.gettempdir()) / "sotay-bench-training-demo.log"
            kept.write_bytes(log_path.read_bytes())  # type: ignore[union-attr]
            emit(phase="demo log kept", path=str(kept))
    errors = Counter_of(results.errors)
    emit(summary=True, trainees=args.trainees, joined=results.joined, taps=len(results.taps),
         p50_s=percentile(results.taps, 0.5), p95_s=percentile(results.taps, 0.95), max_s=round(max(results.taps), 3) if results.taps else None,
         mean_s=round(statistics.fmean(results.taps), 3) if results.taps else None,
         by_step={step: {"n": len(v), "p50_s": percentile(v, 0.5), "p95_s": percentile(v, 0.95)} for step, v in results.by_step.items()},
         server_cpu_s=results.server_cpu_s,
         server_cpu_ms_per_tap=round(results.server_cpu_s * 1000 / len(results.taps), 1) if results.server_cpu_s and results.taps else None,
         lessons_done=results.lessons_done, errors=len(results.errors), error_kinds=errors, first_errors=results.errors[:3], demo_tracebacks=tracebacks,
         seconds=round(seconds, 1), goal={"p95_s": 1.5, "errors": 0}, load_before=before, load_after=load())


def Counter_of(errors: list[str]) -> dict[str, int]:  # noqa: N802 - reads as what it returns
    counts: dict[str, int] = {}
    for error in errors:
        kind = error.split(":")[0] + ": " + error.split(":")[1].strip() if ":" in error else error
        counts[kind] = counts.get(kind, 0) + 1
    return counts


if __name__ == "__main__":
    main()
