"""`sotay run`'s worker role: the delivery job sends the outbox through the real TelegramMessenger
(aiogram, the recorded Bot API) and follows notices up to their final report."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from core.db import transaction
from core.notices import service
from core.notices.models import Notice, NoticeStatus
from core.orgs.service import load_actor
from sotay.delivery import budget_config, run_delivery
from sotay.serve import worker_jobs
from tests.factories import make_commune


async def test_the_worker_job_sends_and_reports(runtime, session, session_factory, cipher, clock, harness) -> None:
    assert run_delivery in worker_jobs()
    commune = await make_commune(session, cipher, linked=True)
    await session.commit()
    async with transaction(session_factory) as tx:
        actor = await load_actor(tx, commune.cells[0].secretary)
        notice = await service.create_notice(
            tx, actor=actor, org_id=commune.cells[0].org.id, text="Họp chi bộ <tối nay>", now=clock.now(), status_message_id="5",
            status_chat_id="1001",
        )
    stop = asyncio.Event()
    job = asyncio.create_task(run_delivery(runtime, stop))

    def sent_to(chat: int) -> list:
        return [c for c in harness.session.calls if type(c).__name__ in ("SendMessage", "EditMessageText") and str(c.chat_id) == str(chat)]

    async def finished() -> None:
        while not any("Kết quả" in (c.text or "") for c in sent_to(1001)):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(finished(), 30)
    stop.set()
    await job
    for chat in (1002, 1003, 1004, 1005, 1006, 5001):
        (call,) = sent_to(chat)
        assert "Họp chi bộ &lt;tối nay&gt;" in call.text and call.reply_markup.inline_keyboard[0][0].callback_data == f"nts:{notice.id}"
    *progress, final, report = sent_to(1001)  # a progress edit too, if the job looked while sending
    assert all(type(c).__name__ == "EditMessageText" for c in progress)
    assert type(final).__name__ == "EditMessageText" and final.message_id == 5 and "6/6" in final.text
    assert "Đã nhận: <b>6/6</b>" in report.text
    done = await session.scalar(select(Notice).execution_options(populate_existing=True))
    assert done is not None and done.status == NoticeStatus.DONE
    assert "delivery_worker" in runtime.services and runtime.services["delivery_worker"].stats.sent == 8 + len(progress)


def test_budget_follows_settings(runtime) -> None:
    config = budget_config(runtime.settings)
    assert (config.rate, config.chat_rate, config.chat_burst) == (30.0, 1.0, 3.0) and config.burst == 3.0
    zalo = budget_config(runtime.settings.model_copy(update={"zalo_send_rate_per_second": 5.0, "zalo_send_rate_per_chat": 0.5}), "zalo")
    assert (zalo.rate, zalo.chat_rate, zalo.chat_burst, zalo.burst) == (5.0, 0.5, 3.0, 1.0)


async def test_the_worker_job_sends_each_platform_through_its_messenger(runtime, session, session_factory, cipher, clock, harness) -> None:
    """A member linked on Zalo too gets the notice once, on Zalo (their choice), through the
    messenger the Zalo adapter registers in `runtime.messengers`; the others on Telegram."""
    from core.orgs.models import ChannelLink
    from core.ports import CollectingMessenger

    commune = await make_commune(session, cipher, linked=True)
    both = commune.cells[0].members[0]  # Telegram chat 1003
    session.add(ChannelLink(member_id=both.id, platform="zalo", platform_user_id="z-both", chat_id="z-both"))
    both.preferred_channel = "zalo"
    await session.commit()
    zalo = CollectingMessenger(platform="zalo")
    runtime.messengers["zalo"] = zalo
    async with transaction(session_factory) as tx:
        actor = await load_actor(tx, commune.cells[0].secretary)
        await service.create_notice(tx, actor=actor, org_id=commune.cells[0].org.id, text="Họp chi bộ", now=clock.now())
    stop = asyncio.Event()
    job = asyncio.create_task(run_delivery(runtime, stop))

    async def delivered() -> None:
        while not zalo.sent or not any(str(getattr(c, "chat_id", "")) == "1004" for c in harness.session.calls):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(delivered(), 30)
    stop.set()
    await job
    assert [chat for chat, _ in zalo.sent] == ["z-both"] and "Họp chi bộ" in zalo.sent[0][1].text
    assert not any(str(getattr(c, "chat_id", "")) == "1003" for c in harness.session.calls)
