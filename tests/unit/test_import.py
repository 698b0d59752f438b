"""Member import: tree creation, idempotence, all-or-nothing validation."""

import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import func, select

from core import texts
from core.orgs.importer import import_members
from core.orgs.models import Member, Org, OrgKind, OrgRole, RoleKind
from core.orgs.service import citizen_id_of, in_subtree, phone_of

FIXTURE = Path(__file__).parent.parent / "fixtures" / "commune.csv"
TODAY = dt.date(2026, 11, 23)


async def counts(session):
    members = await session.scalar(select(func.count(Member.id)))
    orgs = await session.scalar(select(func.count(Org.id)))
    roles = await session.scalar(select(func.count(OrgRole.id)))
    return members, orgs, roles


async def test_import_builds_tree_and_members(session, cipher) -> None:
    report = await import_members(session, FIXTURE, cipher=cipher, today=TODAY)
    assert report.ok and report.created == 8 and report.updated == 0
    commune = (await session.execute(select(Org).where(Org.name == "Đảng bộ xã Mù Cang Chải"))).scalar_one()
    cells = (await session.execute(select(Org).where(in_subtree(commune.path), Org.kind == OrgKind.CELL))).scalars().all()
    assert sorted(c.name for c in cells) == ["Chi bộ thôn Khe Gầy", "Chi bộ thôn Púng Luông", "Chi bộ trường Tiểu học"]
    mai = (await session.execute(select(Member).where(Member.card_number == "01.000002"))).scalar_one()
    assert phone_of(mai, cipher) == "0987654321"  # +84 normalised
    assert citizen_id_of(mai, cipher) == "001185000222"
    dợ = (await session.execute(select(Member).where(Member.card_number == "01.000004"))).scalar_one()
    assert dợ.is_probationary
    thắng = (await session.execute(select(Member).where(Member.card_number == "01.000003"))).scalar_one()
    assert thắng.exempt
    páo = (await session.execute(select(Member).where(Member.card_number == "01.000001"))).scalar_one()
    roles = {(r.role, r.org_id) for r in (await session.execute(select(OrgRole).where(OrgRole.member_id == páo.id))).scalars()}
    assert (RoleKind.SECRETARY, páo.org_id) in roles and (RoleKind.COMMITTEE_MEMBER, commune.id) in roles


async def test_second_import_changes_nothing(session, cipher) -> None:
    await import_members(session, FIXTURE, cipher=cipher, today=TODAY)
    before = await counts(session)
    blobs = {m.card_number: m.citizen_id_encrypted for m in (await session.execute(select(Member))).scalars()}
    report = await import_members(session, FIXTURE, cipher=cipher, today=TODAY)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 8)
    assert await counts(session) == before
    # Unchanged rows are not even re-encrypted.
    assert blobs == {m.card_number: m.citizen_id_encrypted for m in (await session.execute(select(Member))).scalars()}


async def test_reimport_updates_changed_rows(session, cipher, tmp_path) -> None:
    await import_members(session, FIXTURE, cipher=cipher, today=TODAY)
    changed = tmp_path / "changed.csv"
    changed.write_text(FIXTURE.read_text(encoding="utf-8").replace("Lý Thị Sinh,08/08/1980,Nữ,19/05/2005,19/05/2006,01.000006,001180000666,0977000666,Đảng viên",
                                                                  "Lý Thị Sinh,08/08/1980,Nữ,19/05/2005,19/05/2006,01.000006,001180000666,0977999666,Phó bí thư"), encoding="utf-8")
    report = await import_members(session, changed, cipher=cipher, today=TODAY)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 7)
    sinh = (await session.execute(select(Member).where(Member.card_number == "01.000006"))).scalar_one()
    assert phone_of(sinh, cipher) == "0977999666"
    roles = [r.role for r in (await session.execute(select(OrgRole).where(OrgRole.member_id == sinh.id))).scalars()]
    assert roles == [RoleKind.DEPUTY]


