"""Issue 17, item 16: the committee directly above acts on the cells' monthly reports — acknowledges,
returns with a comment (the cell corrects and sends again), and reminds the cells that have not
sent — over the API and in the bot, with the cells' secretaries told through the outbox."""

from __future__ import annotations

from sqlalchemy import select

from core import texts
from core.delivery.models import OutboxMessage
from core.reporting import reports
from tests.botkit import inline_buttons, texts_of

COMMITTEE, SECRETARY_A = 5001, 1001


async def queued(session, kind: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def test_acknowledge_return_and_remind_over_the_api(api_client, session, commune, bearer) -> None:
    a, b = commune.cells
    committee = await bearer(commune.committee_member)
    secretary_a, secretary_b = await bearer(a.secretary), await bearer(b.secretary)

    # Nothing sent yet: both cells are reminded once today; a second tap reminds nobody.
    response = await api_client.post(f"/api/v1/orgs/{commune.commune.id}/reports/2026-11/remind", headers=committee)
    assert response.status_code == 200 and response.json() == {"reminded": 2}
    reminders = await queued(session, reports.REMIND_KIND)
    assert {m.member_id for m in reminders} == {a.secretary.id, a.deputy.id, b.secretary.id, b.deputy.id}
    assert "chưa gửi báo cáo tháng 11/2026" in reminders[0].payload["text"]
    again = await api_client.post(f"/api/v1/orgs/{commune.commune.id}/reports/2026-11/remind", headers=committee)
    assert again.json() == {"reminded": 0}
    # A cell's secretary may not remind, acknowledge or return.
    assert (await api_client.post(f"/api/v1/orgs/{commune.commune.id}/reports/2026-11/remind", headers=secretary_a)).status_code == 403

    for headers, cell in ((secretary_a, a), (secretary_b, b)):
        sent = await api_client.post(f"/api/v1/reports/{cell.org.id}/2026-11/send", json={}, headers=headers)
        assert sent.status_code == 200, sent.text
    assert (await api_client.post(f"/api/v1/reports/{a.org.id}/2026-11/acknowledge", headers=secretary_a)).status_code == 403

    # A is taken in: final, and its leaders are told.
    response = await api_client.post(f"/api/v1/reports/{a.org.id}/2026-11/acknowledge", headers=committee)
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    assert (await api_client.post(f"/api/v1/reports/{a.org.id}/2026-11/acknowledge", headers=committee)).status_code == 409
    assert (await api_client.post(f"/api/v1/reports/{a.org.id}/2026-11/send", json={}, headers=secretary_a)).status_code == 409
    told = await queued(session, reports.REVIEW_KIND)
    assert {m.member_id for m in told} == {a.secretary.id, a.deputy.id} and "đã tiếp nhận" in told[0].payload["text"]

    # B goes back with a comment (one is required); B corrects and sends again.
    empty = await api_client.post(f"/api/v1/reports/{b.org.id}/2026-11/return", json={"comment": " "}, headers=committee)
    assert empty.status_code in (400, 422)
    response = await api_client.post(f"/api/v1/reports/{b.org.id}/2026-11/return", json={"comment": "Thiếu ý kiến về học tập nghị quyết."},
                                     headers=committee)
    assert response.status_code == 200 and response.json()["state"] == "returned"
    mine = (await api_client.get(f"/api/v1/reports/{b.org.id}/2026-11", headers=secretary_b)).json()
    assert mine["state"] == "returned" and mine["review_comment"] == "Thiếu ý kiến về học tập nghị quyết."
    box = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/reports", params={"month": "2026-11"}, headers=committee)).json()
    assert box["sent"] == 1  # a returned report is no longer in hand
    resent = await api_client.post(f"/api/v1/reports/{b.org.id}/2026-11/send", json={"note": "Đã bổ sung."}, headers=secretary_b)
    assert resent.status_code == 200 and resent.json()["state"] == "sent"
    box = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/reports", params={"month": "2026-11"}, headers=committee)).json()
    assert box["sent"] == 2


async def test_the_committee_acts_from_the_bot(harness, api_client, session, commune, bearer) -> None:
    a, b = commune.cells
    await api_client.post(f"/api/v1/reports/{a.org.id}/2026-11/send", json={}, headers=await bearer(a.secretary))
    calls = await harness.press(COMMITTEE, f"rr:list:{commune.commune.id}:202611")
    data = [d for call in calls for _, d in inline_buttons(call) if d]
    assert f"rr:remind:{commune.commune.id}:202611" in data  # cell B has not sent
    calls = await harness.press(COMMITTEE, f"rr:remind:{commune.commune.id}:202611")
    assert [c.text for c in calls if type(c).__name__ == "AnswerCallbackQuery"] == [texts.reports.REMINDED.format(count=1)]

    calls = await harness.press(COMMITTEE, f"rr:read:{a.org.id}:202611")
    data = [d for call in calls for _, d in inline_buttons(call) if d]
    assert f"rr:ack:{a.org.id}:202611" in data and f"rr:ret:{a.org.id}:202611" in data
    calls = await harness.press(COMMITTEE, f"rr:ret:{a.org.id}:202611")
    assert texts.reports.ASK_RETURN_COMMENT in texts_of(calls)
    calls = await harness.text(COMMITTEE, "Đề nghị bổ sung số liệu góp ý.")
    assert texts.reports.RETURNED in texts_of(calls)
    report = (await reports._report(session, a.org.id, reports.check_month(__import__("datetime").date(2026, 11, 1))))
    await session.refresh(report)
    assert report.state.value == "returned" and report.review_comment == "Đề nghị bổ sung số liệu góp ý."
    # The secretary sees the comment on the report and sends it again; then the committee acknowledges.
    calls = await harness.text(SECRETARY_A, "/baocao")
    assert "Đề nghị bổ sung số liệu góp ý." in "\n".join(texts_of(calls))
    await harness.press(SECRETARY_A, f"rr:send:{a.org.id}:202611")
    calls = await harness.press(COMMITTEE, f"rr:ack:{a.org.id}:202611")
    assert [c.text for c in calls if type(c).__name__ == "AnswerCallbackQuery"] == [texts.reports.ACKNOWLEDGED]


async def test_the_figures_chart_always_ends_with_the_current_month(harness, commune) -> None:
    """Issue 17, item 17: "6 tháng gần nhất" from any month's screen includes the current month (23/11/2026 here)."""
    calls = await harness.press(COMMITTEE, f"rf:chart:{commune.commune.id}:202608")
    (photo,) = [c for c in calls if type(c).__name__ == "SendPhoto"]
    assert "(06/2026 – 11/2026)" in photo.caption
