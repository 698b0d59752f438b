"""Tokens that create tokens (issue 18, item 3): a child never outlives its parent, revoking a token
revokes what it created, and the rate limit counts per person, not per token."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import select

from api.ratelimit import FixedWindowLimiter
from core.audit import AuditEvent
from core.orgs.models import ApiToken
from core.orgs.tokens import create_token, revoke
from tests.factories import make_commune


@pytest.fixture
async def member(session, cipher):  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    await session.commit()
    return commune.cells[0].members[0]


async def _mint(api_client, token: str, days: int) -> dict:  # type: ignore[no-untyped-def]
    response = await api_client.post("/api/v1/tokens", json={"name": "child", "days": days}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    return response.json()


async def _me(api_client, token: str) -> int:  # type: ignore[no-untyped-def]
    return (await api_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code


async def test_a_child_token_expires_with_its_parent_and_so_does_its_own_child(api_client, session, member, clock) -> None:
    parent = await create_token(session, member=member, now=clock.now(), ttl=dt.timedelta(days=1))
    await session.commit()
    child = await _mint(api_client, parent.token, days=365)
    grandchild = await _mint(api_client, child["token"], days=365)
    assert dt.datetime.fromisoformat(child["expires_at"]) == parent.record.expires_at
    assert dt.datetime.fromisoformat(grandchild["expires_at"]) == parent.record.expires_at
    clock.advance(seconds=23 * 3600)
    assert await _me(api_client, grandchild["token"]) == 200
    clock.advance(seconds=3600)
    assert [await _me(api_client, t) for t in (parent.token, child["token"], grandchild["token"])] == [401, 401, 401]


async def test_revoking_a_token_revokes_every_token_it_created(api_client, session, member, clock) -> None:
    parent = await create_token(session, member=member, now=clock.now(), ttl=dt.timedelta(days=30))
    sibling = await create_token(session, member=member, now=clock.now(), ttl=dt.timedelta(days=30))
    await session.commit()
    child = await _mint(api_client, parent.token, days=10)
    grandchild = await _mint(api_client, child["token"], days=10)
    # The parent revokes itself over the API (as a leaked token's owner would, from any of their tokens).
    revoked = await api_client.delete(f"/api/v1/tokens/{parent.record.id}", headers={"Authorization": f"Bearer {sibling.token}"})
    assert revoked.status_code == 200
    assert [await _me(api_client, t) for t in (parent.token, child["token"], grandchild["token"])] == [401, 401, 401]
    assert await _me(api_client, sibling.token) == 200
    rows = {row.id: row for row in (await session.execute(select(ApiToken).execution_options(populate_existing=True))).scalars()}
    assert rows[child["id"]].revoked_at is not None and rows[grandchild["id"]].revoked_at is not None
    assert rows[child["id"]].parent_id == parent.record.id and rows[grandchild["id"]].parent_id == child["id"]
    targets = set((await session.execute(select(AuditEvent.target).where(AuditEvent.action == "token.revoked"))).scalars())
    assert {f"token:{parent.record.id}", f"token:{child['id']}", f"token:{grandchild['id']}"} <= targets


async def test_the_console_revocation_reaches_children_too(api_client, session, member, clock) -> None:
    parent = await create_token(session, member=member, now=clock.now(), ttl=dt.timedelta(days=30))
    await session.commit()
    child = await _mint(api_client, parent.token, days=10)
    assert await revoke(session, token_id=parent.record.id, now=clock.now())
    await session.commit()
    assert await _me(api_client, child["token"]) == 401


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_new_tokens_do_not_buy_more_requests(api_client, session, member, clock, backend) -> None:
    if backend == "redis" and not os.environ.get("SOTAY_TEST_REDIS_URL"):
        pytest.skip("SOTAY_TEST_REDIS_URL not set")
    parent = await create_token(session, member=member, now=clock.now(), ttl=dt.timedelta(days=90))
    other = await create_token(session, member=(await make_commune_member(session, member)), now=clock.now(), ttl=dt.timedelta(days=90))
    await session.commit()
    limiter = FixedWindowLimiter(limit=3, redis_url=os.environ.get("SOTAY_TEST_REDIS_URL") if backend == "redis" else None)
    api_client._transport.app.state.rate_limiter = limiter  # type: ignore[attr-defined]
    clock.advance(seconds=60 + int.from_bytes(os.urandom(2), "big") * 60)  # a window (within 46 days) no earlier run used
    try:
        child = await _mint(api_client, parent.token, days=1)  # request 1 of the person's 3
        answers = [await _me(api_client, parent.token), await _me(api_client, child["token"]), await _me(api_client, child["token"])]
        assert answers == [200, 200, 429]
        assert await _me(api_client, other.token) == 200  # somebody else has their own budget
    finally:
        await limiter.close()


async def make_commune_member(session, member):  # type: ignore[no-untyped-def]
    """Another person in the same cell."""
    from core.orgs.models import Member

    return (await session.execute(select(Member).where(Member.org_id == member.org_id, Member.id != member.id))).scalars().first()
