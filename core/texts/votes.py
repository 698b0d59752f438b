"""Votes (biểu quyết) and the annual quality review (đánh giá, xếp loại chất lượng đảng viên)."""

DEFAULT_OPTIONS = ("Tán thành", "Không tán thành", "Không biểu quyết")
OPTION_ICONS = ("✅", "❌", "⚪")
KINDS = {"open": "Biểu quyết công khai", "secret": "Bỏ phiếu kín", "hand": "Giơ tay tại phòng họp"}

BTN_VOTES = "🗳 Biểu quyết"
WORDS_VOTES = ("bieu quyet", "bỏ phiếu", "bo phieu")

# ---- member side
BALLOT = (
    "🗳 <b>BIỂU QUYẾT</b> — {cell}\n"
    "{meeting_line}"
    "<b>{question}</b>\n"
    "{kind}\n"
    "{closes_line}\n"
    "👇 Đồng chí bấm một lựa chọn. Có thể đổi lại cho đến khi kết thúc biểu quyết."
)
MEETING_LINE = "📅 Cuộc họp {when}\n"
CLOSES_AT = "⏳ Kết thúc lúc {when}."
CLOSES_MANUAL = "⏳ Kết thúc khi bí thư đóng biểu quyết."
SECRET_NOTE = "🔒 Phiếu kín: không ai, kể cả bí thư, xem được đồng chí chọn gì."
CAST_OK = "✅ Đã ghi nhận: «{option}»."
CAST_CHANGED = "🔁 Đã đổi thành: «{option}»."
CAST_SAME = "Đồng chí đã chọn «{option}» rồi."
YOUR_CHOICE = "\n\n✔️ Lựa chọn của đồng chí: <b>{option}</b>"
YOUR_CHOICE_SECRET = "\n\n✔️ Đồng chí đã bỏ phiếu (phiếu kín, không hiển thị lựa chọn)."
PROBATIONARY_REFUSED = (
    "Thưa đồng chí, theo Điều lệ Đảng, đảng viên dự bị không có quyền biểu quyết. "
    "Đồng chí vẫn dự họp và phát biểu ý kiến bình thường. Cảm ơn đồng chí!"
)
OWN_RATING_REFUSED = (
    "Thưa đồng chí, đồng chí không biểu quyết về mức xếp loại của chính mình. "
    "Chi bộ tính kết quả trên số đảng viên còn lại. Cảm ơn đồng chí!"
)
EXEMPT_NOT_PRESENT = "Đồng chí được miễn sinh hoạt nên chỉ biểu quyết khi có mặt tại cuộc họp. Cảm ơn đồng chí!"
NOT_PRESENT = "Biểu quyết này chỉ dành cho đảng viên có mặt tại cuộc họp."
PRESENT_NEEDS_MEETING = "Biểu quyết chỉ dành cho người có mặt phải gắn với một cuộc họp."
NOT_ELIGIBLE = "Đồng chí không thuộc danh sách biểu quyết này."
VOTE_CLOSED = "Biểu quyết này đã kết thúc, phiếu không được ghi nhận."
BAD_OPTION = "Lựa chọn không hợp lệ."
HAND_NO_BALLOTS = "Biểu quyết này được thực hiện bằng giơ tay tại phòng họp."

# ---- results
RESULT = (
    "🗳 <b>KẾT QUẢ BIỂU QUYẾT</b> — {cell}\n"
    "{meeting_line}"
    "<b>{question}</b>\n"
    "{kind}\n\n"
    "Số đảng viên có quyền biểu quyết: <b>{eligible}</b>\n"
    "Số tham gia biểu quyết: <b>{voted}</b>\n"
    "{lines}\n\n"
    "{verdict}"
)
RESULT_LINE = "{icon} {option}: <b>{count}</b>"
VERDICT_PASSED = "✅ Biểu quyết hợp lệ. <b>Được thông qua</b>."
VERDICT_FAILED = "❌ Biểu quyết hợp lệ. <b>Không được thông qua</b>."
VERDICT_INVALID = "⚠️ <b>Không hợp lệ</b>: chưa đủ quá nửa số đảng viên có quyền biểu quyết tham gia."
CONCLUSIONS_PREFIX = "🗳 Biểu quyết «"  # how core.meetings recognises a vote's line in the conclusions
CONCLUSIONS_LINE = CONCLUSIONS_PREFIX + "{question}»: {verdict} ({counts}; {voted}/{eligible} tham gia)."
CONCLUSIONS_PASSED = "thông qua"
CONCLUSIONS_FAILED = "không thông qua"
CONCLUSIONS_INVALID = "không hợp lệ"

