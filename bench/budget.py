"""Two real processes drain one Redis token bucket (50/s) as fast as it lets them: prints what
each got and over how long. Shared, the two together get about 50/s, not 50/s each.

    python -m bench.budget redis://127.0.0.1:6379/15
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path

from core.delivery.budget import BudgetConfig, RedisTokenBucket

CONFIG = BudgetConfig(rate=50, burst=1, chat_rate=1000, chat_burst=1000)


async def drain(budget: RedisTokenBucket, seconds: float, chats: int) -> int:
    """Ask as fast as the verdicts allow for `seconds`; count the grants."""
    granted, n = 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n += 1
        verdict = await budget.try_acquire(str(n % chats))
        if verdict.granted:
            granted += 1
        else:
            await asyncio.sleep(min(verdict.retry_in, 0.05))
    return granted


async def one_process(url: str, bot_key: str) -> None:
    budget = RedisTokenBucket.from_url(url, CONFIG, bot_key=bot_key)
    await budget.redis.ping()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # both processes begin together
    started = time.time()
    granted = await drain(budget, 2.0, 100)
    print(granted, started, time.time())
    await budget.close()


async def main(url: str) -> None:
    bot_key = f"bench-{uuid.uuid4().hex[:8]}"
    processes = [
        await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.budget", url, "--child", bot_key, stdin=asyncio.subprocess.PIPE,
                                             stdout=asyncio.subprocess.PIPE, cwd=str(Path(__file__).resolve().parents[1]))
        for _ in range(2)
    ]
    for process in processes:
        assert await process.stdout.readline() == b"ready\n"  # type: ignore[union-attr]
    for process in processes:
        process.stdin.write(b"go\n")  # type: ignore[union-attr]
    reports = [(await process.communicate())[0].decode().split() for process in processes]
    counts = [int(granted) for granted, _, _ in reports]
    windows = [(float(a), float(b)) for _, a, b in reports]
    spanned = max(b for _, b in windows) - min(a for a, _ in windows)
    together = min(b for _, b in windows) - max(a for a, _ in windows)
    print(f"grants {counts} (sum {sum(counts)}) over {spanned:.2f} s, asking together for {together:.2f} s: "
          f"{sum(counts) / spanned:.1f}/s against a shared budget of {CONFIG.rate:g}/s")
    cleaner = RedisTokenBucket.from_url(url, CONFIG, bot_key=bot_key)
    keys = [k async for k in cleaner.redis.scan_iter(match=f"sotay:budget:{{{bot_key}}}:*")]
    if keys:
        await cleaner.redis.delete(*keys)
    await cleaner.close()


if __name__ == "__main__":
    if "--child" in sys.argv:
        asyncio.run(one_process(sys.argv[1], sys.argv[3]))
    else:
        asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/15"))
