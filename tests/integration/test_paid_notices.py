"""Urgent notices as Telegram paid broadcasts (core/notices/paid.py): off by default, only a committee's
urgent notice goes paid, its cost is shown before it is confirmed — in the bot, the API and the console —
and only its outbox rows carry the flag to the worker and the messenger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core import texts
from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.models import OutboxMessage
from core.delivery.worker import DeliveryWorker
from core.errors import Conflict, PermissionDenied
from core.notices import service
from core.notices.models import Notice
from core.orgs.service import load_actor
from core.ports import CollectingMessenger
from tests.botkit import inline_buttons, texts_of

PRICE = Decimal("0.1")
COMMITTEE, SECRETARY_A = 5001, 1001
FREE = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)
WITH_PAID = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6, paid_rate=1e6)


async def broadcast_rows(session) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    query = select(OutboxMessage).where(OutboxMessage.kind == service.KIND).order_by(OutboxMessage.id)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


def data_of(calls, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [data for call in calls for _, data in inline_buttons(call) if data and data.startswith(prefix)]


async def test_paid_off_nothing_is_paid_even_for_an_urgent_notice(session, commune, clock) -> None:
    actor = await load_actor(session, commune.committee_member)
    preview = await service.preview(session, actor=actor, org_id=commune.commune.id, paid_price=None)
    assert preview.paid is None
    notice = await service.create_notice(session, actor=actor, org_id=commune.commune.id, text="Khẩn: phòng chống bão.",
                                         now=clock.now(), urgent=True, paid_price=None)
    assert notice.urgent and notice.paid_stars is None
    assert {row.paid for row in await broadcast_rows(session)} == {False}


async def test_committee_urgent_notice_goes_paid_at_the_cost_it_was_shown(session, commune, clock) -> None:
    actor = await load_actor(session, commune.committee_member)
    preview = await service.preview(session, actor=actor, org_id=commune.commune.id, paid_price=PRICE)
    assert preview.paid is not None and preview.paid.messages == 12 and preview.paid.stars == Decimal("1.2")
    with pytest.raises(Conflict) as changed:  # no cost confirmed: asked again, with the cost
        await service.create_notice(session, actor=actor, org_id=commune.commune.id, text="Khẩn.", now=clock.now(),
                                    urgent=True, paid_price=PRICE)
    assert "1,2 Sao Telegram" in changed.value.message
    with pytest.raises(Conflict):  # a different cost than the one now: not sent
        await service.create_notice(session, actor=actor, org_id=commune.commune.id, text="Khẩn.", now=clock.now(),
                                    urgent=True, paid_price=PRICE, confirmed_stars=Decimal("0.5"))
    assert await broadcast_rows(session) == []
    notice = await service.create_notice(session, actor=actor, org_id=commune.commune.id, text="Khẩn: phòng chống bão.",
                                         now=clock.now(), urgent=True, paid_price=PRICE, confirmed_stars=Decimal("1.2"))
    assert notice.urgent and notice.paid_stars == Decimal("1.2")
    rows = await broadcast_rows(session)
    assert len(rows) == 12 and {row.paid for row in rows} == {True}
    assert "THÔNG BÁO KHẨN" in rows[0].payload["text"]
    # An ordinary notice of the same committee, with paid broadcasts on: free.
    ordinary = await service.create_notice(session, actor=actor, org_id=commune.commune.id, text="Lịch họp.", now=clock.now(),
                                           paid_price=PRICE)
    assert ordinary.paid_stars is None and not ordinary.urgent
    assert {r.paid for r in await broadcast_rows(session) if r.source == ordinary.source} == {False}


async def test_a_cells_secretary_can_never_send_urgent_or_paid(session, commune, clock) -> None:
    cell = commune.cells[0]
    actor = await load_actor(session, cell.secretary)
    assert (await service.preview(session, actor=actor, org_id=cell.org.id, paid_price=PRICE)).paid is None
    with pytest.raises(PermissionDenied):
        await service.create_notice(session, actor=actor, org_id=cell.org.id, text="Khẩn.", now=clock.now(), urgent=True,
                                    paid_price=PRICE, confirmed_stars=Decimal("0.6"))
    # A committee member writing to one cell (not a committee's subtree): no paid offer either.
    committee = await load_actor(session, commune.committee_member)
    assert (await service.preview(session, actor=committee, org_id=cell.org.id, paid_price=PRICE)).paid is None


async def test_the_worker_sends_the_flag_only_for_paid_rows_and_only_with_a_paid_lane(session, session_factory, commune, clock) -> None:
    actor = await load_actor(session, commune.committee_member)
    await service.create_notice(session, actor=actor, org_id=commune.commune.id, text="Khẩn.", now=clock.now(),
                                urgent=True, paid_price=PRICE, confirmed_stars=Decimal("1.2"))
    await service.create_notice(session, actor=actor, org_id=commune.commune.id, text="Thường.", now=clock.now(), paid_price=PRICE)
    await session.commit()
    # The operator turned paid broadcasts off after it was queued: no message carries the flag.
    off = CollectingMessenger()
    await DeliveryWorker(session_factory, off, LocalTokenBucket(FREE), clock).drain()
    assert len(off.sent) == 24 and not any(m.paid_broadcast for _, m in off.sent)

    for row in await broadcast_rows(session):
        row.state, row.claim_token = "pending", None  # the same rows again, now with paid broadcasts on
    await session.commit()
    on = CollectingMessenger()
    await DeliveryWorker(session_factory, on, LocalTokenBucket(WITH_PAID), clock).drain()
    flagged = [m.text for _, m in on.sent if m.paid_broadcast]
    assert len(on.sent) == 24 and len(flagged) == 12 and all("KHẨN" in text for text in flagged)


async def test_bot_shows_the_cost_before_the_urgent_button_and_sends_paid(harness, session, commune) -> None:
    harness.dispatcher["paid_broadcast_price"] = PRICE
    await harness.text(COMMITTEE, texts.account.BTN_NOTICE)
    await harness.press(COMMITTEE, "ntm:new")
    await harness.press(COMMITTEE, f"ntt:{commune.commune.id}")
    preview = await harness.text(COMMITTEE, "Khẩn: sơ tán trước bão số 9.")
    shown = texts_of(preview)[-1]
    assert "Chi phí: <b>1,2 Sao Telegram</b> (12 tin qua Telegram × 0,1 Sao)" in shown
    assert await session.scalar(select(Notice.id)) is None  # the cost is shown, nothing sent yet
    (urgent,) = data_of(preview, "ntd:urgent:")
    await harness.press(COMMITTEE, urgent, message_id=90)
    notice = await session.scalar(select(Notice).execution_options(populate_existing=True))
    assert notice is not None and notice.urgent and notice.paid_stars == Decimal("1.2")
    assert {row.paid for row in await broadcast_rows(session)} == {True}


async def test_bot_offers_nothing_paid_when_off_or_to_a_cells_secretary(harness, commune) -> None:
    await harness.text(COMMITTEE, texts.account.BTN_NOTICE)
    await harness.press(COMMITTEE, "ntm:new")
    await harness.press(COMMITTEE, f"ntt:{commune.commune.id}")
    preview = await harness.text(COMMITTEE, "Thông báo thường.")
    assert data_of(preview, "ntd:urgent:") == [] and "Sao Telegram" not in texts_of(preview)[-1]
    harness.dispatcher["paid_broadcast_price"] = PRICE
    await harness.text(SECRETARY_A, texts.account.BTN_NOTICE)
    await harness.press(SECRETARY_A, "ntm:new")
    preview = await harness.text(SECRETARY_A, "Thông báo của chi bộ.")
    assert data_of(preview, "ntd:urgent:") == []
    # A forged «urgent» press by the secretary is refused; nothing is queued.
    (send,) = data_of(preview, "ntd:send:")
    calls = await harness.press(SECRETARY_A, send.replace("ntd:send:", "ntd:urgent:"))
    assert any(texts.notices.URGENT_NOT_ALLOWED in t for t in texts_of(calls))


async def test_api_shows_the_cost_and_sends_paid_only_when_confirmed(api_client, runtime, commune, bearer) -> None:
    headers = await bearer(commune.committee_member)
    audience = (await api_client.get(f"/api/v1/notices/audience?org_id={commune.commune.id}", headers=headers)).json()
    assert audience["paid"] is None  # off by default
    runtime.settings = runtime.settings.model_copy(update={"paid_broadcast": PRICE})
    audience = (await api_client.get(f"/api/v1/notices/audience?org_id={commune.commune.id}", headers=headers)).json()
    assert audience["paid"] == {"messages": 12, "price_stars": "0.1", "stars": "1.2"}
    body = {"org_id": commune.commune.id, "text": "Khẩn: sơ tán.", "urgent": True}
    refused = await api_client.post("/api/v1/notices", json=body, headers=headers)
    assert refused.status_code == 409 and "1,2 Sao Telegram" in refused.json()["message"]
    created = await api_client.post("/api/v1/notices", json=body | {"confirm_paid_stars": "1.2"}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["urgent"] is True and created.json()["paid_stars"] == "1.2"
    secretary = await bearer(commune.cells[0].secretary)
    denied = await api_client.post("/api/v1/notices", json={"org_id": commune.cells[0].org.id, "text": "x", "urgent": True,
                                                            "confirm_paid_stars": "0.6"}, headers=secretary)
    assert denied.status_code == 403
