"""The members pages: masked identifiers, import checked in full before anything is written, invite
codes, who is not linked yet and the printable invite sheet."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core import texts
from core.orgs.models import InviteCode, Member
from core.orgs.service import citizen_id_of
from tests.console.helpers import csrf_of
from tests.console.test_console_signin import SECRETARY_A, sign_in
from tests.factories import add_member, make_commune

HEADER = ("Tổ chức đảng,Họ và tên,Ngày sinh,Giới tính,Ngày vào Đảng,Ngày chính thức,Số thẻ đảng viên,"
          "Số định danh cá nhân,Số điện thoại,Vai trò,Miễn sinh hoạt,Cấp ủy\n")
CELL_A = "Đảng bộ tỉnh Lào Cai/Đảng bộ xã Mù Cang Chải/Chi bộ thôn Khe Gầy"
GOOD = (f"{CELL_A},Lò Thị Bình,02/08/1990,Nữ,19/05/2015,19/05/2016,93012345,014190001234,0912 345 678,,Không,\n"
        f"{CELL_A},Vàng A Chu,11/11/1975,Nam,03/02/2000,03/02/2001,93012346,014175009876,,,Có,\n")
BAD = (f"{CELL_A},Lò Thị Bình,31/02/1990,Nữ,19/05/2015,19/05/2016,93012345,01419000123,0912 345 678,,Không,\n"
       f"{CELL_A},,11/11/1975,Nam,03/02/2000,03/02/2001,93012346,014175009876,,,Có,\n")


async def _members(session) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count(Member.id))) or 0)


async def test_the_list_masks_identifiers_and_finds_the_unlinked(api_client, console_harness, session, cipher, clock) -> None:
    commune = await make_commune(session, cipher)
    a = commune.cells[0]
    late = await add_member(session, cipher, a.org, "Cụ Hoàng Văn Già", exempt=True)
    await session.commit()
    await sign_in(api_client, console_harness, SECRETARY_A)
    page = await api_client.get(f"/console/members?org={a.org.id}")
    assert page.status_code == 200
    for member in a.everyone:
        assert member.full_name in page.text
        full = citizen_id_of(member, cipher)
        assert full not in page.text and full[:4] + "******" + full[-2:] in page.text
    assert texts.console.STATUS_EXEMPT in page.text
    unlinked = await api_client.get(f"/console/members?org={a.org.id}&unlinked=true")
    assert late.full_name in unlinked.text and a.members[0].full_name not in unlinked.text
    found = await api_client.get(f"/console/members?org={a.org.id}&q=Hoàng")
    assert late.full_name in found.text and a.members[0].full_name not in found.text
    sheet_page = await api_client.get(f"/console/members/unlinked?org={a.org.id}")
    assert texts.console.SHEET_BUTTON.format(count=1) in sheet_page.text
    sheet = await api_client.post("/console/members/invite-sheet", data={"csrf": csrf_of(sheet_page.text), "org": str(a.org.id), "days": "7"})
    assert sheet.status_code == 200 and late.full_name in sheet.text and "<svg" not in sheet.text.split(late.full_name)[0][-10:]
    assert "script-src" not in sheet.headers["content-security-policy"] and "'unsafe-inline'" in sheet.headers["content-security-policy"]
    code = re.search(r"class='code'[^>]*>([A-Z0-9]{8})<", sheet.text)
    assert code, sheet.text[:3000]
    assert int(await session.scalar(select(func.count(InviteCode.id)).where(InviteCode.member_id == late.id)) or 0) == 1


async def test_an_import_with_errors_shows_each_line_and_column_and_writes_nothing(api_client, console_harness, session, cipher, clock) -> None:
    await make_commune(session, cipher)
    await session.commit()
    home = await sign_in(api_client, console_harness, SECRETARY_A)
    csrf = csrf_of(home)
    before = await _members(session)
    bad = await api_client.post("/console/members/import", data={"csrf": csrf},
                                files={"file": ("ds.csv", (HEADER + BAD).encode(), "text/csv")})
    assert bad.status_code == 200 and texts.console.IMPORT_ERRORS_TITLE.format(count=3) in bad.text
    rows = re.findall(r"<tr><td data-label=\"Dòng\">(\d+)</td><td data-label=\"Cột\">([^<]+)</td>", bad.text)
    assert ("2", "Ngày sinh") in rows and ("2", "Số định danh cá nhân") in rows and ("3", "Họ và tên") in rows, rows
    assert await _members(session) == before

    preview = await api_client.post("/console/members/import", data={"csrf": csrf},
                                    files={"file": ("ds.csv", (HEADER + GOOD).encode(), "text/csv")})
    assert preview.status_code == 200 and texts.console.IMPORT_PREVIEW.format(created=2, updated=0, unchanged=0) in preview.text
    assert await _members(session) == before  # a preview writes nothing
    pending = re.search(r'name="pending" value="([0-9a-f]{32})"', preview.text).group(1)  # type: ignore[union-attr]
    missing_csrf = await api_client.post("/console/members/import/confirm", data={"pending": pending})
    assert missing_csrf.status_code == 403 and await _members(session) == before
    done = await api_client.post("/console/members/import/confirm", data={"csrf": csrf, "pending": pending})
    assert done.status_code == 200 and texts.console.IMPORT_DONE.format(created=2, updated=0, unchanged=0) in done.text
    assert await _members(session) == before + 2
    again = await api_client.post("/console/members/import/confirm", data={"csrf": csrf, "pending": pending})
    assert again.status_code == 200 and texts.console.IMPORT_EXPIRED in again.text
    assert await _members(session) == before + 2
