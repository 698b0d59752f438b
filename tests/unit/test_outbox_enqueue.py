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
