"""The delivery worker: takes due outbox rows, sends them within the bot's rate budget, records
what happened.

The life of a row:

    pending ──claim (commit)──▶ sending ──send──▶ sent | pending (retry later) | failed | unreachable
       ▲                          │
       └──── lease expired ◀──────┘   (the worker that claimed it died)

1. **Claim.** One statement marks a batch of due rows `sending`, with a lease (`claimed_until`)
   and this claim's token, and commits *before* anything is sent. On PostgreSQL the candidate rows
   are selected `FOR UPDATE SKIP LOCKED`, so any number of workers share the table without ever
   claiming the same row; the guard in the UPDATE makes the claim safe on SQLite too.
2. **Send.** Each row waits for a token from its platform's `RateBudget` (the bot's and the chat's
   bucket), then goes to its platform's `Messenger`. A 429 pauses that platform's budget for
   `retry_after`. One worker may serve several platforms (Telegram and Zalo), each with its own
   messenger and budget; rows of a platform it has no messenger for are never claimed here.
3. **Record.** Each answer goes to a recorder that writes everything that has come back since its
   last write in one short transaction (group commit). A row is written only with its own claim
   token, so a worker that lost a row's lease can never overwrite the row's new owner.
4. **Lease.** While a row waits or is in flight its lease is renewed; a row whose renewal fails
   (cancelled, or taken over) is dropped before it is sent.

**What a crash can do.** Rows are committed as `sending` before the request leaves, and results
are committed right after the answer comes back. If the process dies in between, those rows'
leases expire and another worker sends them again: the only duplicates possible are the messages
*in flight* at the instant of the crash — at most `concurrency` plus the answers waiting for the
recorder's current write. `DeliveryWorker.in_flight_high_water` measures the largest such window
seen; `bench/broadcast.py --kill-after` measures the real duplicates. Telegram offers no way to
ask "did this message arrive?", so this window cannot be closed, only kept small.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import secrets
import socket
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, cast

from sqlalchemy import Table, and_, bindparam, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import metrics
from core.clock import Clock
from core.db import insert_for, transaction
from core.delivery.budget import RateBudget, Verdict
from core.delivery.models import MediaFile, OutboxMessage, OutboxState
from core.delivery.reports import mark_reachable, mark_unreachable
from core.ports import (
    Messenger,
    OutboundMessage,
    PermanentError,
    RateLimitedError,
    RecipientUnreachable,
    SendError,
    TemporaryError,
)

log = logging.getLogger(__name__)

Outcome = Literal["sent", "retry", "defer", "failed", "unreachable", "released"]

DEFAULT_LEASE = dt.timedelta(seconds=30)
BACKOFF_BASE = 2.0  # seconds before the first retry
BACKOFF_CAP = 600.0  # never wait more than ten minutes between tries
# A row whose chat is busy for longer than this goes back to the table instead of holding a
# sending slot (a secretary receiving a status edit, a reply and a notice at once).
MAX_CHAT_WAIT = 2.0
# A rate budget that cannot be reached (Redis down): pause claiming this long, doubling up to the cap.
BUDGET_BACKOFF_FIRST = 1.0
BUDGET_BACKOFF_MAX = 30.0
# Platforms whose rate budget this process cannot reach now, with the error type: /readyz says so.
BUDGET_OUTAGES: dict[str, str] = {}


class _BudgetUnreachable(Exception):
    """The rate budget did not answer; the row goes back to the table unsent."""
# The in-memory queue holds at most this many claims' worth of rows.
MAX_QUEUED_BATCHES = 5
RECORD_RETRY_CAP = 5.0


@dataclass
class WorkerStats:
    """Counters since start, for logs, metrics and the benchmark."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0  # network errors and 5xx, tried again later
    rate_limited: int = 0  # 429 answers
    failed: int = 0  # refused for good (400, or too many attempts)
    unreachable: int = 0  # 403: blocked or deactivated
    deferred: int = 0  # a busy chat: put back without an attempt
    uploads: int = 0  # files uploaded (not sent by a stored file id)
    lost: int = 0  # claimed rows dropped before sending: cancelled, or the lease was taken over
    released: int = 0  # claimed rows handed back unsent at shutdown

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Row:
    id: int
    token: str
    member_id: int | None
    chat_id: str
    kind: str
    attempts: int
    message: OutboundMessage
    platform: str = "telegram"
    paid: bool = False  # queued as a paid broadcast (an urgent notice): sent so when the budget has a paid lane

    @property
    def chat(self) -> tuple[str, str]:
        """The chat across platforms: a Telegram and a Zalo chat may share an id."""
        return self.platform, self.chat_id


