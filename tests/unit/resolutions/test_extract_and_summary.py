"""Text from PDF/DOCX/TXT with their limits, the draft summary, and diacritic-free folding."""

from __future__ import annotations

import io
import zipfile

import pytest

from core import texts
from core.errors import InvalidInput
from core.resolutions import extract
from core.resolutions.search import fold, query_tokens
from core.resolutions.summarize import split_sentences, summarize
from tests.unit.resolutions.helpers import docx_bytes, pdf_scanned, pdf_with_text, zip_bomb

RESOLUTION = """ĐẢNG CỘNG SẢN VIỆT NAM
BAN CHẤP HÀNH TRUNG ƯƠNG
Số 21-NQ/TW
Hà Nội, ngày 16 tháng 6 năm 2022

NGHỊ QUYẾT
về tăng cường củng cố, xây dựng tổ chức cơ sở đảng và nâng cao chất lượng đội ngũ đảng viên

I. TÌNH HÌNH VÀ NGUYÊN NHÂN
Thời gian qua, các cấp ủy, tổ chức đảng đã quan tâm lãnh đạo, chỉ đạo củng cố, xây dựng tổ chức cơ sở đảng và nâng cao chất lượng đội ngũ đảng viên. Hệ thống tổ chức cơ sở đảng được kiện toàn, phù hợp với mô hình tổ chức của hệ thống chính trị. Năng lực lãnh đạo, sức chiến đấu của tổ chức cơ sở đảng từng bước được nâng lên. Công tác phát triển đảng viên được quan tâm, mỗi năm kết nạp trên 150.000 đảng viên. Tuy nhiên, năng lực lãnh đạo của một số tổ chức cơ sở đảng còn hạn chế. Chất lượng sinh hoạt chi bộ ở nhiều nơi chưa cao, nội dung sinh hoạt còn đơn điệu.
II. MỤC TIÊU
Mục tiêu tổng quát là tăng cường củng cố, xây dựng tổ chức cơ sở đảng vững mạnh về chính trị, tư tưởng, đạo đức, tổ chức và cán bộ. Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ trở lên. Hằng năm có trên 90% đảng viên hoàn thành tốt nhiệm vụ trở lên. Tỉ lệ kết nạp đảng viên mới hằng năm đạt từ 3 đến 4% tổng số đảng viên.
III. NHIỆM VỤ VÀ GIẢI PHÁP
Nâng cao nhận thức, trách nhiệm của cấp ủy, tổ chức đảng và đảng viên về củng cố, xây dựng tổ chức cơ sở đảng. Đổi mới, nâng cao chất lượng sinh hoạt chi bộ, thực hiện nghiêm nguyên tắc tập trung dân chủ. Tăng cường công tác quản lý đảng viên, ứng dụng công nghệ thông tin, xây dựng sổ tay đảng viên điện tử. Thực hiện tốt công tác phát triển đảng viên, chú trọng kết nạp đảng viên là người dân tộc thiểu số. Các cấp ủy thường xuyên kiểm tra, giám sát việc thực hiện Nghị quyết tại TP. Hồ Chí Minh, v.v. và các tỉnh.
"""


# ---------------------------------------------------------------- folding


def test_fold_removes_diacritics_and_d_stroke() -> None:
    assert fold("Nghị quyết số 21-NQ/TW về Đảng viên") == "nghi quyet so 21 nq tw ve dang vien"
    assert fold("QUY ĐỊNH 339-QĐ/TW") == "quy dinh 339 qd tw"
    assert fold("Ủy ban  nhân dân,  TPHCM!") == "uy ban nhan dan tphcm"


def test_query_tokens_are_folded_distinct_and_bounded() -> None:
    assert set(query_tokens("Nghị quyết nghi QUYET 21")) == {"nghi", "quyet", "21"}
    assert query_tokens("  %_'; --  ") == []
    assert len(query_tokens(" ".join(f"t{i}" for i in range(50)))) == 8


# ---------------------------------------------------------------- summary


def test_sentences_keep_numbers_and_abbreviations_whole() -> None:
    sentences = [s.text for s in split_sentences("Kết nạp trên 150.000 đảng viên. Tại TP. Hồ Chí Minh, v.v. và các tỉnh. Tỉ lệ 2,5% mỗi năm!")]
    assert sentences == ["Kết nạp trên 150.000 đảng viên.", "Tại TP. Hồ Chí Minh, v.v. và các tỉnh.", "Tỉ lệ 2,5% mỗi năm!"]


def test_summary_is_five_to_eight_sentences_of_the_text_in_order() -> None:
    summary = summarize(RESOLUTION)
    lines = summary.split("\n")
    assert 5 <= len(lines) <= 8
    for line in lines:
        assert line in RESOLUTION  # extractive: the document's own words
    positions = [RESOLUTION.index(line) for line in lines]
    assert positions == sorted(positions)
    assert not any("ĐẢNG CỘNG SẢN" in line or "Hà Nội, ngày" in line or line.isupper() for line in lines)
    assert any("2030" in line for line in lines)  # the target carries weight


def test_summary_of_a_short_or_empty_text() -> None:
    assert summarize("") == ""
    short = "Chi bộ họp vào ngày mùng 4 hàng tháng tại nhà văn hóa thôn. Đề nghị các đồng chí đến đúng giờ."
    assert summarize(short).split("\n") == [
        "Chi bộ họp vào ngày mùng 4 hàng tháng tại nhà văn hóa thôn.", "Đề nghị các đồng chí đến đúng giờ."
    ]


# ---------------------------------------------------------------- files


