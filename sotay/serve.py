"""`sotay run`: the API, the bot, the scheduler and the delivery worker in one process,
or any one of them (`--only`) for a scaled-out deployment."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import uvicorn

from sotay.migrate import upgrade_async
from sotay.runtime import Runtime, build_runtime
from sotay.settings import Settings

log = logging.getLogger(__name__)
ROLES = ("api", "bot", "worker")

# A background job runs until the event is set. Domains (delivery, scheduling) register theirs here.
BackgroundJob = Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]]


def worker_jobs() -> list[BackgroundJob]:
    from sotay.delivery import run_delivery
    from sotay.presynthesis import run_presynthesis
    from sotay.scheduler import run_scheduler

    return [run_scheduler, run_delivery, run_presynthesis]


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The process's own handler stops every part together; uvicorn must not take the signals.
        yield


class StartupError(Exception):
    """Something an operator fixes before starting again; `sotay run` prints it as one line."""


def _listen(host: str, port: int) -> socket.socket:
    """The API's listening socket, bound before uvicorn starts, so a port in use is one clear line."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(f"cannot listen on {host}:{port}: the address is already in use (another sotay or another program; "
                               f"stop it or set SOTAY_HTTP_PORT)") from None
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (check SOTAY_HTTP_HOST and SOTAY_HTTP_PORT)") from None


async def _run_api(runtime: Runtime, stop: asyncio.Event, *, operations_only: bool = False) -> None:
    """The API; for a bot or worker process, only its health and metrics (`create_operations_app`)."""
    from api.app import create_operations_app
    from sotay.web_app import http_app

    settings = runtime.settings
    listening = _listen(settings.http_host, settings.http_port)
    if operations_only:
        app = create_operations_app(runtime)
    else:
        app = http_app(runtime)  # the API with the channels' webhooks
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_level="warning", lifespan="off", access_log=False,
        log_config=None,  # uvicorn's loggers go through sotay's handler and redaction (sotay.logging_setup)
    )
    server = _EmbeddedServer(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    await stop.wait()
    server.should_exit = True
    await serving


async def _run_bot(runtime: Runtime, stop: asyncio.Event) -> None:
    """Telegram, Zalo or both, by which tokens are set; one Dispatcher serves both bots."""
    parts = []
    if runtime.bot is not None:
        parts.append(_run_telegram(runtime, stop))
    if runtime.zalo is not None:
        parts.append(_run_zalo(runtime, stop))
    await asyncio.gather(*parts)


async def _run_zalo(runtime: Runtime, stop: asyncio.Event) -> None:
    from bot.zalo.polling import poll

    settings = runtime.settings
    zalo = runtime.zalo
    if settings.zalo_webhook_url:
        assert settings.zalo_webhook_secret is not None
        secret = settings.zalo_webhook_secret.get_secret_value()
        await _retry_until_stopped(lambda: zalo.client.set_webhook(settings.zalo_webhook_url, secret), stop, what="zalo setWebhook")
        log.info("zalo webhook set; updates arrive at the API")
        await stop.wait()
        return
    await poll(zalo.client, zalo.inbound, stop, timeout=10)


async def _run_telegram(runtime: Runtime, stop: asyncio.Event) -> None:
    from bot.dispatcher import register_commands

    bot, dispatcher = runtime.bot, runtime.dispatcher
    assert bot is not None and dispatcher is not None
    settings = runtime.settings
    await _retry_until_stopped(lambda: register_commands(bot), stop, what="setMyCommands")
    webhook_url, webhook_secret = settings.webhook_url, settings.webhook_secret
    if webhook_url:
        assert webhook_secret is not None
        await _retry_until_stopped(
            lambda: bot.set_webhook(
                url=webhook_url, secret_token=webhook_secret.get_secret_value(), allowed_updates=dispatcher.resolve_used_update_types()
            ),
            stop,
            what="setWebhook",
        )
        log.info("webhook set; updates arrive at the API")
        await stop.wait()
        return
    await _retry_until_stopped(lambda: bot.delete_webhook(), stop, what="deleteWebhook")
    if stop.is_set():  # stopped while Telegram was still unreachable: polling never began
        return
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=10)
    )
    await stop.wait()
    try:
        await dispatcher.stop_polling()
    except RuntimeError:  # stopped in the moment before polling had begun: nothing to end gracefully
        polling.cancel()
    with contextlib.suppress(asyncio.CancelledError, RuntimeError):
        await polling


async def _retry_until_stopped(call: Callable[[], Awaitable[object]], stop: asyncio.Event, *, what: str) -> None:
    delay = 1.0
    while not stop.is_set():
        try:
            await call()
            return
        except Exception as exc:  # Telegram unreachable at start-up: keep trying, do not die
            log.warning("%s failed (%s); retrying in %.0fs", what, type(exc).__name__, delay)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 30)


async def serve(
    settings: Settings, *, only: set[str] | None = None, stop: asyncio.Event | None = None, services: dict[str, Any] | None = None
) -> None:
    roles = set(only or ROLES)
    if settings.telegram_token is None and settings.zalo_token is None:
        roles.discard("bot")
        log.warning("neither SOTAY_TELEGRAM_TOKEN nor SOTAY_ZALO_TOKEN is set: the bot does not run (use `sotay demo` to try it)")
    # Signals first: a SIGTERM while migrations run must end the process cleanly (exit 0), not kill it.
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    runtime = build_runtime(settings, with_bot=bool(roles & {"bot", "worker", "api"}), services=services)
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        await upgrade_async(settings.resolved_database_url)
    jobs: list[Coroutine[Any, Any, None]] = []
    # Every role answers health checks and serves its own metrics on SOTAY_HTTP_PORT.
    jobs.append(_run_api(runtime, stop, operations_only="api" not in roles))
    if "bot" in roles:
        jobs.append(_run_bot(runtime, stop))
    if "worker" in roles:
        jobs.extend(job(runtime, stop) for job in worker_jobs())
    log.info("sotay running: %s on %s:%s", ", ".join(sorted(roles)), settings.http_host, settings.http_port)
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop.set()
                raise task.exception()  # type: ignore[misc]
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runtime.close()