@dataclass
class _Result:
    row: _Row
    outcome: Outcome
    at: dt.datetime
    message_id: str | None = None
    error: str | None = None
    retry_at: dt.datetime | None = None
    uploaded: tuple[str, str] | None = None  # (cache key, file id) learnt from this send, on the row's platform
    answered: bool = False  # the platform answered: until recorded, this row is "in flight"


@dataclass
class _Upload:
    """One upload per cache key at a time: the others wait for its file id."""

    row_id: int
    done: asyncio.Event = field(default_factory=asyncio.Event)
    file_id: str | None = None


def backoff(attempt: int, *, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: attempt 1 → 1–2 s, 2 → 2–4 s, … capped at ten minutes."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1))
    return ceiling * (0.5 + 0.5 * rng())


def _per_platform(value, platforms: list[str], what: str) -> dict:  # type: ignore[no-untyped-def]
    if isinstance(value, Mapping):
        missing = [p for p in platforms if p not in value]
        if missing:
            raise ValueError(f"no {what} for {', '.join(missing)}")
        return {p: value[p] for p in platforms}
    if len(platforms) > 1 and what == "budget":
        raise ValueError("each platform needs its own budget")
    return {p: value for p in platforms}


class DeliveryWorker:
    """Sends the outbox rows of the platforms it has a messenger for.

    `messenger` is one `Messenger` or a mapping platform → `Messenger` (e.g. {"telegram": …,
    "zalo": …}); `budget` and `bot_key` are one value, or a mapping with the same platforms when
    there are several (each platform has its own rate budget and file-id cache).
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        messenger: Messenger | Mapping[str, Messenger],
        budget: RateBudget | Mapping[str, RateBudget],
        clock: Clock,
        *,
        bot_key: str | Mapping[str, str] = "",
        batch_size: int = 100,
        concurrency: int = 30,
        max_attempts: int = 8,
        lease: dt.timedelta = DEFAULT_LEASE,
        idle_interval: float = 1.0,
        quiet_kinds: Iterable[str] = (),
        record_gather: float = 0.0,
    ) -> None:
        self.session_factory = session_factory
        self.messengers: dict[str, Messenger] = (
            dict(messenger) if isinstance(messenger, Mapping) else {messenger.platform: messenger}
        )
        if not self.messengers:
            raise ValueError("a delivery worker needs at least one messenger")
        platforms = list(self.messengers)
        self.budgets: dict[str, RateBudget] = _per_platform(budget, platforms, "budget")
        self.bot_keys: dict[str, str] = _per_platform(bot_key, platforms, "bot key")
        # The first platform's, for callers that run a single one.
        self.platform = platforms[0]
        self.messenger = self.messengers[self.platform]
        self.budget = self.budgets[self.platform]
        self.bot_key = self.bot_keys[self.platform]
        self.clock = clock
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.lease = lease
        self.idle_interval = idle_interval
        self.record_gather = record_gather
        # Kinds whose own flow reports unreachable members (a broadcast's final report): no extra alert.
        self.quiet_kinds = frozenset(quiet_kinds)
        self.stats = WorkerStats()
        self.in_flight_high_water = 0  # the most rows ever sent but not yet recorded at one instant
        self._held: dict[int, _Row] = {}  # claimed and not yet recorded
        self._lost: set[int] = set()
        self._in_flight = 0
        self._unrecorded = 0  # answered, waiting for the recorder's commit
        self._results: asyncio.Queue[_Result] = asyncio.Queue()
        self._file_ids: dict[tuple[str, str], str] = {}  # by (platform, cache key)
        self._uploads: dict[tuple[str, str], _Upload] = {}
        self._stopping = False
        # One sender at a time waits for each lane of each platform's budget (free and paid).
        self._budget_turn = {(platform, paid): asyncio.Lock() for platform in platforms for paid in (False, True)}
        # While a budget cannot be reached: no claiming until this loop time, held rows released.
        self._budget_down_until = 0.0
        self._budget_backoff = 0.0
        # Recorded on every row this worker sends (outbox_messages.sent_by), to trace a send to a process.
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"[:128]
        # Every series this worker will move exists from the start at 0: a scrape before the first
        # send, 429 or outage shows 0 rather than nothing (rate() and alerts need the series).
        for platform in platforms:
            if platform not in BUDGET_OUTAGES:
                metrics.BUDGET_UNREACHABLE.labels(platform=platform).set(0)
            metrics.RATE_LIMITED.labels(platform=platform)
            for outcome in ("sent", "retry", "defer", "failed", "unreachable"):
                metrics.SENDS.labels(platform=platform, result=outcome)

    async def close(self) -> None:
        """Close every platform's budget (its Redis connection)."""
        for budget in self.budgets.values():
            await budget.close()

    # ------------------------------------------------------------ public

    async def run_once(self) -> WorkerStats:
        """Claim one batch of due rows, send them all, record every result; for tests and tools."""
        before = WorkerStats(**self.stats.as_dict())
        rows = await self._claim(self.batch_size)
        if rows:
            recorder = asyncio.create_task(self._record_loop())
            semaphore = asyncio.Semaphore(self.concurrency)

            async def one(row: _Row) -> None:
                async with semaphore:
                    await self._deliver(row)

            try:
                await asyncio.gather(*(one(row) for row in rows))
                await self._results.join()
            finally:
                recorder.cancel()
                await asyncio.gather(recorder, return_exceptions=True)
        return WorkerStats(**{k: v - getattr(before, k) for k, v in self.stats.as_dict().items()})

    async def drain(self, *, max_batches: int = 1000) -> WorkerStats:
        """`run_once` until nothing is due (retries scheduled for later stay queued)."""
        total = WorkerStats()
        for _ in range(max_batches):
            done = await self.run_once()
            for key, value in done.as_dict().items():
                setattr(total, key, getattr(total, key) + value)
            if not done.claimed:
                break
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; then hand back what was claimed but not sent, and record the rest."""
        loop = asyncio.get_running_loop()
        queue: deque[_Row] = deque()
        wake = asyncio.Event()
        recorder = asyncio.create_task(self._record_loop())
        renewer = asyncio.create_task(self._renew_loop())
        senders: set[asyncio.Task[None]] = set()
        # One row per chat on its way at a time, the chat's rows in claim order (priority, id): a
        # row waiting for its voice note's upload is not overtaken by the next message to the same
        # person ("listen in the next message" stays true).
        busy_chats: set[tuple[str, str]] = set()
        next_claim = 0.0
        held_back = 0
        self._stopping = False
        log.info("delivery worker started (batch %d, concurrency %d)", self.batch_size, self.concurrency)

        def finished(chat: tuple[str, str]) -> Callable[[asyncio.Task[None]], None]:
            def done(task: asyncio.Task[None]) -> None:
                senders.discard(task)
                busy_chats.discard(chat)
                wake.set()

            return done

        try:
            while not stop.is_set():
                if self._budget_down():
                    # The budget is unreachable: hand back every queued row (senders hand back
                    # theirs as they find out) and claim nothing until the back-off has passed.
                    while queue:
                        row = queue.popleft()
                        self._release(row)
                    held_back = 0
                    await _wait(stop, min(0.5, self._budget_down_until - loop.time()))
                    continue
                # Keep about one batch queued: enough never to starve the senders, little enough
                # that a cancelled broadcast stops quickly and leases are never at risk.
                # Rows held back behind their chat's message on its way do not count: other
                # chats must not wait while one busy chat drains at its own pace (its rows keep
                # their order in the queue). A cap keeps the queue and its leases bounded.
                if len(queue) - held_back < self.concurrency and len(queue) < MAX_QUEUED_BATCHES * self.batch_size \
                        and loop.time() >= next_claim:
                    try:
                        claimed = await self._claim(self.batch_size)
                    except Exception as exc:  # database briefly unavailable: try again shortly
                        log.warning("claim failed: %s", type(exc).__name__)
                        claimed = []
                    queue.extend(claimed)
                    # Nothing due: look again after a pause, not on every loop.
                    next_claim = 0.0 if claimed else loop.time() + self.idle_interval
                later: deque[_Row] = deque()  # rows of chats with a row on its way, in order
                while queue and len(senders) < self.concurrency:
                    row = queue.popleft()
                    if row.id in self._lost:
                        self._forget(row)
                        continue
                    if row.chat in busy_chats:
                        later.append(row)
                        continue
                    busy_chats.add(row.chat)
                    task = asyncio.create_task(self._deliver(row))
                    senders.add(task)
                    task.add_done_callback(finished(row.chat))
                held_back = len(later)
                if later:
                    later.extend(queue)
                    queue = later
                wake.clear()
                if queue or senders:
                    await _wait_any(stop, wake, 0.05 if len(queue) < self.concurrency else 0.5)
                else:
                    await _wait(stop, max(0.0, next_claim - loop.time()))
        finally:
            self._stopping = True
            # Unsent rows go back to the table now, so another worker need not wait for the lease.
            for row in queue:
                self._release(row)
            if senders:
                await asyncio.wait(senders, timeout=30)
            try:
                await asyncio.wait_for(self._results.join(), timeout=30)
            except asyncio.TimeoutError:
                log.error("delivery worker stopped with %d results unrecorded", self._results.qsize())
            renewer.cancel()
            recorder.cancel()
            await asyncio.gather(renewer, recorder, return_exceptions=True)
            log.info("delivery worker stopped: %s", self.stats.as_dict())

    # ------------------------------------------------------------ claiming

    def _due(self, now: dt.datetime):  # type: ignore[no-untyped-def]
        waiting = and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now)
        abandoned = and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_until < now)
        # Only platforms this worker can send on: another platform's rows wait for its worker.
        return and_(OutboxMessage.platform.in_(list(self.messengers)), or_(waiting, abandoned))

    async def _claim(self, limit: int) -> list[_Row]:
        now = self.clock.now()
        token = secrets.token_hex(16)
        async with transaction(self.session_factory) as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            candidates = select(OutboxMessage.id).where(self._due(now)).order_by(OutboxMessage.priority.desc(), OutboxMessage.id).limit(limit)
            if self._held:
                # Never our own rows again: after the wall clock jumps (a laptop waking from sleep,
                # an NTP step) their leases look expired, but they are still being sent here.
                candidates = candidates.where(OutboxMessage.id.notin_(list(self._held)))
            if postgres:
                # A CTE, not `id IN (sub-select)`: PostgreSQL may run a sub-select once per row, and
                # with SKIP LOCKED each run would pick other rows, claiming far more than `limit`.
                picked = candidates.with_for_update(skip_locked=True).cte("picked")
                chosen = OutboxMessage.id == picked.c.id
            else:
                chosen = OutboxMessage.id.in_(candidates.scalar_subquery())
            statement = (
                update(OutboxMessage)
                # The due condition again: it costs nothing and keeps the claim safe on its own.
                .where(chosen, self._due(now))
                .values(
                    state=OutboxState.SENDING,
                    claimed_until=now + self.lease,
                    claim_token=token,
                    # A row taken over from a dead worker may have been sent: that was an attempt.
                    attempts=case((OutboxMessage.state == OutboxState.SENDING, OutboxMessage.attempts + 1), else_=OutboxMessage.attempts),
                )
                .returning(
                    OutboxMessage.id, OutboxMessage.member_id, OutboxMessage.chat_id, OutboxMessage.kind,
                    OutboxMessage.attempts, OutboxMessage.payload, OutboxMessage.priority, OutboxMessage.platform,
                    OutboxMessage.paid,
                )
                .execution_options(synchronize_session=False)
            )
            found = list((await session.execute(statement)).all())
        found.sort(key=lambda r: (-r.priority, r.id))
        rows = [
            _Row(id=r.id, token=token, member_id=r.member_id, chat_id=r.chat_id, kind=r.kind, attempts=r.attempts,
                 message=OutboundMessage.from_payload(r.payload), platform=r.platform, paid=bool(r.paid))
            for r in found
        ]
        for row in rows:
            self._held[row.id] = row
        self.stats.claimed += len(rows)
        return rows

    async def _renew_loop(self) -> None:
        interval = max(0.2, min(1.0, self.lease.total_seconds() / 3))
        while True:
            await asyncio.sleep(interval)
            try:
                await self._renew()
            except Exception as exc:
                log.warning("lease renewal failed: %s", type(exc).__name__)

    async def _renew(self) -> None:
        """Extend the lease of every held row; rows that are no longer ours are dropped before sending."""
        by_token: dict[str, list[int]] = {}
        for row in list(self._held.values()):
            by_token.setdefault(row.token, []).append(row.id)
        if not by_token:
            return
        until = self.clock.now() + self.lease
        kept: set[int] = set()
        async with transaction(self.session_factory) as session:
            for token, ids in by_token.items():
                for start in range(0, len(ids), 1000):
                    chunk = ids[start : start + 1000]
                    result = await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id.in_(chunk), OutboxMessage.claim_token == token, OutboxMessage.state == OutboxState.SENDING)
                        .values(claimed_until=until)
                        .returning(OutboxMessage.id)
                        .execution_options(synchronize_session=False)
                    )
                    kept.update(result.scalars())
        for ids in by_token.values():
            for row_id in ids:
                if row_id not in kept and row_id in self._held:
                    self._lost.add(row_id)

    def _release(self, row: _Row) -> None:
        """Hand a claimed row back to the table unsent (no attempt counted), or drop it if lost."""
        if row.id in self._lost:
            self._forget(row)
        else:
            self._results.put_nowait(_Result(row, "released", self.clock.now()))

    def _budget_down(self) -> bool:
        """Within the back-off after the budget failed to answer; after it, the next acquisition tells."""
        return self._budget_down_until > asyncio.get_running_loop().time()

    def _budget_failed(self, platform: str, exc: Exception) -> None:
        loop_time = asyncio.get_running_loop().time()
        if self._budget_down_until > loop_time:
            return  # already counted: the other senders failing meanwhile are the same outage
        self._budget_backoff = min(BUDGET_BACKOFF_MAX, max(BUDGET_BACKOFF_FIRST, self._budget_backoff * 2))
        self._budget_down_until = loop_time + self._budget_backoff
        if platform not in BUDGET_OUTAGES:
            log.error("rate budget of %s unreachable (%s): claiming stopped, held rows released; retrying in %.0fs",
                      platform, type(exc).__name__, self._budget_backoff)
        else:
            log.warning("rate budget of %s still unreachable (%s); retrying in %.0fs", platform, type(exc).__name__, self._budget_backoff)
        BUDGET_OUTAGES[platform] = type(exc).__name__
        metrics.BUDGET_UNREACHABLE.labels(platform=platform).set(1)

    def _budget_answered(self, platform: str) -> None:
        if BUDGET_OUTAGES.pop(platform, None) is not None:
            log.warning("rate budget of %s reachable again: claiming resumed", platform)
            metrics.BUDGET_UNREACHABLE.labels(platform=platform).set(0)
        self._budget_backoff = 0.0

    def _forget(self, row: _Row) -> None:
        self._held.pop(row.id, None)
        self._lost.discard(row.id)
        self.stats.lost += 1

    # ------------------------------------------------------------ sending

    async def _deliver(self, row: _Row) -> None:
        message = await self._with_media(row)
        if message is None:
            return
        while True:
            if row.id in self._lost:
                self._forget(row)
                self._finish_upload(row, None)
                return
            if self._stopping or self._budget_down():
                self._finish_upload(row, None)
                self._results.put_nowait(_Result(row, "released", self.clock.now()))
                return
            try:
                verdict = await self._take_token(row)
            except _BudgetUnreachable:
                self._finish_upload(row, None)
                self._release(row)
                return
            if verdict.granted:
                break
            if not verdict.chat_limited:
                continue  # dropped or stopping while it waited: the checks above decide
            if verdict.retry_in > MAX_CHAT_WAIT:
                self.stats.deferred += 1
                self._finish_upload(row, None)
                retry_at = self.clock.now() + dt.timedelta(seconds=verdict.retry_in)
                self._results.put_nowait(_Result(row, "defer", self.clock.now(), retry_at=retry_at))
                return
            await asyncio.sleep(verdict.retry_in)
        if self._sends_paid(row):
            message = replace(message, paid_broadcast=True)
        self._in_flight += 1
        self.in_flight_high_water = max(self.in_flight_high_water, self._in_flight + self._unrecorded)
        try:
            result = await self._send(row, message)
        finally:
            self._in_flight -= 1
        self._unrecorded += 1
        self._results.put_nowait(replace(result, answered=True))

    def _sends_paid(self, row: _Row) -> bool:
        """A paid broadcast only for a row queued as one, and only while the budget has a paid lane
        (the operator's setting): with the setting off, no message ever carries the flag."""
        config = getattr(self.budgets[row.platform], "config", None)
        return row.paid and bool(getattr(config, "paid_rate", 0))

    async def _take_token(self, row: _Row) -> Verdict:
        """Wait for the bot's budget, one sender at a time per lane: the others queue behind it instead
        of all asking the budget (Redis) at once. A busy chat is answered at once, never holding the queue."""
        paid = self._sends_paid(row)
        async with self._budget_turn[(row.platform, paid)]:
            while True:
                if self._budget_down():
                    raise _BudgetUnreachable
                try:
                    budget = self.budgets[row.platform]
                    verdict = await (budget.try_acquire(row.chat_id, paid=True) if paid else budget.try_acquire(row.chat_id))
                except Exception as exc:  # Redis down or unreachable: never a dead task holding a row
                    self._budget_failed(row.platform, exc)
                    raise _BudgetUnreachable from None
                self._budget_answered(row.platform)
                if verdict.granted or verdict.chat_limited or row.id in self._lost or self._stopping:
                    return verdict
                await asyncio.sleep(min(verdict.retry_in, 1.0))

    async def _send(self, row: _Row, message: OutboundMessage) -> _Result:
        try:
            receipt = await self.messengers[row.platform].send(row.chat_id, message)
        except RateLimitedError as exc:
            self.stats.rate_limited += 1
            metrics.RATE_LIMITED.labels(platform=row.platform).inc()
            if row.platform == "telegram":
                metrics.TELEGRAM_429.inc()
            await self.budgets[row.platform].pause(exc.retry_after)
            self._finish_upload(row, None)
            retry_at = self.clock.now() + dt.timedelta(seconds=exc.retry_after)
            return _Result(row, "defer", self.clock.now(), error=f"429: {exc.reason}", retry_at=retry_at)
        except RecipientUnreachable as exc:
            self._finish_upload(row, None)
            return _Result(row, "unreachable", self.clock.now(), error=exc.reason)
        except PermanentError as exc:
            self._finish_upload(row, None)
            return _Result(row, "failed", self.clock.now(), error=exc.reason)
        except (TemporaryError, SendError) as exc:
            self._finish_upload(row, None)
            return self._retry(row, exc.reason)
        except Exception as exc:  # an unexpected client error: treat as temporary, never lose the row
            log.warning("send of outbox row %s raised %s", row.id, type(exc).__name__)
            self._finish_upload(row, None)
            return self._retry(row, type(exc).__name__)
        uploaded = None
        attachment = row.message.attachment
        if attachment is not None and attachment.cache_key and message.attachment is not None and self._uploads_files(row.platform):
            # A first upload, or a stored id the platform rejected and the messenger replaced: remember the new id.
            if receipt.file_id and (message.attachment.file_id is None or receipt.reuploaded):
                uploaded = (attachment.cache_key, receipt.file_id)
                self._file_ids[(row.platform, attachment.cache_key)] = receipt.file_id
                self.stats.uploads += 1
            if not attachment.file_id:
                self._finish_upload(row, receipt.file_id)
        return _Result(row, "sent", self.clock.now(), message_id=receipt.message_id, uploaded=uploaded)

    def _retry(self, row: _Row, reason: str) -> _Result:
        attempt = row.attempts + 1
        if attempt >= self.max_attempts:
            return _Result(row, "failed", self.clock.now(), error=f"gave up after {attempt} attempts: {reason}")
        retry_at = self.clock.now() + dt.timedelta(seconds=backoff(attempt))
        return _Result(row, "retry", self.clock.now(), error=reason, retry_at=retry_at)

    # ------------------------------------------------------------ media

    async def _with_media(self, row: _Row) -> OutboundMessage | None:
        """The message to send: by stored file id when the content was uploaded before.

        Rows sharing a cache key that is not uploaded yet do not all upload: the first one
        uploads, the others wait for its file id (a voice note to 900 members is one upload).
        """
        attachment = row.message.attachment
        if attachment is None or not attachment.cache_key or not self._uploads_files(row.platform):
            return row.message
        key = (row.platform, attachment.cache_key)
        if attachment.file_id:
            # Sent by its own id, unless that id was rejected once and replaced by a newer upload.
            newer = self._file_ids.get(key) or await self._stored_file_id(*key)
            if newer:
                self._file_ids[key] = newer
                return replace(row.message, attachment=replace(attachment, file_id=newer))
            return row.message
        while True:
            file_id = self._file_ids.get(key)
            if not file_id and key not in self._uploads:
                stored = await self._stored_file_id(*key)
                # Look again after the query: another row may have finished uploading meanwhile.
                file_id = self._file_ids.get(key) or stored
            if file_id:
                self._file_ids[key] = file_id
                # The path stays: if the platform rejects the stored id, the messenger uploads the file again.
                return replace(row.message, attachment=replace(attachment, file_id=file_id))
            upload = self._uploads.get(key)
            if upload is None:
                self._uploads[key] = _Upload(row_id=row.id)
                return row.message  # this row uploads; `_finish_upload` tells the others
            await upload.done.wait()
            if row.id in self._lost:
                self._forget(row)
                return None

    def _uploads_files(self, platform: str) -> bool:
        """False for a messenger that never uploads (Zalo sends a link instead): no file ids to
        remember, and no reason for its rows with the same content to wait for one another."""
        return bool(getattr(self.messengers[platform], "uploads_files", True))

    async def _stored_file_id(self, platform: str, key: str) -> str | None:
        async with self.session_factory() as session:
            return await session.scalar(
                select(MediaFile.file_id).where(MediaFile.platform == platform, MediaFile.bot_id == self.bot_keys[platform], MediaFile.cache_key == key)
            )

    def _finish_upload(self, row: _Row, file_id: str | None) -> None:
        attachment = row.message.attachment
        if attachment is None or not attachment.cache_key or attachment.file_id:
            return
        key = (row.platform, attachment.cache_key)
        upload = self._uploads.get(key)
        if upload is None or upload.row_id != row.id:
            return
        if file_id:
            self._file_ids[key] = file_id
        # On failure the next waiter becomes the uploader.
        del self._uploads[key]
        upload.file_id = file_id
        upload.done.set()

    # ------------------------------------------------------------ recording

    async def _record_loop(self) -> None:
        while True:
            batch = [await self._results.get()]
            # Group commit: gather what comes back within a moment rather than one transaction per answer
            # (at 30/s answers arrive one by one, and a transaction each was a third of the worker's CPU).
            # The answers waiting here are "in flight" for a crash: RECORD_GATHER × the rate of them.
            if self.record_gather > 0:
                await asyncio.sleep(self.record_gather)
            while not self._results.empty() and len(batch) < 500:
                batch.append(self._results.get_nowait())
            delay = 0.05
            while True:
                try:
                    await self._record(batch)
                    break
                except Exception as exc:  # keep the answers: dropping them would resend the messages
                    log.warning("recording %d results failed (%s); retrying", len(batch), type(exc).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RECORD_RETRY_CAP)
            for result in batch:
                self._held.pop(result.row.id, None)
                self._lost.discard(result.row.id)
                if result.answered:
                    self._unrecorded -= 1
                self._count(result)
                self._results.task_done()

    def _count(self, result: _Result) -> None:
        outcome = result.outcome
        if outcome == "sent":
            self.stats.sent += 1
        elif outcome == "retry":
            self.stats.retried += 1
        elif outcome == "failed":
            self.stats.failed += 1
        elif outcome == "unreachable":
            self.stats.unreachable += 1
        elif outcome == "released":
            self.stats.released += 1
        metrics.SENDS.labels(platform=result.row.platform, result=outcome).inc()

    async def _record(self, batch: list[_Result]) -> None:
        table = cast(Table, OutboxMessage.__table__)
        by_row = table.c.id == bindparam("row_id")
        ours = table.c.claim_token == bindparam("token")
        common = {"claimed_until": None, "claim_token": None}
        groups: dict[str, list[dict[str, object]]] = {}
        for r in batch:
            key = {"row_id": r.row.id, "token": r.row.token}
            if r.outcome == "sent":
                groups.setdefault("sent", []).append({**key, "message_id": r.message_id, "at": r.at, "attempts_now": r.row.attempts + 1})
            elif r.outcome in ("retry", "defer", "released"):
                attempts = r.row.attempts + (1 if r.outcome == "retry" else 0)
                groups.setdefault("again", []).append(
                    {**key, "at": r.retry_at or r.at, "error": r.error, "attempts_now": attempts}
                )
            else:
                state = OutboxState.FAILED if r.outcome == "failed" else OutboxState.UNREACHABLE
                groups.setdefault("final", []).append({**key, "final_state": state, "error": r.error, "attempts_now": r.row.attempts + 1})
        async with transaction(self.session_factory) as session:
            if "sent" in groups:
                await session.execute(
                    table.update().where(by_row, ours).values(
                        state=OutboxState.SENT, sent_at=bindparam("at"), platform_message_id=bindparam("message_id"),
                        sent_by=self.worker_id,
                        attempts=bindparam("attempts_now"), last_error=None, **common,
                    ),
                    groups["sent"],
                )
            if "again" in groups:
                # Only rows still `sending` go back to pending: a cancelled one stays cancelled.
                await session.execute(
                    table.update().where(by_row, ours, table.c.state == OutboxState.SENDING).values(
                        state=OutboxState.PENDING, next_attempt_at=bindparam("at"), attempts=bindparam("attempts_now"),
                        last_error=bindparam("error"), **common,
                    ),
                    groups["again"],
                )
            if "final" in groups:
                await session.execute(
                    table.update().where(by_row, ours).values(
                        state=bindparam("final_state"), attempts=bindparam("attempts_now"), last_error=bindparam("error"), **common,
                    ),
                    groups["final"],
                )
            now = self.clock.now()
            for platform in sorted({r.row.platform for r in batch}):
                mine = [r for r in batch if r.row.platform == platform]
                await self._store_uploads(session, platform, [r.uploaded for r in mine if r.uploaded])
                sent_members = [r.row.member_id for r in mine if r.outcome == "sent" and r.row.member_id is not None]
                await mark_reachable(session, member_ids=sent_members, platform=platform)
                blocked = [r.row for r in mine if r.outcome == "unreachable" and r.row.member_id is not None]
                if blocked:
                    await mark_unreachable(
                        session,
                        member_ids=[row.member_id for row in blocked],  # type: ignore[misc]
                        alert_member_ids=[row.member_id for row in blocked if row.kind not in self.quiet_kinds],  # type: ignore[misc]
                        platform=platform,
                        now=now,
                    )

    async def _store_uploads(self, session: AsyncSession, platform: str, uploads: list[tuple[str, str]]) -> None:
        if not uploads:
            return
        insert = insert_for(session, MediaFile)
        # A newer id replaces a rejected one.
        statement = insert.on_conflict_do_update(
            index_elements=["platform", "bot_id", "cache_key"], set_={"file_id": insert.excluded.file_id, "created_at": insert.excluded.created_at}
        )
        now = self.clock.now()
        await session.execute(
            statement,
            [{"platform": platform, "bot_id": self.bot_keys[platform], "cache_key": key, "file_id": file_id, "created_at": now} for key, file_id in uploads],
        )


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
