"""Member import under hostile input (issue 18, items 1 and 2): a spreadsheet bomb is refused on what it
declares before a row is read, by the one reader every import path uses; only managers import; a
refusal never tells whether a record exists outside the caller's organisations."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from sqlalchemy import func, select

from core import texts
from core.orgs import importer
from core.orgs.models import Member
from core.orgs.service import citizen_id_of
from core.orgs.tokens import create_token
from tests.factories import make_commune

HEADER = ["Tổ chức đảng", "Họ và tên", "Ngày sinh", "Giới tính", "Ngày vào Đảng", "Ngày chính thức", "Số thẻ đảng viên",
          "Số định danh cá nhân", "Số điện thoại", "Vai trò", "Miễn sinh hoạt", "Cấp ủy"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(rows: list[list[object]], *, dimension: str | None = None) -> bytes:
    """An .xlsx of these rows; `dimension` rewrites the range its sheet declares ("" drops it)."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if dimension is None:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                replacement = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
                data, count = re.subn(rb"<dimension ref=\"[^\"]*\"/>", replacement, data)
                assert count == 1
            target.writestr(item, data)
    return out.getvalue()


def bomb() -> bytes:
    """The reviewer's file: a header row and a sheet that declares A1:XFD3000 (49 million cells)."""
    return workbook([HEADER], dimension="A1:XFD3000")


@pytest.fixture
def rows_read(monkeypatch):  # type: ignore[no-untyped-def]
    """Counts the rows openpyxl builds: a refusal on the declared size must come before the first."""
    count = {"rows": 0}
    original = ReadOnlyWorksheet._cells_by_row

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        for row in original(self, *args, **kwargs):
            count["rows"] += 1
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counting)
    return count


@pytest.fixture
async def world(session, cipher, clock):  # type: ignore[no-untyped-def]
    commune = await make_commune(session, cipher, linked=True)
    headers = {}
    for name, member in {"secretary_a": commune.cells[0].secretary, "member_a": commune.cells[0].members[0],
                         "committee": commune.committee_member}.items():
        headers[name] = {"Authorization": f"Bearer {(await create_token(session, member=member, now=clock.now())).token}"}
    await session.commit()
    return commune, headers


async def test_a_spreadsheet_bomb_is_refused_on_its_declared_size_before_a_row_is_built(api_client, world, session, rows_read) -> None:
    _, headers = world
    data = bomb()
    assert len(data) < 8 * 1024  # the attack is tiny on the wire
    response = await api_client.post("/api/v1/members/import", files={"file": ("ds.xlsx", io.BytesIO(data), XLSX)},
                                      headers=headers["committee"])
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "import_rejected"
    assert body["message"] == texts.management.IMPORT_TOO_LARGE.format(rows=10_000, columns=importer.MAX_COLUMNS)
    assert body["errors"][0]["line"] == 0 and "khai báo 3000 dòng và 16384 cột" in body["errors"][0]["reason"]
    assert body["errors"][0]["code"] == "sheet_too_large" and body["errors"][0]["column"] == texts.management.FILE_COLUMN
    assert rows_read["rows"] == 0


async def test_the_console_reads_through_the_same_bounded_reader(tmp_path: Path, rows_read) -> None:
    path = tmp_path / "ds.xlsx"
    path.write_bytes(bomb())
    with pytest.raises(importer.ImportFileError) as refused:
        importer.read_table(path)
    assert refused.value.too_large and rows_read["rows"] == 0


async def test_a_sheet_without_a_dimension_is_read_only_as_far_as_the_limits(tmp_path: Path, rows_read) -> None:
    # No declared size, one cell far out in column XFD on line 40: nothing pads to it, and with a
    # 20-row limit the reader stops one line after the last line allowed.
    small = tmp_path / "small.xlsx"
    small.write_bytes(workbook([HEADER, ["a"]], dimension=""))
    header, body = importer.read_table(small, max_rows=20)
    assert header[:len(HEADER)] == HEADER and body == [(2, ["a"] + [None] * (importer.MAX_COLUMNS - 1))]
    far = tmp_path / "far.xlsx"
    far.write_bytes(workbook([HEADER] + [[]] * 38 + [[None] * 16383 + ["x"]], dimension=""))
    rows_read["rows"] = 0
    with pytest.raises(importer.ImportFileError, match="Tệp có hơn 20 dòng"):
        importer.read_table(far, max_rows=20)
    assert rows_read["rows"] == 22  # header, 20 allowed lines, the one that says there is more