async def test_bad_row_imports_nothing_and_names_line_and_column(session, cipher, tmp_path) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("001050000333", "00105000033")  # 11 digits
    lines[5] = lines[5].replace("05/05/1972", "31/02/1972")  # impossible date
    lines[6] = lines[6].replace("0977000666", "0123")  # not Vietnamese
    lines[7] = lines[7].replace("Bí thư", "Chủ tịch")  # unknown role
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = await import_members(session, bad, cipher=cipher, today=TODAY)
    assert not report.imported
    assert await counts(session) == (0, 0, 0)
    found = {(e.line, e.column) for e in report.errors}
    assert found == {(4, "Số định danh cá nhân"), (6, "Ngày sinh"), (7, "Số điện thoại"), (8, "Vai trò")}
    # Each reason in Vietnamese for the secretary, with a stable English code beside it for programs.
    reasons = {e.line: (e.code, e.reason) for e in report.errors}
    assert reasons[4] == ("citizen_id_invalid", "Số định danh phải gồm đúng 12 chữ số; tệp ghi 11 ký tự.")
    assert reasons[6] == ("date_invalid", texts.management.ROW_REASONS["date_invalid"].format(value="31/02/1972"))
    assert reasons[7] == ("phone_invalid", "Không phải số điện thoại Việt Nam.")
    assert reasons[8] == ("role_invalid", "Vai trò «Chủ tịch» không có; ghi Đảng viên, Bí thư hoặc Phó bí thư.")
    assert str(report.errors[0]) == "Dòng 4, cột Số định danh cá nhân: " + reasons[4][1]


async def test_skip_invalid_imports_the_rest(session, cipher, tmp_path) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("001050000333", "00105000033")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = await import_members(session, bad, cipher=cipher, today=TODAY, skip_invalid=True)
    assert report.imported and report.created == 7 and len(report.errors) == 1


async def test_missing_column_is_reported(session, cipher, tmp_path) -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace("Số thẻ đảng viên", "Ghi chú")
    bad = tmp_path / "missing.csv"
    bad.write_text(text, encoding="utf-8")
    report = await import_members(session, bad, cipher=cipher, today=TODAY)
    assert not report.imported
    assert [(e.line, e.column) for e in report.errors] == [(1, "Số thẻ đảng viên")]


async def test_xlsx_with_english_headers(session, cipher, tmp_path) -> None:
    import csv

    import openpyxl

    rows = list(csv.reader(FIXTURE.read_text(encoding="utf-8").splitlines()))
    rows[0] = ["org_path", "full_name", "date_of_birth", "gender", "joined_on", "official_on", "card_number",
               "citizen_id", "phone", "role", "exempt", "committee_of"]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for index, row in enumerate(rows):
        if index > 0:
            row[2] = dt.datetime.strptime(row[2], "%d/%m/%Y")  # Excel stores real dates
        sheet.append(row)
    path = tmp_path / "members.xlsx"
    workbook.save(path)
    report = await import_members(session, path, cipher=cipher, today=TODAY)
    assert report.ok and report.created == 8


async def test_unknown_file_type_is_refused(session, cipher, tmp_path) -> None:
    import pytest

    from core.orgs.importer import ImportFileError

    exe = tmp_path / "members.exe"
    shutil.copy(FIXTURE, exe)
    with pytest.raises(ImportFileError):
        await import_members(session, exe, cipher=cipher, today=TODAY)


def _workbook() -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Họ và tên", "Số thẻ đảng viên"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_uploaded_list_is_taken_only_as_csv_or_xlsx_by_name_and_content() -> None:
    import pytest

    from core.errors import InvalidInput, UnsupportedFileType
    from core.orgs.management import check_import_file

    text = FIXTURE.read_bytes()
    assert check_import_file("Danh sách.CSV", text) == ".csv"
    assert check_import_file("ds.txt", "\ufeffHọ và tên;Số thẻ\n".encode()) == ".txt"
    # Bytes of a Windows code page (what Excel often writes) are text too.
    assert check_import_file("ds.csv", b"Ten,So the\nL\xf2 V\xe3n P\xe1o,1\n") == ".csv"
    # A stray NUL in one cell is left for the rows' own check, which names the cell.
    assert check_import_file("ds.csv", text.replace("Lò".encode(), "L\x00ò".encode(), 1)) == ".csv"
    assert check_import_file("ds.xlsx", _workbook()) == ".xlsx"
    for name, content in (
        ("ds.pdf", b"%PDF-1.4"),
        ("ds", text),
        ("ds.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"),  # a program renamed .csv
        ("ds.csv", _workbook()),  # a workbook renamed .csv
        ("ds.txt", "Họ và tên".encode("utf-16")),
        ("ds.xlsx", text),
        ("ds.xlsx", b"PK\x03\x04 broken"),
    ):
        with pytest.raises(UnsupportedFileType) as refusal:
            check_import_file(name, content)
        assert refusal.value.status == 415 and refusal.value.code == "unsupported_file_type", name
    with pytest.raises(InvalidInput) as empty:
        check_import_file("ds.csv", b"")
    assert not isinstance(empty.value, UnsupportedFileType)
