"""The delivery worker against the real database and the collecting messenger."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select, update

from core.clock import FrozenClock
from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.models import MediaFile, OutboxMessage, OutboxState
from core.delivery.outbox import cancel_pending, enqueue_many
from core.delivery.reports import ALERT_KIND
from core.delivery.worker import BACKOFF_CAP, DeliveryWorker, backoff
from core.orgs.models import ChannelLink
from core.ports import (
    Attachment,
    CollectingMessenger,
    OutboundMessage,
    PermanentError,
    RateLimitedError,
    RecipientUnreachable,
    SendReceipt,
    TemporaryError,
)
from tests.conftest import TEST_NOW
from tests.factories import Commune

UNLIMITED = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)
BACKOFF_CAP_SECONDS = BACKOFF_CAP



def make_worker(session_factory, messenger, clock, **options) -> DeliveryWorker:  # type: ignore[no-untyped-def]
    budget = options.pop("budget", None) or LocalTokenBucket(UNLIMITED)
    return DeliveryWorker(session_factory, messenger, budget, clock, bot_key="42", **options)


async def queue(session, member_ids, *, source="test:1", kind="test", message=None, priority=0, not_before=None):  # type: ignore[no-untyped-def]
    result = await enqueue_many(
        session, member_ids=member_ids, kind=kind, source=source, message=message or OutboundMessage(text="Xin chào"),
        priority=priority, not_before=not_before or TEST_NOW,  # due on the test clock, whatever the real date
    )
    await session.commit()
    return result


async def rows(session) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def test_sends_due_rows_and_records_message_ids(session, session_factory, commune, clock) -> None:
    cell = commune.cells[0]
    ids = [m.id for m in cell.everyone]
    await queue(session, ids)
    later = clock.now() + dt.timedelta(hours=1)
    await queue(session, ids, source="test:later", not_before=later)
    messenger = CollectingMessenger()
    stats = await make_worker(session_factory, messenger, clock).drain()
    assert stats.sent == len(ids) and stats.claimed == len(ids)
    assert sorted(chat for chat, _ in messenger.sent) == sorted(str(1001 + i) for i in range(len(ids)))
    by_source = {(r.source, r.state) for r in await rows(session)}
    assert by_source == {("test:1", OutboxState.SENT), ("test:later", OutboxState.PENDING)}
    sent = [r for r in await rows(session) if r.state == OutboxState.SENT]
    assert all(r.platform_message_id and r.sent_at == clock.now() and r.attempts == 1 and r.claim_token is None for r in sent)
    # Nothing due: a second pass does nothing.
    assert (await make_worker(session_factory, messenger, clock).run_once()).claimed == 0


async def test_higher_priority_goes_first(session, session_factory, commune, clock) -> None:
    member = commune.cells[0].members[0]
    await queue(session, [member.id], source="low", message=OutboundMessage(text="thấp"))
    await queue(session, [member.id], source="high", message=OutboundMessage(text="cao"), priority=10)
    messenger = CollectingMessenger()
    await make_worker(session_factory, messenger, clock, concurrency=1).drain()
    assert [m.text for _, m in messenger.sent] == ["cao", "thấp"]


async def test_429_pauses_the_whole_budget_and_retries_without_spending_an_attempt(session, session_factory, commune, clock) -> None:
    cell = commune.cells[0]
    await queue(session, [cell.members[0].id])
    messenger = CollectingMessenger(failures={"1003": RateLimitedError("Too Many Requests", retry_after=7)})
    fake_time = [100.0]
    budget = LocalTokenBucket(UNLIMITED, now=lambda: fake_time[0])
    worker = make_worker(session_factory, messenger, clock, budget=budget)
    stats = await worker.run_once()
    assert stats.rate_limited == 1 and stats.sent == 0
    (row,) = await rows(session)
    assert row.state == OutboxState.PENDING and row.attempts == 0
    assert row.next_attempt_at == clock.now() + dt.timedelta(seconds=7) and "429" in (row.last_error or "")
    # Every chat waits, not only the one that got the 429.
    verdict = await budget.try_acquire("another-chat")
    assert not verdict.granted and verdict.limit == "paused" and verdict.retry_in == pytest.approx(7)
    fake_time[0] += 7.01
    assert (await budget.try_acquire("another-chat")).granted
    clock.advance(seconds=7)
    del messenger.failures["1003"]
    assert (await worker.run_once()).sent == 1


async def test_network_errors_back_off_then_give_up(session, session_factory, commune, clock) -> None:
    await queue(session, [commune.cells[0].members[0].id])
    messenger = CollectingMessenger(failures={"1003": TemporaryError("TelegramServerError")})
    worker = make_worker(session_factory, messenger, clock, max_attempts=3)
    assert (await worker.run_once()).retried == 1
    (row,) = await rows(session)
    assert row.state == OutboxState.PENDING and row.attempts == 1 and row.last_error == "TelegramServerError"
    first_wait = (row.next_attempt_at - clock.now()).total_seconds()
    assert 1.0 <= first_wait <= 2.0
    assert (await worker.run_once()).claimed == 0  # not due yet
    clock.advance(seconds=first_wait)
    assert (await worker.run_once()).retried == 1
    (row,) = await rows(session)
    assert row.attempts == 2 and 2.0 <= (row.next_attempt_at - clock.now()).total_seconds() <= 4.0
    clock.set(row.next_attempt_at)
    assert (await worker.run_once()).failed == 1
    (row,) = await rows(session)
    assert row.state == OutboxState.FAILED and row.attempts == 3 and "TelegramServerError" in (row.last_error or "")


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    assert [backoff(n, rng=lambda: 1.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert backoff(1, rng=lambda: 0.0) == 1.0
    assert backoff(30, rng=lambda: 1.0) == 600.0


async def test_bad_request_fails_with_the_reason(session, session_factory, commune, clock) -> None:
    await queue(session, [commune.cells[0].members[0].id])
    messenger = CollectingMessenger(failures={"1003": PermanentError("Bad Request: can't parse entities")})
    assert (await make_worker(session_factory, messenger, clock).run_once()).failed == 1
    (row,) = await rows(session)
    assert row.state == OutboxState.FAILED and row.last_error == "Bad Request: can't parse entities"


async def test_blocked_member_is_unreachable_and_the_secretary_is_told_once(session, session_factory, commune, clock) -> None:
    cell = commune.cells[0]
    blocked = cell.members[0]
    await queue(session, [blocked.id, cell.members[1].id])
    messenger = CollectingMessenger(failures={"1003": RecipientUnreachable("Forbidden: bot was blocked by the user")})
    worker = make_worker(session_factory, messenger, clock)
    stats = await worker.run_once()
    assert (stats.unreachable, stats.sent) == (1, 1)
    link = await session.scalar(select(ChannelLink).where(ChannelLink.member_id == blocked.id).execution_options(populate_existing=True))
    assert link is not None and link.unreachable_since == clock.now()
    alerts = [r for r in await rows(session) if r.kind == ALERT_KIND]
    assert sorted(r.member_id for r in alerts) == sorted([cell.secretary.id, cell.deputy.id])  # type: ignore[type-var]
    assert blocked.full_name in alerts[0].payload["text"]
    # The alerts go out; a second 403 for the same member does not alert again.
    await queue(session, [blocked.id], source="test:2")
    await worker.drain()
    assert len([r for r in await rows(session) if r.kind == ALERT_KIND]) == 2
    assert {r.state for r in await rows(session) if r.kind == ALERT_KIND} == {OutboxState.SENT}
    # The member unblocks: the next message gets through and the account counts as reachable again.
    del messenger.failures["1003"]
    await queue(session, [blocked.id], source="test:3")
    await worker.drain()
    await session.refresh(link)
    assert link.unreachable_since is None


async def test_quiet_kinds_do_not_alert(session, session_factory, commune, clock) -> None:
    await queue(session, [commune.cells[0].members[0].id], kind="notice")
    messenger = CollectingMessenger(failures={"1003": RecipientUnreachable("Forbidden: user is deactivated")})
    await make_worker(session_factory, messenger, clock, quiet_kinds={"notice"}).drain()
    assert [r.kind for r in await rows(session)] == ["notice"]
    assert (await rows(session))[0].state == OutboxState.UNREACHABLE


async def test_an_abandoned_claim_is_taken_over_after_its_lease(session, session_factory, commune, clock) -> None:
    ids = [m.id for m in commune.cells[0].everyone]
    await queue(session, ids)
    # A worker claimed everything, then died before sending.
    dead = make_worker(session_factory, CollectingMessenger(), clock, lease=dt.timedelta(seconds=30))
    claimed = await dead._claim(100)
    assert len(claimed) == len(ids)
    alive = make_worker(session_factory, CollectingMessenger(), clock)
    assert (await alive.run_once()).claimed == 0  # the lease still holds
    clock.advance(seconds=31)
    messenger = CollectingMessenger()
    stats = await make_worker(session_factory, messenger, clock).run_once()
    assert stats.sent == len(ids)
    assert {(r.state, r.attempts) for r in await rows(session)} == {(OutboxState.SENT, 2)}
    # The dead worker's late answers cannot overwrite the new owner's record.
    from core.delivery.worker import _Result

    await dead._record([_Result(row, "failed", clock.now(), error="late") for row in claimed])
    assert {r.state for r in await rows(session)} == {OutboxState.SENT}


async def many_linked_members(session, commune: Commune, count: int, chat_base: int) -> list[int]:  # type: ignore[no-untyped-def]
    """`count` linked members in one new cell, inserted in bulk (the factory's one-by-one is slow at 900)."""
    from core.orgs.models import Gender, Member, OrgKind
    from core.orgs.service import create_org

    cell = await create_org(session, name="Chi bộ đông", kind=OrgKind.CELL, parent=commune.commune)
    rows = [
        {"org_id": cell.id, "full_name": f"Đảng viên {n}", "date_of_birth": dt.date(1960, 1, 1), "gender": Gender.MALE,
         "joined_on": dt.date(1985, 1, 1), "card_number": f"BULK{n:06d}", "citizen_id_encrypted": b"x", "citizen_id_hash": f"bulk-{n}",
         "exempt": False, "exempt_receives_notices": False, "voice_enabled": True, "voice_name": "vi", "active": True}
        for n in range(count)
    ]
    await session.execute(Member.__table__.insert(), rows)
    ids = list((await session.execute(select(Member.id).where(Member.org_id == cell.id).order_by(Member.id))).scalars())
    await session.execute(
        ChannelLink.__table__.insert(),
        [{"member_id": m, "platform": "telegram", "platform_user_id": str(chat_base + n), "chat_id": str(chat_base + n)} for n, m in enumerate(ids)],
    )
    await session.commit()
    return ids


async def test_one_upload_per_cached_file_then_file_ids(session, session_factory, commune, clock) -> None:
    # A voice summary of a resolution to a 900-member commune: one upload, 899 sends by file id.
    ids = await many_linked_members(session, commune, 900, 30001)
    voice = Attachment(kind="voice", path="/tmp/summary.ogg", cache_key="tts:abc", duration=42)
    await queue(session, ids, message=OutboundMessage(text="Tóm tắt", attachment=voice))
    messenger = CollectingMessenger()
    worker = make_worker(session_factory, messenger, clock, concurrency=30)
    stats = await worker.drain()
    assert stats.sent == len(ids) and stats.uploads == 1
    uploads = [m for _, m in messenger.sent if m.attachment and m.attachment.file_id is None]
    assert len(uploads) == 1 and uploads[0].attachment.path == "/tmp/summary.ogg"  # type: ignore[union-attr]
    assert all(m.attachment.file_id == "file-tts:abc" for _, m in messenger.sent if m is not uploads[0])  # type: ignore[union-attr]
    stored = (await session.execute(select(MediaFile))).scalars().all()
    assert [(f.cache_key, f.file_id, f.bot_id) for f in stored] == [("tts:abc", "file-tts:abc", "42")]
    # Another worker (another process) finds the stored file id: no second upload.
    await queue(session, ids[:1], source="test:again", message=OutboundMessage(text="Lại", attachment=voice))
    other = CollectingMessenger()
    assert (await make_worker(session_factory, other, clock).drain()).uploads == 0
    assert other.sent[0][1].attachment.file_id == "file-tts:abc"  # type: ignore[union-attr]


@dataclass
class FlakyUploads(CollectingMessenger):
    """The first upload fails (network); later sends work."""

    upload_failures: int = 1
    upload_calls: list[str] = field(default_factory=list)

    async def send(self, chat_id: str, message: OutboundMessage) -> SendReceipt:
        if message.attachment is not None and message.attachment.file_id is None:
            self.upload_calls.append(chat_id)
            if self.upload_failures:
                self.upload_failures -= 1
                raise TemporaryError("ClientConnectorError")
        return await super().send(chat_id, message)


async def test_a_failed_upload_hands_the_upload_to_the_next_row(session, session_factory, commune, clock) -> None:
    ids = [m.id for m in commune.cells[0].everyone]
    document = Attachment(kind="document", path="/tmp/nq.pdf", cache_key="doc:nq21", filename="nq.pdf")
    await queue(session, ids, message=OutboundMessage(text="Nghị quyết", attachment=document))
    messenger = FlakyUploads()
    stats = await make_worker(session_factory, messenger, clock, concurrency=len(ids)).run_once()
    assert (stats.retried, stats.sent, stats.uploads) == (1, len(ids) - 1, 1)
    assert len(messenger.upload_calls) == 2


@dataclass
class GatedMessenger(CollectingMessenger):
    """Each send waits for the gate: lets a test act while a message is in flight."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, chat_id: str, message: OutboundMessage) -> SendReceipt:
        self.started.set()
        await self.gate.wait()
        return await super().send(chat_id, message)


class ClaimCounter:
    """Counts the worker's claim passes (each a look for due rows), so that a test can wait for the
    worker to have had its chance to do something, instead of sleeping and hoping it had."""

    def __init__(self, worker) -> None:  # type: ignore[no-untyped-def]
        self.passes = 0
        claim = worker._claim

        async def counted(limit: int):  # type: ignore[no-untyped-def]
            try:
                return await claim(limit)
            finally:
                self.passes += 1

        worker._claim = counted

    async def more(self, count: int) -> None:
        target = self.passes + count
        await wait_until(lambda: self.passes >= target)


async def wait_until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_cancelling_stops_what_is_claimed_but_not_sent(session, session_factory, commune, clock) -> None:
    ids = [m.id for m in commune.cells[0].everyone]
    await queue(session, ids, source="notice:9")
    messenger = GatedMessenger()
    worker = make_worker(session_factory, messenger, clock, concurrency=1)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(messenger.started.wait(), 10)  # one message in flight, the rest claimed
    assert {r.state for r in await rows(session)} == {OutboxState.SENDING}
    assert await cancel_pending(session, source="notice:9") == len(ids)
    await session.commit()
    await worker._renew()  # what the renewal loop does within a second
    messenger.gate.set()
    await wait_until(lambda: worker.stats.sent + worker.stats.lost == len(ids))
    stop.set()
    await running
    assert len(messenger.sent) == 1
    states = [r.state for r in await rows(session)]
    assert sorted(states) == sorted([OutboxState.SENT] + [OutboxState.CANCELLED] * (len(ids) - 1))


async def test_stopping_hands_back_unsent_rows(session, session_factory, commune, clock) -> None:
    ids = [m.id for m in commune.cells[0].everyone]
    await queue(session, ids)
    messenger = GatedMessenger()
    worker = make_worker(session_factory, messenger, clock, concurrency=1)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(messenger.started.wait(), 10)
    stop.set()
    # The worker has seen the stop and handed the claimed rows back while one send is still in flight.
    await wait_until(lambda: worker.stats.released == len(ids) - 1)
    messenger.gate.set()
    await running
    states = sorted(r.state.value for r in await rows(session))
    assert states == sorted(["sent"] + ["pending"] * (len(ids) - 1))
    assert worker.stats.released == len(ids) - 1
    assert all(r.claim_token is None and r.attempts == 0 for r in await rows(session) if r.state == OutboxState.PENDING)


async def test_a_busy_chat_is_deferred_without_spending_attempts(session, session_factory, commune, clock) -> None:
    secretary = commune.cells[0].secretary
    for n in range(5):
        await queue(session, [secretary.id], source=f"test:{n}")
    budget = LocalTokenBucket(BudgetConfig(rate=1000, burst=1000, chat_rate=0.1, chat_burst=3))
    messenger = CollectingMessenger()
    stats = await make_worker(session_factory, messenger, clock, budget=budget).run_once()
    assert (stats.sent, stats.deferred) == (3, 2)
    waiting = [r for r in await rows(session) if r.state == OutboxState.PENDING]
    assert len(waiting) == 2 and all(r.attempts == 0 and r.next_attempt_at > clock.now() for r in waiting)


async def test_run_sends_everything_then_idles(session, session_factory, commune, clock) -> None:
    ids = [m.id for m in commune.cells[0].everyone + commune.cells[1].everyone]
    await queue(session, ids)
    messenger = CollectingMessenger()
    worker = make_worker(session_factory, messenger, clock, batch_size=3, concurrency=2, idle_interval=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await wait_until(lambda: worker.stats.sent == len(ids))
    await queue(session, ids[:2], source="test:late")  # arrives while idle
    await wait_until(lambda: worker.stats.sent == len(ids) + 2)
    stop.set()
    await running
    assert len(messenger.sent) == len(ids) + 2
    assert await session.scalar(select(func.count()).where(OutboxMessage.state != OutboxState.SENT)) == 0
    assert worker.in_flight_high_water <= 2 + len(ids)


async def test_a_clock_in_the_past_never_claims_future_rows(session, session_factory, commune, clock) -> None:
    await queue(session, [commune.cells[0].members[0].id], not_before=clock.now() + dt.timedelta(seconds=1))
    await session.execute(update(OutboxMessage).values(priority=1))
    await session.commit()
    assert (await make_worker(session_factory, CollectingMessenger(), FrozenClock(clock.now())).run_once()).claimed == 0


async def test_a_claim_takes_at_most_one_batch(session, session_factory, commune, clock) -> None:
    ids = [m.id for m in commune.cells[0].everyone]
    await queue(session, ids)
    worker = make_worker(session_factory, CollectingMessenger(), clock, batch_size=2)
    assert [len(await worker._claim(2)) for _ in range(4)] == [2, 2, 2, 0]


async def test_a_clock_jump_never_makes_the_worker_send_its_own_rows_twice(session, session_factory, commune, clock) -> None:
    """The wall clock jumps past the lease while messages are being sent (a laptop waking from
    sleep): the rows look abandoned, but this worker still holds them and must not take them again."""
    ids = [m.id for m in commune.cells[0].everyone]
    await queue(session, ids)
    messenger = GatedMessenger()
    worker = make_worker(session_factory, messenger, clock, concurrency=len(ids), idle_interval=0.05)
    claims = ClaimCounter(worker)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(messenger.started.wait(), 10)
    clock.advance(hours=20)
    await claims.more(2)  # the loop has looked for rows again with the clock moved on: it found none of its own
    messenger.gate.set()
    await wait_until(lambda: worker.stats.sent == len(ids))
    await claims.more(2)  # nor afterwards
    stop.set()
    await running
    assert sorted(chat for chat, _ in messenger.sent) == sorted({chat for chat, _ in messenger.sent})
    assert len(messenger.sent) == len(ids)
    assert {(r.state, r.attempts) for r in await rows(session)} == {(OutboxState.SENT, 1)}


@dataclass
class SlowUploads(CollectingMessenger):
    """An upload takes a while (a voice note going up to Telegram); other sends are instant."""

    async def send(self, chat_id: str, message: OutboundMessage) -> SendReceipt:
        if message.attachment is not None and message.attachment.file_id is None:
            await asyncio.sleep(0.3)
        return await super().send(chat_id, message)


async def test_a_chat_gets_its_messages_in_order_while_a_voice_note_uploads(session, session_factory, commune, clock) -> None:
    # A resolution's summary and voice note to every member, then a meeting invitation queued the
    # same minute: nobody gets the invitation between the summary and its voice note, although the
    # voice rows wait for one upload and the invitations could go at once.
    ids = [m.id for m in commune.cells[0].everyone]
    voice = Attachment(kind="voice", path="/tmp/summary.ogg", cache_key="tts:order", duration=36)
    await queue(session, ids, source="document:1", message=OutboundMessage(text="Tóm tắt"))
    await queue(session, ids, source="document:1v", message=OutboundMessage(text="🔊", attachment=voice))
    await queue(session, ids, source="meeting:1", message=OutboundMessage(text="Mời họp"))
    messenger = SlowUploads()
    worker = make_worker(session_factory, messenger, clock, concurrency=30, idle_interval=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await wait_until(lambda: worker.stats.sent == 3 * len(ids))
    stop.set()
    await running
    by_chat: dict[str, list[str]] = {}
    for chat, message in messenger.sent:
        by_chat.setdefault(chat, []).append(message.text)
    assert len(by_chat) == len(ids)
    assert all(texts == ["Tóm tắt", "🔊", "Mời họp"] for texts in by_chat.values()), by_chat
    assert worker.stats.uploads == 1


async def test_one_busy_chat_does_not_hold_up_the_others(session, session_factory, commune, clock) -> None:
    """Forty messages for the secretary (absence requests, say), queued first, drain at the chat's
    own pace; the members' messages queued after them go out meanwhile, not behind them."""
    secretary = commune.cells[0].secretary
    for n in range(40):
        await queue(session, [secretary.id], source=f"absence:{n}", message=OutboundMessage(text=f"Xin vắng {n}"))
    others = [m.id for m in commune.cells[0].everyone if m.id != secretary.id]
    await queue(session, others, source="notice:1", message=OutboundMessage(text="Thông báo"))
    messenger = CollectingMessenger()
    # The budget's clock moves only when the test moves it: however slow the machine, the
    # secretary's chat gets no new token while the members' messages are on their way.
    budget_time = [0.0]
    budget = LocalTokenBucket(BudgetConfig(rate=1e6, burst=1e6, chat_rate=5, chat_burst=1), now=lambda: budget_time[0])
    worker = make_worker(session_factory, messenger, clock, budget=budget, concurrency=5, batch_size=10, idle_interval=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))

    def to_secretary() -> list[str]:
        return [m.text for chat, m in messenger.sent if m.text.startswith("Xin vắng")]

    await wait_until(lambda: sum(1 for _, m in messenger.sent if m.text == "Thông báo") == len(others), timeout=20)
    assert len(to_secretary()) < 10, f"the members waited behind {len(to_secretary())} of the secretary's messages"
    for _ in range(4):  # then the secretary's chat drains at its own pace: one token every 0.2 s
        sent = len(to_secretary())
        budget_time[0] += 0.2
        await wait_until(lambda: len(to_secretary()) == sent + 1)  # noqa: B023 (called at once)
    stop.set()
    await running
    assert to_secretary() == [f"Xin vắng {n}" for n in range(len(to_secretary()))]  # and the secretary's stay in order


