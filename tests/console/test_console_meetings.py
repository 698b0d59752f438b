"""Meetings in the console: a month's calendar, a meeting created with a multi-line agenda and a
document (members invited through the outbox), the overlap rule, an absence asked for in the bot
and decided in the console, edit and cancel; another cell's secretary sees and decides nothing."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from core import texts
from core.delivery.models import OutboxMessage
from core.meetings import service
from core.meetings.models import Answer, Invitation, Meeting, MeetingDocument, MeetingStatus
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import MEMBER_A, SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune

T = texts.console
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
AGENDA = "Quán triệt Nghị quyết 21\nKiểm điểm công tác tháng 11\nKế hoạch tháng 12"


async def _meetings(session) -> list[Meeting]:  # type: ignore[no-untyped-def]
    return list((await session.execute(select(Meeting).execution_options(populate_existing=True))).scalars())


def form(csrf: str, **fields: str) -> dict[str, str]:
    base = {"csrf": csrf, "kind": "regular", "day": "2026-12-03", "time": "19:30", "place": "Nhà văn hóa thôn", "agenda": AGENDA}
    return {**base, **fields}


async def test_create_with_agenda_and_document_then_decide_an_absence_asked_in_the_bot(
    api_client, console_harness, session, cipher, clock
) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    csrf = csrf_of(home)
    new = await api_client.get("/console/meetings/new")
    assert new.status_code == 200 and a.org.name in new.text and commune.cells[1].org.name not in new.text

    created = await api_client.post("/console/meetings", data=form(csrf, cell=str(a.org.id)),
                                    files=[("files", ("Nghị quyết 21.pdf", PDF, "application/pdf"))])
    assert created.status_code == 303, created.text[:2000]
    created = await api_client.get(created.headers["location"])
    assert T.MEETING_CREATED.format(invited=len(a.everyone) + 1) in created.text  # + the committee member of cell A
    [meeting] = await _meetings(session)
    assert meeting.agenda == AGENDA and meeting.cell_id == a.org.id
    assert [d.filename for d in (await session.execute(select(MeetingDocument))).scalars()] == ["Nghị quyết 21.pdf"]
    assert "<li>Kiểm điểm công tác tháng 11</li>" in created.text
    invitations = int(await session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == service.KIND_INVITATION)) or 0)
    assert invitations == len(a.everyone) + 1

    # The two-hour rule: a second meeting an hour later is refused, then made on purpose.
    clash = await api_client.post("/console/meetings", data=form(csrf, cell=str(a.org.id), time="20:30", kind="thematic"))
    assert clash.status_code == 200 and T.FIELD_ALLOW_OVERLAP in clash.text and len(await _meetings(session)) == 1
    calendar = await api_client.get("/console/meetings?month=2026-12")
    assert calendar.status_code == 200 and f"/console/meetings/{meeting.id}" in calendar.text and "19:30" in calendar.text

    # A member asks leave in the bot; the secretary decides in the console.
    invitation = (await session.execute(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                                 Invitation.member_id == a.members[0].id))).scalar_one()
    await console_harness.press(MEMBER_A, f"mti:no:{invitation.id}")
    await console_harness.press(MEMBER_A, f"mtr:sick:{invitation.id}")
    page = await api_client.get(f"/console/meetings/{meeting.id}")
    assert f"{T.APPROVE}: {a.members[0].full_name}" in page.text
    revision = re.search(rf'/invitations/{invitation.id}/decision">\s*<input type="hidden" name="csrf" value="[0-9a-f]+"><input type="hidden" '
                         r'name="revision" value="(\d+)"', page.text)
    assert revision, page.text
    missing = await api_client.post(f"/console/meetings/invitations/{invitation.id}/decision", data={"approve": "true", "revision": revision.group(1)})
    assert missing.status_code == 403
    decided = await api_client.post(f"/console/meetings/invitations/{invitation.id}/decision",
                                    data={"csrf": csrf, "approve": "true", "revision": revision.group(1)})
    assert decided.status_code == 200 and T.DECIDED_APPROVED.format(name=a.members[0].full_name) in decided.text
    await session.refresh(invitation)
    assert invitation.answer == Answer.EXCUSED

    # Edit: a new time; the members are told. Cancel: the meeting is cancelled.
    edited = await api_client.post(f"/console/meetings/{meeting.id}/edit",
                                   data={"csrf": csrf, "day": "2026-12-04", "time": "08:00", "place": "Nhà văn hóa thôn", "agenda": AGENDA})
    assert edited.status_code == 200 and T.MEETING_SAVED.split("{")[0] in edited.text
    [meeting] = await _meetings(session)
    assert meeting.starts_at == dt.datetime(2026, 12, 4, 1, 0, tzinfo=dt.timezone.utc)
    cancelled = await api_client.post(f"/console/meetings/{meeting.id}/cancel", data={"csrf": csrf})
    assert cancelled.status_code == 200 and T.MEETING_CANCELLED in cancelled.text
    [meeting] = await _meetings(session)
    assert meeting.status == MeetingStatus.CANCELLED


async def test_another_cells_secretary_sees_and_decides_nothing(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a, b = commune.cells
    await session.commit()
    csrf = csrf_of(await sign_in(api_client, console_harness, SECRETARY_A))
    await api_client.post("/console/meetings", data=form(csrf, cell=str(a.org.id)))
    [meeting] = await _meetings(session)
    invitation = (await session.execute(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                                 Invitation.member_id == a.members[0].id))).scalar_one()
    await console_harness.press(MEMBER_A, f"mti:no:{invitation.id}")
    await console_harness.press(MEMBER_A, f"mtr:sick:{invitation.id}")

    api_client.cookies.clear()
    csrf_b = csrf_of(await sign_in(api_client, console_harness, SECRETARY_B))
    assert (await api_client.get(f"/console/meetings/{meeting.id}")).status_code in (403, 404)
    assert f"/console/meetings/{meeting.id}" not in (await api_client.get("/console/meetings?month=2026-12")).text
    for url, data in ((f"/console/meetings/invitations/{invitation.id}/decision", {"approve": "true", "revision": "1"}),
                      (f"/console/meetings/{meeting.id}/cancel", {}),
                      (f"/console/meetings/{meeting.id}/edit", {"day": "2026-12-05", "time": "08:00", "place": "x"})):
        reply = await api_client.post(url, data={"csrf": csrf_b, **data})
        assert reply.status_code in (403, 404) and "<html" in reply.text, url
    refused = await api_client.post("/console/meetings", data=form(csrf_b, cell=str(a.org.id), day="2026-12-10"))
    assert texts.meetings.NOT_LEADER in refused.text or refused.status_code in (403, 404)
    await session.refresh(invitation)
    [meeting] = await _meetings(session)
    assert invitation.answer == Answer.ABSENCE_REQUESTED and meeting.status == MeetingStatus.SCHEDULED and len(await _meetings(session)) == 1
