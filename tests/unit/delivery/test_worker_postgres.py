"""Several workers on PostgreSQL share one outbox without ever sending a row twice."""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.models import OutboxMessage, OutboxState
from core.delivery.outbox import enqueue_many
from core.delivery.worker import DeliveryWorker
from core.ports import CollectingMessenger, OutboundMessage, SendReceipt
from tests.factories import make_cell, make_commune


@dataclass
class SlowMessenger(CollectingMessenger):
    async def send(self, chat_id: str, message: OutboundMessage) -> SendReceipt:
        await asyncio.sleep(random.uniform(0, 0.003))
        return await super().send(chat_id, message)


@pytest.mark.postgres
async def test_two_workers_never_send_the_same_row(require_postgres, session, session_factory, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=True)
    big = await make_cell(session, cipher, commune.commune, "Chi bộ đông", size=300, user_id_base=40001)
    ids = [m.id for m in big.everyone]
    await enqueue_many(session, member_ids=ids, kind="test", source="test:pg", message=OutboundMessage(text="x"), not_before=clock.now())
    await session.commit()
    messengers = [SlowMessenger(), SlowMessenger()]
    budget = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)
    workers = [
        DeliveryWorker(session_factory, m, LocalTokenBucket(budget), clock, batch_size=7, concurrency=5) for m in messengers
    ]
    stops = [asyncio.Event(), asyncio.Event()]
    tasks = [asyncio.create_task(w.run(s)) for w, s in zip(workers, stops, strict=True)]

    async def all_sent() -> None:
        while sum(w.stats.sent for w in workers) < len(ids):
            await asyncio.sleep(0.02)

    await asyncio.wait_for(all_sent(), 60)
    for stop in stops:
        stop.set()
    await asyncio.gather(*tasks)
    chats = Counter(chat for m in messengers for chat, _ in m.sent)
    assert len(chats) == len(ids) and set(chats.values()) == {1}
    assert all(len(m.sent) > len(ids) // 10 for m in messengers)  # both did real work
    states = (await session.execute(select(OutboxMessage.state).execution_options(populate_existing=True))).scalars().all()
    assert set(states) == {OutboxState.SENT}
    # Every row says which worker sent it (issue 18, item 9): here two workers of one process, so one
    # id; what matters is that no sent row lacks it and that it names this process.
    senders = set((await session.execute(select(OutboxMessage.sent_by))).scalars().all())
    assert senders == {workers[0].worker_id} and workers[0].worker_id.endswith(f":{os.getpid()}")
