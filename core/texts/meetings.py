"""📅 Lịch họp: creating meetings, invitations, answers, absences, attendance, conclusions, statistics."""

from core.texts import files

# ---------------------------------------------------------------- words

KINDS = {
    "regular": "Sinh hoạt chi bộ thường kỳ",
    "thematic": "Sinh hoạt chuyên đề",
    "committee": "Họp chi ủy",
}
KIND_SHORT = {"regular": "Thường kỳ", "thematic": "Chuyên đề", "committee": "Chi ủy"}
KIND_BUTTONS = {
    "regular": "🗓 Sinh hoạt thường kỳ",
    "thematic": "📚 Sinh hoạt chuyên đề",
    "committee": "👥 Họp chi ủy",
}
REASONS = {
    "sick": "Ốm đau",
    "business_trip": "Đi công tác",
    "family": "Việc gia đình",
    "other": "Lý do khác",
}
REASON_BUTTONS = {
    "sick": "🤒 Ốm đau",
    "business_trip": "🧳 Đi công tác",
    "family": "🏠 Việc gia đình",
    "other": "✍️ Lý do khác",
}
ANSWERS = {
    "none": "⏳ Chưa trả lời",
    "attending": "✅ Sẽ dự họp",
    "absence_requested": "🙏 Xin vắng — chờ bí thư duyệt",
    "excused": "🟡 Vắng có phép (đã được đồng ý)",
    "absence_refused": "❌ Xin vắng chưa được đồng ý",
}
ANSWERS_SHORT = {
    "none": "Chưa trả lời",
    "attending": "Sẽ dự",
    "absence_requested": "Xin vắng (chờ duyệt)",
    "excused": "Vắng có phép",
    "absence_refused": "Xin vắng không được đồng ý",
}
STATUSES = {"scheduled": "Sắp họp", "cancelled": "Đã hủy", "held": "Đã họp"}

DAY_FORMAT = "{weekday}, {date}"
SHORT_DAY_FORMAT = "{weekday} {date}"
WHEN_FORMAT = "{day} — {time}"
LUNAR_DAY_EARLY = "mùng {day}"
LUNAR_DAY_LATE = "ngày {day}"
LUNAR_MONTH_NAMES = {1: "Giêng", 12: "Chạp"}
LUNAR_LEAP = " nhuận"
LUNAR_STEMS = ("Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý")  # thiên can
LUNAR_BRANCHES = ("Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi")  # địa chi
LUNAR_FORMAT = "{day} tháng {month}{leap} âm lịch"
WEEKDAY_HEADER = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
MONTH_TITLE = "Tháng {month}/{year}"

# ---------------------------------------------------------------- the 📅 Lịch họp screen

MENU_TITLE = "📅 <b>Lịch họp</b>"
NO_UPCOMING = "Hiện chưa có cuộc họp nào sắp tới."
UPCOMING_TITLE = "<b>Các cuộc họp sắp tới:</b>"
UPCOMING_LINE = "{number}. <b>{title}</b>\n    📅 {when}\n    📍 {place}\n    Trả lời của đồng chí: {answer}"
LAST_CONCLUSIONS_TITLE = "📝 <b>Kết luận cuộc họp gần nhất</b> ({when}):"
LAST_CONCLUSIONS_VOICE = "🎤 Kết luận bằng tin nhắn thoại — bấm nút bên dưới để nghe."
BTN_CHANGE_ANSWER = "✏️ Trả lời lại: {date}"
BTN_ANSWER = "📝 Trả lời mời họp: {date}"
BTN_OPEN_MEETING = "📂 Họp {date}"
BTN_NEW = "➕ Tạo cuộc họp"
BTN_MANAGE = "🗂 Quản lý cuộc họp"
BTN_RULES = "🔁 Họp định kỳ"
BTN_HEAR_CONCLUSIONS = "🎤 Nghe kết luận"
BTN_BACK = "⬅️ Quay lại"

# ---------------------------------------------------------------- creating a meeting