@dataclass
class FlakyMessenger(CollectingMessenger):
    """One send in ten refused before it reaches anyone: a 429 or a 5xx, as the benchmark's --faults 0.1."""

    seed: int = 7
    refused: int = 0

    def __post_init__(self) -> None:
        import random

        self._rng = random.Random(self.seed)

    async def send(self, chat_id: str, message: OutboundMessage) -> SendReceipt:
        roll = self._rng.random()
        if roll < 0.1:
            self.refused += 1
            raise RateLimitedError("Too Many Requests", retry_after=0.01) if roll < 0.033 else TemporaryError("502 Bad Gateway")
        return await super().send(chat_id, message)


async def test_under_faults_nothing_is_lost_or_doubled_free_or_paid(session, session_factory, commune, clock) -> None:
    ids = [m.id for m in commune.cells[0].everyone + commune.cells[1].everyone]
    await queue(session, ids, source="free")
    await enqueue_many(session, member_ids=ids, kind="test", source="paid", message=OutboundMessage(text="khẩn"),
                       not_before=TEST_NOW, paid=True)
    await session.commit()
    messenger = FlakyMessenger()
    budget = LocalTokenBucket(BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6, window=1.0, paid_rate=1e6))
    worker = make_worker(session_factory, messenger, clock, budget=budget, max_attempts=50)
    for _ in range(60):
        await worker.drain()
        if not any(r.state == OutboxState.PENDING for r in await rows(session)):
            break
        clock.advance(seconds=BACKOFF_CAP_SECONDS)  # the retries' time comes
    assert messenger.refused > 0
    assert {r.state for r in await rows(session)} == {OutboxState.SENT}
    received = [(chat, m.text, m.paid_broadcast) for chat, m in messenger.sent]
    assert len(received) == len(set(received)) == 2 * len(ids)  # each message once, none twice
    assert all(paid == (text == "khẩn") for _, text, paid in received)  # the flag on the paid rows only
