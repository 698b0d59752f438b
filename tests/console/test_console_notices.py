"""Notices in the console: compose to a cell, progress while the worker sends, the delivery report
and «Đã xem» pressed in the bot; a resent form makes one notice; another cell sees nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core import texts
from core.db import transaction
from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.worker import DeliveryWorker
from core.notices import render as notice_render
from core.notices import service
from core.notices.models import Notice
from core.ports import CollectingMessenger
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import MEMBER_A, SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune

T = texts.console
UNLIMITED = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)


@pytest.fixture
def deliver(session_factory, clock):  # type: ignore[no-untyped-def]
    """What the worker process does: send what is due, then let the notices job follow up."""
    worker = DeliveryWorker(session_factory, CollectingMessenger(), LocalTokenBucket(UNLIMITED), clock, quiet_kinds={service.KIND})

    async def run() -> None:
        await worker.drain()
        clock.advance(seconds=5)
        async with transaction(session_factory) as session:
            await service.refresh_progress(session, now=clock.now())
        await worker.drain()

    return run


async def test_a_notice_is_composed_watched_and_read(api_client, console_harness, session, cipher, clock, deliver) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    await sign_in(api_client, console_harness, SECRETARY_A)
    page = await api_client.get("/console/notices")
    csrf, nonce = csrf_of(page.text), re.search(r'name="nonce" value="([0-9a-f]{32})"', page.text).group(1)  # type: ignore[union-attr]
    body = {"csrf": csrf, "nonce": nonce, "org": str(a.org.id), "text": "Sáng Chủ Nhật tổng vệ sinh đường thôn."}
    sent = await api_client.post("/console/notices", data=body)
    assert sent.status_code == 303
    again = await api_client.post("/console/notices", data=body)  # the same form sent twice
    assert again.headers["location"] == sent.headers["location"]
    [notice] = (await session.execute(select(Notice))).scalars().all()
    progress = await api_client.get(f"/console/notices/{notice.id}/progress")
    assert T.NOTICE_SENDING in progress.text and 'hx-trigger="every 2s"' in progress.text

    await deliver()
    done = await api_client.get(f"/console/notices/{notice.id}/progress")
    recipients = len(a.everyone)  # the secretary is the author; the committee member of cell A receives it
    assert T.NOTICE_FINISHED in done.text and "hx-trigger" not in done.text
    assert f"Đã gửi {recipients}/{recipients}" in done.text
    await console_harness.press(MEMBER_A, notice_render.seen_button(notice.id).callback_data)
    report = await api_client.get(sent.headers["location"])
    row = re.search(rf"<th scope=\"row\"[^>]*>{a.members[0].full_name}</th>(.*?)</tr>", report.text, re.S)
    assert row and "Đã xem" in row.group(1) and T.SEEN_NO not in row.group(1)
    assert report.text.count(T.SEEN_NO) == recipients - 1


async def test_another_cell_and_a_missing_token_change_nothing(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a, b = commune.cells
    await session.commit()
    page = await sign_in(api_client, console_harness, SECRETARY_B)
    csrf = csrf_of((await api_client.get("/console/notices")).text)
    for data in ({"csrf": csrf, "nonce": "a" * 32, "org": str(a.org.id), "text": "x"}, {"nonce": "b" * 32, "org": str(b.org.id), "text": "x"}):
        reply = await api_client.post("/console/notices", data=data)
        assert reply.status_code in (403, 404), reply.text[:500]
    assert int(await session.scalar(select(func.count(Notice.id))) or 0) == 0
    # B's notice is not A's to read.
    await api_client.post("/console/notices", data={"csrf": csrf, "nonce": "c" * 32, "org": str(b.org.id), "text": "Họp chi bộ B."})
    [notice] = (await session.execute(select(Notice))).scalars().all()
    api_client.cookies.clear()
    await sign_in(api_client, console_harness, SECRETARY_A)
    for url in (f"/console/notices/{notice.id}", f"/console/notices/{notice.id}/progress"):
        assert (await api_client.get(url)).status_code in (403, 404)
    assert "Họp chi bộ B." not in (await api_client.get("/console/notices")).text
    assert page


async def test_an_urgent_paid_notice_shows_its_cost_before_it_is_sent(api_client, console_harness, runtime, session, cipher) -> None:
    from decimal import Decimal

    commune = await make_commune(session, cipher)
    await session.commit()
    await sign_in(api_client, console_harness, 5001)  # the commune's committee member
    page = await api_client.get("/console/notices")
    assert T.NOTICE_URGENT not in page.text  # paid broadcasts off: not offered
    runtime.settings = runtime.settings.model_copy(update={"paid_broadcast": Decimal("0.1")})
    page = await api_client.get("/console/notices")
    assert T.NOTICE_URGENT in page.text
    csrf, nonce = csrf_of(page.text), re.search(r'name="nonce" value="([0-9a-f]{32})"', page.text).group(1)  # type: ignore[union-attr]
    body = {"csrf": csrf, "nonce": nonce, "org": str(commune.commune.id), "text": "Khẩn: sơ tán trước bão.", "urgent": "true"}
    asked = await api_client.post("/console/notices", data=body)
    assert asked.status_code == 200 and "1,2 Sao Telegram" in asked.text and 'name="confirm_paid_stars" value="1.2"' in asked.text
    assert (await session.scalar(select(func.count()).select_from(Notice))) == 0  # shown, not sent
    nonce = re.search(r'name="nonce" value="([0-9a-f]{32})"', asked.text).group(1)  # type: ignore[union-attr]
    sent = await api_client.post("/console/notices", data=body | {"nonce": nonce, "confirm_paid_stars": "1.2"})
    assert sent.status_code == 303
    notice = await session.scalar(select(Notice))
    assert notice is not None and notice.urgent and notice.paid_stars == Decimal("1.2")
