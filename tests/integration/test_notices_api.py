"""/api/v1/notices over the real FastAPI app: sending, scope, idempotency, status, stopping."""

from __future__ import annotations


from sqlalchemy import select

from core.db import transaction
from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.models import OutboxMessage
from core.delivery.worker import DeliveryWorker
from core.notices import service
from core.notices.models import Notice
from core.ports import CollectingMessenger, RecipientUnreachable
from tests.factories import add_member

UNLIMITED = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)




async def test_secretary_sends_and_follows_a_notice(api_client, session, session_factory, commune, bearer, clock, cipher) -> None:
    cell = commune.cells[0]
    await add_member(session, cipher, cell.org, "Chưa Liên Kết")
    await session.commit()
    headers = await bearer(cell.secretary)
    response = await api_client.post("/api/v1/notices", json={"org_id": cell.org.id, "text": "Nộp đảng phí tháng 12."}, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "sending" and created["org"] == {"id": cell.org.id, "name": cell.org.name}
    assert created["counts"] | {} == {
        "recipients": 7, "linked": 6, "unlinked": 1, "sent": 0, "pending": 6, "unreachable": 0, "failed": 0, "cancelled": 0, "seen": 0,
    }

    messenger = CollectingMessenger(failures={"1004": RecipientUnreachable("Forbidden: bot was blocked by the user")})
    worker = DeliveryWorker(session_factory, messenger, LocalTokenBucket(UNLIMITED), clock, quiet_kinds={service.KIND})
    await worker.drain()
    async with transaction(session_factory) as tx:
        await service.refresh_progress(tx, now=clock.now())
        await service.confirm_seen(tx, member=cell.members[0], notice_id=created["id"], now=clock.now())
    await worker.drain()

    detail = (await api_client.get(f"/api/v1/notices/{created['id']}", headers=headers)).json()
    assert detail["status"] == "done" and detail["finished_at"] is not None
    assert detail["counts"]["sent"] == 5 and detail["counts"]["unreachable"] == 1 and detail["counts"]["seen"] == 1
    by_name = {r["full_name"]: r for r in detail["recipients"]}
    assert by_name["Chưa Liên Kết"]["delivery"] == "unlinked" and by_name["Chưa Liên Kết"]["linked"] is False
    assert by_name[cell.members[1].full_name]["delivery"] == "unreachable"
    assert by_name[cell.members[0].full_name]["seen_at"] is not None and by_name[cell.members[0].full_name]["delivery"] == "sent"
    # The report went to the author's Telegram; an API notice has no status message to edit.
    to_author = [m for chat, m in messenger.sent if chat == "1001"]
    assert len(to_author) == 1 and to_author[0].edit_message_id is None and "Chưa Liên Kết" in to_author[0].text
    listed = (await api_client.get("/api/v1/notices", headers=headers)).json()
    assert [n["id"] for n in listed] == [created["id"]]


async def test_scope_and_roles_are_enforced(api_client, session, commune, bearer) -> None:
    cell_a, cell_b = commune.cells
    member = await bearer(cell_a.members[0])
    refused = await api_client.post("/api/v1/notices", json={"org_id": cell_a.org.id, "text": "x"}, headers=member)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    secretary_b = await bearer(cell_b.secretary)
    refused = await api_client.post("/api/v1/notices", json={"org_id": cell_a.org.id, "text": "x"}, headers=secretary_b)
    assert refused.status_code == 404  # another cell: not hers to know of
    missing = await api_client.post("/api/v1/notices", json={"org_id": 999_999, "text": "x"}, headers=secretary_b)
    assert missing.status_code == 404
    assert (await api_client.post("/api/v1/notices", json={"org_id": cell_a.org.id, "text": "x"})).status_code == 401

    committee = await bearer(commune.committee_member)
    created = await api_client.post("/api/v1/notices", json={"org_id": commune.commune.id, "text": "Toàn xã"}, headers=committee)
    assert created.status_code == 201 and created.json()["counts"]["recipients"] == 12
    notice_id = created.json()["id"]
    # Cell B's secretary manages part of the audience but not the commune: the notice is not theirs to see.
    assert (await api_client.get(f"/api/v1/notices/{notice_id}", headers=secretary_b)).status_code == 404
    assert (await api_client.get(f"/api/v1/notices/{notice_id}", headers=member)).status_code == 404
    assert (await api_client.post(f"/api/v1/notices/{notice_id}/cancel", headers=secretary_b)).status_code == 404
    assert (await api_client.get("/api/v1/notices", headers=secretary_b)).json() == []
    other = await bearer(commune.other_cell.secretary)
    assert (await api_client.post("/api/v1/notices", json={"org_id": commune.commune.id, "text": "x"}, headers=other)).status_code == 404


async def test_bad_input(api_client, commune, bearer) -> None:
    headers = await bearer(commune.cells[0].secretary)
    org_id = commune.cells[0].org.id
    for body in ({"org_id": org_id, "text": ""}, {"org_id": org_id, "text": "x" * 3501}, {"org_id": 0, "text": "x"}, {"text": "x"},
                 {"org_id": "abc", "text": "x"}, {"org_id": 2**70, "text": "x"}):
        response = await api_client.post("/api/v1/notices", json=body, headers=headers)
        assert response.status_code == 422, body
    blank = await api_client.post("/api/v1/notices", json={"org_id": org_id, "text": "   "}, headers=headers)
    assert blank.status_code == 422 and blank.json()["error"] == "invalid_input"
    assert (await api_client.get("/api/v1/notices/0", headers=headers)).status_code == 422
    assert (await api_client.get("/api/v1/notices/12345", headers=headers)).status_code == 404
    bad_key = await api_client.post("/api/v1/notices", json={"org_id": org_id, "text": "x"}, headers=headers | {"Idempotency-Key": "a b"})
    assert bad_key.status_code == 422


async def test_the_same_idempotency_key_sends_once(api_client, session, commune, bearer) -> None:
    headers = await bearer(commune.cells[0].secretary) | {"Idempotency-Key": "req-2026-11-23-001"}
    body = {"org_id": commune.cells[0].org.id, "text": "Chỉ một lần"}
    first = await api_client.post("/api/v1/notices", json=body, headers=headers)
    second = await api_client.post("/api/v1/notices", json=body, headers=headers)
    assert first.status_code == second.status_code == 201 and first.json()["id"] == second.json()["id"]
    assert len((await session.execute(select(Notice))).scalars().all()) == 1
    assert len((await session.execute(select(OutboxMessage))).scalars().all()) == 6
    # Another member's identical key is theirs, not a replay of this one.
    deputy = await bearer(commune.cells[0].deputy) | {"Idempotency-Key": "req-2026-11-23-001"}
    assert (await api_client.post("/api/v1/notices", json=body, headers=deputy)).json()["id"] != first.json()["id"]


async def test_cancel_through_the_api(api_client, session, commune, bearer) -> None:
    headers = await bearer(commune.cells[0].deputy)
    created = (await api_client.post("/api/v1/notices", json={"org_id": commune.cells[0].org.id, "text": "Hủy"}, headers=headers)).json()
    cancelled = await api_client.post(f"/api/v1/notices/{created['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["counts"]["cancelled"] == 6 and cancelled.json()["counts"]["pending"] == 0
    again = await api_client.post(f"/api/v1/notices/{created['id']}/cancel", headers=headers)
    assert again.status_code == 409 and again.json()["error"] == "conflict"
