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

# ---------------------------------------------------------------- a cell's reminder settings (⏰ Nhắc họp)

SETTINGS_TITLE = "⏰ <b>Nhắc họp — {cell}</b>"
SETTINGS_OFF = "🔕 Đang <b>tắt</b> mọi tin nhắc họp của chi bộ."
SETTINGS_LINES = (
    "🌙 Nhắc tối hôm trước: <b>{eve}</b>\n"
    "⏰ Nhắc trước giờ họp: <b>{before}</b>\n"
    "📩 Nhắc người chưa trả lời: <b>{nudge}</b>\n"
    "🔕 Giờ nghỉ, không nhắn tin: <b>{quiet}</b>\n"
    "📖 Nhắc học nghị quyết: <b>{study}</b>"
)
SETTINGS_HINT = "Đồng chí bấm vào mục muốn đổi. Thay đổi áp dụng ngay cho các cuộc họp sắp tới."
SETTINGS_SAVED = "✅ Đã lưu cài đặt nhắc họp."
# A committee's defaults for every cell below it.
SETTINGS_TITLE_COMMITTEE = "⏰ <b>Nhắc họp — mặc định cho các chi bộ của {org}</b>"
SETTINGS_HINT_COMMITTEE = "Áp dụng cho mọi chi bộ trực thuộc, trừ mục chi bộ tự đặt riêng."
SETTINGS_OFF_COMMITTEE = "🔕 Đang <b>tắt</b> tin nhắc họp của các chi bộ trực thuộc."
FROM_ABOVE = " <i>(theo cấp trên)</i>"
SETTINGS_INHERITED = "✅ Đã trở về theo cấp trên."
SETTING_OFF = "tắt"
SETTING_AT = "lúc {time}"
SETTING_BEFORE_DAYS = "trước {count} ngày"
SETTING_BEFORE_HOURS = "trước {count} tiếng"
SETTING_BEFORE_MINUTES = "trước {count} phút"
SETTING_QUIET = "{start} – {end}"
SETTING_QUIET_NONE = "không có"
SETTING_STUDY = "trước hạn {days} ngày, lúc {time}"
SETTING_DAYS_JOIN = " và "

BTN_SETTINGS = "⏰ Cài đặt nhắc họp"
BTN_EVE = "🌙 Tối hôm trước: {value}"
BTN_BEFORE = "⏰ Trước giờ họp: {value}"
BTN_NUDGE = "📩 Người chưa trả lời: {value}"
BTN_QUIET = "🔕 Giờ nghỉ: {value}"
BTN_STUDY = "📖 Học nghị quyết: {value}"
BTN_TURN_OFF = "🔕 Tắt mọi tin nhắc"
BTN_TURN_ON = "🔔 Bật lại tin nhắc"
BTN_CHOICE_OFF = "Tắt"
BTN_INHERIT = "↩️ Theo cấp trên"
BTN_COMMITTEE_DEFAULTS = "🏛 Mặc định cho các chi bộ của {org}"
ASK_ORG = "Đồng chí cài đặt nhắc họp cho đâu?"
ASK_EVE = "🌙 Nhắc vào buổi tối hôm trước cuộc họp, lúc mấy giờ?"
ASK_BEFORE = "⏰ Nhắc trước giờ họp bao lâu?"
ASK_NUDGE = "📩 Nhắc người chưa trả lời thư mời trước cuộc họp bao lâu?"
ASK_QUIET = "🔕 Giờ nghỉ: trong khoảng này không gửi tin nhắc (tin sẽ chờ đến sáng)."
ASK_STUDY = "📖 Nhắc học nghị quyết trước hạn mấy ngày?"

SETTING_UNKNOWN = "Không có mục cài đặt nhắc họp «{key}»."
SETTING_INVALID = {
    "enabled": "«enabled» phải là true hoặc false.",
    "eve_time": "Giờ nhắc tối hôm trước phải có dạng giờ:phút, ví dụ 19:00 (hoặc để trống để tắt).",
    "quiet_start": "Giờ bắt đầu nghỉ phải có dạng giờ:phút, ví dụ 21:30.",
    "quiet_end": "Giờ kết thúc nghỉ phải có dạng giờ:phút, ví dụ 06:30.",
    "study_time": "Giờ nhắc học nghị quyết phải có dạng giờ:phút, ví dụ 19:00.",
    "before_minutes": "Nhắc trước giờ họp phải từ 15 phút đến 24 tiếng (0 để tắt).",
    "nudge_hours": "Nhắc người chưa trả lời phải từ 1 tiếng đến 14 ngày trước (0 để tắt).",
    "study_days_before": "Nhắc học nghị quyết: tối đa 5 mốc, mỗi mốc từ 1 đến 30 ngày trước hạn.",
}
SETTING_QUIET_TOO_LONG = "Giờ nghỉ dài nhất 12 tiếng, để tin nhắc còn có lúc gửi đi."
