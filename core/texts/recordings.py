"""🎙 Bản ghi âm: a person's voice reading a summary, in the member's language."""

# What members receive: a person's recording of the summary.
RECORDING_CAPTION = "🎙 Tóm tắt {kind}{code} — bản ghi âm {language}"

# The secretary (or a named reader) records.
BTN_RECORD = "🎙 Ghi âm bản tóm tắt"
CHOOSE_LANGUAGE = (
    "🎙 <b>Ghi âm bản tóm tắt</b>\n<b>{kind}{code}</b> {title}\n\n"
    "Đồng chí chọn ngôn ngữ sẽ đọc. Dấu ✅ là ngôn ngữ đã có bản ghi âm (ghi lại sẽ thay bản cũ)."
)
BTN_LANGUAGE = "{mark}{name}"
ASK_RECORDING = (
    "🎙 Đồng chí bấm giữ nút micro và đọc bản tóm tắt dưới đây bằng <b>{language}</b>, "
    "rồi thả tay để gửi tin nhắn thoại.\n\n<b>Tóm tắt:</b>\n{summary}"
)
BTN_CANCEL = "✖️ Thôi"
CANCELLED = "Đã thôi ghi âm."
NOT_A_VOICE = "Đồng chí vui lòng gửi một tin nhắn thoại (bấm giữ nút micro), hoặc bấm «✖️ Thôi»."
RECORDING_SAVED = "✅ Đã lưu bản ghi âm {language} ({seconds} giây)."
RECORDING_SENT = "✅ Đã lưu bản ghi âm {language} ({seconds} giây) và gửi tới {count} đảng viên đang nghe bản đọc."
RECORDING_KEPT_FOR_PUBLISHING = "Bản ghi âm sẽ được gửi kèm khi văn bản được đăng."
NOT_ALLOWED = "Đồng chí không được giao đọc văn bản này."
UNKNOWN_LANGUAGE = "Ngôn ngữ này chưa có trong danh sách. Đồng chí vui lòng chọn một nút."
TOO_LONG = "Bản ghi âm dài quá {minutes} phút. Đồng chí vui lòng đọc gọn lại."
TOO_SHORT = "Bản ghi âm ngắn quá. Đồng chí vui lòng đọc lại."
TOO_BIG = "Tệp ghi âm lớn quá 20 MB."
UNREADABLE = "Không đọc được tệp ghi âm này. Đồng chí vui lòng gửi tệp OGG, MP3 hoặc WAV."
NO_SUMMARY = "Văn bản này chưa có tóm tắt để ghi âm."

# Naming a reader.
BTN_NAME_READER = "👤 Nhờ người khác đọc"
CHOOSE_READER = "👤 Đồng chí nhờ ai đọc bản tóm tắt <b>{kind}{code}</b>? Người được nhờ sẽ nhận nút «🎙 Ghi âm bản tóm tắt»."
READER_NAMED = "✅ Đã nhờ đồng chí {name} đọc. Khi có bản ghi âm, các đảng viên sẽ nhận được."
READER_ASKED = (
    "🎙 Đồng chí {by} nhờ đồng chí đọc bản tóm tắt <b>{kind}{code}</b> {title} để các đảng viên nghe.\n"
    "Đồng chí bấm «🎙 Ghi âm bản tóm tắt» khi sẵn sàng."
)
READER_MUST_BE_IN_REACH = "Người đọc phải là đảng viên trong tổ chức nhận văn bản."

# The once-only reminder.
REMINDER = (
    "🎙 Văn bản <b>{kind}{code}</b> {title} có {listeners} đảng viên nghe bản đọc, "
    "nhưng chưa có bản ghi âm người đọc: họ đang nghe giọng máy.\n"
    "Đồng chí (hoặc người được nhờ) bấm nút dưới đây để ghi âm bản tóm tắt."
)

# 👤 Hồ sơ → 🔊 Giọng đọc → 🌐 Ngôn ngữ nghe.
BTN_LISTEN_LANGUAGE = "🌐 Ngôn ngữ nghe: {name}"
LISTEN_LANGUAGE = (
    "🌐 <b>Ngôn ngữ nghe</b>\n\nĐồng chí đang nghe: <b>{name}</b>.\n"
    "Khi văn bản có bản ghi âm bằng ngôn ngữ này, đồng chí sẽ nhận bản đó; "
    "nếu chưa có thì nhận bản tiếng Việt; nếu chưa ai ghi âm thì nghe giọng đọc máy."
)
LISTEN_LANGUAGE_SAVED = "Đã lưu: đồng chí nghe bằng {name}."

# Committee's language list.
LANGUAGE_NAME_INVALID = "Tên ngôn ngữ cần từ 2 đến 60 ký tự."
LANGUAGE_EXISTS = "Ngôn ngữ này đã có trong danh sách."
NOT_COMMITTEE = "Chỉ cấp ủy mới thêm được ngôn ngữ."

# Notices and meeting conclusions read aloud (core.recordings.subjects).
NOTICE_HEADING = "Thông báo của {org}"
CONCLUSIONS_HEADING = "Kết luận cuộc họp {when}"
SUBJECT_RECORDING_CAPTION = "🎙 {heading} — bản ghi âm {language}"
MACHINE_VOICE_CAPTION = "🔊 {heading}\n🤖 Giọng đọc máy (chưa có bản ghi âm người đọc)"
BTN_RECORD_NOTICE = "🎙 Ghi âm thông báo"
BTN_RECORD_CONCLUSIONS = "🎙 Ghi âm kết luận"
BTN_LISTEN = "🔊 Nghe"
CHOOSE_SUBJECT_LANGUAGE = (
    "🎙 <b>Ghi âm</b>: {heading}\n\n"
    "Đồng chí chọn ngôn ngữ sẽ đọc. Dấu ✅ là ngôn ngữ đã có bản ghi âm (ghi lại sẽ thay bản cũ)."
)
ASK_SUBJECT_RECORDING = (
    "🎙 Đồng chí bấm giữ nút micro và đọc nội dung dưới đây bằng <b>{language}</b>, "
    "rồi thả tay để gửi tin nhắn thoại.\n\n{text}"
)
CONCLUSIONS_BY_VOICE = "(Kết luận đã gửi bằng tin nhắn thoại: đồng chí đọc lại nội dung đó.)"
NOTHING_TO_READ = "Thông báo này không có lời để đọc."
NOTICE_STOPPED = "Thông báo này đã dừng gửi."
CONCLUSIONS_NOT_SENT = "Cuộc họp này chưa gửi kết luận."
NOT_A_RECIPIENT = "Đồng chí không nhận nội dung này."