ASK_CELL = "Đồng chí tạo cuộc họp cho chi bộ nào?"
ASK_KIND = "➕ <b>Tạo cuộc họp</b>\n\nĐồng chí chọn loại cuộc họp:"
ASK_DATE = (
    "📅 <b>{kind}</b>\n\nĐồng chí chọn <b>ngày họp</b> bằng các nút bên dưới.\n"
    "Hoặc gõ ngày giờ, ví dụ: <i>{example} 19h30</i> hoặc <i>thứ 7 tuần này 8h</i>."
)
BTN_CALENDAR = "📆 Chọn ngày khác trên lịch"
BTN_USUAL_DAY = "🔁 {day} (ngày {dom} hàng tháng)"
CALENDAR_TITLE = "📆 Đồng chí bấm vào <b>ngày họp</b> trên lịch:"
BTN_PREV_MONTH = "◀️ Tháng trước"
BTN_NEXT_MONTH = "Tháng sau ▶️"
ASK_TIME = "🕰 Ngày họp: <b>{day}</b>\n\nĐồng chí chọn <b>giờ họp</b>, hoặc gõ giờ (ví dụ <i>19h30</i>):"
BTN_LAST_TIME = "🔁 {time} (như lần trước)"
ASK_PLACE = (
    "📍 Thời gian: <b>{when}</b>\n\nĐồng chí chọn <b>địa điểm</b> bên dưới, "
    "hoặc gõ tên địa điểm (ví dụ <i>Nhà văn hóa thôn</i>):"
)
ASK_PLACE_NO_SUGGESTION = "📍 Thời gian: <b>{when}</b>\n\nĐồng chí gõ <b>địa điểm họp</b> (ví dụ <i>Nhà văn hóa thôn</i>):"
ASK_AGENDA = (
    "📋 Đồng chí gõ <b>nội dung họp</b> (chương trình, các việc cần bàn).\n"
    "Mỗi việc có thể viết một dòng."
)
BTN_DEFAULT_AGENDA = "📋 Dùng nội dung thường kỳ"
DEFAULT_AGENDA = (
    "1. Đánh giá kết quả thực hiện nhiệm vụ tháng qua.\n"
    "2. Triển khai phương hướng, nhiệm vụ tháng tới.\n"
    "3. Thông tin thời sự, văn bản mới của cấp trên.\n"
    "4. Ý kiến của đảng viên."
)
ASK_DOCUMENTS = (
    "📎 Nếu có <b>tài liệu họp</b>, đồng chí gửi tệp vào đây (PDF, Word, Excel hoặc ảnh; "
    "mỗi tệp tối đa {max_mb} MB, tối đa {max_count} tệp).\n\nGửi xong, hoặc không có tài liệu, đồng chí bấm nút bên dưới."
)
BTN_NO_DOCUMENTS = "⏭ Không có tài liệu"
BTN_DOCUMENTS_DONE = "✅ Xong, xem lại"
DOCUMENT_ADDED = "📎 Đã nhận tệp <b>{name}</b> ({size}). Đồng chí gửi tiếp tệp khác, hoặc bấm «✅ Xong, xem lại»."
DETAILS = (
    "<b>{title}</b> — {cell}\n"
    "📅 <b>{when}</b>\n"
    "{lunar_line}"
    "📍 {place}\n"
    "{agenda_block}"
    "{documents_block}"
    "{repeat_line}"
)
REVIEW = (
    "📝 <b>Xem lại trước khi gửi</b>\n\n"
    "{details}\n"
    "Bấm <b>«✅ Gửi thông báo mời họp»</b> để gửi tới <b>{count}</b> đảng viên."
)
REVIEW_REPEAT_ON = "🔁 Lặp lại: <b>ngày {day} hàng tháng, {time}</b> (Sổ tay tự tạo cuộc họp các tháng sau)\n"
BTN_SEND = "✅ Gửi thông báo mời họp"
BTN_REPEAT_ON = "🔁 Lặp lại hàng tháng: BẬT"
BTN_REPEAT_OFF = "🔁 Lặp lại hàng tháng: TẮT"
BTN_CHANGE_WHEN = "📅 Đổi ngày giờ"
BTN_CHANGE_PLACE = "📍 Đổi địa điểm"
BTN_CHANGE_AGENDA = "📋 Đổi nội dung"
BTN_ADD_DOCUMENTS = "📎 Thêm tài liệu"
BTN_CANCEL_FLOW = "✖️ Hủy"
CREATED = (
    "✅ Đã tạo cuộc họp <b>{title}</b> — {when}.\n"
    "Thông báo mời họp đang được gửi tới <b>{queued}</b> đảng viên."
)
CREATED_UNLINKED = "\n⚠️ {count} đảng viên chưa liên kết Sổ tay nên chưa nhận được tin; đồng chí vui lòng báo trực tiếp: {names}."
FLOW_CANCELLED = "Đã hủy, chưa có gì được tạo hay thay đổi."
FLOW_EXPIRED = "Phiên làm việc đã hết hạn. Đồng chí bấm 📅 Lịch họp để bắt đầu lại."
DEFAULT_PLACES = ("Nhà văn hóa thôn", "Hội trường Đảng ủy", "Phòng họp cơ quan")
NO_AGENDA = "(chưa ghi nội dung)"
TOAST_ATTENDING = "✅ Đã ghi nhận: đồng chí sẽ dự họp. Cảm ơn đồng chí!"
TOAST_ABSENCE_SENT = "📨 Đã gửi báo cáo xin vắng tới bí thư chi bộ."
TOAST_SAVED = "✔️ Đã lưu."
CHOOSE_OR_TYPE = "Đồng chí vui lòng bấm một nút bên dưới, hoặc gõ theo ví dụ."

