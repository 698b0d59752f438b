"""One delivery worker, two platforms: each row goes out through its platform's messenger and
budget; rows of a platform without a messenger wait; file ids are remembered per platform."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core.delivery.budget import BudgetConfig, LocalTokenBucket, RedisTokenBucket, Verdict
from core.delivery.models import MediaFile, OutboxMessage, OutboxState
from core.delivery.outbox import enqueue_many
from core.delivery.worker import DeliveryWorker
from core.orgs.models import ChannelLink
from core.ports import Attachment, CollectingMessenger, OutboundMessage, RateLimitedError
from tests.conftest import TEST_NOW
from tests.factories import Commune

UNLIMITED = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)


class RecordingBudget(LocalTokenBucket):
    """A budget that remembers which chats asked it for a token, and whether it was paused."""

    def __init__(self) -> None:
        super().__init__(UNLIMITED)
        self.asked: list[str] = []
        self.paused_for: list[float] = []

    async def try_acquire(self, chat_id: str) -> Verdict:
        self.asked.append(chat_id)
        return await super().try_acquire(chat_id)

    async def pause(self, seconds: float) -> None:
        self.paused_for.append(seconds)
        await super().pause(seconds)


async def split_cell(session, commune: Commune) -> tuple[list[int], list[int]]:  # type: ignore[no-untyped-def]
    """Half of cell 1 on Telegram, the other half moved to Zalo ("z-" chats); a row for everyone."""
    members = commune.cells[0].everyone
    on_zalo = [m.id for m in members[::2]]
    on_telegram = [m.id for m in members[1::2]]
    await session.execute(ChannelLink.__table__.delete().where(ChannelLink.member_id.in_(on_zalo)))
    for member_id in on_zalo:
        session.add(ChannelLink(member_id=member_id, platform="zalo", platform_user_id=f"z-{member_id}", chat_id=f"z-{member_id}"))
    await session.flush()
    await enqueue_many(session, member_ids=[m.id for m in members], kind="test", source="test:1", message=OutboundMessage(text="Xin chào"),
                       not_before=TEST_NOW)
    await session.commit()
    return on_telegram, on_zalo


async def states(session) -> dict[str, set[OutboxState]]:  # type: ignore[no-untyped-def]
    query = select(OutboxMessage.platform, OutboxMessage.state).execution_options(populate_existing=True)
    found: dict[str, set[OutboxState]] = {}
    for platform, state in await session.execute(query):
        found.setdefault(platform, set()).add(state)
    return found


async def test_each_row_goes_through_its_platforms_messenger_and_budget(session, session_factory, commune, clock) -> None:
    on_telegram, on_zalo = await split_cell(session, commune)
    telegram, zalo = CollectingMessenger(platform="telegram"), CollectingMessenger(platform="zalo")
    budgets = {"telegram": RecordingBudget(), "zalo": RecordingBudget()}
    worker = DeliveryWorker(session_factory, {"telegram": telegram, "zalo": zalo}, budgets, clock, bot_key={"telegram": "42", "zalo": "z42"})
    stats = await worker.drain()
    assert stats.sent == len(on_telegram) + len(on_zalo)
    assert sorted(chat for chat, _ in zalo.sent) == sorted(f"z-{m}" for m in on_zalo)
    assert all(not chat.startswith("z-") for chat, _ in telegram.sent) and len(telegram.sent) == len(on_telegram)
    assert sorted(budgets["zalo"].asked) == sorted(f"z-{m}" for m in on_zalo)
    assert sorted(budgets["telegram"].asked) == sorted(chat for chat, _ in telegram.sent)
    assert await states(session) == {"telegram": {OutboxState.SENT}, "zalo": {OutboxState.SENT}}


async def test_a_429_on_one_platform_pauses_only_that_platform(session, session_factory, commune, clock) -> None:
    on_telegram, on_zalo = await split_cell(session, commune)
    zalo = CollectingMessenger(platform="zalo", failures={f"z-{on_zalo[0]}": RateLimitedError("Too Many Requests", retry_after=30)})
    telegram = CollectingMessenger(platform="telegram")
    budgets = {"telegram": RecordingBudget(), "zalo": RecordingBudget()}
    await DeliveryWorker(session_factory, {"telegram": telegram, "zalo": zalo}, budgets, clock).run_once()
    assert budgets["zalo"].paused_for == [30] and budgets["telegram"].paused_for == []
    assert len(telegram.sent) == len(on_telegram)  # Telegram went on at its own pace
    assert (await states(session))["telegram"] == {OutboxState.SENT}


async def test_metrics_tell_the_platforms_apart_and_exist_before_anything_happens(session, session_factory, commune, clock) -> None:
    """#18 item 9, found scraping two workers mid-broadcast: sends had no platform, a Zalo 429 counted
    as Telegram's, and the budget-outage gauge did not exist until the first outage."""
    from core import metrics

    def value(name: str, **labels: str) -> float | None:
        return metrics.REGISTRY.get_sample_value(name, labels)

    on_telegram, on_zalo = await split_cell(session, commune)
    zalo = CollectingMessenger(platform="zalo", failures={f"z-{on_zalo[0]}": RateLimitedError("Too Many Requests", retry_after=30)})
    telegram = CollectingMessenger(platform="telegram")
    before = {p: value("sotay_sends_total", platform=p, result="sent") or 0.0 for p in ("telegram", "zalo")}
    before_429 = (value("sotay_telegram_429_total") or 0.0, value("sotay_rate_limited_total", platform="zalo") or 0.0)
    worker = DeliveryWorker(session_factory, {"telegram": telegram, "zalo": zalo}, {"telegram": RecordingBudget(), "zalo": RecordingBudget()}, clock)
    for platform in ("telegram", "zalo"):  # scraped before the first send: 0, not absent
        assert value("sotay_delivery_budget_unreachable", platform=platform) == 0
        assert value("sotay_sends_total", platform=platform, result="sent") is not None
        assert value("sotay_rate_limited_total", platform=platform) is not None
    await worker.run_once()
    assert value("sotay_sends_total", platform="telegram", result="sent") == before["telegram"] + len(on_telegram)
    assert value("sotay_sends_total", platform="zalo", result="sent") == before["zalo"] + len(zalo.sent)
    assert value("sotay_telegram_429_total") == before_429[0]  # Zalo's 429 is not Telegram's
    assert value("sotay_rate_limited_total", platform="zalo") == before_429[1] + 1


