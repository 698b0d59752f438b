"""`python -m sandbox --port 8081 --token 123456:ABC…[:username]` runs the sandbox alone."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from sandbox.limits import Limits
from sandbox.server import SandboxServer
from sandbox.zalo import ZaloLimits


def parse_token(spec: str) -> tuple[str, str | None]:
    """TOKEN or TOKEN:username. A token is `<digits>:<secret>`, so a username is a third `:` part."""
    bot_id, _, rest = spec.partition(":")
    secret, _, username = rest.partition(":")
    if not bot_id.isdigit() or not secret:
        raise argparse.ArgumentTypeError(f"{spec!r} is not a bot token (123456:ABC…[:username])")
    return f"{bot_id}:{secret}", username or None


def parse_person(spec: str) -> tuple[int, str, str | None]:
    """ID:First name[:phone]"""
    user_id, _, rest = spec.partition(":")
    name, _, phone = rest.partition(":")
    if not user_id.isdigit() or not name:
        raise argparse.ArgumentTypeError(f"{spec!r} is not ID:Name[:phone]")
    return int(user_id), name, phone or None


def parse_zalo_token(spec: str) -> tuple[str, str | None]:
    """TOKEN or TOKEN:Name (a Zalo token is `<digits>:<secret>`, so a name is a third `:` part)."""
    bot_id, _, rest = spec.partition(":")
    secret, _, name = rest.partition(":")
    if not bot_id.isdigit() or len(secret) < 8:
        raise argparse.ArgumentTypeError(f"{spec!r} is not a Zalo bot token (1459232241454765289:SECRET…[:Name])")
    return f"{bot_id}:{secret}", name or None


def parse_zalo_person(spec: str) -> tuple[str, str]:
    """ID:Display name"""
    person_id, _, name = spec.partition(":")
    if not person_id.isalnum() or not 8 <= len(person_id) <= 40 or not name:
        raise argparse.ArgumentTypeError(f"{spec!r} is not ID:Display name (an id of 8-40 letters or digits)")
    return person_id, name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="A local Telegram- and Zalo-compatible Bot API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", type=parse_token, action="append", default=[], help="TOKEN or TOKEN:username (repeatable)")
    parser.add_argument("--user", type=parse_person, action="append", default=[], help="a person, ID:Name[:phone] (repeatable)")
    parser.add_argument("--zalo-token", type=parse_zalo_token, action="append", default=[],
                        help="a Zalo bot, TOKEN or TOKEN:Name (repeatable); served at /zalo/bot<TOKEN>/<method>")
    parser.add_argument("--zalo-user", type=parse_zalo_person, action="append", default=[],
                        help="a Zalo person, ID:Display name (repeatable)")
    parser.add_argument("--no-limits", action="store_true", help="switch Telegram's and Zalo's rate limits off")
    parser.add_argument("--no-auto-register", action="store_true", help="answer 401 to tokens not given with --token")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of send* calls answered 429/500/502")
    parser.add_argument("--round-trip-ms", type=float, default=0.0,
                        help="network round trip added to every Telegram Bot API call (benchmarks: Telegram is not on loopback)")
    parser.add_argument("--log-level", default="WARNING")
    return parser


async def serve(args: argparse.Namespace) -> None:
    server = SandboxServer(args.host, args.port, bots=dict(args.token), limits=Limits(enabled=not args.no_limits),
                           auto_register=not args.no_auto_register, zalo_bots=dict(args.zalo_token),
                           zalo_limits=ZaloLimits(enabled=not args.no_limits))
    for user_id, name, phone in args.user:
        server.world.add_person(user_id=user_id, first_name=name, phone_number=phone)
    for person_id, name in args.zalo_user:
        server.zalo.world.add_person(person_id=person_id, display_name=name)
    server.api.round_trip = max(0.0, args.round_trip_ms) / 1000
    if args.fault_rate:
        plans = [bot.faults for bot in server.world.bots.values()] + [bot.faults for bot in server.zalo.world.bots.values()]
        for faults in plans:
            faults.set_rate(args.fault_rate, (429, 500, 502), seed=7)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"sandbox Bot API at {server.base_url}  (Zalo: {server.base_url}/zalo; chat page: {server.base_url}/sandbox/ui/)",
          flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