# ---- secretary side
MENU = "🗳 <b>Biểu quyết</b> — {cell}\n\n{body}"
MENU_EMPTY = "Chưa có biểu quyết nào đang mở."
MENU_LINE = "• {question} — {kind}, đã có {voted}/{eligible} đảng viên bỏ phiếu"
BTN_NEW = "➕ Mở biểu quyết"
BTN_OPEN_VOTE = "🗳 {question}"
ASK_MEETING = "Biểu quyết trong cuộc họp nào?"
BTN_NO_MEETING = "Không gắn cuộc họp"
ASK_QUESTION = "✍️ Đồng chí gõ nội dung cần biểu quyết (ví dụ: «Thông qua nghị quyết tháng 12»)."
QUESTION_EMPTY = "Nội dung biểu quyết không được để trống."
QUESTION_TOO_LONG = "Nội dung biểu quyết quá dài ({length}/{limit} ký tự)."
ASK_KIND = "Hình thức biểu quyết?"
BTN_KIND_OPEN = "🙋 Công khai (bấm nút)"
BTN_KIND_SECRET = "🔒 Bỏ phiếu kín"
BTN_KIND_HAND = "✋ Giơ tay tại phòng họp"
ASK_CLOSE = "Khi nào kết thúc biểu quyết?"
CLOSE_CHOICES = {"0": "🖐 Khi tôi bấm «Kết thúc»", "15": "⏱ Sau 15 phút", "60": "⏱ Sau 1 giờ", "1440": "⏱ Sau 1 ngày"}
ASK_HAND_COUNTS = (
    "✍️ Đồng chí gõ số phiếu theo thứ tự: <b>tán thành, không tán thành, không biểu quyết</b>, cách nhau bằng dấu cách.\n"
    "Ví dụ: <code>9 1 0</code>"
)
HAND_COUNTS_INVALID = "Số phiếu chưa đúng. Đồng chí gõ {count} số, cách nhau bằng dấu cách, ví dụ: <code>9 1 0</code>."
HAND_COUNTS_TOO_MANY = "Tổng số phiếu ({total}) nhiều hơn số đảng viên có quyền biểu quyết ({eligible})."
OPENED = "✅ Đã mở biểu quyết «{question}». Đã gửi phiếu tới {sent} đảng viên có quyền biểu quyết."
CARD = (
    "🗳 <b>{question}</b>\n{kind}\n{closes_line}\n\n"
    "Đã bỏ phiếu: <b>{voted}/{eligible}</b>"
)
BTN_CLOSE_NOW = "🔒 Kết thúc biểu quyết"
BTN_REFRESH = "🔄 Cập nhật"
ALREADY_CLOSED = "Biểu quyết đã kết thúc."
CLOSES_IN_PAST = "Thời điểm kết thúc phải ở sau bây giờ."
NOT_LEADER = "Chỉ bí thư, phó bí thư chi bộ (hoặc cấp ủy cấp trên) mới mở và kết thúc biểu quyết."
MEETING_OTHER_CELL = "Cuộc họp này không thuộc chi bộ."
TOO_FEW_OPTIONS = "Cần ít nhất hai lựa chọn."
TOO_MANY_OPTIONS = "Tối đa {limit} lựa chọn."
OPTIONS_DUPLICATE = "Lựa chọn «{option}» bị trùng. Mỗi lựa chọn cần khác nhau."
BAD_RULE = "Tỷ lệ không hợp lệ (phải từ 1/2 đến dưới 1)."

