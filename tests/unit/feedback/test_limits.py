"""Per-member rate limits, counted in the database."""

import pytest
from sqlalchemy import func, select

from core import texts
from core.errors import InvalidInput, RateLimited
from core.feedback import service
from core.feedback.models import FeedbackItem, FeedbackKind


async def count(session) -> int:
    return int(await session.scalar(select(func.count(FeedbackItem.id))))


async def test_five_an_hour_then_a_clear_refusal(session, commune, send, clock) -> None:
    member = commune.cells[0].members[0]
    for n in range(service.PER_HOUR):
        clock.advance(minutes=5)
        await send(member, f"Ý kiến {n}")
    with pytest.raises(RateLimited) as refusal:
        await send(member, "Một ý kiến nữa")
    # The oldest of the five was 20 minutes ago: 40 more minutes to wait.
    assert refusal.value.message == texts.feedback.RATE_HOUR.format(count=5, minutes=40)
    assert await count(session) == 5
    # Another member of the same cell is not affected.
    await send(commune.cells[0].members[1])
    clock.advance(minutes=40)
    await send(member, "Sau một giờ")
    assert await count(session) == 7


async def test_twenty_a_day(session, commune, send, clock) -> None:
    member = commune.cells[0].members[0]
    for n in range(service.PER_DAY):
        await send(member, f"Ý kiến {n}")
        clock.advance(minutes=61)
    with pytest.raises(RateLimited) as refusal:
        await send(member, "Ý kiến thứ 21")
    assert "20 ý kiến trong 24 giờ" in refusal.value.message
    clock.advance(hours=5)
    await send(member, "Hôm sau")
    assert await count(session) == 21


async def test_refused_submissions_do_not_count(session, commune, send, clock) -> None:
    member = commune.cells[0].members[0]
    for _ in range(10):
        with pytest.raises(InvalidInput):
            await send(member, "")
    for n in range(service.PER_HOUR):
        await send(member, f"Ý kiến {n}")
    await service.check_rate(session, member=commune.cells[0].members[1], now=clock.now())
    with pytest.raises(RateLimited):
        await service.check_rate(session, member=member, now=clock.now())


async def test_two_items_within_seconds_are_one_too_many(session, commune, send, actor_of, clock) -> None:
    """Two updates handled at once (a split text on a webhook) must not both become items."""
    member = commune.cells[0].members[0]
    await send(member, "Phần một")
    actor = await actor_of(member)
    content = service.Content(text="Phần hai")
    with pytest.raises(RateLimited) as refusal:
        await service.submit(session, actor=actor, kind=FeedbackKind.COMMENT, org_id=actor.cell.id, content=content, now=clock.now())
    assert refusal.value.message == texts.feedback.TOO_SOON
    clock.advance(seconds=3)
    await service.submit(session, actor=actor, kind=FeedbackKind.COMMENT, org_id=actor.cell.id, content=content, now=clock.now())
    assert await count(session) == 2