# ---------------------------------------------------------------- refusals (input)

WHEN_NOT_UNDERSTOOD = (
    "Sổ tay chưa hiểu ngày giờ này. Đồng chí có thể bấm nút chọn, hoặc gõ theo ví dụ: "
    "<i>{example} 19h30</i>, <i>{full} 19:30</i>, <i>19h ngày {example}</i>, <i>mai 19h</i>, <i>thứ 7 tuần này 8h sáng</i>."
)
DATE_IMPOSSIBLE = "Ngày «{text}» không có trên lịch. Đồng chí vui lòng kiểm tra lại ngày và tháng."
TIME_IMPOSSIBLE = "Giờ «{text}» không hợp lệ. Giờ từ 0 đến 23, phút từ 0 đến 59, ví dụ <i>19h30</i>."
DATE_PAST = "Thời gian <b>{when}</b> đã qua. Đồng chí vui lòng chọn một thời điểm sắp tới."
DATE_TOO_FAR = "Chỉ lên lịch họp trong vòng một năm tới. Đồng chí vui lòng chọn ngày gần hơn."
TIME_NEEDED = "Đã nhận ngày <b>{day}</b>. Đồng chí chọn tiếp <b>giờ họp</b>:"
DATE_NEEDED = "Đồng chí vui lòng chọn <b>ngày họp</b> trước, rồi mới chọn giờ."
PLACE_EMPTY = "Địa điểm đang trống. Đồng chí vui lòng gõ tên địa điểm họp."
PLACE_TOO_LONG = "Tên địa điểm dài quá {limit} ký tự. Đồng chí vui lòng viết ngắn gọn hơn."
AGENDA_EMPTY = "Nội dung họp đang trống. Đồng chí vui lòng gõ vài dòng, hoặc bấm nút nội dung thường kỳ."
AGENDA_TOO_LONG = "Nội dung họp dài {length} ký tự, vượt quá {limit} ký tự. Đồng chí vui lòng rút gọn, chi tiết để trong tài liệu đính kèm."
NOT_A_DOCUMENT = "Ở bước này đồng chí gửi <b>tệp tài liệu</b> (PDF, Word, Excel hoặc ảnh), hoặc bấm một nút bên dưới."
FILE_TYPE_REFUSED = (
    "Tệp «{name}» không được nhận: Sổ tay chỉ nhận tài liệu <b>PDF, Word (.doc, .docx), Excel (.xlsx)</b> "
    "và ảnh <b>JPG, PNG</b>."
)
# Shared with every file a person sends (core/texts/files.py).
FILE_TOO_LARGE = files.FILE_TOO_LARGE
FILE_CONTENT_MISMATCH = files.FILE_CONTENT_MISMATCH
FILE_EMPTY = files.FILE_EMPTY
DOCUMENT_ONLY_IN_MESSENGER = (
    "Tài liệu «{name}» được gửi kèm qua Telegram nên Sổ tay không giữ bản sao trên máy chủ. "
    "Đồng chí mở tài liệu trong tin nhắn mời họp trên Telegram."
)
DOCUMENT_FILE_MISSING = (
    "Tệp «{name}» không còn trên máy chủ. Đồng chí vui lòng đính kèm lại tài liệu cho cuộc họp."
)
TOO_MANY_DOCUMENTS = "Mỗi cuộc họp có tối đa {limit} tệp tài liệu."
FILE_DOWNLOAD_FAILED = "Sổ tay chưa tải được tệp «{name}». Đồng chí vui lòng gửi lại sau ít phút."
REPEAT_ONLY_REGULAR = "Chỉ sinh hoạt thường kỳ mới lặp lại hàng tháng được."
NOTHING_CHANGED = "Không có gì thay đổi so với trước."
NOT_A_CELL = "Cuộc họp chỉ tạo được cho một chi bộ."

