"""Starting and stopping real `sotay` processes for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

COMMIT_DELAY_ENV = "SOTAY_TEST_COMMIT_DELAY"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SotayProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    base_url: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then a kill if the process has not ended within `timeout` seconds (a safety net:
        sotay stops in well under a second, but the interpreter's final garbage collection took
        3-9 s on a busy 2-core machine)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


def start_sotay(args: list[str], env: dict[str, str], log_path: Path, http_port: int, *, module: str = "sotay.cli") -> SotayProcess:
    """`python -m sotay.cli ARGS` (or another entry point `module`, e.g. tests.e2e.shifted_clock)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SOTAY_")}
    full_env.update(env)
    full_env.setdefault("SOTAY_TTS_ENGINE", "espeak")  # tests stay offline: production's default ("auto") would try Google
    full_env.setdefault("SOTAY_HTTP_PORT", str(http_port))
    full_env.setdefault("SOTAY_LOG_LEVEL", "INFO")
    command = [sys.executable, "-m", module, *args]
    if os.environ.get(COMMIT_DELAY_ENV):  # test-only: widen the reply-before-commit window (tests/e2e/slow_commit.py)
        full_env[COMMIT_DELAY_ENV] = os.environ[COMMIT_DELAY_ENV]
        command = [sys.executable, "-m", "tests.e2e.slow_commit", module, *args]
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        command,
        env=full_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[2],
    )
    return SotayProcess(process=process, log_path=log_path, base_url=f"http://127.0.0.1:{http_port}")


async def wait_until_healthy(proc: SotayProcess, timeout: float = 300) -> None:
    """Until /readyz answers 200 (mostly imports: ~20-26 s on a busy 2-core machine, past 120 s with
    coverage measuring on a machine loaded ~9 on 2 cores); the timeout is a safety net.

    Stopping a sotay that is still starting kills it (-15): its SIGTERM handler is installed only
    once `sotay.serve.serve` has built the runtime (see the report on issue 21)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if proc.process.poll() is not None:
                raise RuntimeError(f"sotay exited with {proc.process.returncode}:\n{proc.log()[-4000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(proc.base_url + "/readyz", timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"sotay did not become ready:\n{proc.log()[-4000:]}")


async def ticks_done(proc: SotayProcess) -> int:
    """How many scheduler ticks the process has completed (`sotay_ticks_total` on /metrics, loopback)."""
    async with httpx.AsyncClient() as client:
        for attempt in range(5):  # /metrics also counts the outbox: on a busy machine it may answer slowly
            try:
                response = await client.get(proc.base_url + "/metrics", timeout=30)
                break
            except httpx.TimeoutException:
                if attempt == 4:
                    raise
    response.raise_for_status()
    for line in response.text.splitlines():
        if line.startswith("sotay_ticks_total "):
            return int(float(line.split()[1]))
    return 0


async def wait_for_ticks(proc: SotayProcess, count: int = 2, timeout: float = 120) -> None:
    """Until `count` more ticks have completed: with 2, at least one whole tick started after this
    call (one under way at the call may have read the time before a test moved the clock). What
    a test then asserts did not happen has had its chance to happen; the timeout is a safety net."""
    deadline = time.monotonic() + timeout
    target = await ticks_done(proc) + count
    while await ticks_done(proc) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the scheduler did not tick {count} times in {timeout} s:\n{proc.log()[-4000:]}")
        await asyncio.sleep(0.2)
