"""📢 Thông báo: secretaries' broadcasts, what members receive, progress and reports."""

MENU = "📢 <b>Thông báo</b>\nĐồng chí muốn soạn thông báo mới hay xem các thông báo đã gửi?"
BTN_NEW = "✍️ Soạn thông báo mới"
BTN_SENT_LIST = "📋 Thông báo đã gửi"

ASK_TARGET = "Đồng chí gửi thông báo tới đâu?"
BTN_TARGET_WHOLE = "🏛 Toàn {name}"
BTN_TARGET_ONE = "{name}"
BTN_MORE = "➡️ Xem thêm"

ASK_CONTENT = (
    "✍️ Gửi tới: <b>{org}</b>\n\n"
    "Đồng chí viết nội dung thông báo rồi gửi. Đồng chí cũng có thể gửi <b>một ảnh, một tệp</b> "
    "hoặc <b>một tin nhắn thoại</b> (có thể kèm lời chú thích).\n"
    "Trước khi gửi đi, Sổ tay sẽ cho đồng chí xem lại."
)
UNSUPPORTED = "Sổ tay chỉ nhận chữ, ảnh, tệp hoặc tin nhắn thoại. Đồng chí vui lòng gửi lại."
EMPTY = "Thông báo chưa có nội dung. Đồng chí vui lòng viết nội dung rồi gửi."
TOO_LONG = "Thông báo dài quá ({length} ký tự). Đồng chí vui lòng rút gọn còn dưới {limit} ký tự."
CAPTION_TOO_LONG = (
    "Lời chú thích kèm ảnh, tệp hoặc tin nhắn thoại chỉ được tối đa {limit} ký tự (hiện có {length}). "
    "Đồng chí vui lòng rút gọn, hoặc gửi nội dung bằng chữ riêng."
)
NO_RECIPIENTS = "{org} không có đảng viên nào để nhận thông báo."
FLOW_EXPIRED = "Phần soạn thông báo này đã cũ. Đồng chí vui lòng bấm «📢 Thông báo» để soạn lại."

PREVIEW_TITLE = "👀 <b>Xem lại thông báo</b> — đảng viên sẽ nhận được như trên."
PREVIEW = "📨 Gửi tới <b>{count}</b> đồng chí — {org}"
PREVIEW_UNLINKED = (
    "\n📵 Trong đó <b>{unlinked}</b> đồng chí chưa liên kết Telegram nên chưa nhận được; "
    "sau khi gửi, Sổ tay sẽ báo danh sách để đồng chí gọi điện."
)
PREVIEW_EXEMPT = "\n(Đảng viên miễn sinh hoạt chỉ nhận nếu đã đăng ký nhận thông báo.)"
PREVIEW_REPLACE = "\nMuốn sửa, đồng chí gửi lại nội dung mới."
BTN_SEND = "✅ Gửi đi"
# Paid broadcasts of urgent notices (Telegram Stars), shown before the author confirms.
PREVIEW_PAID = (
    "\n\n🚨 <b>Gửi khẩn có trả phí</b>: nhanh hơn khoảng 30 lần (tới 1.000 tin mỗi giây). "
    "Chi phí: <b>{stars} Sao Telegram</b> ({messages} tin qua Telegram × {price} Sao), trừ vào tài khoản Sao của bot. "
    "Chỉ dùng cho thông báo khẩn; bấm «✅ Gửi đi» để gửi thường, không mất phí."
)
BTN_SEND_PAID = "🚨 Gửi khẩn — {stars} Sao"
URGENT_NOT_ALLOWED = "Chỉ cấp ủy mới gửi được thông báo khẩn, và chỉ tới toàn đảng bộ mình phụ trách."
PAID_COST_CHANGED = (
    "Chi phí gửi khẩn đã thay đổi: nay là <b>{stars} Sao Telegram</b> ({messages} tin). "
    "Đồng chí vui lòng xem lại và xác nhận lại."
)
PAID_OFF = "Gửi khẩn có trả phí đang tắt. Thông báo sẽ được gửi theo cách thường, không mất phí."
NOTICE_URGENT = "🚨 <b>THÔNG BÁO KHẨN</b> — {org}\n\n{text}"
DRAFT_DROPPED = "Đã hủy, thông báo chưa được gửi."