# ---------------------------------------------------------------- refusals (rules)

NOT_LEADER = "Chỉ bí thư, phó bí thư chi bộ (hoặc cấp ủy cấp trên) mới thực hiện được việc này."
NOT_YOUR_INVITATION = "Nút này thuộc thư mời của một đồng chí khác, nên không thực hiện được."
MEETING_NOT_VISIBLE = "Đồng chí không xem được cuộc họp này."
MEETING_CANCELLED = "Cuộc họp này đã bị hủy."
MEETING_STARTED = "Cuộc họp đã bắt đầu hoặc đã qua, không sửa hay hủy được nữa."
MEETING_HELD = "Cuộc họp đã diễn ra và đã điểm danh, không hủy được."
ANSWERS_CLOSED = "Cuộc họp đã bắt đầu nên không đổi câu trả lời được nữa. Đồng chí vui lòng báo trực tiếp với bí thư chi bộ."
ALREADY_DECIDED = "Đơn xin vắng này đã được xử lý: {state}."
NO_PENDING_REQUEST = "Đồng chí {name} hiện không có đơn xin vắng chờ duyệt (trả lời hiện tại: {state})."
OWN_REQUEST = "Đồng chí không tự duyệt đơn xin vắng của chính mình được."
ATTENDANCE_NOT_YET = "Cuộc họp bắt đầu lúc {when}. Điểm danh mở trước giờ họp {minutes} phút."
ATTENDANCE_NOT_RECORDED = "Cuộc họp chưa được điểm danh. Đồng chí điểm danh trước, rồi mới gửi kết luận cho người vắng."
NOT_INVITED = "Đồng chí này không có trong danh sách mời của cuộc họp."
REASON_EMPTY = "Đồng chí vui lòng gõ lý do, hoặc bấm giữ nút 🎤 để nói."
REASON_TOO_LONG = "Lý do dài {length} ký tự, vượt quá {limit} ký tự. Đồng chí vui lòng viết ngắn gọn hơn."
VOICE_TOO_LONG = "Tin nhắn thoại dài hơn {limit} phút. Đồng chí vui lòng nói ngắn gọn hơn."
CONCLUSIONS_EMPTY = "Kết luận đang trống. Đồng chí vui lòng gõ nội dung hoặc bấm giữ nút 🎤 để nói."
CONCLUSIONS_TOO_LONG = "Kết luận dài {length} ký tự, vượt quá {limit} ký tự. Đồng chí vui lòng rút gọn."
NOT_INVITED_YOU = "Đồng chí không có trong danh sách mời của cuộc họp này."
PERIOD_INVALID = "Ngày bắt đầu phải trước ngày kết thúc."
PERIOD_TOO_LONG = "Mỗi lần chỉ xem được số liệu tối đa 3 năm."
ABSENCE_REASON_NEEDED = "Khi xin vắng, đồng chí vui lòng chọn lý do."
RULE_NOT_FOUND = "Không tìm thấy lịch họp định kỳ này."

# ---------------------------------------------------------------- the invitation (outbox)