async def test_rows_of_a_platform_without_messenger_wait_for_one(session, session_factory, commune, clock) -> None:
    on_telegram, on_zalo = await split_cell(session, commune)
    telegram = CollectingMessenger(platform="telegram")
    stats = await DeliveryWorker(session_factory, telegram, LocalTokenBucket(UNLIMITED), clock).drain()
    assert stats.claimed == len(on_telegram)
    # Zalo's rows were not claimed, failed or touched: they wait, due, for a worker that can send them.
    zalo_rows = (await session.execute(
        select(OutboxMessage).where(OutboxMessage.platform == "zalo").execution_options(populate_existing=True)
    )).scalars().all()
    assert len(zalo_rows) == len(on_zalo)
    assert all(r.state == OutboxState.PENDING and r.attempts == 0 and r.claim_token is None for r in zalo_rows)
    zalo = CollectingMessenger(platform="zalo")
    assert (await DeliveryWorker(session_factory, zalo, LocalTokenBucket(UNLIMITED), clock).drain()).sent == len(on_zalo)
    assert await states(session) == {"telegram": {OutboxState.SENT}, "zalo": {OutboxState.SENT}}


async def test_file_ids_are_remembered_per_platform(session, session_factory, commune, clock) -> None:
    on_telegram, on_zalo = await split_cell(session, commune)
    voice = Attachment(kind="voice", path="/tmp/summary.ogg", cache_key="tts:both", duration=30)
    members = [m.id for m in commune.cells[0].everyone]
    await enqueue_many(session, member_ids=members, kind="test", source="test:voice", message=OutboundMessage(text="Nghe", attachment=voice),
                       not_before=TEST_NOW)
    await session.commit()
    telegram, zalo = CollectingMessenger(platform="telegram"), CollectingMessenger(platform="zalo")
    worker = DeliveryWorker(session_factory, {"telegram": telegram, "zalo": zalo}, {"telegram": RecordingBudget(), "zalo": RecordingBudget()},
                            clock, bot_key="7")
    await worker.drain()
    for messenger, count in ((telegram, len(on_telegram)), (zalo, len(on_zalo))):
        voices = [m.attachment for _, m in messenger.sent if m.attachment is not None]
        # One upload per platform; the platform's other members get its file id.
        assert len(voices) == count
        assert sum(1 for a in voices if a.file_id is None) == 1
    stored = (await session.execute(select(MediaFile.platform, MediaFile.cache_key).order_by(MediaFile.platform))).all()
    assert [tuple(r) for r in stored] == [("telegram", "tts:both"), ("zalo", "tts:both")]


