"""`sotay demo` as a newcomer meets it (issue 20): the address is printed once both servers answer,
the chats survive a restart, `--reset` starts afresh, and a port in use is one line naming its option."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import SotayProcess, free_port, start_sotay

READY_LINE = "Sổ tay demo is running"
SECRETARY = 700001  # Giàng A Páo, linked


async def _start(tmp_path: Path, name: str, *extra: str) -> tuple[SotayProcess, int, int]:
    port, sandbox_port = free_port(), free_port()
    process = start_sotay(["demo", "--port", str(port), "--sandbox-port", str(sandbox_port), *extra],
                          {"SOTAY_DATA_DIR": str(tmp_path / "data")}, tmp_path / f"{name}.log", port)
    deadline = time.monotonic() + 240  # a safety net on a busy machine (seeding speaks a voice note), not a target
    while READY_LINE not in process.log():
        if process.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(process.log()[-4000:])
        await asyncio.sleep(0.05)
    # The moment the address is printed, both servers answer (no "connection refused" for a quick click).
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        assert (await client.get(f"http://127.0.0.1:{sandbox_port}/sandbox/health")).status_code == 200
    return process, port, sandbox_port


async def _chat(sandbox_port: int, user_id: int) -> list[dict]:
    async with httpx.AsyncClient(timeout=10) as client:
        return (await client.get(f"http://127.0.0.1:{sandbox_port}/sandbox/bots/default/chats/{user_id}")).json()["messages"]


@pytest.mark.timeout(900)  # three demo starts, each seeding a voice note: a safety net on a busy machine
async def test_the_demo_keeps_its_chats_across_a_restart_and_reset_starts_afresh(tmp_path: Path) -> None:
    process, _, sandbox_port = await _start(tmp_path, "first")
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            sent = await client.post(f"http://127.0.0.1:{sandbox_port}/sandbox/bots/default/users/{SECRETARY}/text",
                                     json={"text": "👤 Hồ sơ"})
            assert sent.status_code == 200, sent.text
        deadline = time.monotonic() + 60
        while not any("Hồ sơ đảng viên" in (m.get("text") or "") for m in await _chat(sandbox_port, SECRETARY)):
            assert time.monotonic() < deadline, "the bot did not answer"
            await asyncio.sleep(0.2)
        before = await _chat(sandbox_port, SECRETARY)
        token_line = next(line for line in process.log().splitlines() if line.strip().startswith("sotay_"))
    finally:
        assert process.stop() == 0

    process, _, sandbox_port = await _start(tmp_path, "second")
    try:
        after = await _chat(sandbox_port, SECRETARY)
        # The same history (invitations, absence request, the profile) and nothing sent twice by the restart.
        assert [m["message_id"] for m in after][: len(before)] == [m["message_id"] for m in before]
        assert any("Hồ sơ đảng viên" in (m.get("text") or "") for m in after)
        assert sum(1 for m in after if m.get("text") == "/start") == 1
        assert token_line in process.log()  # the ready API token is the same one, still valid
    finally:
        assert process.stop() == 0

    process, _, sandbox_port = await _start(tmp_path, "reset", "--reset")
    try:
        assert "demo reset" in process.log()
        fresh = await _chat(sandbox_port, SECRETARY)
        assert not any("Hồ sơ đảng viên" in (m.get("text") or "") for m in fresh)
    finally:
        assert process.stop() == 0
    for name in ("first", "second", "reset"):
        assert "Traceback" not in (tmp_path / f"{name}.log").read_text()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("option", ["--port", "--sandbox-port"])
def test_a_port_in_use_is_one_line_naming_its_option(tmp_path: Path, option: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports = {"--port": str(free_port()), "--sandbox-port": str(free_port())} | {option: str(busy)}
        result = subprocess.run([sys.executable, "-m", "sotay.cli", "demo", *[x for pair in ports.items() for x in pair]],
                                capture_output=True, text=True, timeout=500,  # imports only; a safety net on a loaded machine
                                env={k: v for k, v in os.environ.items() if not k.startswith("SOTAY_")} | {"SOTAY_DATA_DIR": str(tmp_path / "data")},
                                cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert option in errors[0] and str(busy) in errors[0]
    assert "Traceback" not in result.stderr + result.stdout
