"""Organisations and members through the REST API: listing, filters, pages, changes, refusals, import."""

import io

import pytest
from sqlalchemy import func, select

from core import texts
from core.audit import AuditEvent
from core.orgs.models import Member, Org, OrgRole, RoleKind
from core.orgs.service import citizen_id_of, phone_of
from core.orgs.tokens import create_token
from core.render import plain_text
from tests.factories import add_member, make_commune

HEADER = ("Tổ chức đảng,Họ và tên,Ngày sinh,Giới tính,Ngày vào Đảng,Ngày chính thức,Số thẻ đảng viên,"
          "Số định danh cá nhân,Số điện thoại,Vai trò,Miễn sinh hoạt,Cấp ủy\n")
NEW_MEMBER = {"full_name": "Lò Thị Bình", "date_of_birth": "1990-08-02", "gender": "female", "joined_on": "2015-05-19",
              "official_on": "2016-05-19", "card_number": "93012345", "citizen_id": "014190001234", "phone": "+84 912 345 678"}


@pytest.fixture
async def commune_api(session, cipher, clock):
    commune = await make_commune(session, cipher, linked=True)
    a = commune.cells[0]
    await add_member(session, cipher, a.org, "Cụ Hoàng Văn Già", exempt=True)
    await add_member(session, cipher, a.org, "Nguyễn Dự Bị", probationary=True)
    headers = {}
    for name, member in {"secretary_a": a.secretary, "member_a": a.members[0], "committee": commune.committee_member}.items():
        headers[name] = {"Authorization": f"Bearer {(await create_token(session, member=member, now=clock.now())).token}"}
    await session.commit()
    return commune, headers


def csv_file(rows: str, name: str = "ds.csv") -> dict:
    return {"file": (name, io.BytesIO((HEADER + rows).encode()), "text/csv")}


async def test_roots_orgs_and_tree_with_counts(api_client, commune_api) -> None:
    commune, headers = commune_api
    a, b = commune.cells
    roots = (await api_client.get("/api/v1/orgs", headers=headers["committee"])).json()
    assert [r["id"] for r in roots] == [commune.commune.id] and roots[0]["managed"] is True
    plain = (await api_client.get("/api/v1/orgs", headers=headers["member_a"])).json()
    assert [(r["id"], r["managed"]) for r in plain] == [(a.org.id, False)]
    detail = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}", headers=headers["committee"])).json()
    everyone = len(a.everyone) + 2 + 1 + len(b.everyone)  # + exempt, probationary, the committee member (in cell A)
    assert detail["member_count"] == everyone
    tree = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/tree", headers=headers["committee"])).json()
    assert tree["total_members"] == everyone and tree["members"] == 0
    assert {c["id"]: c["members"] for c in tree["children"]} == {a.org.id: len(a.everyone) + 3, b.org.id: len(b.everyone)}
    shallow = (await api_client.get(f"/api/v1/orgs/{commune.commune.id}/tree?max_depth=0", headers=headers["committee"])).json()
    assert shallow["children"] == [] and shallow["total_members"] == everyone


async def test_list_filters_search_and_pages(api_client, commune_api) -> None:
    commune, headers = commune_api
    a = commune.cells[0]
    url = f"/api/v1/orgs/{a.org.id}/members"
    h = headers["secretary_a"]
    everyone = (await api_client.get(url, headers=h)).json()
    assert everyone["total"] == len(a.everyone) + 3 and everyone["next_offset"] is None
    assert all("*" in m["citizen_id"] and m["identifiers_masked"] for m in everyone["items"])
    names = [m["full_name"] for m in everyone["items"]]
    assert names == sorted(names)
    exempt = (await api_client.get(url, params={"exempt": "true"}, headers=h)).json()
    assert [m["full_name"] for m in exempt["items"]] == ["Cụ Hoàng Văn Già"]
    probationary = (await api_client.get(url, params={"probationary": "true"}, headers=h)).json()
    assert [m["full_name"] for m in probationary["items"]] == ["Nguyễn Dự Bị"]
    unlinked = (await api_client.get(url, params={"linked": "false"}, headers=h)).json()
    assert {m["full_name"] for m in unlinked["items"]} == {"Cụ Hoàng Văn Già", "Nguyễn Dự Bị"}
    found = (await api_client.get(url, params={"q": "hoàng văn"}, headers=h)).json()
    assert [m["full_name"] for m in found["items"]] == ["Cụ Hoàng Văn Già"]
    wildcard = (await api_client.get(url, params={"q": "%"}, headers=h)).json()
    assert wildcard["total"] == 0  # LIKE wildcards are matched literally
    first = (await api_client.get(url, params={"limit": 2}, headers=h)).json()
    second = (await api_client.get(url, params={"limit": 2, "offset": first["next_offset"]}, headers=h)).json()
    assert first["next_offset"] == 2 and [m["id"] for m in first["items"] + second["items"]] == [m["id"] for m in everyone["items"][:4]]
    for bad in ({"limit": 201}, {"limit": 0}, {"offset": -1}, {"exempt": "maybe"}):
        response = await api_client.get(url, params=bad, headers=h)
        assert response.status_code == 422 and response.json()["error"] == "invalid_input", bad


