"""Issue 17 over real HTTP (the `sotay run` process against the sandbox):
item 1, last month's figures count the members it had (the API); item 13, an exempt member gets the
cell's notice and turns it off in 👤 Hồ sơ; item 14, a late linker is shown the meeting ahead and
the notices of the last 30 days on linking, and rereads them with 📢."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from core import texts
from core.meetings import service as meetings
from core.meetings.models import MeetingKind
from core.notices import service as notices
from core.orgs.linking import create_invite
from core.orgs.models import Member
from core.orgs.service import load_actor
from core.orgs.tokens import create_token
from core.reporting.figures import add_months, local_month
from tests.factories import add_member, make_commune

pytestmark = pytest.mark.e2e
ELDER, LATE = 1190, 84001


@pytest.mark.parametrize("app", ["polling"], indirect=True)
async def test_figures_exempt_members_and_late_linkers(app, people, e2e_sessions, e2e_cipher) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    await people.create_users([{"id": uid, "first_name": f"Người {uid}"} for uid in (1001, ELDER, LATE)])
    async with e2e_sessions() as session:
        commune = await make_commune(session, e2e_cipher, linked=True)
        cell = commune.cells[0]
        elder = await add_member(session, e2e_cipher, cell.org, "Cụ Lê Văn Miễn", exempt=True, link_to=ELDER)
        late = await add_member(session, e2e_cipher, cell.org, "Lò Văn Muộn")
        invite = await create_invite(session, member=late, now=now)
        token = (await create_token(session, member=commune.committee_member, now=now)).token
        secretary = await load_actor(session, cell.secretary)
        await notices.create_notice(session, actor=secretary, org_id=cell.org.id, text="Chi bộ tổng vệ sinh đường thôn sáng Chủ Nhật.",
                                    now=now - dt.timedelta(minutes=5))
        await meetings.create_meeting(session, actor=secretary, cell_id=cell.org.id, kind=MeetingKind.REGULAR,
                                      starts_at=now + dt.timedelta(days=6), place="Nhà văn hóa thôn Khe Gầy", now=now)
        await session.commit()
        elder_id = elder.id

    # Item 1: last month's members, over the API of the running process.
    last_month = add_months(local_month(now), -1)
    port = app.env["SOTAY_HTTP_PORT"]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}) as api:
        body = (await api.get(f"/api/v1/orgs/{cell.org.id}/figures", params={"month": f"{last_month:%Y-%m}"})).json()
    figures = body["months"][0]["figures"]
    assert (figures["members"], figures["exempt"]) == (len(cell.everyone) + 1 + 2, 1)  # + the committee member, elder, late

    # Item 13: the exempt member got the notice and the invitation marked "không bắt buộc".
    await people.wait_for_message(ELDER, lambda m: "tổng vệ sinh" in m.text)
    await people.wait_for_message(ELDER, lambda m: "Không bắt buộc" in m.text)
    await people.send_text(ELDER, texts.account.BTN_PROFILE)
    profile = await people.wait_for_message(ELDER, lambda m: "Hồ sơ đảng viên" in m.text)
    await people.press(ELDER, profile.message_id, profile.button(texts.account.BTN_FOLLOW_OFF))
    await people.wait_for_message(ELDER, lambda m: any(texts.account.BTN_FOLLOW_ON in t for t, _ in m.buttons))
    for _ in range(100):  # the update's transaction commits right after the answer is sent
        async with e2e_sessions() as session:
            if (await session.get(Member, elder_id)).exempt_receives_notices is False:  # type: ignore[union-attr]
                break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the switch was not saved")

    # Item 14: linking late shows the meeting ahead and the notice; 📢 rereads it.
    await people.send_text(LATE, f"/start {invite.code}")
    await people.wait_for_message(LATE, lambda m: "Nhà văn hóa thôn Khe Gầy" in m.text and bool(m.buttons))
    await people.wait_for_message(LATE, lambda m: "Trong 30 ngày qua" in m.text and "tổng vệ sinh" in m.text)
    await people.send_text(LATE, texts.account.BTN_NOTICE)
    await people.wait_for_message(LATE, lambda m: "Thông báo đồng chí đã nhận" in m.text and "tổng vệ sinh" in m.text)
