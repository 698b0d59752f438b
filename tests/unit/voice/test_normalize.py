"""The normaliser, phrase by phrase, as a Vietnamese listener expects to hear it."""

import pytest

from voice.normalize import load_abbreviations, normalize
from voice.numbers import read_number

NUMBERS = [
    (0, "không"), (1, "một"), (4, "bốn"), (5, "năm"), (10, "mười"), (11, "mười một"), (14, "mười bốn"),
    (15, "mười lăm"), (20, "hai mươi"), (21, "hai mươi mốt"), (24, "hai mươi tư"), (25, "hai mươi lăm"),
    (55, "năm mươi lăm"), (101, "một trăm linh một"), (105, "một trăm linh năm"), (110, "một trăm mười"),
    (115, "một trăm mười lăm"), (339, "ba trăm ba mươi chín"), (1000, "một nghìn"), (1001, "một nghìn không trăm linh một"),
    (2025, "hai nghìn không trăm hai mươi lăm"), (1975, "một nghìn chín trăm bảy mươi lăm"),
    (10_000, "mười nghìn"), (15_000, "mười lăm nghìn"), (100_500, "một trăm nghìn năm trăm"),
    (1_500_000, "một triệu năm trăm nghìn"), (1_000_005, "một triệu không trăm linh năm"),
    (2_000_000_000, "hai tỷ"), (5_600_000, "năm triệu sáu trăm nghìn"), (472_000, "bốn trăm bảy mươi hai nghìn"),
    (1_234_567_890, "một tỷ hai trăm ba mươi tư triệu năm trăm sáu mươi bảy nghìn tám trăm chín mươi"),
]


@pytest.mark.parametrize(("number", "spoken"), NUMBERS)
def test_numbers(number: int, spoken: str) -> None:
    assert read_number(number) == spoken


