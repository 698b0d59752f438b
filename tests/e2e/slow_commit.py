"""Test-only: `sotay` whose edge commits wait a moment first, to find end-to-end reads that race them.

    SOTAY_TEST_COMMIT_DELAY=0.5 pytest tests/e2e        # every sotay process the tests start

A bot's reply goes out from inside the handler, before the middleware commits the update's
transaction; an API answer may likewise leave before its session commits. A test that reads the
database the moment it sees the reply passes on a fast machine and fails on a slow one. With the
delay every such commit (bot middleware, API dependency) happens `SOTAY_TEST_COMMIT_DELAY` seconds
late, so a racing read fails every time instead of now and then; a test must wait for the state
it reads (e.g. `until()` in the e2e tests).

Nothing in the product reads the variable: `tests/e2e/processes.start_sotay` runs the process
through this module when the variable is set in the test runner's environment.

    python -m tests.e2e.slow_commit MODULE ARGS...    # e.g. sotay.cli run, tests.e2e.shifted_clock run
"""

from __future__ import annotations

import asyncio
import os
import runpy
import sys
from pathlib import Path

ENV = "SOTAY_TEST_COMMIT_DELAY"
# The commit sites at the edges whose callers may already have answered (see the module docstring).
EDGES = (str(Path("bot", "middlewares.py")), str(Path("api", "deps.py")))


def delay_from_environment() -> float:
    try:
        return max(0.0, float(os.environ.get(ENV, "") or 0))
    except ValueError:
        return 0.0


def install(delay: float) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    original = AsyncSession.commit

    async def commit(self: AsyncSession) -> None:
        caller = sys._getframe(1).f_code.co_filename  # the coroutine awaiting this one
        if caller.endswith(EDGES):
            await asyncio.sleep(delay)
        await original(self)

    AsyncSession.commit = commit  # type: ignore[method-assign]


def main() -> None:
    module, args = sys.argv[1], sys.argv[2:]
    install(delay_from_environment())
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