def test_pdf_text_is_extracted() -> None:
    data = pdf_with_text(["Nghi quyet ve cong tac dang vien nam 2026.\nCac chi bo thuc hien nghiem tuc va day du.", "Trang hai co them noi dung quan trong."])
    result = extract.extract_text(data, filename="nq.pdf")
    assert result.kind == "pdf" and result.pages == 2
    assert "Nghi quyet ve cong tac dang vien" in result.text and "Trang hai" in result.text


def test_a_scanned_pdf_asks_for_the_text() -> None:
    with pytest.raises(InvalidInput) as refused:
        extract.extract_text(pdf_scanned(3), filename="scan.pdf")
    assert refused.value.message == texts.resolutions.PDF_SCANNED


def test_a_pdf_over_the_page_limit_is_refused_before_reading() -> None:
    data = pdf_with_text(["Trang."] * (extract.MAX_PAGES + 100))
    with pytest.raises(InvalidInput) as refused:
        extract.extract_text(data, filename="dai.pdf")
    assert str(extract.MAX_PAGES + 100) in refused.value.message and str(extract.MAX_PAGES) in refused.value.message


def test_a_damaged_pdf_is_refused_plainly() -> None:
    with pytest.raises(InvalidInput) as refused:
        extract.extract_text(b"%PDF-1.4\n garbage without objects", filename="x.pdf")
    assert refused.value.message == texts.resolutions.PDF_UNREADABLE


def test_docx_paragraphs_in_order() -> None:
    data = docx_bytes(["Kế hoạch 12-KH/ĐU", "Các chi bộ tổ chức học tập trong tháng 12.", "Báo cáo kết quả trước ngày 25."])
    result = extract.extract_text(data, filename="kh.docx")
    assert result.kind == "docx"
    assert result.text.split("\n") == ["Kế hoạch 12-KH/ĐU", "Các chi bộ tổ chức học tập trong tháng 12.", "Báo cáo kết quả trước ngày 25."]


def test_a_zip_bomb_is_refused_from_its_directory() -> None:
    bomb = zip_bomb(200)
    assert len(bomb) < 1024 * 1024  # tiny on the wire
    with pytest.raises(InvalidInput) as refused:
        extract.extract_text(bomb, filename="nghi-quyet.docx")
    assert refused.value.message == texts.resolutions.DOCX_BOMB


def test_a_highly_compressed_entry_is_refused_even_under_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = zip_bomb(30)  # 30 MB, under the total limit, but ~1000:1
    with pytest.raises(InvalidInput) as refused:
        extract.extract_text(bomb, filename="x.docx")
    assert refused.value.message == texts.resolutions.DOCX_BOMB


def test_old_doc_pictures_and_empty_files_are_refused() -> None:
    with pytest.raises(InvalidInput) as old:
        extract.extract_text(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, filename="cu.doc")
    assert old.value.message == texts.resolutions.FILE_OLD_DOC
    with pytest.raises(InvalidInput) as picture:
        extract.extract_text(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", filename="anh.png")
    assert picture.value.message == texts.resolutions.FILE_UNSUPPORTED
    with pytest.raises(InvalidInput):
        extract.extract_text(b"", filename="trong.txt")
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("photo.jpg", b"not a document")
    with pytest.raises(InvalidInput) as other_zip:
        extract.extract_text(plain_zip.getvalue(), filename="a.docx")
    assert other_zip.value.message == texts.resolutions.FILE_UNSUPPORTED
    with pytest.raises(InvalidInput) as broken:
        extract.extract_text(zip_bomb(1), filename="hong.docx")  # passes the checks, but is no Word file
    assert broken.value.message == texts.resolutions.DOCX_UNREADABLE


def test_text_files_in_utf8_utf16_and_windows_vietnamese() -> None:
    assert extract.extract_text("Nghị quyết\r\nsố 21".encode("utf-8-sig")).text == "Nghị quyết\nsố 21"
    assert extract.extract_text("Đảng viên".encode("utf-16")).text == "Đảng viên"
    assert extract.extract_text("Chi bo".encode("cp1258")).text == "Chi bo"


def test_too_large_and_too_long() -> None:
    with pytest.raises(InvalidInput):
        extract.extract_text(b"a" * (extract.MAX_FILE_BYTES + 1))
    with pytest.raises(InvalidInput) as long:
        extract.extract_text(("Một câu. " * 60_000).encode())
    assert "ký tự" in long.value.message


def test_binary_without_nul_bytes_is_not_taken_for_text() -> None:
    from core.resolutions.extract import extract_text

    with pytest.raises(InvalidInput) as refused:
        extract_text(b"\x89PNG\r\n\x1a\n\x1b\x02IHDR\x7f\x03\x01\x02\x05" * 3, filename="anh.png")
    assert refused.value.message == texts.resolutions.FILE_UNSUPPORTED
    assert extract_text("Nghị quyết\tsố 21\r\nvề Đảng viên\f".encode(), filename="nq.txt").kind == "txt"


def test_zip_limits_total_declared_size_and_overall_ratio() -> None:
    import os

    def archive(entries: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as out:
            for name, data in entries.items():
                out.writestr(name, data)
        return buffer.getvalue()

    # Incompressible, so the ratio is ~1, but 21 MB declared: refused before anything is inflated.
    too_big = archive({"word/document.xml": b"<w/>", "word/media/a.bin": os.urandom(21 * 1024 * 1024)})
    with pytest.raises(InvalidInput) as refused:
        extract.check_zip(too_big)
    assert refused.value.message == texts.resolutions.DOCX_BOMB
    # Many small entries, none over 1 MB, together 160:1.
    many = archive({"word/document.xml": b"<w/>", **{f"word/p{i}.xml": b"\0" * 512 * 1024 for i in range(8)}})
    with pytest.raises(InvalidInput):
        extract.check_zip(many)
    # An ordinary document passes.
    assert extract.check_zip(docx_bytes(["Nghị quyết số 21-NQ/TW"] * 50)) is not None