PHRASES = [
    # thousands separators, decimals, percentages
    ("Tổng thu 1.500.000 đồng.", "Tổng thu một triệu năm trăm nghìn đồng."),
    ("Dân số 5.600.000 người", "Dân số năm triệu sáu trăm nghìn người"),
    ("tăng 3,5 lần", "tăng ba phẩy năm lần"),
    ("đạt 12,5%", "đạt mười hai phẩy năm phần trăm"),
    ("tỷ lệ 100%", "tỷ lệ một trăm phần trăm"),
    ("giảm 0,05 điểm", "giảm không phẩy không năm điểm"),
    ("hơn 95% đảng viên", "hơn chín mươi lăm phần trăm đảng viên"),
    ("ngân sách 2.000.000.000 đồng", "ngân sách hai tỷ đồng"),
    ("146 đảng viên, 44 miễn sinh hoạt", "một trăm bốn mươi sáu đảng viên, bốn mươi tư miễn sinh hoạt"),
    # dates
    ("ngày 10/7/2025", "ngày mười tháng bảy năm hai nghìn không trăm hai mươi lăm"),
    ("Hà Nội, 12/02/2026", "Hà Nội, ngày mười hai tháng hai năm hai nghìn không trăm hai mươi sáu"),
    ("ban hành ngày 30-7-2021", "ban hành ngày ba mươi tháng bảy năm hai nghìn không trăm hai mươi mốt"),
    ("ngày 29-10", "ngày hai mươi chín tháng mười"),
    ("ngày 3/2 hằng năm", "ngày ba tháng hai hằng năm"),
    ("từ 1/7 đến 15/7", "từ ngày một tháng bảy đến ngày mười lăm tháng bảy"),
    ("tháng 2/2022", "tháng hai năm hai nghìn không trăm hai mươi hai"),
    ("tháng 4 năm nay", "tháng tư năm nay"),
    ("trong tháng 12", "trong tháng mười hai"),
    ("giai đoạn 2021-2025", "giai đoạn hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi lăm"),
    ("nhiệm kỳ 2020 - 2025", "nhiệm kỳ hai nghìn không trăm hai mươi đến hai nghìn không trăm hai mươi lăm"),
    ("năm 2025", "năm hai nghìn không trăm hai mươi lăm"),
    ("sáng 4/12", "sáng ngày bốn tháng mười hai"),
    ("hạn chót 31/12/2026", "hạn chót ngày ba mươi mốt tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    # times
    ("họp lúc 19h30", "họp lúc mười chín giờ ba mươi phút"),
    ("bắt đầu 19h", "bắt đầu mười chín giờ"),
    ("lúc 7:30 sáng", "lúc bảy giờ ba mươi phút sáng"),
    ("7 giờ 30 phút", "bảy giờ ba mươi phút"),
    ("từ 8h00 đến 11h30", "từ tám giờ đến mười một giờ ba mươi phút"),
    # Roman numerals and ordinals
    ("Ban Chấp hành Trung ương Đảng khóa XIII", "Ban Chấp hành Trung ương Đảng khóa mười ba"),
    ("Đại hội XIV của Đảng", "Đại hội mười bốn của Đảng"),
    ("Chương II, Mục 3", "Chương hai, Mục ba"),
    ("Phần IV", "Phần bốn"),
    ("Hội nghị Trung ương 8 khóa XIII", "Hội nghị Trung ương tám khóa mười ba"),
    ("lần thứ 4", "lần thứ tư"),
    ("lần thứ IV", "lần thứ tư"),
    ("thứ 1", "thứ nhất"),
    ("Thứ 7 tuần này", "Thứ bảy tuần này"),
    ("Đại hội đại biểu toàn quốc lần thứ XIV", "Đại hội đại biểu toàn quốc lần thứ mười bốn"),
    # document codes
    ("Nghị quyết số 21-NQ/TW", "Nghị quyết số hai mươi mốt nghị quyết trung ương"),
    ("Quy định 339-QĐ/TW", "Quy định ba trăm ba mươi chín quy định trung ương"),
    ("Quyết định số 339-QĐ/TW", "Quyết định số ba trăm ba mươi chín quyết định trung ương"),
    ("Kế hoạch 168-KH/VPTW", "Kế hoạch một trăm sáu mươi tám kế hoạch văn phòng trung ương"),
    ("Nghị quyết 151/NQ-HĐBCQG", "Nghị quyết một trăm năm mươi mốt nghị quyết hội đồng bầu cử quốc gia"),
    ("Kế hoạch 12-KH/ĐU", "Kế hoạch mười hai kế hoạch đảng ủy"),
    ("Kế hoạch 98-KH/HU", "Kế hoạch chín mươi tám kế hoạch huyện ủy"),
    ("Đề án 11-ĐA/TU", "Đề án mười một đề án tỉnh ủy"),
    ("Chỉ thị 05-CT/TW", "Chỉ thị năm chỉ thị trung ương"),
    ("Kết luận 01-KL/TW", "Kết luận một kết luận trung ương"),
    ("Hướng dẫn 02-HD/BTCTW", "Hướng dẫn hai hướng dẫn ban tổ chức trung ương"),
    ("Thông báo 45-TB/CB", "Thông báo bốn mươi lăm thông báo chi bộ"),
    ("Công văn 123-CV/ThU", "Công văn một trăm hai mươi ba công văn thành ủy"),
    # abbreviations
    ("BCH Trung ương", "ban chấp hành Trung ương"),
    ("UBND xã", "ủy ban nhân dân xã"),
    ("HĐND tỉnh", "hội đồng nhân dân tỉnh"),
    ("MTTQ Việt Nam", "mặt trận tổ quốc Việt Nam"),
    ("ĐBQH khóa XV", "đại biểu quốc hội khóa mười lăm"),
    ("TPHCM", "thành phố hồ chí minh"),
    ("phát triển KT-XH", "phát triển kinh tế - xã hội"),
    ("bảo đảm QP-AN", "bảo đảm quốc phòng - an ninh"),
    ("BTV Tỉnh ủy", "ban thường vụ Tỉnh ủy"),
    ("xây dựng CNXH", "xây dựng chủ nghĩa xã hội"),
    ("Ban Tổ chức TW", "Ban Tổ chức trung ương"),
    ("NTM nâng cao", "nông thôn mới nâng cao"),
    # phones
    ("gọi 0912 345 602", "gọi không chín một hai ba bốn năm sáu không hai"),
    ("số 0987654321", "số không chín tám bảy sáu năm bốn ba hai một"),
    # punctuation and whitespace
    ("Đồng chí chú ý!  Họp   ngay.", "Đồng chí chú ý! Họp ngay."),
    ("“Xây dựng Đảng”", "Xây dựng Đảng"),
]


@pytest.mark.parametrize(("text", "spoken"), PHRASES)
def test_phrases(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


def test_a_realistic_paragraph() -> None:
    text = ("Thực hiện Nghị quyết số 21-NQ/TW ngày 16/6/2022 của BCH Trung ương Đảng khóa XIII, "
            "năm 2025 chi bộ kết nạp 3 đảng viên, đạt 150% kế hoạch; 98,5% đảng viên được xếp loại hoàn thành tốt nhiệm vụ.")
    spoken = normalize(text)
    assert spoken == (
        "Thực hiện Nghị quyết số hai mươi mốt nghị quyết trung ương ngày mười sáu tháng sáu năm hai nghìn không trăm "
        "hai mươi hai của ban chấp hành Trung ương Đảng khóa mười ba, năm hai nghìn không trăm hai mươi lăm chi bộ kết nạp "
        "ba đảng viên, đạt một trăm năm mươi phần trăm kế hoạch; chín mươi tám phẩy năm phần trăm đảng viên được xếp loại "
        "hoàn thành tốt nhiệm vụ."
    )
    assert not any(ch.isdigit() for ch in spoken)


def test_operators_extend_the_dictionary(tmp_path) -> None:
    extra = tmp_path / "extra.tsv"
    extra.write_text("# local words\nHTX\thợp tác xã\nUBND\tủy ban nhân dân (sửa)\n", encoding="utf-8")
    words = load_abbreviations(extra)
    assert normalize("HTX và UBND", abbreviations=words) == "hợp tác xã và ủy ban nhân dân (sửa)"
    assert normalize("HTX") == "HTX"  # defaults untouched
