"""The annual report sent up like the monthly report (core/reporting/annual_sent.py): a cell's secretary
sends it (API, bot), the figures are frozen as sent, the commune's committee is told, sees it arrive
and acknowledges it, the sender is told; sending again after a change is a new version, and an
acknowledgement of the older version is refused; who may do what is checked for the organisation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import texts
from core.audit import AuditEvent
from core.delivery.models import OutboxMessage
from core.orgs.service import load_actor
from core.reporting import annual_sent
from core.reporting.models import AnnualReportSent, AnnualState
from core.votes import review
from core.votes.models import Rating, ReviewEntry
from tests.botkit import inline_buttons, texts_of

R = texts.reports
COMMITTEE = 5001  # make_commune's committee member of the commune
SECRETARY_A = 1001


async def _outbox(session, kind: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def _row(session, org_id: int) -> AnnualReportSent | None:  # type: ignore[no-untyped-def]
    query = select(AnnualReportSent).where(AnnualReportSent.org_id == org_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def _actions(session) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def, type-arg]
    rows = (await session.execute(select(AuditEvent).where(AuditEvent.action.like("%annual_report%")).order_by(AuditEvent.id))).scalars()
    return [(e.action, e.detail) for e in rows]


async def _review_with_one_decision(session, commune, clock) -> tuple:  # type: ignore[no-untyped-def, type-arg]
    now = clock.now()
    committee = await load_actor(session, commune.committee_member)
    await review.open_cycle(session, actor=committee, org_id=commune.commune.id, year=2026, self_deadline=now + dt.timedelta(days=1),
                            cell_deadline=now + dt.timedelta(days=2), decide_deadline=now + dt.timedelta(days=3), now=now)
    entries = list((await session.execute(select(ReviewEntry).where(ReviewEntry.cell_id == commune.cells[0].org.id)
                                          .order_by(ReviewEntry.id))).scalars())
    await review.decide(session, actor=committee, entry_id=entries[0].id, rating=Rating.GOOD, now=now)
    await session.commit()
    return committee, entries


async def test_a_cell_sends_its_annual_report_and_the_committee_acknowledges_it(api_client, bearer, session, commune, clock) -> None:
    committee, entries = await _review_with_one_decision(session, commune, clock)
    a, b = commune.cells
    secretary, above = await bearer(a.secretary), await bearer(commune.committee_member)
    url = f"/api/v1/orgs/{a.org.id}/annual-report"

    # Who may send: the cell's own secretary or deputy. A committee member above reads it but does not send it;
    # a plain member, another cell's secretary and another province's are refused.
    for person in (commune.committee_member, a.members[0], b.secretary, commune.other_cell.secretary):
        refused = await api_client.post(f"{url}/send", json={"year": 2026}, headers=await bearer(person))
        assert refused.status_code in (403, 404), refused.text
    refused = await api_client.post(f"{url}/send", json={"year": 2026}, headers=above)
    assert refused.json()["message"] == R.ANNUAL_ONLY_SENDER
    assert await _row(session, a.org.id) is None and await _outbox(session, annual_sent.SENT_KIND) == []
    assert (await api_client.get(f"{url}/sent?year=2026", headers=secretary)).status_code == 404

    sent = await api_client.post(f"{url}/send", json={"year": 2026, "note": "Chi bộ hoàn thành nhiệm vụ năm."}, headers=secretary)
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert (body["version"], body["state"], body["through"]) == (1, "sent", "2026-11")
    assert body["ratings"]["good"] == 1 and body["ratings"]["total"] == len(entries) and body["ratings"]["pending"] == len(entries) - 1
    [notice] = await _outbox(session, annual_sent.SENT_KIND)
    assert notice.member_id == commune.committee_member.id
    assert R.ANNUAL_RECEIVED_NOTICE.format(org=a.org.name, year=2026, version=1) in notice.payload["text"]
    assert "Chi bộ hoàn thành nhiệm vụ năm." in notice.payload["text"]
    # Nothing changed: not sent twice.
    again = await api_client.post(f"{url}/send", json={"year": 2026}, headers=secretary)
    assert again.status_code == 409 and again.json()["message"] == R.ANNUAL_UNCHANGED.format(version=1)

    box = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/annual-reports?year=2026", headers=above)).json()
    assert (box["sent"], box["total"]) == (1, 2)
    assert [(c["name"], c["version"], c["state"]) for c in box["children"]] == sorted(
        [(a.org.name, 1, "sent"), (b.org.name, None, None)])

    # A decision after sending: the sent report keeps its figures; sending again makes version 2.
    await review.decide(session, actor=committee, entry_id=entries[1].id, rating=Rating.EXCELLENT, now=clock.now())
    await session.commit()
    kept = (await api_client.get(f"{url}/sent?year=2026", headers=above)).json()
    assert kept["ratings"]["excellent"] == 0 and kept["version"] == 1 and kept["read_at"] is not None
    second = await api_client.post(f"{url}/send", json={"year": 2026}, headers=secretary)
    assert second.status_code == 200 and second.json()["version"] == 2 and second.json()["ratings"]["excellent"] == 1
    assert second.json()["note"] == "Chi bộ hoàn thành nhiệm vụ năm."  # kept when not given
    assert len(await _outbox(session, annual_sent.SENT_KIND)) == 2

    # Acknowledged by the committee directly above, the version it read; never by the cell itself.
    own = await api_client.post(f"{url}/acknowledge", json={"year": 2026, "version": 2}, headers=secretary)
    assert own.status_code == 403 and own.json()["message"] == R.ANNUAL_ONLY_ABOVE_ACKS
    stale = await api_client.post(f"{url}/acknowledge", json={"year": 2026, "version": 1}, headers=above)
    assert stale.status_code == 409 and stale.json()["message"] == R.ANNUAL_NEWER_VERSION.format(version=2)
    done = await api_client.post(f"{url}/acknowledge", json={"year": 2026, "version": 2}, headers=above)
    assert done.status_code == 200 and done.json()["state"] == "acknowledged"
    told = await _outbox(session, annual_sent.ACK_KIND)
    assert {m.member_id for m in told} == {a.secretary.id, a.deputy.id}
    assert R.ANNUAL_ACKNOWLEDGED_NOTICE.format(year=2026, org=a.org.name, version=2) in told[0].payload["text"]
    twice = await api_client.post(f"{url}/acknowledge", json={"year": 2026}, headers=above)
    assert twice.status_code == 409 and twice.json()["message"] == R.ANNUAL_ALREADY_ACKNOWLEDGED

    row = await _row(session, a.org.id)
    assert row is not None and (row.version, row.state, row.acknowledged_by_id) == (2, AnnualState.ACKNOWLEDGED, commune.committee_member.id)
    assert await _actions(session) == [
        ("annual_report.send", {"version": 1}), ("api.annual_report.send", {}),
        ("annual_report.send", {"version": 2}), ("api.annual_report.send", {}),
        ("annual_report.acknowledge", {"version": 2}), ("api.annual_report.acknowledge", {}),
    ]


async def test_a_committee_sends_its_own_annual_report_and_a_year_to_come_is_refused(api_client, bearer, session, commune) -> None:
    above = await bearer(commune.committee_member)
    url = f"/api/v1/orgs/{commune.commune.id}/annual-report"
    future = await api_client.post(f"{url}/send", json={"year": 2027}, headers=above)
    assert future.status_code == 422
    sent = await api_client.post(f"{url}/send", json={"year": 2026}, headers=above)
    assert sent.status_code == 200 and sent.json()["version"] == 1
    assert {c["name"] for c in sent.json()["children"]} == {c.org.name for c in commune.cells}
    # The province has no committee member of its own here: nobody can acknowledge, the cell's secretary least of all.
    refused = await api_client.post(f"{url}/acknowledge", json={"year": 2026}, headers=await bearer(commune.cells[0].secretary))
    assert refused.status_code in (403, 404)
    top = await api_client.post(f"/api/v1/orgs/{commune.province.id}/annual-report/send", json={"year": 2026}, headers=above)
    assert top.status_code in (403, 404)


async def test_the_annual_report_sent_and_acknowledged_in_the_bot(harness, session, commune, clock) -> None:
    a = commune.cells[0]
    screen = await harness.press(SECRETARY_A, f"rf:year:{a.org.id}:2026")
    shown = "\n".join(texts_of(screen))
    assert R.ANNUAL_NOT_SENT_STATUS.format(year=2026) in shown
    send = f"ra:send:{a.org.id}:2026:0"
    assert send in [d for call in screen for _, d in inline_buttons(call)]
    # The committee member above reads the same screen without the send button.
    theirs = await harness.press(COMMITTEE, f"rf:year:{a.org.id}:2026")
    assert send not in [d for call in theirs for _, d in inline_buttons(call)]
    refused = await harness.press(COMMITTEE, send)
    assert R.ANNUAL_ONLY_SENDER in "\n".join(texts_of(refused)) and await _row(session, a.org.id) is None

    calls = await harness.press(SECRETARY_A, send)
    assert R.ANNUAL_SENT.format(year=2026, version=1) in texts_of(calls)
    [notice] = await _outbox(session, annual_sent.SENT_KIND)
    ack = f"ra:ack:{a.org.id}:2026:1"
    assert [b["callback_data"] for row in notice.payload["buttons"] for b in row] == [ack]
    # The commune's own annual report screen shows what arrived from below, with the waiting one to open.
    commune_screen = await harness.press(COMMITTEE, f"rf:year:{commune.commune.id}:2026")
    assert R.ANNUAL_RECEIVED_LINE.format(sent=1, total=2) in "\n".join(texts_of(commune_screen))
    assert f"ra:open:{a.org.id}:2026:0" in [d for call in commune_screen for _, d in inline_buttons(call)]
    opened_above = await harness.press(COMMITTEE, f"ra:open:{a.org.id}:2026:0")
    assert ack in [d for call in opened_above for _, d in inline_buttons(call)]
    # A forged button for another province's cell changes nothing.
    forged = await harness.press(COMMITTEE, f"ra:ack:{commune.other_cell.org.id}:2026:1")
    assert R.ANNUAL_ACKNOWLEDGED not in texts_of(forged)
    calls = await harness.press(COMMITTEE, ack)
    assert R.ANNUAL_ACKNOWLEDGED in texts_of(calls)
    row = await _row(session, a.org.id)
    assert row is not None and row.state == AnnualState.ACKNOWLEDGED
    # The secretary is told, and the screen says so.
    assert [m.member_id for m in await _outbox(session, annual_sent.ACK_KIND)] == sorted([a.secretary.id, a.deputy.id])
    opened = "\n".join(texts_of(await harness.press(SECRETARY_A, f"ra:open:{a.org.id}:2026:0")))
    assert R.ANNUAL_ACKNOWLEDGED_FOOTER.split("{")[0] in opened


async def test_two_leaders_sending_at_once_on_postgres_make_one_version(require_postgres, session, commune, clock) -> None:
    """The secretary and the deputy press «Gửi» at the same moment: the row of (cell, year) serialises them,
    so one sends version 1 and the other is told nothing changed — no unique-key failure, no version 2."""
    import asyncio

    from core.db import create_engine, create_session_factory
    from core.errors import Conflict

    a = commune.cells[0]
    engines = [create_engine(require_postgres) for _ in range(2)]

    async def send_as(engine, member) -> str:  # type: ignore[no-untyped-def]
        async with create_session_factory(engine)() as own:
            actor = await load_actor(own, member)
            try:
                view = await annual_sent.send(own, actor=actor, org_id=a.org.id, year=2026, now=clock.now())
                await own.commit()
                return f"v{view.sent.version}"
            except Conflict as refused:
                await own.rollback()
                return str(refused)

    try:
        results = await asyncio.gather(send_as(engines[0], a.secretary), send_as(engines[1], a.deputy))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(results) == sorted(["v1", R.ANNUAL_UNCHANGED.format(version=1)])
    row = await _row(session, a.org.id)
    assert row is not None and row.version == 1
    assert len(await _outbox(session, annual_sent.SENT_KIND)) == 1
