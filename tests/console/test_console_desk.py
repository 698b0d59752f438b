"""The desk pages: figures (chart, table, files), monthly reports (write, send up, acknowledge,
return, remind) and the góp ý inbox (answer through the outbox, forward up); and every refusal:
another cell's secretary, a plain member, a missing CSRF token — refused, nothing changed."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core import texts
from core.clock import SystemClock
from core.db import transaction
from core.delivery.budget import BudgetConfig, LocalTokenBucket
from core.delivery.models import OutboxMessage
from core.delivery.worker import DeliveryWorker
from core.feedback import service as feedback
from core.feedback.models import FeedbackItem, FeedbackKind, FeedbackReply, FeedbackState
from core.orgs.service import load_actor
from core.ports import CollectingMessenger
from core.reporting.models import MonthlyReport, ReportState
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import MEMBER_A, SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune

D = texts.console_desk
COMMITTEE = 5001
UNLIMITED = BudgetConfig(rate=1e6, burst=1e6, chat_rate=1e6, chat_burst=1e6)


async def _count(session, model, *where) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _report(session, cell_id: int) -> MonthlyReport | None:  # type: ignore[no-untyped-def]
    query = select(MonthlyReport).where(MonthlyReport.cell_id == cell_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def test_figures_show_the_subtree_as_a_chart_a_table_and_files(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    await session.commit()
    await sign_in(api_client, console_harness, COMMITTEE)
    page = await api_client.get(f"/console/figures?org={commune.commune.id}&months=6")
    assert page.status_code == 200, page.text[:2000]
    assert '<svg class="chart"' in page.text and 'role="img"' in page.text and "<title id=" in page.text
    assert page.text.count("<tr>") >= 6 + 2  # six months, then each cell for the last month
    for cell in commune.cells:
        assert cell.org.name in page.text
    assert commune.other_cell.org.name not in page.text
    csv_file = await api_client.get(f"/console/figures/export?org={commune.commune.id}&format=csv")
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    assert commune.cells[0].org.name in csv_file.content.decode("utf-8-sig")
    xlsx = await api_client.get(f"/console/figures/export?org={commune.commune.id}&format=xlsx&months=3")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # Another province: refused, as the API refuses it.
    other = await api_client.get(f"/console/figures?org={commune.other_cell.org.id}")
    assert other.status_code in (403, 404) and "text/html" in other.headers["content-type"]


async def test_a_secretary_of_another_cell_sees_nothing_of_cell_a(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_B)
    csrf = csrf_of(home)
    month = f"{clock.now():%Y-%m}"
    for path in (f"/console/figures?org={a.org.id}", f"/console/figures/export?org={a.org.id}&format=csv",
                 f"/console/reports/{a.org.id}/{month}", f"/console/reports?org={commune.commune.id}"):
        reply = await api_client.get(path)
        assert reply.status_code in (403, 404), (path, reply.status_code)
    sent = await api_client.post(f"/console/reports/{a.org.id}/{month}", data={"csrf": csrf, "note": "x", "action": "send"})
    assert sent.status_code in (403, 404)
    assert await _report(session, a.org.id) is None  # nothing drafted, nothing sent
    reminded = await api_client.post(f"/console/reports/remind/{commune.commune.id}/{month}", data={"csrf": csrf})
    assert reminded.status_code in (403, 404)
    assert await _count(session, OutboxMessage, OutboxMessage.kind == "report_remind") == 0


async def test_a_plain_member_gets_no_console(api_client, console_harness, session, cipher, clock) -> None:
    await make_commune(session, cipher)
    await session.commit()
    calls = await console_harness.text(MEMBER_A, texts.console.BTN_OPEN_CONSOLE)
    assert not any("/console/login/" in str(call) for call in calls)
    for path in ("/console/figures", "/console/reports", "/console/feedback", "/console/study", "/console/meetings/rules", "/console/meetings/1/attendance"):
        reply = await api_client.get(path)
        assert reply.status_code == 401 and "text/html" in reply.headers["content-type"]


async def test_a_report_is_sent_up_then_acknowledged_by_the_committee(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a, b = commune.cells
    await session.commit()
    month = f"{clock.now():%Y-%m}"
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    csrf = csrf_of(home)
    to_cell = await api_client.get("/console/reports")
    assert to_cell.status_code == 303 and to_cell.headers["location"] == f"/console/reports/{a.org.id}/{month}"
    draft = await api_client.get(to_cell.headers["location"])
    assert draft.status_code == 200 and D.REPORT_STATE["draft"] in draft.text and D.REPORT_SEND in draft.text

    # No CSRF token: refused, the note not saved, the report not sent.
    refused = await api_client.post(f"/console/reports/{a.org.id}/{month}", data={"note": "Không token", "action": "send"})
    assert refused.status_code == 403
    report = await _report(session, a.org.id)
    assert report is not None and report.state == ReportState.DRAFT and report.note == ""

    saved = await api_client.post(f"/console/reports/{a.org.id}/{month}", data={"csrf": csrf, "note": "Đề nghị thêm tài liệu.", "action": "save"})
    assert saved.status_code == 303
    assert D.REPORT_SAVED in (await api_client.get(saved.headers["location"])).text
    sent = await api_client.post(f"/console/reports/{a.org.id}/{month}", data={"csrf": csrf, "note": "Đề nghị thêm tài liệu.", "action": "send"})
    assert sent.status_code == 303
    after = await api_client.get(sent.headers["location"])
    assert D.REPORT_SENT.format(org=commune.commune.name) in after.text and D.REPORT_SEND not in after.text
    report = await _report(session, a.org.id)
    assert report is not None and report.state == ReportState.SENT and report.note == "Đề nghị thêm tài liệu."
    assert await _count(session, OutboxMessage, OutboxMessage.kind == "report") >= 1  # the committee is told

    # The committee: received, acknowledge one; remind the cell that has not sent.
    api_client.cookies.clear()
    home = await sign_in(api_client, console_harness, COMMITTEE)
    csrf = csrf_of(home)
    box = await api_client.get(f"/console/reports?org={commune.commune.id}&month={month}")
    assert box.status_code == 200 and D.RECEIVED_COUNT.format(sent=1, total=2) in box.text
    opened = await api_client.get(f"/console/reports/{a.org.id}/{month}")
    assert D.ACKNOWLEDGE in opened.text and "Đề nghị thêm tài liệu." in opened.text
    no_token = await api_client.post(f"/console/reports/{a.org.id}/{month}/review", data={"action": "acknowledge"})
    assert no_token.status_code == 403 and (await _report(session, a.org.id)).state == ReportState.SENT  # type: ignore[union-attr]
    done = await api_client.post(f"/console/reports/{a.org.id}/{month}/review", data={"csrf": csrf, "action": "acknowledge"})
    assert done.status_code == 303
    shown = await api_client.get(done.headers["location"])
    assert D.ACKNOWLEDGED.format(cell=a.org.name) in shown.text
    assert (await _report(session, a.org.id)).state == ReportState.ACKNOWLEDGED  # type: ignore[union-attr]
    assert await _count(session, OutboxMessage, OutboxMessage.kind == "report_review") >= 1  # the cell is told
    reminded = await api_client.post(f"/console/reports/remind/{commune.commune.id}/{month}", data={"csrf": csrf})
    assert reminded.status_code == 303 and "n=1" in reminded.headers["location"]
    assert await _count(session, OutboxMessage, OutboxMessage.kind == "report_remind") == 2  # cell B's secretary and deputy


async def test_a_returned_report_needs_a_comment_and_goes_back_to_the_cell(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    month = f"{clock.now():%Y-%m}"
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    await api_client.post(f"/console/reports/{a.org.id}/{month}", data={"csrf": csrf_of(home), "note": "", "action": "send"})
    api_client.cookies.clear()
    home = await sign_in(api_client, console_harness, COMMITTEE)
    csrf = csrf_of(home)
    empty = await api_client.post(f"/console/reports/{a.org.id}/{month}/review", data={"csrf": csrf, "action": "return", "comment": "  "})
    assert empty.status_code == 422 and texts.reports.RETURN_NEEDS_COMMENT in empty.text
    back = await api_client.post(f"/console/reports/{a.org.id}/{month}/review",
                                 data={"csrf": csrf, "action": "return", "comment": "Số lượt dự họp chưa khớp."})
    assert back.status_code == 303
    report = await _report(session, a.org.id)
    assert report is not None and report.state == ReportState.RETURNED and report.review_comment == "Số lượt dự họp chưa khớp."


async def test_an_answer_in_the_inbox_reaches_the_member(api_client, console_harness, session, session_factory, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    author = a.members[0]
    actor = await load_actor(session, author)
    item = await feedback.submit(session, actor=actor, kind=FeedbackKind.PROPOSAL, org_id=a.org.id,
                                 content=feedback.Content(text="Đề nghị sửa đường vào thôn."), now=clock.now())
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    csrf = csrf_of(home)
    inbox = await api_client.get("/console/feedback?waiting=true")
    assert inbox.status_code == 200 and item.reference in inbox.text and author.full_name in inbox.text
    page = await api_client.get(f"/console/feedback/{item.id}")
    assert "Đề nghị sửa đường vào thôn." in page.text and D.REPLY_SEND in page.text
    assert D.FORWARD.format(org=commune.commune.name) in page.text

    missing = await api_client.post(f"/console/feedback/{item.id}/reply", data={"text": "Không token"})
    assert missing.status_code == 403 and await _count(session, FeedbackReply) == 0
    answered = await api_client.post(f"/console/feedback/{item.id}/reply", data={"csrf": csrf, "text": "Chi bộ đã báo xã <b>ngay</b>."})
    assert answered.status_code == 303
    assert D.REPLIED.format(author=author.full_name) in (await api_client.get(answered.headers["location"])).text
    assert await _count(session, FeedbackReply) == 1

    messenger = CollectingMessenger()
    # The reply is queued at the wall clock's now (core.feedback enqueues without a time): the worker runs on it too.
    worker = DeliveryWorker(session_factory, messenger, LocalTokenBucket(UNLIMITED), SystemClock())
    await worker.drain()
    async with transaction(session_factory) as check:
        account = (await check.execute(select(OutboxMessage.chat_id).where(OutboxMessage.kind == "feedback_reply"))).scalar_one()
    to_author = [m for chat, m in messenger.sent if chat == account]
    assert to_author and "Chi bộ đã báo xã &lt;b&gt;ngay&lt;/b&gt;." in to_author[-1].text and item.reference in to_author[-1].text

    # Forward it up: the commune committee now holds it; the cell keeps reading but cannot act.
    forwarded = await api_client.post(f"/console/feedback/{item.id}/forward", data={"csrf": csrf, "note": "Vượt thẩm quyền"})
    assert forwarded.status_code == 303
    again = await api_client.get(forwarded.headers["location"])
    assert D.CANNOT_ACT.format(org=commune.commune.name) in again.text and D.REPLY_SEND not in again.text
    stored = await session.get(FeedbackItem, item.id, populate_existing=True)
    assert stored is not None and stored.current_org_id == commune.commune.id and stored.state == FeedbackState.OPEN


async def test_another_cells_secretary_cannot_read_or_answer(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    actor = await load_actor(session, a.members[0])
    item = await feedback.submit(session, actor=actor, kind=FeedbackKind.COMMENT, org_id=a.org.id,
                                 content=feedback.Content(text="Góp ý riêng của chi bộ A."), now=clock.now())
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_B)
    assert item.reference not in (await api_client.get("/console/feedback")).text
    assert (await api_client.get(f"/console/feedback/{item.id}")).status_code == 404
    reply = await api_client.post(f"/console/feedback/{item.id}/reply", data={"csrf": csrf_of(home), "text": "Xen vào"})
    assert reply.status_code == 404 and await _count(session, FeedbackReply) == 0
    assert not re.search("Xen vào", str([r.text for r in (await session.execute(select(FeedbackReply))).scalars()]))
