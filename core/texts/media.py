"""The listen / download pages behind the links a channel without voice or files (Zalo) sends."""

PAGE_TITLE = "Sổ tay đảng viên"
PLAY = "▶"
PLAY_LABEL = "Bấm để nghe"
PAUSE_LABEL = "Tạm dừng"
PLAY_HINT = "Bấm nút ▶ để nghe. Có thể kéo thanh bên dưới để nghe lại."
NO_AUDIO_SUPPORT = "Trình duyệt này chưa phát được âm thanh. Đồng chí vui lòng mở bằng Chrome hoặc Safari."
DOWNLOAD = "⬇ Tải tài liệu về máy"
DOWNLOAD_AUDIO = "⬇ Tải bài nghe về máy"
PHOTO_ALT = "Ảnh đính kèm"
VALID_UNTIL = "Đường liên kết này dùng được đến {until}."
EXPIRED_TITLE = "Đường liên kết đã hết hạn"
EXPIRED = (
    "Đường liên kết này đã hết hạn để giữ an toàn thông tin. "
    "Đồng chí vui lòng mở lại mục đó trong Sổ tay để nhận đường liên kết mới, hoặc hỏi bí thư chi bộ."
)
NOT_FOUND_TITLE = "Không mở được đường liên kết"
NOT_FOUND = (
    "Đường liên kết không đúng hoặc không còn dùng được. "
    "Đồng chí vui lòng mở lại đúng tin nhắn của Sổ tay, hoặc hỏi bí thư chi bộ."
)
