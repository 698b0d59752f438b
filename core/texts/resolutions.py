"""📜 Nghị quyết: the library, publishing a document, voice, study campaigns and quizzes."""

KINDS = {
    "NQ": "Nghị quyết",
    "CT": "Chỉ thị",
    "QĐ": "Quy định, Quyết định",
    "KL": "Kết luận",
    "HD": "Hướng dẫn",
    "KH": "Kế hoạch",
    "TB": "Thông báo",
    "ĐA": "Đề án",
    "CV": "Công văn",
}
# The word a document's header uses (one word per kind).
KIND_WORDS = {
    "NQ": "Nghị quyết",
    "CT": "Chỉ thị",
    "QĐ": "Quy định",
    "KL": "Kết luận",
    "HD": "Hướng dẫn",
    "KH": "Kế hoạch",
    "TB": "Thông báo",
    "ĐA": "Đề án",
    "CV": "Công văn",
}

# ---------------------------------------------------------------- library

LIBRARY_TITLE = "📜 <b>Văn bản, nghị quyết</b> — mới nhất ở trên"
LIBRARY_PAGE = "Trang {page}/{pages} · {total} văn bản"
LIBRARY_EMPTY = "Chưa có văn bản nào được gửi tới chi bộ của đồng chí."
SAVED_TITLE = "⭐ <b>Văn bản đã lưu</b>"
SAVED_EMPTY = "Đồng chí chưa lưu văn bản nào. Khi đọc một văn bản, bấm «⭐ Lưu» để lưu lại."
SEARCH_PROMPT = (
    "🔎 Đồng chí gõ vài chữ trong tên hoặc số hiệu văn bản, có dấu hay không dấu đều được.\n"
    "Ví dụ: <i>nghi quyet 21</i>, <i>dang vien</i>, <i>339</i>."
)
SEARCH_TITLE = "🔎 <b>Kết quả tìm «{query}»</b>"
SEARCH_EMPTY = "Không tìm thấy văn bản nào có «{query}». Đồng chí thử gõ ít chữ hơn, hoặc chỉ gõ số hiệu (ví dụ: 21)."
SEARCH_TOO_SHORT = "Đồng chí gõ ít nhất một chữ hoặc một số để tìm."
ITEM_BUTTON = "{marker}{code}{title}"

BTN_PREV = "⬅️ Trang trước"
BTN_NEXT = "Trang sau ➡️"
BTN_SEARCH = "🔎 Tìm văn bản"
BTN_SAVED = "⭐ Đã lưu"
BTN_ALL = "📜 Tất cả văn bản"
BTN_PUBLISH = "➕ Đăng văn bản"
BTN_CAMPAIGNS = "📚 Đợt học tập"

DOCUMENT_HEADER = "📜 <b>{kind}{code}</b>{issued}\n<b>{title}</b>\n<i>{org}</i>"
ISSUED_ON = " ngày {date}"
SUMMARY_HEADING = "\n\n<b>Tóm tắt:</b>\n{summary}"
NO_SUMMARY = "\n\n<i>(Văn bản chưa có tóm tắt; đồng chí bấm «📄 Toàn văn» để đọc.)</i>"
STUDIED_LINE = "\n\n✅ Đồng chí đã xác nhận nghiên cứu ngày {date}."
CAMPAIGN_LINE = "\n\n📚 Đợt học tập: hạn <b>{deadline}</b>."
QUIZ_LINE = " Bài kiểm tra {questions} câu."
QUIZ_DONE_LINE = " Đồng chí đã làm bài: đúng {correct}/{total} câu."

BTN_LISTEN = "🔊 Nghe tóm tắt"
BTN_FULL_TEXT = "📄 Toàn văn"
BTN_SAVE = "⭐ Lưu"
BTN_UNSAVE = "☆ Bỏ lưu"
BTN_STUDIED = "✅ Tôi đã nghiên cứu"
BTN_STUDIED_DONE = "✅ Đã nghiên cứu"
BTN_QUIZ = "📝 Làm bài kiểm tra"
BTN_BACK_TO_LIBRARY = "📜 Về danh sách"
BTN_OPEN_CAMPAIGN = "📚 Mở đợt học tập"
BTN_CAMPAIGN_RESULTS = "📊 Kết quả học tập"

