"""A Redis outage during a broadcast (issue 18, item 8): the worker that cannot reach its rate budget
stops claiming, hands back what it holds, backs off and resumes by itself; /readyz says so meanwhile.
Real Redis, behind a small TCP proxy the test cuts and restores: 0 rows lost, 0 stuck, no task dies."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy import select

from core.delivery import worker as worker_module
from core.delivery.budget import BudgetConfig, RedisTokenBucket
from core.delivery.models import OutboxMessage, OutboxState
from core.delivery.outbox import enqueue_many
from core.delivery.worker import DeliveryWorker
from core.ports import CollectingMessenger, OutboundMessage, SendReceipt
from tests.factories import make_cell, make_commune

pytestmark = pytest.mark.redis


class RedisProxy:
    """127.0.0.1:<port> → the real Redis; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.server: asyncio.base_events.Server | None = None
        self.pipes: set[asyncio.Task[None]] = set()
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                sink.close()

        for task in (asyncio.create_task(pipe(reader, upstream_writer)), asyncio.create_task(pipe(upstream_reader, writer))):
            self.pipes.add(task)
            task.add_done_callback(self.pipes.discard)

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in self.writers:
            writer.close()
        for task in list(self.pipes):
            task.cancel()
        await asyncio.gather(*self.pipes, return_exceptions=True)
        self.writers.clear()

    async def restore(self) -> None:
        await self.start()  # the same port again


class PacedMessenger(CollectingMessenger):
    async def send(self, chat_id: str, message: OutboundMessage) -> SendReceipt:
        await asyncio.sleep(0.002)
        return await super().send(chat_id, message)


async def _until(condition, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_a_redis_outage_mid_broadcast_loses_nothing_and_leaves_nothing_stuck(redis_url, session, session_factory, cipher,
                                                                                  clock, api_client) -> None:
    from redis.asyncio import Redis

    commune = await make_commune(session, cipher, linked=True)
    big = await make_cell(session, cipher, commune.commune, "Chi bộ đông", size=150, user_id_base=40001)
    ids = [m.id for m in big.everyone]
    await enqueue_many(session, member_ids=ids, kind="test", source="test:outage", message=OutboundMessage(text="x"), not_before=clock.now())
    await session.commit()

    host, port = redis_url.split("//", 1)[1].split("/", 1)[0].split(":")
    database = redis_url.rsplit("/", 1)[1]
    proxy = RedisProxy(host, int(port))
    await proxy.start()
    # Fast enough that a broadcast of 156 takes a while, slow enough that the cut lands mid-way.
    budget = RedisTokenBucket(BudgetConfig(rate=60, burst=5, chat_rate=100, chat_burst=10),
                              redis=Redis.from_url(f"redis://127.0.0.1:{proxy.port}/{database}", socket_timeout=2, socket_connect_timeout=2),
                              bot_key=f"outage-{uuid.uuid4().hex}")
    messenger = PacedMessenger()
    worker = DeliveryWorker(session_factory, messenger, budget, clock, batch_size=20, concurrency=10, idle_interval=0.1)
    unhandled: list[dict] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: unhandled.append(context))
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await _until(lambda: len(messenger.sent) >= 30)
        await proxy.cut()
        # Nothing is held while the budget is down: every claimed row goes back to the table.
        await _until(lambda: not worker._held, timeout=20)
        sent_at_cut = len(messenger.sent)
        assert "telegram" in getattr(worker_module, "BUDGET_OUTAGES", {})
        ready = await api_client.get("/readyz")
        assert ready.status_code == 503 and "rate budget unreachable" in ready.json()["delivery"]["telegram"]
        async with session_factory() as fresh:
            sending = (await fresh.execute(select(OutboxMessage.id).where(OutboxMessage.state == OutboxState.SENDING))).all()
        assert sending == []
        await proxy.restore()
        restored = time.monotonic()
        await _until(lambda: "telegram" not in getattr(worker_module, "BUDGET_OUTAGES", {}) and len(messenger.sent) > sent_at_cut)
        resumed_after = time.monotonic() - restored
        await _until(lambda: len(messenger.sent) >= len(ids))
    finally:
        stop.set()
        await running
        await worker.close()
        await proxy.cut()
        loop.set_exception_handler(None)
    chats = Counter(chat for chat, _ in messenger.sent)
    assert len(chats) == len(ids) and set(chats.values()) == {1}  # 0 lost, none twice
    async with session_factory() as fresh:
        states = Counter((await fresh.execute(select(OutboxMessage.state))).scalars().all())
    assert states == {OutboxState.SENT: len(ids)}  # 0 stuck
    assert unhandled == []  # no "Task exception was never retrieved"
    assert (await api_client.get("/readyz")).status_code == 200
    print(f"outage figures: rows {len(ids)}, sent before the cut {sent_at_cut}, resumed {resumed_after:.2f}s after Redis returned, "
          f"released {worker.stats.released}")