async def test_ids_out_of_range_are_invalid_not_errors(api_client, commune_api) -> None:
    _, headers = commune_api
    assert (await api_client.get(f"/api/v1/members/{2**63}", headers=headers["committee"])).status_code == 422
    assert (await api_client.get(f"/api/v1/members/{2**63 - 1}", headers=headers["committee"])).status_code == 404
    assert (await api_client.get("/api/v1/orgs/0/tree", headers=headers["committee"])).status_code == 422


async def test_create_change_move_and_retire_a_member(api_client, commune_api, session, cipher) -> None:
    commune, headers = commune_api
    a, b = commune.cells
    h = headers["committee"]
    created = await api_client.post("/api/v1/members", json={**NEW_MEMBER, "org_id": a.org.id}, headers=h)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["phone"] == "09******78" and body["citizen_id"] == "0141******34" and body["probationary"] is False
    stored = await session.get(Member, body["id"])
    assert phone_of(stored, cipher) == "0912345678" and citizen_id_of(stored, cipher) == "014190001234"

    again = await api_client.post("/api/v1/members", json={**NEW_MEMBER, "org_id": a.org.id}, headers=h)
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    other_card = await api_client.post("/api/v1/members", json={**NEW_MEMBER, "card_number": "X2", "org_id": a.org.id}, headers=h)
    assert other_card.status_code == 409  # same citizen ID
    for bad in ({"date_of_birth": "2100-01-01"}, {"joined_on": "1980-01-01"}, {"phone": "12345"}, {"org_id": commune.commune.id}):
        response = await api_client.post("/api/v1/members", json={**NEW_MEMBER, "card_number": "X3", "citizen_id": "014190009999",
                                                                  "org_id": a.org.id, **bad}, headers=h)
        assert response.status_code == 422, (bad, response.text)

    member_id = body["id"]
    patched = await api_client.patch(f"/api/v1/members/{member_id}", json={"official_on": None, "phone": None}, headers=h)
    assert patched.status_code == 200 and patched.json()["probationary"] is True and patched.json()["phone"] is None
    for bad in ({"card_number": None}, {"full_name": None}, {"citizen_id": "123"}, {"unknown": 1}, {"exempt": "yes"}):
        response = await api_client.patch(f"/api/v1/members/{member_id}", json=bad, headers=h)
        assert response.status_code == 422 and response.json()["error"] == "invalid_input", bad

    # Moving the secretary of cell A to cell B ends her function in cell A.
    moved = await api_client.patch(f"/api/v1/members/{a.secretary.id}", json={"org_id": b.org.id}, headers=h)
    assert moved.status_code == 200 and moved.json()["cell_name"] == b.org.name
    assert await session.scalar(select(func.count(OrgRole.id)).where(OrgRole.member_id == a.secretary.id)) == 0

    retired = await api_client.delete(f"/api/v1/members/{member_id}", headers=h)
    assert retired.status_code == 200 and retired.json()["active"] is False
    listed = (await api_client.get(f"/api/v1/orgs/{a.org.id}/members", params={"q": "Lò Thị Bình"}, headers=h)).json()
    assert listed["total"] == 0
    inactive = (await api_client.get(f"/api/v1/orgs/{a.org.id}/members", params={"active": "false"}, headers=h)).json()
    assert [m["id"] for m in inactive["items"]] == [member_id]
    assert (await session.get(Member, member_id)) is not None  # never deleted
    itself = await api_client.delete(f"/api/v1/members/{commune.committee_member.id}", headers=h)
    assert itself.status_code == 422
    events = (await session.execute(select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.action.like("api.member.%")))).all()
    assert {"api.member.create", "api.member.update", "api.member.deactivate"} <= {action for action, _ in events}
    assert "0912345678" not in str(events) and "014190001234" not in str(events)