SAVED = "Đã lưu vào «⭐ Đã lưu»."
UNSAVED = "Đã bỏ lưu."
STUDIED_THANKS = "✅ Cảm ơn đồng chí đã nghiên cứu văn bản."
STUDIED_ALREADY = "Đồng chí đã xác nhận nghiên cứu văn bản này rồi."
FULL_TEXT_TITLE = "📄 <b>Toàn văn</b> — {title}"
FULL_TEXT_PART = "📄 ({part}/{parts})\n{text}"
FULL_TEXT_FILE_CAPTION = "📄 Toàn văn: {title}"
FULL_TEXT_TXT_NAME = "toan-van-{id}.txt"
NO_FULL_TEXT = "Văn bản này không có toàn văn."

# ---------------------------------------------------------------- outbox: a new document

PUBLISHED_MESSAGE = (
    "📜 <b>Văn bản mới</b> từ {org}\n\n"
    "<b>{kind}{code}</b>{issued}\n<b>{title}</b>\n\n"
    "<b>Tóm tắt:</b>\n{summary}\n\n"
    "Đồng chí nghe bản đọc ở tin nhắn tiếp theo, bấm «📄 Toàn văn» để đọc đầy đủ, "
    "và bấm «✅ Tôi đã nghiên cứu» khi đã đọc xong."
)
PUBLISHED_MESSAGE_NO_VOICE = (
    "📜 <b>Văn bản mới</b> từ {org}\n\n"
    "<b>{kind}{code}</b>{issued}\n<b>{title}</b>\n\n"
    "<b>Tóm tắt:</b>\n{summary}\n\n"
    "Đồng chí bấm «📄 Toàn văn» để đọc đầy đủ, và bấm «✅ Tôi đã nghiên cứu» khi đã đọc xong."
)
# Synthetic speech is labelled as such: members know a person's recording may follow.
VOICE_CAPTION = "🔊 Tóm tắt {kind}{code}\n🤖 Giọng đọc máy (chưa có bản ghi âm người đọc)"
VOICE_CAPTION_PART = "🔊 Tóm tắt {kind}{code} — phần {part}/{parts}\n🤖 Giọng đọc máy (chưa có bản ghi âm người đọc)"
BTN_REPLAY = "🔁 Nghe lại"
BTN_SLOWER = "🐢 Nghe chậm hơn"
BTN_NORMAL_SPEED = "🐇 Nghe tốc độ thường"
VOICE_UNAVAILABLE = "Xin lỗi đồng chí, hiện chưa đọc được văn bản này thành tiếng. Đồng chí vui lòng đọc phần tóm tắt."
VOICE_PREPARING = "🔊 Đang chuẩn bị bản đọc, đồng chí chờ một chút…"

# ---------------------------------------------------------------- voice preferences (👤 Hồ sơ)

BTN_VOICE_SETTINGS = "🔊 Giọng đọc"
VOICE_SETTINGS = (
    "🔊 <b>Giọng đọc</b>\n\n"
    "Bản đọc tóm tắt: <b>{enabled}</b>\n"
    "Tốc độ: <b>{speed}</b>\n"
    "Giọng: <b>{voice}</b>\n\n"
    "Đồng chí bấm nút bên dưới để thay đổi."
)
VOICE_ON = "Bật"
VOICE_OFF = "Tắt"
SPEEDS = {"normal": "Bình thường", "slow": "Chậm"}
VOICES = {"vi": "Miền Bắc", "vi-vn-x-central": "Miền Trung", "vi-vn-x-south": "Miền Nam"}
BTN_VOICE_TURN_ON = "🔊 Bật bản đọc"
BTN_VOICE_TURN_OFF = "🔇 Tắt bản đọc"
BTN_SPEED = "{mark}{label}"
BTN_VOICE = "{mark}{label}"
BTN_VOICE_SAMPLE = "▶️ Nghe thử"
VOICE_SAMPLE_TEXT = "Xin chào đồng chí. Đây là giọng đọc Sổ tay đảng viên sẽ dùng để đọc các văn bản, nghị quyết."
VOICE_SAVED = "Đã lưu cách nghe của đồng chí."
BAD_VOICE = "Giọng đọc này không có. Đồng chí vui lòng chọn một nút."

