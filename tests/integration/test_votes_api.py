"""/api/v1/votes and the vote rule over HTTP: the shared rules every route keeps (bounded ids and
numbers, aware times, an audit event per write) and a secret vote whose trail says who voted, never
what nor how often they changed it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from tests.factories import make_commune

TOO_BIG = 2**63


@pytest.fixture
async def commune(session, cipher):  # type: ignore[no-untyped-def]
    made = await make_commune(session, cipher, linked=True)
    await session.commit()
    return made


async def events(session, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def test_a_secret_vote_over_the_api_is_audited_without_choices(api_client, bearer, session, clock, commune) -> None:
    cell = commune.cells[0]
    secretary = await bearer(cell.secretary)
    closes = (clock.now() + dt.timedelta(hours=1)).isoformat()
    opened = await api_client.post("/api/v1/votes", headers=secretary, json={
        "cell_id": cell.org.id, "question": "Thông qua nghị quyết tháng 12", "kind": "secret", "closes_at": closes})
    assert opened.status_code == 201, opened.text
    vote_id = opened.json()["id"]
    assert opened.json()["eligible"] == 7 and opened.json()["counts"] is None
    voter = await bearer(cell.members[0])
    first = await api_client.post(f"/api/v1/votes/{vote_id}/ballot", headers=voter, json={"option": 1})
    changed = await api_client.post(f"/api/v1/votes/{vote_id}/ballot", headers=voter, json={"option": 0})
    assert (first.status_code, changed.status_code) == (200, 200)
    assert (first.json()["changed"], changed.json()["changed"]) == (False, True)
    ballots = await events(session, "api.vote.ballot")
    assert [(e.target, e.detail) for e in ballots] == [(f"vote:{vote_id}", {})]  # once, and nothing about the choice
    closed = await api_client.post(f"/api/v1/votes/{vote_id}/close", headers=secretary)
    assert closed.status_code == 200 and closed.json()["counts"] == [1, 0, 0] and closed.json()["valid"] is False
    assert [e.target for e in await events(session, "api.vote.open")] == [f"vote:{vote_id}"]
    assert [e.target for e in await events(session, "api.vote.close")] == [f"vote:{vote_id}"]


async def test_the_vote_rule_is_bounded_and_audited(api_client, bearer, session, commune) -> None:
    cell = commune.cells[0]
    secretary = await bearer(cell.secretary)
    path = f"/api/v1/orgs/{cell.org.id}/vote-rule"
    for rule in ({"quorum": [TOO_BIG, 1]}, {"majority": [1, TOO_BIG]}, {"quorum": [True, 2]}, {"quorum": ["1", "2"]}):
        refused = await api_client.put(path, headers=secretary, json=rule)
        assert refused.status_code == 422, (rule, refused.text)
    looser = await api_client.put(path, headers=secretary, json={"quorum": [1, 3]})
    assert looser.status_code == 422
    stricter = await api_client.put(path, headers=secretary, json={"quorum": [2, 3], "majority": [1, 2]})
    assert stricter.status_code == 200 and stricter.json() == {"quorum": [2, 3], "majority": [1, 2]}
    assert [e.target for e in await events(session, "api.vote.rule")] == [f"org:{cell.org.id}"]


@pytest.mark.parametrize("body", [
    {"cell_id": TOO_BIG, "question": "X"},
    {"cell_id": 1, "question": "X", "meeting_id": TOO_BIG},
    {"cell_id": "1", "question": "X"},
    {"cell_id": 1, "question": "X", "closes_at": "2026-12-05T21:00:00"},  # no UTC offset
    {"cell_id": "CELL", "question": "X", "closes_at": "9999-12-31T23:59:59-12:00"},
])
async def test_out_of_range_numbers_and_naive_times_are_refused_with_422(api_client, bearer, commune, body) -> None:
    body = {key: commune.cells[0].org.id if value == "CELL" else value for key, value in body.items()}
    response = await api_client.post("/api/v1/votes", headers=await bearer(commune.cells[0].secretary), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"


async def test_review_deadlines_far_away_are_refused_politely(api_client, bearer, clock, commune) -> None:
    now = clock.now()
    response = await api_client.post("/api/v1/reviews", headers=await bearer(commune.committee_member), json={
        "org_id": commune.commune.id, "year": 2026, "self_deadline": (now + dt.timedelta(days=2)).isoformat(),
        "cell_deadline": (now + dt.timedelta(days=3)).isoformat(), "decide_deadline": "9999-12-31T23:59:59-12:00"})
    assert response.status_code == 422 and response.json()["error"] == "invalid_input", response.text