@pytest.mark.parametrize(
    ("name", "content", "reason", "code"),
    [
        ("ds.xlsx", workbook([HEADER, ["x" * 1001]]), "Dòng 2, cột 1: ô dài hơn 1000 ký tự", "cell_too_long"),
        ("ds.xlsx", workbook([HEADER + ["extra"] * 60]), "khai báo 1 dòng và 72 cột", "sheet_too_large"),
        ("ds.csv", (",".join(HEADER) + "\n" + "x," * 70 + "\n").encode(), "Dòng 2 có hơn 64 cột", "too_many_columns"),
        ("ds.csv", (",".join(HEADER) + "\n" + "y" * 1001 + "\n").encode(), "Dòng 2, cột 1: ô dài hơn 1000 ký tự", "cell_too_long"),
    ],
)
async def test_cells_and_columns_over_the_limits_are_refused(api_client, world, name, content, reason, code) -> None:
    _, headers = world
    response = await api_client.post("/api/v1/members/import", files={"file": (name, io.BytesIO(content), XLSX)},
                                      headers=headers["committee"])
    assert response.status_code == 422 and reason in response.json()["errors"][0]["reason"], response.text
    assert response.json()["errors"][0]["code"] == code


async def test_a_csv_with_more_rows_than_allowed_is_refused_whole(api_client, world, session) -> None:
    _, headers = world
    line = "Tỉnh/Xã/Chi bộ,Lò Văn A,01/01/1970,Nam,01/01/1990,,{n},0010701{n:05d},,Đảng viên,Không,\n"
    content = (",".join(HEADER) + "\n" + "".join(line.format(n=n) for n in range(10_001))).encode()
    response = await api_client.post("/api/v1/members/import", files={"file": ("ds.csv", io.BytesIO(content), "text/csv")},
                                      headers=headers["committee"])
    assert response.status_code == 422 and "Tệp có hơn 10000 dòng" in response.json()["errors"][0]["reason"]


async def test_a_plain_member_may_not_import_and_the_file_is_not_read(api_client, world, session, rows_read, monkeypatch) -> None:
    commune, headers = world
    read: list[Path] = []
    monkeypatch.setattr(importer, "read_table", lambda path, **kwargs: read.append(path) or ([], []))
    before = await session.scalar(select(func.count(Member.id)))
    response = await api_client.post("/api/v1/members/import", files={"file": ("ds.xlsx", io.BytesIO(bomb()), XLSX)},
                                      headers=headers["member_a"])
    assert response.status_code == 403, response.text
    assert response.json() == {"error": "forbidden", "message": texts.management.IMPORT_MANAGERS_ONLY}
    assert read == [] and rows_read["rows"] == 0
    assert await session.scalar(select(func.count(Member.id))) == before


async def test_a_refusal_names_a_taken_citizen_id_only_inside_the_callers_organisations(api_client, world, cipher) -> None:
    commune, headers = world
    cell_a = f"{commune.province.name}/{commune.commune.name}/{commune.cells[0].org.name}"
    inside = commune.cells[0].members[1]
    outside = commune.other_cell.members[0]
    row = "{cell},Lò Văn E,01/01/1970,Nam,01/01/1990,01/01/1991,{card},{citizen_id},,Đảng viên,Không,\n"
    rows = (row.format(cell=cell_a, card="NEW1", citizen_id=citizen_id_of(inside, cipher))
            + row.format(cell=cell_a, card="NEW2", citizen_id=citizen_id_of(outside, cipher))
            + row.format(cell=cell_a, card=outside.card_number, citizen_id="001070999999")
            + row.format(cell=cell_a, card="NEW4", citizen_id="001070888888"))
    response = await api_client.post("/api/v1/members/import", headers=headers["secretary_a"],
                                      files={"file": ("ds.csv", io.BytesIO((",".join(HEADER) + "\n" + rows).encode()), "text/csv")})
    assert response.status_code == 422
    reasons = {(e["line"], e["column"]): e["reason"] for e in response.json()["errors"]}
    assert reasons == {
        (2, "Số định danh cá nhân"): texts.management.ROW_CITIZEN_ID_TAKEN,  # a record she manages: said plainly
        (3, "Số định danh cá nhân"): texts.management.ROW_NOT_YOURS,  # a record elsewhere: the neutral refusal
        (4, "Số thẻ đảng viên"): texts.management.ROW_NOT_YOURS,
    }
    assert [e["code"] for e in response.json()["errors"]] == ["citizen_id_taken", "not_yours", "not_yours"]
    # A secretary in one cell learns nothing from a path into the other province either.
    other = f"{commune.other_province.name}/{commune.other_cell.org.name}/Tổ"
    response = await api_client.post("/api/v1/members/import", headers=headers["secretary_a"],
                                      files={"file": ("ds.csv", io.BytesIO((",".join(HEADER) + "\n" + row.format(
                                          cell=other, card="NEW5", citizen_id="001070777777")).encode()), "text/csv")})
    assert [(e["reason"], e["code"]) for e in response.json()["errors"]] == [(texts.management.ROW_OUTSIDE_SCOPE, "outside_scope")]
