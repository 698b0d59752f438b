"""`sotay` with its clock moved forward, for end-to-end tests that need a date (the first days of a
month, a deadline that has passed) without waiting for it.

    python -m tests.e2e.shifted_clock run        # instead of: python -m sotay.cli run

The offset, in seconds, is read from the file named by $E2E_CLOCK_FILE on every call, so a test
moves the running process's time by rewriting the file (`set_clock`). Time keeps flowing from
there. Only ever forward of the real time: rows stamped by the database's own defaults
(`utcnow`) must never look like the future to the process.

Everything that asks `core.clock.SystemClock` (handlers, the scheduler's ticks, the delivery
worker) sees the moved time; nothing in the product changes.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

ENV = "E2E_CLOCK_FILE"


def set_clock(path: Path, moment: dt.datetime) -> None:
    """Make the process's `now` be `moment` from this instant on (atomically: write, then rename)."""
    offset = (moment - dt.datetime.now(dt.timezone.utc)).total_seconds()
    if offset < 0:
        raise ValueError("the shifted clock only moves forward of the real time")
    temporary = path.with_suffix(".tmp")
    temporary.write_text(repr(offset))
    temporary.replace(path)


def _offset(path: str) -> dt.timedelta:
    try:
        return dt.timedelta(seconds=float(Path(path).read_text()))
    except (OSError, ValueError):
        return dt.timedelta(0)


def main() -> None:
    import core.clock

    path = os.environ[ENV]

    def now(self: core.clock.SystemClock) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + _offset(path)

    core.clock.SystemClock.now = now  # type: ignore[method-assign]

    from sotay.cli import main as sotay_main

    sotay_main()


if __name__ == "__main__":
    main()
