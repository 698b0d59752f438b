import datetime as dt

from sqlalchemy import func, select

from core.delivery.models import OutboxMessage, OutboxState
from core.delivery.outbox import cancel_pending, enqueue_many, state_counts
from core.ports import Button, OutboundMessage
from tests.factories import add_member, make_commune


async def test_enqueue_is_idempotent_and_reports_unlinked(session, cipher) -> None:
    commune = await make_commune(session, cipher, linked=True)
    cell = commune.cells[0]
    unlinked = await add_member(session, cipher, cell.org, "Chưa liên kết")
    ids = [m.id for m in cell.everyone] + [unlinked.id]
    message = OutboundMessage(text="Thông báo", buttons=((Button("✅ Đã xem", "seen:1"),),))
    first = await enqueue_many(session, member_ids=ids, kind="notice", source="notice:1", message=message)
    second = await enqueue_many(session, member_ids=ids, kind="notice", source="notice:1", message=message)
    assert (first.queued, first.unlinked_member_ids) == (len(cell.everyone), [unlinked.id])
    assert (second.queued, second.already_queued) == (0, len(cell.everyone))
    assert await session.scalar(select(func.count(OutboxMessage.id))) == len(cell.everyone)
    row = (await session.execute(select(OutboxMessage).limit(1))).scalar_one()
    assert OutboundMessage.from_payload(row.payload) == message


async def test_cancel_pending_only_touches_unsent(session, cipher) -> None:
    commune = await make_commune(session, cipher, linked=True)
    ids = [m.id for m in commune.cells[0].everyone]
    await enqueue_many(session, member_ids=ids, kind="notice", source="notice:2", message=OutboundMessage(text="x"))
    first = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id).limit(1))).scalar_one()
    first.state = OutboxState.SENT
    await session.flush()
    assert await cancel_pending(session, source="notice:2") == len(ids) - 1
    counts = await state_counts(session, source="notice:2")
    assert counts == {OutboxState.SENT: 1, OutboxState.CANCELLED: len(ids) - 1}


async def test_a_batch_half_queued_already_counts_only_the_new_rows_and_stores_them_whole(session, cipher) -> None:
    commune = await make_commune(session, cipher, linked=True)
    everyone = [m.id for m in commune.cells[0].everyone]
    at = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.timezone.utc)
    message = OutboundMessage(text="Nhắc họp", buttons=((Button("✅", "seen:2"),),))
    await enqueue_many(session, member_ids=everyone[:2], kind="notice", source="notice:3", message=message, not_before=at, priority=5)
    mixed = await enqueue_many(session, member_ids=everyone, kind="notice", source="notice:3", message=message, not_before=at, priority=5)
    assert (mixed.queued, mixed.already_queued) == (len(everyone) - 2, 2)
    rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    assert [r.member_id for r in rows] == everyone
    last = rows[-1]
    assert (last.state, last.priority, last.attempts, last.next_attempt_at, last.paid) == (OutboxState.PENDING, 5, 0, at, False)
    assert OutboundMessage.from_payload(last.payload) == message and last.created_at.tzinfo is not None


def test_the_insert_that_skips_duplicates_is_compiled_once() -> None:
    """SQLAlchemy 2.0 compiles its dialects' `insert().on_conflict_do_nothing()` on every execution; this one has a cache key."""
    from typing import cast

    from sqlalchemy import Table

    from core.db import insert_ignoring_duplicates

    table = cast(Table, OutboxMessage.__table__)
    statement = insert_ignoring_duplicates(table, ("member_id", "idempotency_key"), ("idempotency_key",))
    assert statement is insert_ignoring_duplicates(table, ("member_id", "idempotency_key"), ("idempotency_key",))
    assert statement._generate_cache_key() is not None