# ---------------------------------------------------------------- publishing

NOT_PUBLISHER = "Chỉ bí thư, phó bí thư chi bộ và cấp ủy viên mới đăng được văn bản."
PUBLISH_KIND = "➕ <b>Đăng văn bản</b> — bước 1/6\n\nĐây là loại văn bản gì?"
PUBLISH_CODE = (
    "Bước 2/6 — <b>Số hiệu</b> của văn bản, ví dụ: <i>21-NQ/TW</i>, <i>12-KH/ĐU</i>.\n"
    "Nếu văn bản không có số hiệu, đồng chí bấm «Bỏ qua»."
)
PUBLISH_DATE = (
    "Bước 3/6 — <b>Ngày ban hành</b>, ví dụ: <i>16/6/2022</i>.\n"
    "Đồng chí bấm «Hôm nay» hoặc «Bỏ qua» nếu không rõ."
)
PUBLISH_TITLE = "Bước 4/6 — <b>Tên (trích yếu)</b> của văn bản, ví dụ: <i>Về tăng cường củng cố, xây dựng tổ chức cơ sở đảng</i>."
PUBLISH_TEXT = (
    "Bước 5/6 — <b>Toàn văn</b>. Đồng chí dán nội dung văn bản vào đây (có thể gửi thành nhiều tin nhắn, "
    "rồi bấm «Xong»), hoặc gửi tệp <b>PDF</b>, <b>Word (.docx)</b> hay <b>.txt</b> (tối đa {pages} trang, {megabytes} MB)."
)
PUBLISH_TEXT_MORE = "Đã nhận {chars} ký tự. Đồng chí gửi tiếp phần sau, hoặc bấm «Xong»."
PUBLISH_READING_FILE = "📄 Đang đọc tệp «{name}»…"
PUBLISH_SUMMARY = (
    "Bước 6/6 — <b>Tóm tắt</b> (Sổ tay soạn sẵn từ văn bản, {sentences} câu). "
    "Đồng chí đọc lại, bấm «✅ Dùng bản này», hoặc gửi tóm tắt của mình để thay thế.\n\n{summary}"
)
PUBLISH_SUMMARY_EMPTY = (
    "Bước 6/6 — <b>Tóm tắt</b>. Sổ tay chưa soạn được tóm tắt từ văn bản này; "
    "đồng chí vui lòng gõ tóm tắt (vài câu) và gửi."
)
PUBLISH_TARGET = "Gửi văn bản tới đâu? Văn bản gửi tới một đảng bộ sẽ đến mọi chi bộ trực thuộc."
TARGET_BUTTON_CELL = "🏠 {name}"
TARGET_BUTTON_SUBTREE = "🏛 {name} (toàn đảng bộ)"
PUBLISH_PREVIEW = (
    "👀 <b>Xem lại trước khi gửi</b>\n\n"
    "<b>{kind}{code}</b>{issued}\n<b>{title}</b>\n\n"
    "<b>Tóm tắt:</b>\n{summary}\n\n"
    "Gửi tới: <b>{org}</b> — {recipients} đảng viên ({unlinked} người chưa liên kết tài khoản sẽ không nhận được tin).\n"
    "Toàn văn: {full_text}"
)
FULL_TEXT_FROM_FILE = "tệp «{name}»"
FULL_TEXT_PASTED = "{chars} ký tự đã dán"
BTN_KEEP_SUMMARY = "✅ Dùng bản này"
BTN_SKIP = "Bỏ qua ➡️"
BTN_TODAY = "📅 Hôm nay"
BTN_DONE_TEXT = "✅ Xong"
BTN_SEND = "📤 Gửi văn bản"
BTN_EDIT_SUMMARY = "✏️ Sửa tóm tắt"
BTN_PREVIEW_VOICE = "🔊 Nghe thử bản đọc"
BTN_CANCEL = "✖️ Hủy"
PUBLISH_CANCELLED = "Đã hủy. Văn bản chưa được gửi."
PUBLISH_SENDING = "📤 Đang gửi…"
PUBLISHED_DONE = (
    "✅ Đã gửi văn bản <b>{title}</b> tới {queued} đảng viên của {org}.\n"
    "{unlinked_line}"
    "Đồng chí có thể mở đợt học tập cho văn bản này bằng nút bên dưới."
)
PUBLISHED_UNLINKED = "{count} đảng viên chưa liên kết tài khoản ({names}): đồng chí vui lòng báo cho họ.\n"
UNLINKED_NAMES = "\n⚠️ Chưa liên kết (sẽ không nhận được tin): {names}."
QUIZ_EXPLANATION = "Đáp án đúng: «{answer}». Đồng chí xem lại văn bản để nắm chắc hơn."
FLOW_EXPIRED = "Phần đang soạn đã quá lâu nên Sổ tay đã bỏ. Đồng chí vui lòng bắt đầu lại từ «📜 Nghị quyết»."
TYPE_OR_PRESS = "Đồng chí vui lòng gõ chữ, hoặc bấm một nút bên trên."
SEND_FILE_OR_TEXT = "Đồng chí vui lòng dán nội dung văn bản, hoặc gửi tệp PDF, Word (.docx) hay .txt."

