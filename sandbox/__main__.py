"""`python -m sandbox --port 8081 --token 123:ABC…[:username]` runs the sandbox alone."""

from __future__ import annotations

import argparse
import asyncio

from sandbox.server import serve_forever
from sandbox.state import Limits


def main() -> None:
    parser = argparse.ArgumentParser(description="A local Telegram-compatible Bot API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", action="append", default=[], help="TOKEN or TOKEN:username (repeatable)")
    parser.add_argument("--no-limits", action="store_true", help="switch Telegram's rate limits off")
    args = parser.parse_args()
    bots = {}
    for spec in args.token:
        parts = spec.split(":")
        token = ":".join(parts[:2])
        bots[token] = parts[2] if len(parts) > 2 else None
    limits = Limits(enabled=not args.no_limits)
    try:
        asyncio.run(serve_forever(args.host, args.port, {t: u for t, u in bots.items()}, limits))  # type: ignore[arg-type]
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
