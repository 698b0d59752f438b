"""Messages the delivery machinery itself sends."""

MEMBER_UNREACHABLE = (
    "⚠️ Sổ tay không gửi được tin nhắn tới đồng chí <b>{name}</b> ({cell}): tài khoản Telegram "
    "đã chặn Sổ tay hoặc không còn hoạt động.\n"
    "Đồng chí vui lòng liên hệ trực tiếp (gọi điện) để báo tin, và nhắc đồng chí ấy mở lại Sổ tay."
)