# What members receive.
NOTICE = "📢 <b>THÔNG BÁO</b> — {org}\n\n{text}"
NOTICE_FOOTER = "\n\n<i>Người gửi: đồng chí {author}</i>"
BTN_SEEN = "✅ Đã xem"
SEEN_THANKS = "Cảm ơn đồng chí đã xác nhận."
SEEN_ALREADY = "Đồng chí đã xác nhận xem thông báo này rồi."

# The author's status message and the final report.
STATUS_SENDING = "📤 Đang gửi thông báo tới {org}…\nĐã gửi <b>{sent}/{linked}</b>"
STATUS_DONE = "✅ Đã gửi xong thông báo tới {org}: <b>{sent}/{linked}</b>"
STATUS_CANCELLED = "⏹ Đã dừng gửi thông báo tới {org}: đã gửi <b>{sent}/{linked}</b>"
BTN_STOP = "⏹ Dừng gửi"
ASK_STOP = "Dừng gửi thông báo này? Những đồng chí chưa nhận sẽ không nhận được nữa."
BTN_STOP_CONFIRM = "⏹ Dừng gửi"
BTN_KEEP_SENDING = "▶️ Tiếp tục gửi"
STOPPED = "⏹ Đã dừng gửi. Sổ tay sẽ gửi báo cáo kết quả ngay sau đây."
KEEP_SENDING = "Sổ tay tiếp tục gửi thông báo."
ALREADY_FINISHED = "Thông báo này đã gửi xong hoặc đã dừng."

REPORT_TITLE = "📊 <b>Kết quả gửi thông báo</b> — {org}\n<i>{excerpt}</i>"
REPORT_CANCELLED = "\n⏹ Đồng chí đã dừng gửi giữa chừng."
REPORT_DELIVERED = "\n✅ Đã nhận: <b>{sent}/{total}</b> đồng chí"
REPORT_SEEN = "\n👁 Đã bấm «Đã xem»: <b>{seen}/{sent}</b>"
REPORT_UNLINKED = "\n\n📵 <b>Chưa liên kết Telegram ({count})</b> — đồng chí vui lòng gọi điện báo tin:\n{names}"
REPORT_UNREACHABLE = "\n\n🚫 <b>Không gửi được — đã chặn Sổ tay hoặc tài khoản không còn ({count})</b>:\n{names}"
REPORT_FAILED = "\n\n⚠️ <b>Gửi lỗi ({count})</b>:\n{names}"
REPORT_NOT_SENT = "\n\n⏸ <b>Chưa gửi do đã dừng ({count})</b>"
BTN_WHO_SEEN = "👁 Ai đã xem"

SEEN_TITLE = "👁 <b>Xác nhận đã xem</b> — {org}\n<i>{excerpt}</i>\n\nĐã xem: <b>{seen}/{sent}</b>"
SEEN_WAITING = "\n\n⏳ <b>Chưa bấm «Đã xem» ({count})</b>:\n{names}"
SEEN_ALL = "\n\n🎉 Tất cả đồng chí đã nhận đều đã xem."
MORE_NAMES = "… và {count} đồng chí khác"

LIST_TITLE = "📋 <b>Thông báo đã gửi gần đây</b>"
LIST_EMPTY = "Chưa có thông báo nào được gửi."
LIST_ITEM = "{when} · {org} · {state} · đã xem {seen}/{sent}"
STATE_LABELS = {"sending": "đang gửi", "done": "đã gửi xong", "cancelled": "đã dừng"}
ATTACHMENT_LABELS = {"photo": "[Ảnh]", "document": "[Tệp]", "voice": "[Tin nhắn thoại]"}

# A file sent with a notice over the API.
FILE_TYPE_REFUSED = (
    "Tệp «{name}» không được nhận: thông báo chỉ kèm được tài liệu <b>PDF, Word (.doc, .docx), Excel (.xlsx)</b>, "
    "ảnh <b>JPG, PNG</b> hoặc tin nhắn thoại <b>OGG</b>."
)
# Downloading a notice's file over the API.
NO_FILE = "Thông báo này không kèm tệp nào."
FILE_ONLY_IN_MESSENGER = (
    "Tệp của thông báo này được gửi kèm qua Telegram nên Sổ tay không giữ bản sao trên máy chủ. "
    "Đồng chí mở tệp trong tin nhắn thông báo trên Telegram."
)
FILE_MISSING = (
    "Tệp «{name}» của thông báo không còn trên máy chủ. Đồng chí mở tệp trong tin nhắn thông báo trên Telegram."
)