def test_several_platforms_need_their_own_budgets(session_factory, clock) -> None:
    messengers = {"telegram": CollectingMessenger(platform="telegram"), "zalo": CollectingMessenger(platform="zalo")}
    with pytest.raises(ValueError):
        DeliveryWorker(session_factory, messengers, LocalTokenBucket(UNLIMITED), clock)
    with pytest.raises(ValueError):
        DeliveryWorker(session_factory, messengers, {"telegram": LocalTokenBucket(UNLIMITED)}, clock)


async def test_redis_budgets_of_two_platforms_do_not_share_keys(redis_url) -> None:
    config = BudgetConfig(rate=1, burst=1, chat_rate=1, chat_burst=1)
    bot_key = f"test-{uuid.uuid4().hex[:8]}"
    telegram = RedisTokenBucket.from_url(redis_url, config, bot_key=bot_key)
    zalo = RedisTokenBucket.from_url(redis_url, config, bot_key=bot_key, platform="zalo")
    try:
        assert (await telegram.try_acquire("1")).granted
        assert not (await telegram.try_acquire("2")).granted  # Telegram's one token is spent…
        assert (await zalo.try_acquire("1")).granted  # …Zalo's is its own
        await zalo.pause(60)
        assert (await zalo.try_acquire("3")).limit == "paused"
        assert (await telegram.try_acquire("3")).limit != "paused"
        keys = {k.decode() async for k in telegram.redis.scan_iter(match=f"sotay:budget:*{{{bot_key}}}:*")}
        assert f"sotay:budget:{{{bot_key}}}:bot" in keys and f"sotay:budget:zalo:{{{bot_key}}}:bot" in keys
    finally:
        keys = [k async for k in telegram.redis.scan_iter(match=f"sotay:budget:*{{{bot_key}}}:*")]
        if keys:
            await telegram.redis.delete(*keys)
        await telegram.close()
        await zalo.close()


async def test_a_messenger_that_never_uploads_sends_every_row_as_it_is(session, session_factory, commune, clock) -> None:
    """Zalo cannot upload voice or files (its messenger sends a link): no file ids are remembered
    for it, and its rows carry the content itself, not another row's file id."""
    on_telegram, on_zalo = await split_cell(session, commune)
    voice = Attachment(kind="voice", path="/tmp/summary.ogg", cache_key="tts:links", duration=30)
    members = [m.id for m in commune.cells[0].everyone]
    await enqueue_many(session, member_ids=members, kind="test", source="test:links", message=OutboundMessage(text="Nghe", attachment=voice),
                       not_before=TEST_NOW)
    await session.commit()
    telegram, zalo = CollectingMessenger(platform="telegram"), CollectingMessenger(platform="zalo")
    zalo.uploads_files = False  # type: ignore[attr-defined]
    worker = DeliveryWorker(session_factory, {"telegram": telegram, "zalo": zalo}, {"telegram": RecordingBudget(), "zalo": RecordingBudget()}, clock)
    await worker.drain()
    zalo_voices = [m.attachment for _, m in zalo.sent if m.attachment is not None]
    assert len(zalo_voices) == len(on_zalo) and all(a.file_id is None and a.path == "/tmp/summary.ogg" for a in zalo_voices)
    stored = (await session.execute(select(MediaFile.platform).where(MediaFile.cache_key == "tts:links"))).scalars().all()
    assert stored == ["telegram"]
