"""Meetings after the invitation, in the console: monthly rules (listed with the next meeting,
stopped), the attendance sheet (read without changing anything, then saved with present / absent
with leave / without; printable), and the conclusions sent to those absent. Another cell's
secretary and a missing form token change nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import texts
from core.delivery.models import OutboxMessage
from core.meetings import service
from core.meetings.models import Answer, Attendance, Invitation, Meeting, MeetingStatus, RecurrenceRule
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import SECRETARY_A, SECRETARY_B, sign_in
from tests.factories import make_commune

T = texts.console


def form(csrf: str, cell_id: int, **fields: str) -> dict[str, str]:
    return {"csrf": csrf, "cell": str(cell_id), "kind": "regular", "day": "2026-12-03", "time": "19:30", "place": "Nhà văn hóa thôn",
            "agenda": "Kiểm điểm tháng 11", **fields}


async def _one(session, model):  # type: ignore[no-untyped-def]
    return (await session.execute(select(model).execution_options(populate_existing=True))).scalars().one()


async def _invitation(session, meeting_id: int, member_id: int) -> Invitation:  # type: ignore[no-untyped-def]
    query = select(Invitation).where(Invitation.meeting_id == meeting_id, Invitation.member_id == member_id)
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one()


async def test_monthly_rules_listed_and_stopped(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    csrf = csrf_of(home)
    assert 'name="repeat" value="true" checked' in (await api_client.get("/console/meetings/new?repeat=true")).text
    made = await api_client.post("/console/meetings", data=form(csrf, a.org.id, repeat="true"))
    assert made.status_code == 303, made.text[:2000]
    rules = await api_client.get("/console/meetings/rules")
    assert rules.status_code == 200 and T.RULE_DAY.format(day=3) in rules.text and a.org.name in rules.text
    assert "03/12/2026 — 19:30" in rules.text  # the next meeting on the rule, as /api/v1 tells it
    rule = await _one(session, RecurrenceRule)
    assert (await api_client.post(f"/console/meetings/rules/{rule.id}/stop", data={})).status_code == 403
    api_client.cookies.clear()
    other = await sign_in(api_client, console_harness, SECRETARY_B)
    assert a.org.name not in (await api_client.get("/console/meetings/rules")).text
    refused = await api_client.post(f"/console/meetings/rules/{rule.id}/stop", data={"csrf": csrf_of(other)})
    assert refused.status_code in (403, 404) and (await _one(session, RecurrenceRule)).active
    api_client.cookies.clear()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    stopped = await api_client.post(f"/console/meetings/rules/{rule.id}/stop", data={"csrf": csrf_of(home)})
    assert stopped.status_code == 303
    assert not (await _one(session, RecurrenceRule)).active
    assert T.RULE_STOPPED in (await api_client.get(stopped.headers["location"])).text


async def test_attendance_sheet_print_and_conclusions(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    csrf = csrf_of(home)
    made = await api_client.post("/console/meetings", data=form(csrf, a.org.id))
    meeting = await _one(session, Meeting)
    came, excused_before, later_excused = a.members[0], a.members[1], a.members[2]
    (await _invitation(session, meeting.id, came.id)).answer = Answer.ATTENDING
    (await _invitation(session, meeting.id, excused_before.id)).answer = Answer.EXCUSED
    await session.commit()

    early = await api_client.get(f"/console/meetings/{meeting.id}/attendance")  # a week before: not yet
    assert early.status_code == 409 and "Điểm danh mở trước giờ họp" in early.text
    assert T.ATTENDANCE_OPEN not in (await api_client.get(made.headers["location"])).text

    clock.set(meeting.starts_at + dt.timedelta(hours=2))
    api_client.cookies.clear()  # days later: a fresh sign-in (the first session has expired)
    csrf = csrf_of(await sign_in(api_client, console_harness, SECRETARY_A))
    sheet = await api_client.get(f"/console/meetings/{meeting.id}/attendance")
    assert sheet.status_code == 200
    assert f'name="m-{came.id}" value="present" checked' in sheet.text
    assert f'name="m-{excused_before.id}" value="excused" checked' in sheet.text
    assert f'name="m-{later_excused.id}" value="absent" checked' in sheet.text
    assert (await _one(session, Meeting)).status == MeetingStatus.SCHEDULED  # reading changed nothing
    printed = await api_client.get(f"/console/meetings/{meeting.id}/attendance/print")
    assert printed.status_code == 200 and "<script" not in printed.text and T.PRINT_COL_SIGNATURE in printed.text
    assert printed.headers["content-security-policy"].startswith("default-src 'none'") and came.full_name in printed.text

    marks = {f"m-{came.id}": "absent", f"m-{excused_before.id}": "present", f"m-{later_excused.id}": "excused"}
    assert (await api_client.post(f"/console/meetings/{meeting.id}/attendance", data=marks)).status_code == 403
    assert (await _one(session, Meeting)).status == MeetingStatus.SCHEDULED
    bad = await api_client.post(f"/console/meetings/{meeting.id}/attendance", data={"csrf": csrf, f"m-{came.id}": "maybe"})
    assert bad.status_code == 422 and (await _one(session, Meeting)).status == MeetingStatus.SCHEDULED
    saved = await api_client.post(f"/console/meetings/{meeting.id}/attendance", data={"csrf": csrf, **marks})
    assert saved.status_code == 303 and T.ATTENDANCE_SAVED in (await api_client.get(saved.headers["location"])).text
    assert (await _one(session, Meeting)).status == MeetingStatus.HELD
    present = dict((await session.execute(select(Attendance.member_id, Attendance.present).execution_options(populate_existing=True))).all())
    assert present[came.id] is False and present[excused_before.id] is True and present[later_excused.id] is False
    assert (await _invitation(session, meeting.id, later_excused.id)).answer == Answer.EXCUSED
    assert (await _invitation(session, meeting.id, came.id)).answer == Answer.ATTENDING  # absent, without leave

    # The meeting page now takes the conclusions; an empty text is refused with the reason.
    page = await api_client.get(f"/console/meetings/{meeting.id}")
    assert T.CONCLUSIONS_SEND in page.text and 'id="conclusions-recording-slot"' in page.text
    empty = await api_client.post(f"/console/meetings/{meeting.id}/conclusions", data={"csrf": csrf, "text": "  "})
    assert empty.status_code == 200 and texts.meetings.CONCLUSIONS_EMPTY in empty.text
    sent = await api_client.post(f"/console/meetings/{meeting.id}/conclusions", data={"csrf": csrf, "text": "Chi bộ thống nhất ba việc."})
    assert sent.status_code == 303
    absent = sum(1 for v in present.values() if not v)
    assert T.CONCLUSIONS_SENT.format(count=absent) in (await api_client.get(sent.headers["location"])).text
    queued = int(await session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == service.KIND_CONCLUSIONS)) or 0)
    assert queued == absent and (await _one(session, Meeting)).conclusions_text == "Chi bộ thống nhất ba việc."

    # Another cell's secretary: not the sheet, not the print, no marks, no conclusions.
    api_client.cookies.clear()
    other = csrf_of(await sign_in(api_client, console_harness, SECRETARY_B))
    for path in (f"/console/meetings/{meeting.id}/attendance", f"/console/meetings/{meeting.id}/attendance/print"):
        assert (await api_client.get(path)).status_code in (403, 404)
    changed = await api_client.post(f"/console/meetings/{meeting.id}/attendance", data={"csrf": other, f"m-{came.id}": "present"})
    assert changed.status_code in (403, 404)
    again = await api_client.post(f"/console/meetings/{meeting.id}/conclusions", data={"csrf": other, "text": "Giả mạo"})
    assert again.status_code in (403, 404)
    assert (await _one(session, Meeting)).conclusions_text == "Chi bộ thống nhất ba việc."
    present_now = dict((await session.execute(select(Attendance.member_id, Attendance.present).execution_options(populate_existing=True))).all())
    assert present_now == present