# Validation.
TITLE_TOO_SHORT = "Tên văn bản quá ngắn. Đồng chí vui lòng gõ đầy đủ hơn."
TITLE_TOO_LONG = "Tên văn bản dài quá {limit} ký tự. Đồng chí vui lòng gõ ngắn gọn hơn."
CODE_INVALID = "Số hiệu chưa đúng dạng. Ví dụ đúng: <i>21-NQ/TW</i>, <i>12-KH/ĐU</i>. Nếu không có, đồng chí bấm «Bỏ qua»."
DATE_INVALID = "Ngày chưa đúng. Đồng chí gõ theo dạng ngày/tháng/năm, ví dụ: <i>16/6/2022</i>."
DATE_IN_FUTURE = "Ngày ban hành không thể sau hôm nay."
TEXT_EMPTY = "Văn bản chưa có nội dung. Đồng chí vui lòng dán nội dung hoặc gửi tệp."
TEXT_TOO_LONG = "Văn bản dài quá {limit} ký tự. Đồng chí vui lòng chỉ gửi phần chính, hoặc chia thành nhiều văn bản."
SUMMARY_EMPTY = "Tóm tắt không được để trống. Đồng chí vui lòng gõ vài câu tóm tắt nội dung chính."
SUMMARY_TOO_LONG = "Tóm tắt dài quá {limit} ký tự. Đồng chí vui lòng rút gọn (khoảng 5–8 câu)."
NO_RECIPIENTS = "{org} chưa có đảng viên nào để gửi."
ALREADY_PUBLISHED = "Văn bản này đã được gửi rồi."
NOT_A_DRAFT = "Văn bản này không còn ở dạng bản nháp nên không sửa được."
BAD_TARGET = "Đồng chí không được gửi văn bản tới tổ chức này."

# File problems (see core.resolutions.extract).
FILE_EMPTY = "Tệp trống. Đồng chí vui lòng gửi lại tệp khác."
FILE_TOO_LARGE = "Tệp lớn quá {megabytes} MB. Đồng chí vui lòng gửi tệp nhỏ hơn, hoặc dán nội dung văn bản."
FILE_OLD_DOC = (
    "Đây là tệp Word đời cũ (.doc) nên Sổ tay chưa đọc được. Đồng chí mở tệp bằng Word, chọn «Lưu thành» "
    "(Save As) dạng <b>.docx</b> hoặc <b>PDF</b> rồi gửi lại; hoặc dán nội dung văn bản."
)
FILE_UNSUPPORTED = "Sổ tay chỉ đọc được tệp PDF, Word (.docx) và .txt. Đồng chí vui lòng gửi tệp khác, hoặc dán nội dung văn bản."
FILE_NO_TEXT = "Tệp không có chữ nào. Đồng chí vui lòng kiểm tra lại tệp, hoặc dán nội dung văn bản."
PDF_TOO_MANY_PAGES = (
    "Tệp PDF có {pages} trang, nhiều hơn mức {limit} trang Sổ tay nhận. "
    "Đồng chí vui lòng gửi phần chính của văn bản, hoặc dán nội dung cần phổ biến."
)
PDF_ENCRYPTED = "Tệp PDF có mật khẩu nên Sổ tay không đọc được. Đồng chí vui lòng gửi bản không đặt mật khẩu, hoặc dán nội dung."
PDF_UNREADABLE = "Tệp PDF bị lỗi, Sổ tay không đọc được. Đồng chí vui lòng gửi lại, hoặc dán nội dung văn bản."
PDF_SCANNED = (
    "Tệp PDF này là bản chụp (bản scan), không có lớp chữ nên Sổ tay không đọc được nội dung. "
    "Đồng chí vui lòng <b>dán nội dung văn bản</b> vào đây (có thể sao chép từ bản Word gốc)."
)
DOCX_UNREADABLE = "Tệp Word bị lỗi, Sổ tay không đọc được. Đồng chí vui lòng lưu lại thành .docx hoặc PDF rồi gửi, hoặc dán nội dung."
DOCX_BOMB = "Tệp Word này có cấu trúc bất thường (quá lớn khi giải nén) nên Sổ tay từ chối để bảo đảm an toàn. Đồng chí vui lòng dán nội dung văn bản."
FILE_DOWNLOAD_FAILED = "Sổ tay chưa tải được tệp. Đồng chí vui lòng gửi lại sau ít phút."