INVITATION = (
    "📅 <b>THÔNG BÁO MỜI HỌP</b>\n"
    "<b>{title}</b> — {cell}\n\n"
    "📅 <b>{when}</b>\n"
    "{lunar_line}"
    "📍 Địa điểm: <b>{place}</b>\n"
    "{agenda_block}"
    "{documents_line}"
    "{exempt_note}"
    "\nĐồng chí vui lòng bấm một nút bên dưới để trả lời."
)
LUNAR_LINE = "({lunar})\n"
AGENDA_BLOCK = "\n📋 <b>Nội dung:</b>\n{agenda}\n"
DOCUMENTS_LINE = "\n📎 Tài liệu họp: {count} tệp, gửi kèm ngay sau tin này.\n"
EXEMPT_NOTE = "\n<i>(Không bắt buộc: đồng chí được miễn sinh hoạt; dự họp hay không tùy sức khỏe của đồng chí.)</i>\n"
BTN_ATTEND = "✅ Tôi sẽ dự họp"
BTN_ABSENT = "🙏 Xin vắng mặt"
DOCUMENT_CAPTION = "📎 Tài liệu họp {date}: {name}"

CHANGED = (
    "✏️ <b>THAY ĐỔI LỊCH HỌP</b>\n"
    "<b>{title}</b> — {cell}\n\n"
    "{changes}\n\n"
    "Lịch họp mới:\n"
    "📅 <b>{when}</b>\n"
    "{lunar_line}"
    "📍 Địa điểm: <b>{place}</b>\n"
    "\nTrả lời hiện tại của đồng chí: {answer}. Nếu cần đổi, đồng chí bấm nút bên dưới."
)
CHANGE_WHEN = "• Thời gian: <s>{old}</s> → <b>{new}</b>"
CHANGE_PLACE = "• Địa điểm: <s>{old}</s> → <b>{new}</b>"
CHANGE_AGENDA = "• Nội dung họp đã được cập nhật:\n{new}"
CHANGE_DOCUMENTS = "• Thêm {count} tài liệu họp (gửi kèm ngay sau tin này)."
CANCELLED_NOTICE = (
    "❌ <b>HỦY CUỘC HỌP</b>\n"
    "<b>{title}</b> — {cell}\n"
    "📅 {when}\n"
    "📍 {place}\n\n"
    "Cuộc họp này <b>đã được hủy</b>. Chi bộ sẽ thông báo lịch mới (nếu có)."
)

# ---------------------------------------------------------------- answering

ANSWERED_ATTENDING = "✅ Đã ghi nhận: đồng chí <b>sẽ dự họp</b> {when}. Cảm ơn đồng chí!"
ASK_REASON = "🙏 Đồng chí xin vắng cuộc họp <b>{when}</b>.\nĐồng chí chọn <b>lý do</b>:"
ASK_REASON_TEXT = "✍️ Đồng chí <b>gõ lý do</b> xin vắng, hoặc <b>bấm giữ nút 🎤</b> để nói."
ABSENCE_SENT = (
    "📨 Đã gửi báo cáo xin vắng họp ({reason}) tới bí thư chi bộ.\n"
    "Khi bí thư trả lời, Sổ tay sẽ báo đồng chí."
)
ABSENCE_AUTO_EXCUSED = "🟡 Đã ghi nhận đồng chí vắng mặt cuộc họp {when} ({reason})."
CURRENT_ANSWER = "Trả lời hiện tại: {answer}"
MY_INVITATION = "{invitation}\n\n<b>Trả lời hiện tại của đồng chí:</b> {answer}"

# To the secretary.
ABSENCE_REQUEST = (
    "🙏 <b>BÁO CÁO XIN VẮNG HỌP</b>\n"
    "Đồng chí <b>{name}</b> xin vắng cuộc họp <b>{when}</b>.\n"
    "Lý do: <b>{reason}</b>{detail}"
)
ABSENCE_REQUEST_VOICE = "\n🎤 Lý do bằng tin nhắn thoại (nghe ở trên)."
BTN_APPROVE = "✅ Đồng ý"
BTN_REFUSE = "❌ Không đồng ý"
DECIDED_APPROVED = "✅ Đã <b>đồng ý</b> cho đồng chí {name} vắng cuộc họp {when}."
DECIDED_REFUSED = "❌ Đã <b>không đồng ý</b> đơn xin vắng của đồng chí {name} (cuộc họp {when})."

