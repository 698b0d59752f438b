"""Meeting reminders and nudges: short, plain, one glance says when and where."""

EVE = (
    "⏰ <b>Nhắc lịch họp</b>\n"
    "<b>{when}</b>\n"
    "{lunar_line}"
    "{title} — {cell}\n"
    "📍 Tại: {place}\n"
    "{documents_line}"
    "{answer_line}\n"
    "{closing}"
)
BEFORE = (
    "⏰ <b>Sắp đến giờ họp</b> — còn khoảng {left} nữa\n"
    "<b>{when}</b>\n"
    "{title} — {cell}\n"
    "📍 Tại: {place}\n"
    "{answer_line}\n"
    "{closing}"
)
NUDGE = (
    "📩 <b>Đồng chí chưa trả lời thư mời họp</b>\n"
    "<b>{when}</b>\n"
    "{lunar_line}"
    "{title} — {cell}\n"
    "📍 Tại: {place}\n\n"
    "Đồng chí bấm một nút bên dưới để chi bộ biết đồng chí có dự được không."
)

# "19:30 tối mai (Thứ Bảy, 05/12/2026)"
WHEN_TODAY = "{time} {part} nay ({day})"
WHEN_TOMORROW = "{time} {part} mai ({day})"
WHEN_OTHER_DAY = "{time} {part} {day}"
# Parts of the day, by the local hour they start at.
PARTS_OF_DAY = ((0, "sáng"), (11, "trưa"), (13, "chiều"), (18, "tối"))

LUNAR_LINE = "({lunar})\n"
DOCUMENTS_LINE = "📎 Tài liệu họp ({count} tệp) đã gửi kèm thư mời — đồng chí đọc trước cho buổi họp được tốt.\n"
ANSWER_NONE = "\n👇 Đồng chí chưa trả lời thư mời: bấm một nút bên dưới.\n"
ANSWER_ABSENCE_REQUESTED = "\n🙏 Đơn xin vắng của đồng chí đang chờ bí thư duyệt.\n"
CLOSING_EVE = "Đồng chí nhớ đến dự nhé."
CLOSING_BEFORE = "Hẹn gặp đồng chí."
# While an absence request waits for the secretary, the member may still have to come.
CLOSING_ABSENCE_REQUESTED = "Nếu chưa được đồng ý, đồng chí cố gắng sắp xếp đến dự nhé."

HOURS = "{count} tiếng"
HOURS_HALF = "{count} tiếng rưỡi"
MINUTES = "{count} phút"