# ---- the annual review
RATINGS = {
    "excellent": "Hoàn thành xuất sắc nhiệm vụ",
    "good": "Hoàn thành tốt nhiệm vụ",
    "complete": "Hoàn thành nhiệm vụ",
    "incomplete": "Không hoàn thành nhiệm vụ",
}
RATING_PENDING = "Chưa xếp loại"
BTN_REVIEW = "📋 Đánh giá, xếp loại"
REVIEW_OPENED_NOTICE = (
    "📋 <b>ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG ĐẢNG VIÊN NĂM {year}</b>\n"
    "{org} đã mở đợt đánh giá.\n\n"
    "Đồng chí gửi <b>bản tự kiểm điểm</b> ngắn (gõ chữ hoặc ghi âm) và tự đề nghị mức xếp loại "
    "trước <b>{deadline}</b>.\n👇 Bấm nút bên dưới để bắt đầu."
)
SELF_REMINDER = (
    "⏰ <b>Nhắc tự kiểm điểm năm {year}</b>\n"
    "Đồng chí chưa gửi bản tự kiểm điểm. Hạn cuối: <b>{deadline}</b>.\n👇 Bấm nút bên dưới để gửi (gõ chữ hoặc ghi âm)."
)
BTN_SELF_ASSESS = "✍️ Tự kiểm điểm"
BTN_OPEN_CYCLE = "🆕 Mở đánh giá năm {year}: {org}"
OPEN_CYCLE_ASK = "📋 <b>Mở đánh giá, xếp loại năm {year}</b> — {org}\nĐồng chí chọn thời hạn (tính từ hôm nay):"
BTN_PRESET = "Tự kiểm điểm {first} ngày · chi bộ {second} ngày · quyết định {third} ngày"
OPEN_CYCLE_CONFIRM = (
    "📋 <b>Mở đánh giá, xếp loại năm {year}</b> — {org}\n"
    "• Hạn tự kiểm điểm: {self_deadline}\n• Hạn chi bộ biểu quyết: {cell_deadline}\n• Hạn cấp ủy quyết định: {decide_deadline}\n"
    "• Xếp loại xuất sắc tối đa {limit}% số đảng viên.\n\nMọi đảng viên trong {org} sẽ nhận thông báo. Đồng chí xác nhận mở?"
)
BTN_OPEN_CONFIRM = "✅ Mở đánh giá"
BTN_BACK = "↩️ Quay lại"
CYCLE_OPENED = "✅ Đã mở đánh giá, xếp loại năm {year} cho {members} đảng viên của {org}. Mỗi đồng chí đã được báo."
REVIEW_NONE = "Hiện chưa có đợt đánh giá, xếp loại nào đang mở cho đồng chí."
REVIEW_STATUS = (
    "📋 <b>Đánh giá, xếp loại năm {year}</b>\n\n"
    "Tự kiểm điểm: {self_line}\n"
    "Tự đề nghị: <b>{self_rating}</b>\n"
    "Chi bộ đề nghị: <b>{cell_rating}</b>\n"
    "Cấp ủy quyết định: <b>{final_rating}</b>"
)
SELF_SENT_TEXT = "đã gửi"
SELF_SENT_VOICE = "đã gửi (ghi âm)"
SELF_MISSING = "chưa gửi"
ASK_SELF_TEXT = "✍️ Đồng chí gõ bản tự kiểm điểm ngắn, hoặc bấm 🎤 ghi âm rồi gửi."
SELF_TOO_LONG = "Bản tự kiểm điểm quá dài ({length}/{limit} ký tự). Đồng chí viết ngắn lại giúp."
SELF_EMPTY = "Bản tự kiểm điểm không được để trống."
VOICE_TOO_LONG = "Ghi âm dài quá {limit} phút. Đồng chí nói ngắn lại giúp."
ASK_SELF_RATING = "Đồng chí tự đề nghị xếp loại mức nào?"
SELF_SUBMITTED = "✅ Đã gửi bản tự kiểm điểm, tự đề nghị: <b>{rating}</b>. Cảm ơn đồng chí!"
CELL_CLOSED = "Đã hết hạn chi bộ biểu quyết đề nghị xếp loại ({deadline})."
CLOSES_AFTER_CELL_DEADLINE = "Biểu quyết đề nghị xếp loại phải kết thúc trước hạn của chi bộ ({deadline})."
DECIDE_CLOSED = "Đã hết hạn cấp ủy quyết định xếp loại ({deadline})."
SELF_CLOSED = "Đã hết hạn gửi bản tự kiểm điểm."
ALREADY_DECIDED = "Cấp ủy đã quyết định xếp loại, không sửa được nữa."
REVIEW_VOTE_QUESTION = "Đề nghị xếp loại đồng chí {name}: {rating}"
REVIEW_CELL_MENU = "📋 <b>Đánh giá, xếp loại năm {year}</b> — {cell}\n\n{lines}"
REVIEW_CELL_LINE = "• {name}: tự đề nghị {self_rating}; chi bộ: {cell_rating}; cấp ủy: {final_rating}"
DECIDE_CARD = "⚖️ <b>{name}</b>\nTự đề nghị: {self_rating}\nChi bộ đề nghị: <b>{cell_rating}</b>\nHiện: {final_rating}"
DECIDE_RECONSIDER = "🔁 Đề nghị xem xét lại: {reason}"
BTN_VOTE_RATING = "🗳 {name}"
ASK_PROPOSE = "Chi bộ biểu quyết đề nghị mức nào cho đồng chí {name}?"
NOT_REVIEWED_HERE = "Đảng viên này không thuộc đợt đánh giá của chi bộ."
CYCLE_EXISTS = "Đợt đánh giá năm {year} đã được mở cho tổ chức này (hoặc cấp trên, cấp dưới của nó)."
CYCLE_NEEDS_COMMITTEE = "Chỉ cấp ủy (đảng bộ) mới mở đợt đánh giá, xếp loại."
DEADLINES_TOO_FAR = "Hạn cấp ủy quyết định phải trong vòng một năm kể từ bây giờ."
DEADLINES_ORDER = "Các hạn phải theo thứ tự: tự kiểm điểm, chi bộ họp, cấp ủy quyết định, và ở sau bây giờ."
BAD_LIMIT = "Giới hạn mức xuất sắc phải từ 0 đến 100%."
NOT_DECIDER = "Chỉ cấp ủy cấp trên của chi bộ mới quyết định xếp loại."
OVER_TOP_LIMIT = (
    "Vượt giới hạn: mức «Hoàn thành xuất sắc nhiệm vụ» tối đa {limit}% ({allowed}/{total} đảng viên), "
    "đã có {already}."
)
RESULT_NOTICE = (
    "📋 <b>KẾT QUẢ XẾP LOẠI NĂM {year}</b>\n"
    "{org} đã quyết định xếp loại đồng chí: <b>{rating}</b>.\n\n"
    "Nếu chưa đồng ý, đồng chí có thể đề nghị xem xét lại <b>một lần</b>, nêu rõ lý do."
)
RESULT_NOTICE_FINAL = (
    "📋 <b>KẾT QUẢ XEM XÉT LẠI XẾP LOẠI NĂM {year}</b>\n"
    "{org} đã xem xét lại và quyết định: <b>{rating}</b>. Đây là kết quả cuối cùng."
)
BTN_RECONSIDER = "🔁 Đề nghị xem xét lại"
ASK_RECONSIDER_REASON = "✍️ Đồng chí gõ lý do đề nghị xem xét lại."
RECONSIDER_SENT = "✅ Đã gửi đề nghị xem xét lại. Cấp ủy sẽ trả lời đồng chí."
RECONSIDER_ONCE = "Đồng chí đã đề nghị xem xét lại một lần rồi."
RECONSIDER_NOT_YET = "Cấp ủy chưa quyết định xếp loại của đồng chí."
RECONSIDER_REASON_EMPTY = "Đồng chí cần nêu lý do đề nghị xem xét lại."
RECONSIDER_NOTICE = "🔁 <b>ĐỀ NGHỊ XEM XÉT LẠI XẾP LOẠI</b>\nĐồng chí {name} ({cell}), hiện: {rating}.\nLý do: {reason}"
NO_RECONSIDERATION = "Đảng viên này không có đề nghị xem xét lại đang chờ."
RATING_RECONSIDERING = "Đang xem xét lại"
EXPORT_HEADERS = ("Tổ chức", "Số đảng viên", *RATINGS.values(), RATING_PENDING, RATING_RECONSIDERING)
FIGURES = "📊 <b>Xếp loại năm {year}</b> — {org}\n{lines}"
FIGURES_LINE = "• {name}: {total} ĐV — XS {excellent}, Tốt {good}, HT {complete}, KHT {incomplete}, chưa {pending}"
FIGURES_RECONSIDERING = " (đang xem xét lại {count})"