# To the member.
DECISION_APPROVED = (
    "✅ Bí thư chi bộ đã <b>đồng ý</b> cho đồng chí vắng cuộc họp <b>{when}</b>.\n"
    "Sau cuộc họp, Sổ tay sẽ gửi kết luận để đồng chí nắm được."
)
DECISION_REFUSED = (
    "❌ Bí thư chi bộ <b>chưa đồng ý</b> đơn xin vắng cuộc họp <b>{when}</b>.\n"
    "Đồng chí vui lòng sắp xếp dự họp, hoặc trao đổi trực tiếp với bí thư."
)

# ---------------------------------------------------------------- managing

MANAGE_TITLE = "🗂 <b>Quản lý cuộc họp</b> — {cell}"
MANAGE_EMPTY = "🗂 Chi bộ chưa có cuộc họp nào. Bấm «➕ Tạo cuộc họp» để bắt đầu."
MANAGE_LINE = "{number}. {status} · <b>{title}</b>\n    {when} — 📍 {place}"
CARD = "{details}Trạng thái: <b>{status}</b>\n\n{stats}"
CARD_DOCUMENTS = "📎 Tài liệu: {names}\n"
CARD_REPEAT = "🔁 Lặp lại ngày {day} hàng tháng, {time}\n"
CARD_PENDING = "\n🙏 <b>Chờ duyệt xin vắng:</b>\n{lines}"
CARD_PENDING_LINE = "• {name} — {reason}"
BTN_EDIT = "✏️ Sửa"
BTN_CANCEL_MEETING = "❌ Hủy cuộc họp"
BTN_ATTENDANCE = "☑️ Điểm danh"
BTN_CONCLUSIONS = "📨 Gửi kết luận cho người vắng"
BTN_MEETING_STATS = "📊 Thống kê cuộc họp"
BTN_ANSWERS = "👥 Danh sách trả lời"
BTN_PENDING = "🙏 Duyệt xin vắng ({count})"
EDIT_WHAT = "✏️ Đồng chí muốn sửa gì ở cuộc họp <b>{when}</b>?"
EDIT_REVIEW = (
    "📝 <b>Xem lại thay đổi</b>\n\n{changes}\n\n"
    "Bấm <b>«✅ Lưu và báo cho đảng viên»</b> để gửi thông báo thay đổi tới <b>{count}</b> đảng viên."
)
BTN_SAVE_EDIT = "✅ Lưu và báo cho đảng viên"
EDITED = "✅ Đã lưu thay đổi. Thông báo đang được gửi tới <b>{queued}</b> đảng viên."
CONFIRM_CANCEL = (
    "Đồng chí chắc chắn <b>hủy</b> cuộc họp này?\n{meeting}\n"
    "Sổ tay sẽ báo cho <b>{count}</b> đảng viên đã được mời."
)
BTN_CONFIRM_CANCEL = "❌ Đồng ý hủy cuộc họp"
BTN_KEEP = "⬅️ Không hủy"
CANCELLED_DONE = "✅ Đã hủy cuộc họp và báo cho đảng viên:\n{meeting}"
ANSWERS_TITLE = "👥 <b>Trả lời của đảng viên</b> — họp {when}"
ANSWERS_LINE = "{number}. {name} — {answer}{reason}"
ANSWERS_REASON = " ({reason})"
RULES_TITLE = "🔁 <b>Họp định kỳ</b>"
RULES_EMPTY = (
    "Chi bộ chưa có lịch họp định kỳ.\nKhi tạo cuộc họp thường kỳ, ở bước xem lại đồng chí bấm "
    "«🔁 Lặp lại hàng tháng» để Sổ tay tự tạo cuộc họp các tháng sau."
)
RULE_LINE = "• Ngày {day} hàng tháng, {time} — {place}{next}"
RULE_NEXT = "\n   Lần tới: {when}"
BTN_STOP_RULE = "⏹ Dừng lặp lại ngày {day}"
RULE_STOPPED = "✅ Đã dừng lặp lại. Các cuộc họp đã tạo vẫn giữ nguyên."

