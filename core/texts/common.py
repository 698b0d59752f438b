"""Words shared by every screen."""

APOLOGY = "Xin lỗi đồng chí, hệ thống vừa gặp trục trặc. Đồng chí vui lòng thử lại sau ít phút."
NOT_LINKED = (
    "Tài khoản này chưa được liên kết với hồ sơ đảng viên. "
    "Đồng chí bấm nút «📱 Gửi số điện thoại» bên dưới, hoặc mở đường liên kết mời mà bí thư chi bộ đã gửi."
)
# Anything typed outside a flow that is neither a question about meetings nor something to send: the menu, one line of help.
CHOOSE_A_BUTTON = (
    "Sổ tay chưa hiểu tin nhắn này. Đồng chí chọn một nút bên dưới: 📅 <b>Lịch họp</b> để xem và trả lời thư mời, "
    "📜 <b>Nghị quyết</b> để đọc và nghe văn kiện, ✍️ <b>Góp ý</b> để gửi ý kiến tới chi bộ."
)
COMING_SOON = "Chức năng «{feature}» đang được hoàn thiện và sẽ có trong thời gian tới. Mong đồng chí thông cảm."
FORBIDDEN = "Đồng chí không có quyền thực hiện thao tác này."
NOT_FOUND = "Không tìm thấy nội dung này. Có thể nó đã bị xóa hoặc đồng chí đã bấm một nút cũ."
STALE_BUTTON = "Nút này đã cũ. Đồng chí vui lòng mở lại từ menu chính."
MEDIA_GONE = "\n\n<i>(Tin nhắn thoại hoặc ảnh kèm theo không còn mở được trên Telegram; đồng chí vui lòng hỏi trực tiếp nếu cần.)</i>"
BUTTON_INVALID = "Nút này không hợp lệ nên Sổ tay không thực hiện được. Đồng chí vui lòng mở lại từ menu chính."
CANCELLED = "Đã hủy."
BACK = "⬅️ Quay lại"
CANCEL = "✖️ Hủy"
CONFIRM = "✅ Xác nhận"
YES = "Có"
NO = "Không"
TOO_FAST = "Đồng chí thao tác hơi nhanh. Xin vui lòng đợi một chút rồi thử lại."
UNSUPPORTED_MESSAGE = "Sổ tay chưa hiểu loại tin nhắn này. Đồng chí vui lòng chọn một nút bên dưới."

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
GENDERS = {"male": "Nam", "female": "Nữ"}