async def test_a_plain_member_may_read_but_not_write(api_client, commune_api) -> None:
    commune, headers = commune_api
    a = commune.cells[0]
    h = headers["member_a"]
    own = await api_client.get(f"/api/v1/members/{a.members[0].id}?reveal=true", headers=h)
    assert own.status_code == 200 and own.json()["identifiers_masked"] is False  # their own numbers
    assert (await api_client.post("/api/v1/members", json={**NEW_MEMBER, "org_id": a.org.id}, headers=h)).status_code == 403
    assert (await api_client.post(f"/api/v1/members/{a.members[0].id}/invites", headers=h)).status_code == 403
    assert (await api_client.delete(f"/api/v1/members/{a.members[1].id}", headers=h)).status_code == 404
    me = (await api_client.get("/api/v1/me", headers=h)).json()
    assert me["member_id"] == a.members[0].id and me["roles"] == [] and me["manages"] == []
    secretary = (await api_client.get("/api/v1/me", headers=headers["secretary_a"])).json()
    assert secretary["roles"] == [{"role": "secretary", "org_id": a.org.id, "org_name": a.org.name, "org_kind": "cell"}]


async def test_create_orgs_only_under_managed_committees(api_client, commune_api, session) -> None:
    commune, headers = commune_api
    new = {"parent_id": commune.commune.id, "name": "  Chi bộ thôn   Nậm Khắt ", "kind": "cell", "code": "NK-01"}
    created = await api_client.post("/api/v1/orgs", json=new, headers=headers["committee"])
    assert created.status_code == 201 and created.json()["name"] == "Chi bộ thôn Nậm Khắt" and created.json()["depth"] == 2
    assert (await api_client.post("/api/v1/orgs", json=new, headers=headers["committee"])).status_code == 409
    same_code = await api_client.post("/api/v1/orgs", json={**new, "name": "Khác"}, headers=headers["committee"])
    assert same_code.status_code == 409
    under_cell = {"parent_id": commune.cells[0].org.id, "name": "Tổ", "kind": "cell"}
    assert (await api_client.post("/api/v1/orgs", json=under_cell, headers=headers["secretary_a"])).status_code == 422
    assert (await api_client.post("/api/v1/orgs", json=new | {"name": "X"}, headers=headers["secretary_a"])).status_code == 404  # not hers to see
    assert (await api_client.post("/api/v1/orgs", json={**new, "parent_id": commune.province.id}, headers=headers["committee"])).status_code == 404
    org = await session.get(Org, created.json()["id"])
    assert org.path == f"{commune.commune.path}{org.id}/"


async def test_import_creates_into_managed_cells_and_is_idempotent(api_client, commune_api, session) -> None:
    commune, headers = commune_api
    base = f"{commune.province.name}/{commune.commune.name}"
    rows = (f"{base}/Chi bộ thôn Mới,Lò Văn A,01/01/1970,Nam,01/01/1990,01/01/1991,IMP1,001070111111,0911111111,Bí thư,Không,\n"
            f"{base}/{commune.cells[1].org.name},Lò Thị C,01/01/1972,Nữ,01/01/1992,,IMP2,001072222222,,Đảng viên,Có,\n")
    first = await api_client.post("/api/v1/members/import", files=csv_file(rows), headers=headers["committee"])
    assert first.status_code == 200 and first.json() == {"created": 2, "updated": 0, "unchanged": 0}
    again = await api_client.post("/api/v1/members/import", files=csv_file(rows), headers=headers["committee"])
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    new_cell = (await session.execute(select(Org).where(Org.name == "Chi bộ thôn Mới"))).scalar_one()
    assert new_cell.parent_id == commune.commune.id
    event = (await session.execute(select(AuditEvent).where(AuditEvent.action == "api.member.import"))).scalars().first()
    assert event.detail == {"created": 2, "updated": 0, "unchanged": 0}


