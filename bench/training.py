"""Training-ground load run: a hall of simulated trainees doing lessons at once against one `sotay demo`.

    python -m bench.training [--trainees 300] [--join-concurrency 50] [--seed 20] [--url http://127.0.0.1:8080 --key KEY]

Without --url it starts `sotay demo` itself (a fresh data folder in a temporary directory, free ports)
and stops it at the end. Each simulated trainee's phone behaves as the page on a phone does
(sandbox/web/chat.js, phone.js, training.js):

- it opens the trainer's link (GET /training/join), loads the people list once (the page finds its
  person there) and then follows its chat with a long poll (`?after=<version>&wait=25`, the next one
  sent the moment one is answered);
- it asks for its lesson (GET /training/api/me) every 10 s, and 4.2 s after each step with `acted=1`.

The hall does two lessons, as two phases:

1. **burst** (the worst case): the moment every phone has its two practice invitations, every trainee
   taps «✅ Tôi sẽ dự họp» on the first one in the same instant (lesson 1);
2. **hall** (a real room): lesson 2, each trainee at their own pace: reads the lesson for a uniformly
   random 3–12 s, taps «🙏 Xin vắng mặt» on the second invitation, reads the reasons for 2–5 s and
   taps «Lý do khác», types the reason for 5–15 s and sends it; once the lesson shows as done, after
   2–6 s taps «📅 Lịch họp» (the conclusions). The delays are drawn from a seeded generator (--seed).

A "tap" is timed from the moment it is sent to the moment the page shows the bot's answer (the long
poll that brings it answers at once, so this is the answer's arrival). An error is any HTTP failure,
an answer not seen within --answer-timeout, or a lesson not shown as done within 30 s. Prints JSON
lines: one per phase and a final summary with p50/p95/max and errors per phase (the goal, p95 < 1.5 s
and 0 errors, is judged on the hall; the burst is reported beside it), the demo's CPU time per phase
and per tap and while the joined hall sits idle (when this bench started the demo: a figure the
machine's load disturbs far less than latency does), and the machine's load (1-minute load average
and cores) before and after. Nothing here is a test assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

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
    taps: dict[str, list[float]] = field(default_factory=dict)  # phase → seconds from tap to the bot's answer
    by_step: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)  # phase → what went wrong
    lessons_done: int = 0
    joined: int = 0
    server_cpu_s: dict[str, float] = field(default_factory=dict)  # phase → the demo's CPU time (when this bench started it)

    def tapped(self, phase: str, step: str, seconds: float) -> None:
        self.taps.setdefault(phase, []).append(seconds)
        self.by_step.setdefault(step, []).append(seconds)

    def failed(self, phase: str, error: BaseException | str) -> None:
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.errors.setdefault(phase, []).append(text[:200])

    def phase(self, phase: str) -> dict[str, Any]:
        taps = self.taps.get(phase, [])
        cpu = self.server_cpu_s.get(phase)
        return {"taps": len(taps), "p50_s": percentile(taps, 0.5), "p95_s": percentile(taps, 0.95),
                "max_s": round(max(taps), 3) if taps else None, "errors": len(self.errors.get(phase, [])),
                "error_kinds": counts_of(self.errors.get(phase, [])), "first_errors": self.errors.get(phase, [])[:3],
                "server_cpu_s": cpu, "server_cpu_ms_per_tap": round(cpu * 1000 / len(taps), 1) if cpu and taps else None}


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))], 3)


LONG_POLL_S = 25  # phone.js WAIT_S
LESSON_EVERY_S = 10.0  # training.js CHECK_MS
ACTED_CHECK_S = 4.2  # training.js: the check a moment after a step


class Http:
    """The hall's HTTP client: aiohttp (httpx's pool spent more CPU than the demo it was measuring), no
    connection limit, no cookies kept (each join is a phone of its own). A GET the server closed or reset as
    it went out (an idle kept-alive connection) is sent once more, as a browser does."""

    async def __aenter__(self) -> Http:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.session.close()

    async def call(self, method: str, url: str, *, params: dict[str, Any] | None = None, json: Any = None, timeout: float = 30,
                   redirect: bool = False) -> tuple[int, Any, str | None]:
        """→ (status, JSON body or None, a redirect's Location); an HTTP error status raises."""
        for attempt in (1, 2):
            try:
                async with self.session.request(method, url, params=params, json=json, allow_redirects=False,
                                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                    if redirect and 300 <= response.status < 400:
                        return response.status, None, response.headers.get("Location")
                    response.raise_for_status()
                    return response.status, await response.json(content_type=None), None
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                if method != "GET" or attempt == 2:
                    raise
        raise AssertionError("unreachable")


class Trainee:
    """One phone: its chat followed by a long poll, its lesson asked for as training.js does."""

    def __init__(self, client: Http, api: str, sandbox: str, results: Results, answer_timeout: float,
                 pace: random.Random) -> None:
        self.client = client
        self.api = api
        self.sandbox = sandbox
        self.results = results
        self.answer_timeout = answer_timeout
        self.pace = pace
        self.user_id = 0
        self.messages: dict[int, dict[str, Any]] = {}
        self.version = 0
        self.changed = asyncio.Condition()
        self.status: dict[str, Any] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.later: list[asyncio.TimerHandle] = []
        self.phase = "waiting"  # failures of the page before the lessons (its long poll, its lesson checks)

    async def join(self) -> None:
        # A phone of its own: the client keeps no cookie (the room would recognise another trainee's phone).
        status, _, location = await self.client.call("GET", f"{self.api}/training/join", timeout=60, redirect=True)
        if not location:
            raise RuntimeError(f"join answered {status} without a redirect")
        match = re.search(r"[?&]user=(\d+)", location)
        assert match, location
        self.user_id = int(match.group(1))

    def open_page(self) -> None:
        """The page loads: the people list once, then it follows the chat and asks for the lesson."""
        self.tasks = [asyncio.create_task(self._follow_chat()), asyncio.create_task(self._lesson_every())]

    async def close(self) -> None:
        for timer in self.later:
            timer.cancel()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _follow_chat(self) -> None:
        await self.client.call("GET", f"{self.sandbox}/sandbox/users")
        await self.client.call("GET", f"{self.sandbox}/sandbox/zalo/users")
        while True:
            try:
                _, data, _ = await self.client.call("GET", f"{self.sandbox}/sandbox/bots/default/chats/{self.user_id}",
                                                    params={"after": self.version, "wait": LONG_POLL_S}, timeout=LONG_POLL_S + 30)
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.results.failed(self.phase, f"chat long poll: {type(exc).__name__}: {exc}")
                await asyncio.sleep(1.0)  # as the page does after a failure
                continue
            async with self.changed:
                self.version = data["version"]
                for message in data["messages"]:
                    self.messages[message["message_id"]] = message
                self.changed.notify_all()

    async def _lesson_every(self) -> None:
        while True:
            await self._check_lesson()
            await asyncio.sleep(LESSON_EVERY_S)

    async def _check_lesson(self, acted: bool = False) -> None:
        try:
            _, status, _ = await self.client.call("GET", f"{self.api}/training/api/me", params={"user": self.user_id, "acted": int(acted)})
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.results.failed(self.phase, f"lesson: {type(exc).__name__}: {exc}")
            return
        async with self.changed:
            self.status = dict(status)
            self.changed.notify_all()

    def _acted(self) -> None:
        self.later.append(asyncio.get_running_loop().call_later(ACTED_CHECK_S, lambda: self.tasks.append(
            asyncio.ensure_future(self._check_lesson(acted=True)))))

    def invitations(self) -> list[dict[str, Any]]:
        found = [m for m in self.messages.values() if m.get("from") == "bot" and "THÔNG BÁO MỜI HỌP" in (m.get("text") or "")
                 and not m.get("deleted")]
        return sorted(found, key=lambda m: m["message_id"])

    async def _answered(self, step: str, started: float, since: int, seen: Any) -> dict[str, Any]:
        """The first bot message new or changed after version `since` that `seen` accepts, as the long poll
        brings it; records the time from `started`."""
        def found() -> dict[str, Any] | None:
            return next((m for m in self.messages.values() if m.get("from") == "bot" and m.get("version", 0) > since and seen(m)), None)

        async with self.changed:
            try:
                message = await asyncio.wait_for(self.changed.wait_for(found), self.answer_timeout)
            except TimeoutError:
                raise TimeoutError(f"no answer to {step} within {self.answer_timeout:.0f} s") from None
        self.results.tapped(self.phase, step, time.monotonic() - started)
        assert message is not None
        return message

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
        since, started = self.version, time.monotonic()
        await self.client.call("POST", f"{self.sandbox}/sandbox/bots/default/users/{self.user_id}/press",
                               json={"message_id": message["message_id"], "data": data, "wait": 0})
        self._acted()
        return await self._answered(step, started, since, expect or (lambda m: True))

    async def send(self, step: str, action: str, text: str) -> dict[str, Any]:
        since, started = self.version, time.monotonic()
        await self.client.call("POST", f"{self.sandbox}/sandbox/bots/default/users/{self.user_id}/{action}", json={"text": text})
        self._acted()
        return await self._answered(step, started, since, lambda m: True)

    async def until_done(self, key: str, timeout: float = 30.0) -> None:
        """The lesson shows as done on the page (the page's own checks, nothing more)."""
        async with self.changed:
            try:
                await asyncio.wait_for(self.changed.wait_for(lambda: key in self.status.get("done", [])), timeout)
            except TimeoutError:
                raise AssertionError(f"lesson {key} not shown as done within {timeout:.0f} s") from None
        self.results.lessons_done += 1

    async def read(self, low: float, high: float) -> None:
        await asyncio.sleep(self.pace.uniform(low, high))

    async def burst(self, go: asyncio.Event) -> None:
        """Lesson 1, every trainee in the same instant."""
        first = self.invitations()[0]
        await go.wait()
        await self.press("rsvp", first, ATTEND)
        await self.until_done("rsvp")

    async def hall(self, go: asyncio.Event) -> None:
        """Lesson 2 and the conclusions, at a reader's pace."""
        second = self.invitations()[1]
        await go.wait()
        await self.read(3, 12)
        reasons = await self.press("excuse: ask", self.messages[second["message_id"]], ABSENT,
                                   expect=lambda m: "Lý do khác" in json.dumps(m.get("reply_markup") or {}, ensure_ascii=False))
        await self.read(2, 5)
        await self.press("excuse: reason", reasons, "Lý do khác", expect=lambda m: "gõ lý do" in (m.get("text") or ""))
        await self.read(5, 15)
        await self.send("excuse: text", "text", "Bận việc gia đình, xin phép chi bộ.")  # any answer: the request or a refusal
        await self.until_done("excuse")
        await self.read(2, 6)
        await self.send("meetings menu", "tap", MEETINGS)


async def run_load(api: str, sandbox: str, key: str, *, trainees: int, join_concurrency: int, answer_timeout: float,
                   invitation_timeout: float, seed: int, idle_seconds: float, demo_pid: int | None = None) -> Results:
    results = Results()
    pace = random.Random(seed)
    async with Http() as client:
        for _ in range(4):  # the trainer opens every member lesson
            await client.call("POST", f"{api}/training/api/next", params={"key": key, "track": "member"})
        people = [Trainee(client, api, sandbox, results, answer_timeout, random.Random(pace.random())) for _ in range(trainees)]
        gate = asyncio.Semaphore(join_concurrency)
        started = time.monotonic()

        async def join(trainee: Trainee) -> None:
            async with gate:
                try:
                    await trainee.join()
                    results.joined += 1
                    trainee.open_page()
                except Exception as exc:
                    results.failed("join", exc)

        await asyncio.gather(*(join(t) for t in people))
        emit(phase="joined", trainees=results.joined, seconds=round(time.monotonic() - started, 2), errors=len(results.errors.get("join", [])),
             **load())
        joined = [t for t in people if t.user_id]
        try:
            waited = time.monotonic()
            while time.monotonic() - waited < invitation_timeout and not all(len(t.invitations()) >= 2 for t in joined):
                await asyncio.sleep(0.5)
            ready = [t for t in joined if len(t.invitations()) >= 2]
            emit(phase="invitations delivered", seconds=round(time.monotonic() - waited, 2), phones_ready=len(ready), **load())
            for trainee in joined:
                if trainee not in ready:
                    results.failed("burst", "invitations did not arrive")

            # The hall sits idle, every phone following its chat: what does that cost the demo?
            cpu_before = cpu_seconds(demo_pid)
            await asyncio.sleep(idle_seconds)
            cpu_after = cpu_seconds(demo_pid)
            idle_cpu = round((cpu_after - cpu_before) / idle_seconds, 3) if cpu_before is not None and cpu_after is not None else None
            emit(phase="idle hall", seconds=idle_seconds, server_cpu_s_per_s=idle_cpu, **load())

            for phase in ("burst", "hall"):
                go = asyncio.Event()

                async def lesson(trainee: Trainee, phase: str = phase, go: asyncio.Event = go) -> None:
                    trainee.phase = phase
                    try:
                        await (trainee.burst(go) if phase == "burst" else trainee.hall(go))
                    except Exception as exc:
                        results.failed(phase, exc)

                tasks = [asyncio.create_task(lesson(t)) for t in ready]
                await asyncio.sleep(0.5)  # every trainee is at the button
                begun, cpu_before = time.monotonic(), cpu_seconds(demo_pid)
                go.set()
                await asyncio.gather(*tasks)
                cpu_after = cpu_seconds(demo_pid)
                if cpu_before is not None and cpu_after is not None:
                    results.server_cpu_s[phase] = round(cpu_after - cpu_before, 2)
                emit(phase=phase, seconds=round(time.monotonic() - begun, 2), **results.phase(phase), **load())
        finally:
            await asyncio.gather(*(t.close() for t in joined))
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
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="how long the joined hall sits idle, measured")
    parser.add_argument("--seed", type=int, default=20, help="the reading delays' generator")
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
                                           seed=args.seed, idle_seconds=args.idle_seconds,
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
    every = [t for taps in results.taps.values() for t in taps]
    emit(summary=True, trainees=args.trainees, joined=results.joined, join_errors=len(results.errors.get("join", [])),
         waiting_errors=results.phase("waiting")["error_kinds"],
         hall=results.phase("hall"), burst=results.phase("burst"),
         all_taps={"taps": len(every), "p50_s": percentile(every, 0.5), "p95_s": percentile(every, 0.95),
                   "mean_s": round(statistics.fmean(every), 3) if every else None},
         by_step={step: {"n": len(v), "p50_s": percentile(v, 0.5), "p95_s": percentile(v, 0.95)} for step, v in results.by_step.items()},
         lessons_done=results.lessons_done, errors=sum(len(v) for v in results.errors.values()), demo_tracebacks=tracebacks,
         bench_cpu_s=round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1),  # the load generator's own CPU
         seconds=round(seconds, 1), goal={"judged_on": "hall", "p95_s": 1.5, "errors": 0}, load_before=before, load_after=load())


def counts_of(errors: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for error in errors:
        kind = error.split(":")[0] + ": " + error.split(":")[1].strip() if ":" in error else error
        counts[kind] = counts.get(kind, 0) + 1
    return counts


if __name__ == "__main__":
    main()
