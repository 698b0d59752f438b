"""Meeting documents by name, size and content; CSV/XLSX exports; the PNG chart."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook

from core import texts
from core.errors import InvalidInput, UnsupportedFileType
from core.meetings import charts, documents, export
from core.meetings.models import AbsenceReason, Answer, MeetingKind, MeetingStatus
from core.meetings.stats import DetailRow, MemberStats, MonthStats, PeriodStats, Totals
from core.orgs.models import Org, OrgKind


def office(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/main.xml", "<x/>")
    return buffer.getvalue()


GOOD = {
    "nghi-quyet.pdf": b"%PDF-1.4\n...",
    "bien-ban.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
    "du-thao.DOCX": office("word"),
    "bang-diem.xlsx": office("xl"),
    "anh.jpg": b"\xff\xd8\xff\xe0" + b"\0" * 50,
    "anh.jpeg": b"\xff\xd8\xff\xdb" + b"\0" * 50,
    "so-do.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 50,
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_accepted_files(name: str) -> None:
    assert documents.check_content(name, GOOD[name]).value == "document"


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("setup.exe", b"MZ\x90\0", "chỉ nhận"),
        ("virus.pdf.exe", b"MZ\x90\0", "chỉ nhận"),
        ("script.js", b"alert(1)", "chỉ nhận"),
        ("khong-duoi", b"%PDF-", "chỉ nhận"),
        ("nghi-quyet.pdf", b"MZ\x90\0", "nội dung không đúng"),
        ("du-thao.docx", office("xl"), "nội dung không đúng"),  # a spreadsheet renamed .docx
        ("du-thao.docx", b"PK\x03\x04broken", "nội dung không đúng"),
        ("bang.xlsx", office("word"), "nội dung không đúng"),
        ("anh.png", GOOD["anh.jpg"], "nội dung không đúng"),
        ("rong.pdf", b"", "không có nội dung"),
    ],
)
def test_refused_files(name: str, content: bytes, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment) as refusal:
        documents.check_content(name, content)
    # A type Sổ tay does not take is its own kind of refusal (the API's 415); an empty file is not.
    assert isinstance(refusal.value, UnsupportedFileType) == (fragment != "không có nội dung")
    assert refusal.value.status == (415 if fragment != "không có nội dung" else 422)


def test_size_is_checked_before_downloading() -> None:
    with pytest.raises(InvalidInput, match="50,0 MB") as refusal:
        documents.check_metadata("lon.pdf", 50 * 1024 * 1024)
    assert "20 MB" in refusal.value.message
    assert documents.check_metadata("vua.pdf", 20 * 1024 * 1024) == "application/pdf"
    with pytest.raises(InvalidInput):
        documents.check_metadata("<b>x</b>.exe", 10)


def test_file_names_are_escaped_and_cleaned() -> None:
    with pytest.raises(InvalidInput) as refusal:
        documents.check_metadata("<script>.exe", 10)
    assert "&lt;script&gt;" in refusal.value.message
    assert documents.clean_filename("C:\\Users\\a\\Nghị quyết.pdf") == "Nghị quyết.pdf"
    assert documents.clean_filename("../../etc/passwd.pdf") == "passwd.pdf"


def _period() -> PeriodStats:
    cell = Org(id=4, name="Chi bộ thôn Khe Gầy", kind=OrgKind.CELL, path="/1/2/4/")
    months = [
        MonthStats(month=dt.date(2026, 10, 1)),
        MonthStats(month=dt.date(2026, 11, 1), meetings=1, invited=8, present=6, absent_excused=1, absent_unexcused=1),
        MonthStats(month=dt.date(2026, 12, 1), meetings=1, invited=8, present=3, absent_excused=2, absent_unexcused=3),
    ]
    totals = Totals(meetings=2, invited=16, present=9, absent_excused=3, absent_unexcused=4)
    return PeriodStats(org=cell, start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31), totals=totals, months=months)


ROW = DetailRow(
    starts_at=dt.datetime(2026, 12, 5, 12, 30, tzinfo=dt.timezone.utc), kind=MeetingKind.REGULAR, status=MeetingStatus.HELD,
    cell_name="Chi bộ thôn Khe Gầy", member_name="=HYPERLINK(\"http://x\")", card_number="CARD1", answer=Answer.EXCUSED,
    reason_kind=AbsenceReason.OTHER, reason_text="+đi viện", has_voice_reason=False, present=False,
)


def test_csv_is_excel_friendly_and_neutralises_formulas() -> None:
    data = export.detail_csv([ROW])
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(texts.meetings.EXPORT_DETAIL_HEADERS)
    assert lines[1].startswith("05/12/2026,19:30,Sinh hoạt chi bộ thường kỳ,Chi bộ thôn Khe Gầy,\"'=HYPERLINK(\"\"http://x\"\")\"")
    assert "'+đi viện" in lines[1] and lines[1].endswith("Vắng")


def test_workbook_has_months_members_and_detail() -> None:
    member = MemberStats(member_id=1, name="Nguyễn Văn An", card_number="C1", cell_name="Chi bộ", meetings=2, invited=2, present=1,
                         absent_unexcused=1, months={dt.date(2026, 12, 1): Totals(meetings=1, invited=1, present=1)})
    book = load_workbook(io.BytesIO(export.workbook(_period(), [member], [ROW])))
    months = book[texts.meetings.SHEET_MONTHS]
    assert [c.value for c in months[1]] == list(texts.meetings.EXPORT_MONTH_HEADERS)
    assert [c.value for c in months[3]][:4] == ["11/2026", 1, 8, 6]
    people = book[texts.meetings.SHEET_MEMBERS]
    assert [c.value for c in people[1]][-3:] == ["10/2026", "11/2026", "12/2026"]
    assert [c.value for c in people[2]][-3:] == [None, None, "1/1"]
    assert book[texts.meetings.SHEET_DETAIL]["E2"].value.startswith("'=")


def test_chart_is_a_png() -> None:
    png = charts.attendance_chart(_period())
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    empty = _period()
    empty.months = [MonthStats(month=dt.date(2026, 12, 1))]
    assert charts.attendance_chart(empty).startswith(b"\x89PNG")
