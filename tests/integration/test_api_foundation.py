"""Health, the webhook's secret check, and bearer-token authentication."""

import datetime as dt

from sqlalchemy import func, select

from core.orgs.linking import create_invite
from core.orgs.models import ChannelLink
from core.orgs.tokens import create_token, revoke
from tests.conftest import WEBHOOK_SECRET
from tests.factories import make_commune


async def test_health_and_ready(api_client) -> None:
    assert (await api_client.get("/healthz")).json() == {"status": "ok"}
    ready = await api_client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


async def test_ready_reports_a_dead_database(api_client, runtime) -> None:
    from core.db import create_engine

    runtime.engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    ready = await api_client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
    await runtime.engine.dispose()


def start_update(update_id: int, user_id: int, code: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1, "date": 1763860000, "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "A"},
            "text": f"/start {code}", "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_webhook_rejects_missing_or_wrong_secret(api_client, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=False)
    invite = await create_invite(session, member=commune.cells[0].members[0], now=clock.now())
    await session.commit()
    body = start_update(1, 777, invite.code)
    assert (await api_client.post("/telegram/webhook", json=body)).status_code == 401
    wrong = await api_client.post("/telegram/webhook", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthenticated"
    assert await session.scalar(select(func.count(ChannelLink.id))) == 0


async def test_webhook_accepts_a_real_update_once(api_client, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=False)
    invite = await create_invite(session, member=commune.cells[0].members[0], now=clock.now())
    await session.commit()
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    body = start_update(10, 777, invite.code)
    assert (await api_client.post("/telegram/webhook", json=body, headers=headers)).status_code == 200
    assert (await api_client.post("/telegram/webhook", json=body, headers=headers)).status_code == 200  # redelivery
    assert await session.scalar(select(func.count(ChannelLink.id))) == 1


async def test_webhook_rejects_malformed_updates(api_client) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    for body in (b"not json", b'{"no_update_id": true}', b'{"update_id": "x"}'):
        response = await api_client.post("/telegram/webhook", content=body, headers=headers)
        assert response.status_code == 400 and response.json()["error"] == "error"


async def test_bearer_token_life_cycle(api_client, runtime, session, cipher, clock) -> None:
    from fastapi import APIRouter

    from api.deps import CurrentMember

    probe = APIRouter()

    @probe.get("/api/v1/whoami")
    async def whoami(member: CurrentMember) -> dict:
        return {"member_id": member.id}

    api_client._transport.app.include_router(probe)  # type: ignore[attr-defined]
    commune = await make_commune(session, cipher, linked=False)
    member = commune.cells[0].secretary
    issued = await create_token(session, member=member, now=clock.now(), ttl=dt.timedelta(days=1))
    await session.commit()

    assert (await api_client.get("/api/v1/whoami")).status_code == 401
    assert (await api_client.get("/api/v1/whoami", headers={"Authorization": "Bearer sotay_wrong"})).status_code == 401
    ok = await api_client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {issued.token}"})
    assert ok.status_code == 200 and ok.json() == {"member_id": member.id}

    clock.advance(days=1, seconds=1)
    expired = await api_client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {issued.token}"})
    assert expired.status_code == 401
    clock.advance(days=-1, seconds=-2)
    await revoke(session, token_id=issued.record.id, now=clock.now())
    await session.commit()
    revoked = await api_client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {issued.token}"})
    assert revoked.status_code == 401