# ---------------------------------------------------------------- attendance

ATTENDANCE_TITLE = (
    "☑️ <b>Điểm danh</b> — họp {when}\n"
    "Có mặt: <b>{present}/{total}</b>. Bấm vào tên để đổi ✅ có mặt / ⬜ vắng.\n"
    "(Đã điền sẵn theo câu trả lời của đảng viên.)"
)
ATTENDANCE_PAGE = "\nTrang {page}/{pages}"
BTN_ALL_PRESENT = "☑️ Tất cả có mặt"
BTN_ATTENDANCE_DONE = "✔️ Xong"
PRESENT_MARK = "✅"
ABSENT_MARK = "⬜"
EXCUSED_MARK = "🟡"
BTN_PREV_PAGE = "⬅️ Trang trước"
BTN_NEXT_PAGE = "Trang sau ➡️"
ATTENDANCE_SAVED = "✔️ Đã lưu điểm danh.\n\n{stats}"

# ---------------------------------------------------------------- conclusions

ASK_CONCLUSIONS = (
    "📨 Gửi kết luận cuộc họp <b>{when}</b> tới <b>{count}</b> đảng viên vắng mặt.\n\n"
    "Đồng chí <b>gõ nội dung kết luận</b>, hoặc <b>bấm giữ nút 🎤</b> để nói."
)
NO_ABSENTEES = "Tất cả đảng viên được mời đều có mặt, không cần gửi kết luận."
CONCLUSIONS_SENT = "✅ Đã gửi kết luận tới <b>{count}</b> đảng viên vắng mặt."
CONCLUSIONS_NOTICE = (
    "📝 <b>KẾT LUẬN CUỘC HỌP</b>\n"
    "<b>{title}</b> — {cell}, {when}\n"
    "Đồng chí vắng mặt ở cuộc họp này; chi bộ gửi đồng chí nội dung kết luận:\n\n"
    "{body}"
)
CONCLUSIONS_NOTICE_VOICE = "📝 <b>Kết luận cuộc họp</b> {when} — {cell} (tin nhắn thoại)"

# ---------------------------------------------------------------- statistics

MEETING_STATS = (
    "📊 <b>Số liệu cuộc họp</b>\n"
    "Được mời: <b>{invited}</b>\n"
    "Sẽ dự: {attending} · Xin vắng có phép: {excused} · Chờ duyệt: {requested}\n"
    "Xin vắng không được đồng ý: {refused} · Chưa trả lời: {no_answer}"
)
MEETING_STATS_HELD = (
    "\n\n☑️ <b>Điểm danh</b>\n"
    "Có mặt: <b>{present}/{invited}</b> ({rate})\n"
    "Vắng có phép: {absent_excused} · Vắng không phép: <b>{absent_unexcused}</b>"
)
STATS_TITLE = "📊 <b>Thống kê dự họp</b> — {org}\nTừ {start} đến {end}"
STATS_BODY = (
    "Số cuộc họp đã tổ chức: <b>{meetings}</b>\n"
    "Lượt có mặt: <b>{present}/{invited}</b> ({rate})\n"
    "Vắng có phép: {absent_excused} · Vắng không phép: <b>{absent_unexcused}</b>"
)
STATS_MONTH_LINE = "• {month}: {meetings} cuộc, có mặt {present}/{invited} ({rate})"
STATS_NO_DATA = "Chưa có cuộc họp nào được điểm danh trong thời gian này."
STATS_CELL_LINE = "• {cell}: {meetings} cuộc, có mặt {present}/{invited} ({rate})"
STATS_CELLS_TITLE = "\n<b>Theo chi bộ:</b>"
STATS_MEMBERS_TITLE = "👥 <b>Dự họp theo đảng viên</b> — {org}\nTừ {start} đến {end}"
STATS_MEMBER_LINE = "{number}. {name}: có mặt {present}/{invited} ({rate}); vắng có phép {excused}, không phép {unexcused}"
STATS_CHOOSE_ORG = "📊 Đồng chí xem thống kê của tổ chức nào?"
BTN_STATS_MEMBERS = "👥 Theo đảng viên"
BTN_STATS_CSV = "📄 Tải tệp CSV"
BTN_STATS_XLSX = "📗 Tải tệp Excel"
STATS_CHART_CAPTION = "📊 Dự họp theo tháng — {org}"
CHART_TITLE = "Dự họp theo tháng\n{org}"
CHART_PRESENT = "Có mặt"
CHART_EXCUSED = "Vắng có phép"
CHART_UNEXCUSED = "Vắng không phép"
CHART_RATE = "Tỷ lệ có mặt"
CHART_EMPTY = "Chưa có số liệu"
CHART_Y = "Lượt đảng viên"
EXPORT_CAPTION = "📎 Số liệu dự họp — {org}, {start} – {end}"
EXPORT_FILENAME = "du-hop-{start}-{end}"
NOT_MANAGER = "Thống kê dành cho bí thư, phó bí thư chi bộ và cấp ủy."

