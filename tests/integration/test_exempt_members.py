"""Issue 17, item 13: exempt members (miễn sinh hoạt) follow their cell by default — notices,
resolutions, invitations marked "không bắt buộc" — are never counted as expected or absent, and
turn it off (and on again) themselves in 👤 Hồ sơ. Through the real dispatcher and database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import texts
from core.delivery.models import OutboxMessage
from core.meetings import service as meetings
from core.meetings import stats
from core.meetings.models import Attendance, Invitation, MeetingKind, MeetingStatus
from core.notices import service as notices
from core.orgs.service import load_actor
from core.reporting import figures
from core.resolutions import service as resolutions
from tests.botkit import BotHarness, inline_buttons, texts_of
from tests.factories import add_member

SECRETARY_A, ELDER = 1001, 1150


async def outbox(session, kind: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def send_notice(harness: BotHarness, text: str) -> None:
    await harness.text(SECRETARY_A, texts.account.BTN_NOTICE)
    await harness.press(SECRETARY_A, "ntm:new")
    preview = await harness.text(SECRETARY_A, text)
    (send,) = [d for call in preview for _, d in inline_buttons(call) if d and d.startswith("ntd:send:")]
    await harness.press(SECRETARY_A, send, message_id=77)


async def test_exempt_members_follow_their_cell_unless_they_stop(harness, session, cipher, commune, clock) -> None:
    cell = commune.cells[0]
    elder = await add_member(session, cipher, cell.org, "Cụ Nguyễn Văn Cao Tuổi", exempt=True, link_to=ELDER)
    await session.commit()
    assert elder.exempt_receives_notices  # the default: follows the cell

    # A notice reaches them.
    await send_notice(harness, "Chi bộ thông báo lịch tổng vệ sinh thôn sáng Chủ Nhật.")
    assert elder.id in {m.member_id for m in await outbox(session, notices.KIND)}
    # So does a resolution the commune publishes (its audience counts them).
    committee = await load_actor(session, commune.committee_member)
    with_elder = (await resolutions.audience(session, actor=committee, org_id=commune.commune.id)).recipients
    # An invitation, marked not obliged.
    secretary = await load_actor(session, cell.secretary)
    starts = clock.now() + dt.timedelta(days=3)
    created = await meetings.create_meeting(session, actor=secretary, cell_id=cell.org.id, kind=MeetingKind.REGULAR, starts_at=starts,
                                            place="Nhà văn hóa", now=clock.now())
    await session.commit()
    invitation = (await session.execute(select(Invitation).where(Invitation.member_id == elder.id))).scalar_one()
    assert invitation.obliged is False
    card = [m for m in await outbox(session, "invitation") if m.member_id == elder.id]
    assert len(card) == 1 and "Không bắt buộc" in card[0].payload["text"]

    # Held without them: they are neither expected nor absent, in the meeting's figures and the month's.
    meeting = created.meeting
    invitations = (await session.execute(select(Invitation).where(Invitation.meeting_id == meeting.id))).scalars().all()
    for one in invitations:
        session.add(Attendance(meeting_id=meeting.id, member_id=one.member_id, present=one.member_id != elder.id, recorded_at=starts))
    meeting.status = MeetingStatus.HELD
    await session.commit()
    one = await stats.meeting_stats(session, meeting=meeting)
    assert (one.invited, one.expected, one.present, one.absent_excused, one.absent_unexcused) == (len(invitations), len(invitations) - 1,
                                                                                                   len(invitations) - 1, 0, 0)
    month = figures.local_month(starts)
    rollup = await figures.org_figures(session, actor=secretary, org_id=cell.org.id, month=month)
    assert (rollup.totals[0].invited, rollup.totals[0].present, rollup.totals[0].absent_excused) == (len(invitations) - 1,) * 2 + (0,)
    assert rollup.totals[0].exempt == 1

    # 👤 Hồ sơ says so and offers the switch; they turn it off.
    calls = await harness.text(ELDER, texts.account.BTN_PROFILE)
    assert texts.account.FOLLOWING_ON.strip() in "\n".join(texts_of(calls))
    assert (texts.account.BTN_FOLLOW_OFF, "fc:0") in [b for call in calls for b in inline_buttons(call)]
    calls = await harness.press(ELDER, "fc:0")
    assert [c.text for c in calls if type(c).__name__ == "AnswerCallbackQuery"] == [texts.account.FOLLOW_TURNED_OFF]
    await session.refresh(elder)
    assert elder.exempt_receives_notices is False

    # The next notice and resolution pass them by.
    before = len(await outbox(session, notices.KIND))
    await send_notice(harness, "Chi bộ thông báo lịch họp chuyên đề tháng tới.")
    latest = (await outbox(session, notices.KIND))[before:]
    assert latest and elder.id not in {m.member_id for m in latest}
    assert (await resolutions.audience(session, actor=committee, org_id=commune.commune.id)).recipients == with_elder - 1

    # And back on.
    await harness.press(ELDER, "fc:1")
    await session.refresh(elder)
    assert elder.exempt_receives_notices is True
