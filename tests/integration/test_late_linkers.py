"""Issue 17, item 14: a member who links late is shown the meetings ahead and what was sent in
the last 30 days; any member rereads past notices (📢) and every past conclusion of their cell.
Through the real dispatcher and database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import texts
from core.meetings import render as meeting_render
from core.meetings.models import Invitation
from core.catchup import CONCLUSIONS_DATA, DIGEST_DAYS
from core.meetings import service as meetings
from core.meetings.models import MeetingKind
from core.notices import service as notices
from core.orgs.linking import create_invite
from core.orgs.service import load_actor
from core.resolutions import service as resolutions
from core.resolutions.models import DocumentKind
from tests.botkit import inline_buttons, reply_keyboard_labels, texts_of
from tests.factories import make_commune

LATE = 777


async def test_a_late_linker_catches_up_and_rereads(harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher, linked=False)
    cell = commune.cells[0]
    late = cell.members[0]
    secretary = await load_actor(session, cell.secretary)
    committee = await load_actor(session, commune.committee_member)
    now = clock.now()

    # Before the link: an old notice (out of the 30 days), a recent one, a resolution, two meetings
    # with conclusions (held in the past) and one ahead.
    old = await notices.create_notice(session, actor=secretary, org_id=cell.org.id, text="Thông báo cũ về thu đảng phí quý ba.",
                                      now=now - dt.timedelta(days=DIGEST_DAYS + 5))
    await notices.create_notice(session, actor=secretary, org_id=cell.org.id, text="Lịch tổng vệ sinh thôn sáng Chủ Nhật.",
                                now=now - dt.timedelta(days=3))
    draft = await resolutions.create_draft(session, actor=committee, now=now - dt.timedelta(days=2), draft=resolutions.DraftInput(
        kind=DocumentKind.NQ, code="12-NQ/ĐU", title="Về chuyển đổi số", full_text="Nội dung nghị quyết về chuyển đổi số của xã.",
        org_id=commune.commune.id))
    await resolutions.publish(session, actor=committee, document_id=draft.id, now=now - dt.timedelta(days=2))
    for days, words in ((40, "Kết luận tháng mười: hoàn thành thu đảng phí."), (10, "Kết luận tháng mười một: sửa đường liên thôn.")):
        past = await meetings.create_meeting(session, actor=secretary, cell_id=cell.org.id, kind=MeetingKind.REGULAR,
                                             starts_at=now - dt.timedelta(days=days), place="Nhà văn hóa", now=now - dt.timedelta(days=days + 5))
        await meetings.set_attendance(session, actor=secretary, meeting_id=past.meeting.id, present_member_ids=[cell.secretary.id],
                                      now=now - dt.timedelta(days=days - 1))
        await meetings.send_conclusions(session, actor=secretary, meeting_id=past.meeting.id, text=words, now=now - dt.timedelta(days=days - 1))
    ahead = await meetings.create_meeting(session, actor=secretary, cell_id=cell.org.id, kind=MeetingKind.REGULAR,
                                          starts_at=now + dt.timedelta(days=4), place="Hội trường xã", now=now - dt.timedelta(days=1))
    invite = await create_invite(session, member=late, now=now)
    await session.commit()

    # Linking: the home screen, then the invitation ahead with its answer buttons, then the digest.
    calls = await harness.text(LATE, f"/start {invite.code}")
    shown = texts_of(calls)
    assert late.full_name in shown[0] and texts.account.BTN_NOTICE in reply_keyboard_labels(calls)
    assert "Hội trường xã" in shown[1]
    data = [d for call in calls for _, d in inline_buttons(call) if d]
    invitation = (await session.execute(select(Invitation).where(Invitation.meeting_id == ahead.meeting.id,
                                                                 Invitation.member_id == late.id))).scalar_one()
    assert meeting_render.answer_data("yes", invitation.id) in data
    digest = shown[-1]
    assert "tổng vệ sinh" in digest and "12-NQ/ĐU" in digest and "thu đảng phí quý ba" not in digest
    assert f"rd:open:{draft.id}" in data

    # 📢 later: every notice they were sent, the old one too; then every conclusion, not only the latest.
    calls = await harness.text(LATE, texts.account.BTN_NOTICE)
    text = "\n".join(texts_of(calls))
    assert "tổng vệ sinh" in text and "thu đảng phí quý ba" in text
    assert old.id  # (the old notice was frozen for the member too, though unlinked then)
    calls = await harness.press(LATE, CONCLUSIONS_DATA)
    text = "\n".join(texts_of(calls))
    assert "sửa đường liên thôn" in text and "hoàn thành thu đảng phí" in text
    assert text.index("sửa đường liên thôn") < text.index("hoàn thành thu đảng phí")  # newest first

    # Linking again (already linked) shows no digest a second time.
    calls = await harness.text(LATE, f"/start {invite.code}")
    assert not any("Trong 30 ngày qua" in t for t in texts_of(calls))
