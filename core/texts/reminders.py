"""Meeting reminders and nudges."""

EVE = (
    "⏰ <b>Nhắc lịch họp ngày mai</b>\n"
    "{title} — {cell}\n"
    "📅 {when}\n"
    "📍 {place}\n\n"
    "Đồng chí nhớ sắp xếp thời gian đến dự nhé."
)
BEFORE = (
    "⏰ <b>Sắp đến giờ họp</b>\n"
    "{title} — {cell}\n"
    "📅 {when}\n"
    "📍 {place}\n\n"
    "Còn khoảng {hours} nữa là bắt đầu. Hẹn gặp đồng chí."
)
NUDGE = (
    "📩 <b>Đồng chí chưa trả lời thư mời họp</b>\n"
    "{title} — {cell}\n"
    "📅 {when}\n"
    "📍 {place}\n\n"
    "Đồng chí bấm một nút bên dưới để chi bộ biết đồng chí có dự được không."
)
HOURS = "{count} tiếng"
MINUTES = "{count} phút"