# ---------------------------------------------------------------- the web console (api/console/votes.py)
CONSOLE_NAV_VOTES = "Biểu quyết"
CONSOLE_NAV_REVIEW = "Xếp loại"
CONSOLE_VOTES_TITLE = "Biểu quyết"
CONSOLE_VOTES_INTRO = "Các cuộc biểu quyết của {cell}. Mở biểu quyết mới bằng mẫu dưới đây, hoặc trong Telegram, Zalo, mục «Biểu quyết»."
CONSOLE_VOTES_EMPTY = "Chi bộ chưa có cuộc biểu quyết nào."
CONSOLE_COL_QUESTION = "Nội dung"
CONSOLE_COL_KIND = "Hình thức"
CONSOLE_COL_STATUS = "Trạng thái"
CONSOLE_COL_VOTED = "Đã biểu quyết"
CONSOLE_COL_RESULT = "Kết quả"
CONSOLE_OPEN = "Đang mở"
CONSOLE_CLOSES = "đến {time}"
CONSOLE_CLOSED = "Đã kết thúc"
CONSOLE_PASSED = "Thông qua"
CONSOLE_FAILED = "Không thông qua"
CONSOLE_INVALID = "Không hợp lệ (không đủ số lượng)"
CONSOLE_CLOSE = "Kết thúc và kiểm phiếu"
CONSOLE_RECORD_HANDS = "Ghi kết quả giơ tay"
CONSOLE_CLOSED_OK = "Đã kết thúc biểu quyết và kiểm phiếu."
CONSOLE_REVIEW_TITLE = "Đánh giá, xếp loại năm {year}"
CONSOLE_REVIEW_INTRO = "Kết quả xếp loại cuối cùng của đảng viên trong {org}, theo từng chi bộ và tổng hợp."
CONSOLE_REVIEW_EMPTY = "Chưa có đợt đánh giá, xếp loại nào của năm {year} trong {org}."
CONSOLE_YEAR_PICK = "Năm"
CONSOLE_TABLE_CELLS = "Theo chi bộ"
CONSOLE_TABLE_CHILDREN = "Theo tổ chức trực thuộc (cộng dồn)"
CONSOLE_TOTAL = "Tổng cộng"

