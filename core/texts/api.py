"""Refusals of the REST API that people read (integrators show them to secretaries)."""

TOKEN_REQUIRED = "Cần mã truy cập cá nhân (Authorization: Bearer …). Tạo mã bằng lệnh «sotay token create»."
TOKEN_INVALID = "Mã truy cập không đúng, đã hết hạn hoặc đã bị thu hồi."
RATE_LIMITED = "Quá nhiều yêu cầu. Đồng chí vui lòng thử lại sau {seconds} giây."
TOO_LARGE = "Tệp hoặc nội dung gửi lên quá lớn (tối đa {megabytes} MB)."
INVALID_REQUEST = "Yêu cầu không hợp lệ. Đồng chí kiểm tra lại các trường được liệt kê."
REVEAL_FORBIDDEN = "Chỉ bí thư, phó bí thư hoặc cấp ủy quản lý đảng viên này mới xem được số đầy đủ."
METRICS_FORBIDDEN = "Số liệu vận hành chỉ xem được từ máy chủ hoặc với mã SOTAY_METRICS_TOKEN."