# ---------------------------------------------------------------- study campaigns and quizzes

CAMPAIGNS_TITLE = "📚 <b>Đợt học tập</b> đồng chí phụ trách"
CAMPAIGNS_EMPTY = "Chưa có đợt học tập nào. Đồng chí mở một văn bản trong «📜 Nghị quyết» rồi bấm «📚 Mở đợt học tập»."
CAMPAIGN_ITEM = "{status} {title} — {org}"
CAMPAIGN_OPEN_ORG = "📚 <b>Mở đợt học tập</b>\n{title}\n\nĐợt học tập dành cho đảng viên của tổ chức nào?"
CAMPAIGN_DEADLINE = "Hạn hoàn thành? Đồng chí bấm một nút, hoặc gõ ngày (ví dụ: <i>15/12/2026</i>)."
BTN_DEADLINE_WEEK = "1 tuần"
BTN_DEADLINE_2WEEKS = "2 tuần"
BTN_DEADLINE_MONTH = "1 tháng"
CAMPAIGN_QUESTION = (
    "📝 <b>Câu hỏi kiểm tra</b> (đã có {count} câu, tối đa {limit}).\n\n"
    "Đồng chí gõ câu hỏi ở dòng đầu, mỗi phương án trả lời một dòng, ví dụ:\n"
    "<i>Nghị quyết 21 đặt mục tiêu đến năm nào?\n2025\n2030\n2045</i>\n\n"
    "Hoặc bấm «Không cần kiểm tra» / «Xong» nếu đã đủ câu hỏi."
)
CAMPAIGN_CORRECT = "Phương án nào là <b>đúng</b>?\n\n{question}"
BTN_NO_QUIZ = "Không cần kiểm tra ➡️"
BTN_QUESTIONS_DONE = "✅ Xong, mở đợt học tập"
CAMPAIGN_REVIEW = (
    "👀 <b>Xem lại đợt học tập</b>\n\n"
    "Văn bản: <b>{title}</b>\nDành cho: <b>{org}</b> — {members} đảng viên\nHạn: <b>{deadline}</b>\n"
    "Bài kiểm tra: {questions}"
)
NO_QUESTIONS = "không có"
QUESTION_COUNT = "{count} câu"
BTN_OPEN_NOW = "📚 Mở đợt học tập"
CAMPAIGN_OPENED = "✅ Đã mở đợt học tập cho {members} đảng viên của {org}. Hạn: {deadline}."
CAMPAIGN_EXISTS = "Văn bản này đã có đợt học tập cho {org}."
CAMPAIGN_DEADLINE_PAST = "Hạn hoàn thành phải sau hôm nay."
CAMPAIGN_DEADLINE_FAR = "Hạn hoàn thành không quá một năm."
DOCUMENT_NOT_REACHING = "Văn bản này chưa được gửi tới {org}."
QUESTION_NEEDS_OPTIONS = "Mỗi câu hỏi cần từ 2 đến {limit} phương án, mỗi phương án một dòng dưới câu hỏi."
QUESTION_TOO_LONG = "Câu hỏi dài quá {limit} ký tự."
OPTION_TOO_LONG = "Mỗi phương án không quá {limit} ký tự."
OPTIONS_DUPLICATE = "Các phương án không được trùng nhau."
TOO_MANY_QUESTIONS = "Bài kiểm tra tối đa {limit} câu."
BAD_CORRECT_OPTION = "Phương án đúng không hợp lệ."
QUIZ_MARK_ONE_CORRECT = "Câu «{question}»: đồng chí đánh dấu * trước đúng một phương án đúng."
CAMPAIGN_CLOSED = "Đợt học tập này đã kết thúc."
NOT_IN_CAMPAIGN = "Đồng chí không thuộc đợt học tập này."
NO_QUIZ = "Đợt học tập này không có bài kiểm tra."
QUIZ_ALREADY_DONE = "Đồng chí đã làm xong bài kiểm tra: đúng {correct}/{total} câu."
QUIZ_INTRO = "📝 <b>Bài kiểm tra</b> — {title}\n{count} câu. Đồng chí chọn đáp án ở mỗi câu bên dưới."
QUIZ_FINISHED = "🎉 Đồng chí đã làm xong bài kiểm tra: đúng <b>{correct}/{total}</b> câu (điểm {score}/10). Cảm ơn đồng chí!"
QUIZ_ANSWER_LATE = "Đợt học tập đã kết thúc nên câu trả lời này không được tính."