CONSOLE_RATINGS_OK = "Đã cập nhật."
# Opening a vote from the console.
CONSOLE_NEW_VOTE = "Mở biểu quyết mới"
CONSOLE_QUESTION = "Nội dung biểu quyết"
CONSOLE_KIND = "Hình thức"
CONSOLE_MEETING = "Thuộc cuộc họp"
CONSOLE_NO_MEETING = "Không gắn với cuộc họp"
CONSOLE_VOTERS = "Ai biểu quyết"
CONSOLE_VOTERS_MEMBERS = "Đảng viên chính thức của chi bộ"
CONSOLE_VOTERS_PRESENT = "Chỉ người có mặt tại cuộc họp"
CONSOLE_CLOSES_PICK = "Kết thúc"
CONSOLE_CLOSES_CHOICES = {0: "Khi bí thư kết thúc", 15: "Sau 15 phút", 60: "Sau 1 giờ", 1440: "Sau 1 ngày"}
CONSOLE_CLOSES_INVALID = "Thời gian kết thúc chưa đúng. Đồng chí chọn một mục trong danh sách."
CONSOLE_OPEN_VOTE = "Mở biểu quyết"
CONSOLE_OPTIONS = "Các lựa chọn"
CONSOLE_OPTIONS_HINT = ("Từ {min} đến {max} lựa chọn, mỗi lựa chọn khác nhau. Lựa chọn thứ nhất là lựa chọn tán thành "
                        "(dùng để tính thông qua).")
