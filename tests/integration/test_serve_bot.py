"""The bot part of `sotay run` stops cleanly whenever it is told to: while Telegram is still
unreachable at start-up, and while polling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sotay.runtime import build_runtime
from sotay.serve import _run_bot
from sotay.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.e2e.processes import free_port

TOKEN = "7000000002:SERVE_test_token_abcdefghijklmnopq"


def settings_for(api_base: str, database_url: str, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(secret_key=TEST_SECRET_KEY, data_dir=tmp_path, database_url=database_url, telegram_token=TOKEN,
                    telegram_api_base=api_base)


async def run_then_stop(settings: Settings, after: float, *, once: Callable[[], bool] = lambda: True) -> None:
    """Run the bot part, and stop it `after` seconds — and not before `once()` is true."""
    runtime = build_runtime(settings)
    stop = asyncio.Event()
    bot = asyncio.create_task(_run_bot(runtime, stop))
    await asyncio.sleep(after)
    deadline = asyncio.get_running_loop().time() + 15  # a safety net: `once` holds within a second when idle
    while not once() and asyncio.get_running_loop().time() < deadline and not bot.done():
        await asyncio.sleep(0.02)
    stop.set()
    try:
        await asyncio.wait_for(bot, 15)
    finally:
        await runtime.close()


async def test_stopped_while_telegram_is_unreachable(database_url, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING)
    await run_then_stop(settings_for(f"http://127.0.0.1:{free_port()}", database_url, tmp_path), after=0.5,
                        once=lambda: "setMyCommands failed" in caplog.text)
    assert "setMyCommands failed" in caplog.text  # it was still trying
    assert "RuntimeError" not in caplog.text and "Traceback" not in caplog.text


async def test_stopped_while_polling(database_url, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    from sandbox.server import SandboxServer

    server = SandboxServer(port=0, bots={TOKEN: "sotay_serve_bot"})
    await server.start()
    try:
        caplog.set_level(logging.WARNING)
        for after in (0.05, 1.0):  # just after start-up, and once polling runs
            await run_then_stop(settings_for(server.base_url, database_url, tmp_path), after=after)
        assert "RuntimeError" not in caplog.text and "Traceback" not in caplog.text
    finally:
        await server.stop()