CAMPAIGN_NOTICE = (
    "📚 <b>Học tập văn bản</b> — {org}\n\n"
    "<b>{kind}{code}</b>\n<b>{title}</b>\n\n"
    "Đồng chí đọc (hoặc nghe) văn bản và bấm «✅ Tôi đã nghiên cứu» trước ngày <b>{deadline}</b>.{quiz}"
)
CAMPAIGN_NOTICE_QUIZ = "\nSau đó đồng chí làm bài kiểm tra ngắn ({count} câu)."
BTN_READ = "📖 Đọc văn bản"

REMINDER = (
    "⏰ <b>Nhắc học tập</b>\n\n{kind}{code}: <b>{title}</b>\n"
    "Hạn hoàn thành: <b>{deadline}</b> (còn {days} ngày). {todo}"
)
REMINDER_TODO_STUDY = "Đồng chí chưa xác nhận đã nghiên cứu."
REMINDER_TODO_QUIZ = "Đồng chí chưa làm xong bài kiểm tra."

RESULTS_TITLE = "📊 <b>Kết quả học tập</b>\n{title}\n{org} — hạn {deadline}{closed}"
RESULTS_CLOSED = " (đã kết thúc)"
RESULTS_BODY = (
    "\n\nĐã nghiên cứu: <b>{studied}/{total}</b> ({rate})\n"
    "Làm xong bài kiểm tra: {quiz_done}/{total}\n"
    "Điểm trung bình: {score}"
)
RESULTS_CELL_LINE = "• {name}: nghiên cứu {studied}/{total}, điểm TB {score}"
RESULTS_MEMBER_LINE = "{mark} {name}{score}"
RESULTS_MEMBER_SCORE = " — {correct}/{total} câu"
RESULTS_NOT_DONE_TITLE = "\n<b>Chưa hoàn thành ({count}):</b>"
BTN_RESULTS_MEMBERS = "👥 Từng đảng viên"
BTN_CLOSE_CAMPAIGN = "🏁 Kết thúc đợt"
CAMPAIGN_CLOSED_DONE = "Đã kết thúc đợt học tập. Sổ tay không nhắc thêm nữa."
SCORE_FORMAT = "{score}/10"
# The results file (CSV): one row per member.
RESULTS_CSV_HEADERS = ("Họ và tên", "Chi bộ", "Đã nghiên cứu", "Ngày nghiên cứu", "Số câu đã trả lời", "Số câu đúng",
                       "Tổng số câu", "Điểm (thang 10)", "Hoàn thành bài kiểm tra", "Hoàn thành")
RESULTS_CSV_YES = "Có"
RESULTS_CSV_NO = "Chưa"
NO_SCORE = "—"
PUBLISH_PREPARING = "⏳ Đang chuẩn bị bản đọc và gửi văn kiện tới đảng viên, đồng chí chờ một chút…"
AND_MORE = "và {count} đồng chí khác"