CONSOLE_OPTION_LABEL = "Lựa chọn {n}"
CONSOLE_OPTION_ADD = "+ Thêm lựa chọn"
CONSOLE_OPTION_REMOVE = "Bỏ"
CONSOLE_OPTION_REMOVE_LABEL = "Bỏ lựa chọn {n}"
CONSOLE_OPTIONS_FULL = "Đã đủ {max} lựa chọn."
CONSOLE_OPENED_OK = "Đã mở biểu quyết; phiếu đã gửi tới {sent} đảng viên."
CONSOLE_OPENED_HAND_OK = "Đã mở biểu quyết giơ tay; ghi kết quả khi chi bộ biểu quyết xong."
# Opening the year's review from the console.
CONSOLE_NEW_REVIEW = "Mở đợt đánh giá, xếp loại năm {year}"
CONSOLE_NEW_REVIEW_INTRO = ("Mỗi đảng viên trong tổ chức được chọn (trừ người miễn sinh hoạt) nhận thông báo và nút «Tự kiểm điểm». "
                            "Các hạn tính đến 17:00 ngày đã chọn.")
CONSOLE_REVIEW_ORG = "Tổ chức đánh giá"
CONSOLE_SELF_DEADLINE = "Hạn tự kiểm điểm"
CONSOLE_CELL_DEADLINE = "Hạn chi bộ biểu quyết đề nghị"
CONSOLE_DECIDE_DEADLINE = "Hạn cấp ủy quyết định"
CONSOLE_TOP_LIMIT = "Tỷ lệ tối đa «Hoàn thành xuất sắc» (%)"
CONSOLE_OPEN_REVIEW = "Mở đợt đánh giá"
CONSOLE_REVIEW_OPENED_OK = "Đã mở đợt đánh giá, xếp loại; đã báo cho các đảng viên."
CONSOLE_DATE_INVALID = "Ngày chưa đúng. Đồng chí chọn ngày trong lịch."
# A cell's entries: the cell's proposal and the committee's decision.
CONSOLE_CELL_REVIEW_TITLE = "Xếp loại năm {year} — {cell}"
CONSOLE_BACK_REVIEW = "Bảng xếp loại năm {year} của {cell}"
CONSOLE_DEADLINES = "Hạn tự kiểm điểm: {self}. Hạn chi bộ đề nghị: {cell}. Hạn cấp ủy quyết định: {decide}."
CONSOLE_TOP_USAGE = ("Giới hạn «Hoàn thành xuất sắc»: {limit}% của {total} đảng viên được đánh giá, tối đa {allowed}; "
                     "đã quyết định {used}.")
CONSOLE_COL_MEMBER = "Đảng viên"
CONSOLE_COL_SELF = "Tự kiểm điểm"
CONSOLE_COL_SELF_RATING = "Tự đề nghị"
CONSOLE_COL_CELL_RATING = "Chi bộ đề nghị"
CONSOLE_COL_FINAL = "Cấp ủy quyết định"
CONSOLE_SELF_VOICE = "Bản ghi âm (nghe trong Telegram)"
CONSOLE_SELF_NONE = "Chưa gửi"
CONSOLE_RECONSIDER = "Đề nghị xem xét lại: {reason}"
CONSOLE_DECIDE_PICK = "Cấp ủy quyết định mức"
CONSOLE_PROPOSE_PICK = "Mức đề nghị đưa ra biểu quyết"
CONSOLE_RATING_CHOOSE = "— Chọn mức —"
CONSOLE_DECIDE = "Quyết định"
CONSOLE_DECIDED_OK = "Đã ghi quyết định xếp loại; đảng viên đã được báo."
CONSOLE_VOTE_RATING = "Đưa ra chi bộ biểu quyết"
CONSOLE_RATING_VOTE_OK = "Đã mở biểu quyết đề nghị xếp loại."
CONSOLE_FINAL_NOTE = "(kết quả cuối cùng)"