# Export column headers and sheet names.
EXPORT_DETAIL_HEADERS = (
    "Ngày họp", "Giờ", "Loại cuộc họp", "Chi bộ", "Đảng viên", "Số thẻ", "Trả lời", "Lý do", "Chi tiết lý do", "Điểm danh",
)
EXPORT_MONTH_HEADERS = ("Tháng", "Số cuộc họp", "Lượt mời", "Có mặt", "Vắng có phép", "Vắng không phép", "Tỷ lệ có mặt")
EXPORT_MEMBER_HEADERS = ("Đảng viên", "Số thẻ", "Chi bộ", "Được mời", "Có mặt", "Vắng có phép", "Vắng không phép", "Tỷ lệ có mặt")
EXPORT_MEETING_HEADERS = ("Đảng viên", "Số thẻ", "Trả lời", "Lý do", "Chi tiết lý do", "Điểm danh")
EXPORT_MONTH_CELL = "{present}/{invited}"  # present out of invited, in one month
SHEET_MONTHS = "Theo tháng"
SHEET_MEMBERS = "Theo đảng viên"
SHEET_DETAIL = "Chi tiết"
ATTENDANCE_WORDS = {True: "Có mặt", False: "Vắng", None: "Chưa điểm danh"}
VOICE_REASON = "(tin nhắn thoại)"


# ---------------------------------------------------------------- telling meetings apart (duplicates)

IDENTITY_LINE = "• <b>{title}</b> — {when} — 📍 {place}"
STILL_STANDING = "\n\n✅ <b>Cuộc họp sau của chi bộ vẫn diễn ra như đã thông báo:</b>\n{lines}"
OVERLAP_WARNING = (
    "⚠️ <b>Trùng lịch họp.</b> Chi bộ đã có cuộc họp vào khoảng thời gian này:\n{lines}\n\n"
    "Nếu tạo thêm, đảng viên sẽ nhận <b>hai</b> thông báo mời họp. "
    "Đồng chí đổi ngày giờ, hoặc bấm «Vẫn gửi» nếu thật sự cần thêm cuộc họp này."
)
BTN_SEND_ANYWAY = "⚠️ Vẫn gửi, tạo thêm cuộc họp"
BTN_SAVE_ANYWAY = "⚠️ Vẫn lưu thay đổi"
LIST_BUTTON = "{status} · {day} {time} · {place}"
PAST_THIS_YEAR = (
    "📅 Ngày <b>{typed}</b> năm nay đã qua. Có phải đồng chí muốn họp vào <b>{next_year}</b>?\n"
    "Nếu không, đồng chí chọn ngày khác hoặc gõ lại ngày kèm năm."
)
BTN_NEXT_YEAR = "✅ Đúng, {day}"
ABSENCE_CHANGED = "Đơn đã thay đổi: đồng chí đảng viên vừa sửa lý do hoặc câu trả lời. Đồng chí xem đơn hiện tại ở tin dưới đây."
ABSENCE_CHANGED_TOAST = "Đơn đã thay đổi — xem đơn hiện tại."
CARD_PENDING_MORE = "… và {count} đơn khác (bấm «🙏 Duyệt xin vắng» để xem hết)."
