"""Words of the channels without buttons (Zalo): numbered choices, the words that select them,
links in place of voice and files, and the polite answers to replies that select nothing."""

from core.texts import common, meetings, notices

# The numbered list under a screen. "Trả lời 1 để …, 2 để …" reads well for two or three choices;
# a longer list goes one per line.
CHOICE_LINE = "{number}. {label}"
LIST_BULLET = "•"  # a screen's own numbered lines, when it has numbered choices: only choices carry numbers
CHOICES_HINT = "👉 Đồng chí trả lời bằng số ({numbers})."
CHOICES_SHORT = "👉 Trả lời {pairs}."
CHOICES_SHORT_PAIR = "{number} để {label}"
CHOICES_SHORT_MAX = 3  # above this, one choice per line
LINK_LINE = "🔗 {label}: {url}"

WRONG_CHOICE = "Xin lỗi đồng chí, không có lựa chọn «{typed}». Đồng chí trả lời một trong các số sau:"
AMBIGUOUS_CHOICE = "Xin lỗi đồng chí, Sổ tay chưa rõ đồng chí chọn mục nào («{typed}»). Đồng chí trả lời bằng số:"

LISTEN = "🔊 Nghe: {url}"
DOWNLOAD = "📄 Tải về: {url}"
SEE_PHOTO = "🖼 Xem ảnh: {url}"
QUIZ_QUESTION = "❓ {question}"

NOT_LINKED = (
    "Xin chào đồng chí! Đây là Sổ tay đảng viên điện tử.\n"
    "Tài khoản Zalo này chưa được liên kết với hồ sơ đảng viên. Đồng chí vui lòng gõ mã mời gồm 8 ký tự "
    "mà bí thư chi bộ đã gửi (ví dụ: AB3K7PQ2) rồi gửi đi."
)
NOT_HERE = (
    "Việc này cần gửi tệp nên chưa làm được trên Zalo. Đồng chí vui lòng làm trên Telegram "
    "hoặc trên trang quản trị của chi bộ."
)
TEXT_TOO_LONG = "Tin nhắn dài quá ({length} ký tự). Đồng chí vui lòng viết ngắn gọn hơn (tối đa {limit} ký tự)."

# Telegram wording → Zalo wording, applied when a screen is rendered for Zalo (bot/zalo/render.py).
# Zalo has no buttons: no Zalo screen says "bấm" or "nút". Whole phrases first, in this order…
PHRASES = (
    ("chọn một nút bên dưới", "trả lời bằng một số bên dưới"),
    ("chọn các nút lớn ở dưới màn hình", "trả lời bằng số theo danh sách"),
    ("Đồng chí chọn một mục bên dưới.", "Đồng chí trả lời bằng một số bên dưới."),
    ("bấm giữ nút micro và đọc", "ghi âm và đọc"),
    ("bấm giữ nút micro", "ghi âm"),
    ("Bấm vào đường dẫn", "Mở đường dẫn"),
    ("bấm vào đường dẫn", "mở đường dẫn"),
    ("rồi bấm ➤", "rồi gửi đi"),
    ("và bấm ➤", "và gửi đi"),
    ("chọn một nút", "trả lời bằng một số"),
    ("bấm một nút bên trên", "trả lời một số bên trên"),
    ("bấm một nút", "trả lời một số"),
    ("bằng nút bên dưới", "bằng cách trả lời số bên dưới"),
    ("bấm nút bên dưới", "trả lời số bên dưới"),
    ("bấm nút dưới đây", "trả lời số bên dưới"),
    ("bấm nút chọn", "trả lời một số bên dưới"),
    ("các nút bên dưới", "các số bên dưới"),
)
# Before them, a button named in «…» that the screen offers becomes its number, one it does not
# offer is "chosen"; after them, whatever "bấm"/"nút" is left becomes "chọn"/"mục". (Offers to
# "hold 🎤 to speak" are dropped: Zalo passes no voice to bots.)
PRESS_CHOICE = "trả lời số {number} («{label}»)"
PRESS_OTHER = "chọn «{label}»"
PRESS = "chọn"
PRESS_BUTTON = "chọn"
BUTTON = "mục"

# Words that also select a choice, by the choice's label. The label itself (without its emoji)
# always selects it too. Matching forgives case, spacing and, when that is unambiguous, diacritics.
_YES = ("có", "vâng", "ok", "được", "đồng ý", "ừ")
CHOICE_WORDS: dict[str, tuple[str, ...]] = {
    meetings.BTN_ATTEND: ("dự", "dự họp", "đi", "đi họp", "tham dự", "có mặt", *_YES),
    meetings.BTN_ABSENT: ("vắng", "xin vắng", "vắng mặt", "nghỉ", "bận", "không", "không đi"),
    meetings.BTN_APPROVE: ("duyệt", *_YES),
    meetings.BTN_REFUSE: ("không", "từ chối", "không duyệt"),
    notices.BTN_SEEN: ("xem", "đã xem", "đã đọc", "đọc rồi", "xem rồi", *_YES),
    common.YES: _YES,
    common.NO: ("không",),
    common.BACK: ("quay lại", "trở lại"),
    meetings.BTN_BACK: ("quay lại", "trở lại"),
    common.CANCEL: ("hủy", "thôi"),
    meetings.BTN_CANCEL_FLOW: ("hủy", "thôi"),
}
# "số 2", "chọn 2", "câu 2": the words a person may put before the number.
NUMBER_PREFIXES = ("số", "chọn", "câu", "mục", "trả lời", "phương án")