async def test_import_refuses_what_lies_outside_the_callers_subtree(api_client, commune_api, session, cipher) -> None:
    commune, headers = commune_api
    base = f"{commune.province.name}/{commune.commune.name}"
    cell_a = f"{base}/{commune.cells[0].org.name}"
    stranger = commune.other_cell.members[0]
    province_member = commune.cells[1].members[0]
    session.add(OrgRole(member_id=province_member.id, org_id=commune.province.id, role=RoleKind.COMMITTEE_MEMBER))
    await session.commit()
    rows = (
        # 2: steals a member of another province by their card number
        f"{cell_a},Kẻ Lạ,01/01/1970,Nam,01/01/1990,01/01/1991,{stranger.card_number},001070333333,,Đảng viên,Không,\n"
        # 3: makes someone a member of the province committee
        f"{cell_a},Lò Văn D,01/01/1970,Nam,01/01/1990,01/01/1991,IMP4,001070444444,,Đảng viên,Không,{commune.province.name}\n"
        # 4: a citizen ID that belongs to somebody else
        f"{cell_a},Lò Văn E,01/01/1970,Nam,01/01/1990,01/01/1991,IMP5,{citizen_id_of(stranger, cipher)},,Đảng viên,Không,\n"
        # 5: would silently drop a province committee seat held by this member
        f"{base}/{commune.cells[1].org.name},{province_member.full_name},17/05/1960,Nam,03/03/1985,03/03/1986,"
        f"{province_member.card_number},{citizen_id_of(province_member, cipher)},,Đảng viên,Không,\n"
        # 6: a cell where a committee is expected
        f"{cell_a}/Tổ 1,Lò Văn F,01/01/1970,Nam,01/01/1990,01/01/1991,IMP6,001070666666,,Đảng viên,Không,\n"
        # 7: a brand-new root
        f"Đảng bộ tỉnh Mới/Chi bộ X,Lò Văn G,01/01/1970,Nam,01/01/1990,01/01/1991,IMP7,001070777777,,Đảng viên,Không,\n"
        # 8: a plain typo the importer itself finds
        f"{cell_a},Lò Văn H,31/02/1970,Nam,01/01/1990,01/01/1991,IMP8,0010708888,,Đảng viên,Không,\n"
    )
    refused = await api_client.post("/api/v1/members/import", files=csv_file(rows), headers=headers["committee"])
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["error"] == "import_rejected"
    lines = {(e["line"], e["column"]) for e in body["errors"]}
    assert {(2, "Số thẻ đảng viên"), (3, "Cấp ủy"), (4, "Số định danh cá nhân"), (5, "Vai trò"), (6, "Tổ chức đảng"),
            (7, "Tổ chức đảng"), (8, "Ngày sinh"), (8, "Số định danh cá nhân")} <= lines
    assert await session.scalar(select(func.count(Member.id)).where(Member.card_number.like("IMP%"))) == 0
    await session.refresh(stranger)
    assert stranger.org_id == commune.other_cell.org.id


@pytest.mark.parametrize(
    ("name", "content", "status", "error"),
    [
        # Not a list Sổ tay reads, by name or by content: 415, nothing read.
        ("ds.pdf", b"%PDF", 415, "unsupported_file_type"),
        ("ds.exe", b"MZ\x90\x00\x03\x00\x00\x00", 415, "unsupported_file_type"),
        ("ds.xlsx", b"PK\x03\x04 not really a zip", 415, "unsupported_file_type"),
        ("ds.xlsx", b"%PDF-1.4 renamed", 415, "unsupported_file_type"),
        ("ds.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", 415, "unsupported_file_type"),
        ("ds.csv", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, 415, "unsupported_file_type"),
        ("ds.csv", b"\xff\xfe\x00garbage;;;\n,,,\n", 415, "unsupported_file_type"),
        # The right type, but nothing or nothing usable in it: 422.
        ("ds.csv", b"", 422, "invalid_input"),
        ("ds.csv", b"just one line without columns\n", 422, "import_rejected"),
    ],
)
async def test_import_of_broken_files_is_a_clear_refusal(api_client, session, commune_api, name, content, status, error) -> None:
    _, headers = commune_api
    before = await session.scalar(select(func.count(Member.id)))
    response = await api_client.post("/api/v1/members/import", files={"file": (name, io.BytesIO(content), "text/csv")},
                                      headers=headers["committee"])
    assert response.status_code == status, response.text
    assert response.json()["error"] == error and response.json()["message"]
    if status == 415:
        assert response.json()["message"] in (plain_text(texts.management.IMPORT_TYPE_REFUSED.format(name=name)),
                                              plain_text(texts.files.FILE_CONTENT_MISMATCH.format(name=name, extension=name[2:])))
    assert await session.scalar(select(func.count(Member.id))) == before
