"""Góp ý, phản ánh, đề xuất: sending, the inbox of those who answer, and the answers."""

# Kinds and states as people read them.
KINDS = {"comment": "Góp ý", "report": "Phản ánh", "proposal": "Đề xuất"}
KIND_BUTTONS = {"comment": "💬 Góp ý", "report": "⚠️ Phản ánh", "proposal": "💡 Đề xuất"}
STATES = {"open": "🟡 Chờ trả lời", "answered": "🟢 Đã trả lời", "closed": "⚪ Đã đóng"}

# The ✍️ Góp ý menu.
MENU = (
    "✍️ <b>Góp ý, phản ánh, đề xuất</b>\n\n"
    "Đồng chí gửi ý kiến tới chi bộ hoặc cấp ủy cấp trên trực tiếp, "
    "và xem lại câu trả lời tại đây."
)
BTN_NEW = "📝 Gửi ý kiến mới"
BTN_MINE = "🗂 Ý kiến của tôi"
BTN_INBOX = "📥 Hộp thư góp ý"
BTN_INBOX_WAITING = "📥 Hộp thư ({count} chờ trả lời)"

# Sending.
ASK_KIND = (
    "Đồng chí muốn gửi loại ý kiến nào?\n\n"
    "💬 <b>Góp ý</b> — ý kiến đóng góp cho công việc chung.\n"
    "⚠️ <b>Phản ánh</b> — báo một việc chưa đúng, chưa tốt.\n"
    "💡 <b>Đề xuất</b> — kiến nghị một việc nên làm."
)
ASK_RECIPIENT = "Đồng chí gửi <b>{kind}</b> tới đâu?"
BTN_TO_CELL = "🏠 {name}"
BTN_TO_COMMITTEE = "🏛 {name}"
ASK_CONTENT = (
    "Đồng chí gửi <b>{kind}</b> tới <b>{org}</b>.\n\n"
    "Bây giờ đồng chí <b>gõ nội dung</b>, hoặc <b>bấm giữ nút 🎤</b> để nói, hoặc gửi <b>một ảnh</b>. "
    "Mỗi ý kiến là một tin nhắn.\n\n"
    "(Chữ tối đa {max_chars} ký tự; tin nhắn thoại tối đa {max_minutes} phút.)"
)
SENT = (
    "✅ Đã gửi <b>{kind}</b> tới <b>{org}</b>.\n"
    "Số hiệu: <b>{reference}</b>\n\n"
    "Khi có trả lời, Sổ tay sẽ báo đồng chí. Đồng chí xem lại ở ✍️ Góp ý → 🗂 Ý kiến của tôi."
)

# Refusals when sending. Each one says what to do next.
TEXT_EMPTY = "Nội dung đang trống. Đồng chí vui lòng gõ vài dòng, hoặc bấm giữ nút 🎤 để nói."
TEXT_TOO_LONG = (
    "Nội dung dài {length} ký tự, vượt quá giới hạn {limit} ký tự nên chưa được gửi. "
    "Đồng chí vui lòng rút gọn lại, hoặc bấm giữ nút 🎤 để nói."
)
VOICE_TOO_LONG = (
    "Tin nhắn thoại dài {minutes} phút {seconds} giây, vượt quá {limit} phút nên chưa được gửi. "
    "Đồng chí vui lòng nói ngắn gọn hơn."
)
FILE_TOO_LARGE = "Tệp nặng {size} MB, vượt quá giới hạn {limit} MB nên chưa được gửi."
UNSUPPORTED = (
    "Sổ tay chỉ nhận ý kiến bằng <b>chữ</b>, <b>tin nhắn thoại</b> hoặc <b>ảnh</b>. "
    "Đồng chí vui lòng gõ nội dung, hoặc bấm giữ nút 🎤 để nói."
)
UNSUPPORTED_IMAGE_FILE = (
    "Ảnh này được gửi dưới dạng tệp. Đồng chí vui lòng gửi lại theo cách gửi <b>ảnh</b> thông thường "
    "(bấm 📎 rồi chọn ảnh), hoặc gõ nội dung."
)
RATE_HOUR = (
    "Đồng chí đã gửi {count} ý kiến trong một giờ qua, là mức tối đa. "
    "Xin vui lòng gửi tiếp sau khoảng {minutes} phút."
)
RATE_DAY = (
    "Đồng chí đã gửi {count} ý kiến trong 24 giờ qua, là mức tối đa. "
    "Xin vui lòng gửi tiếp sau khoảng {hours} giờ."
)
FLOOD = (
    "Đồng chí gửi nhiều tin liên tiếp quá nhanh. Mỗi ý kiến là <b>một tin nhắn</b>; "
    "xin đợi vài giây rồi gửi lại nội dung."
)
TOO_SOON = "Đồng chí vừa gửi một ý kiến. Xin đợi vài giây rồi gửi tiếp."
EXTRA_AFTER_SENT = (
    "Ý kiến <b>{reference}</b> đã được ghi nhận với tin nhắn đầu tiên; các tin gửi thêm ngay sau đó chưa được ghi. "
    "Muốn gửi thêm, đồng chí bấm ✍️ Góp ý → 📝 Gửi ý kiến mới."
)
RECIPIENT_INVALID = (
    "Nơi nhận không hợp lệ. Đồng chí chỉ gửi được tới chi bộ của mình hoặc cấp ủy cấp trên trực tiếp."
)
FLOW_EXPIRED = "Phiên gửi ý kiến đã hết hạn. Đồng chí bấm ✍️ Góp ý để bắt đầu lại."

# Lists.
MINE_TITLE = "🗂 <b>Ý kiến của tôi</b> — trang {page}/{pages}"
MINE_EMPTY = "🗂 Đồng chí chưa gửi ý kiến nào."
INBOX_TITLE = "📥 <b>Hộp thư góp ý</b> — {view}, trang {page}/{pages}"
INBOX_EMPTY_WAITING = "📥 Không có ý kiến nào đang chờ trả lời."
INBOX_EMPTY = "📥 Hộp thư chưa có ý kiến nào."
VIEW_WAITING = "chờ trả lời"
VIEW_ALL = "tất cả"
BTN_VIEW_WAITING = "🟡 Chờ trả lời"
BTN_VIEW_ALL = "📁 Tất cả"
BTN_PREV = "⬅️ Trang trước"
BTN_NEXT = "Trang sau ➡️"
LIST_LINE = "{number}. <b>{reference}</b> · {kind} · {state}\n    {who} — {date}\n    {excerpt}"
LIST_LINE_MINE = "{number}. <b>{reference}</b> · {kind} · {state}\n    Gửi {org} — {date}\n    {excerpt}"
BTN_ITEM = "{reference} · {who}"
BTN_ITEM_MINE = "{reference} · {state}"
EXCERPT_VOICE = "🎤 Tin nhắn thoại {duration}"
EXCERPT_PHOTO = "🖼 Ảnh"

# One item.
CARD = (
    "{kind_icon} <b>{reference}</b> — {kind}\n"
    "Người gửi: đồng chí <b>{author}</b> ({author_cell})\n"
    "Gửi tới: {addressed}\n"
    "{current_line}"
    "Ngày gửi: {date}\n"
    "Trạng thái: {state}"
)
CARD_MINE = (
    "{kind_icon} <b>{reference}</b> — {kind}\n"
    "Gửi tới: {addressed}\n"
    "{current_line}"
    "Ngày gửi: {date}\n"
    "Trạng thái: {state}"
)
KIND_ICONS = {"comment": "💬", "report": "⚠️", "proposal": "💡"}
CURRENT_LINE = "Đang được xem xét tại: <b>{org}</b>\n"
BODY_VOICE = "🎤 <i>Tin nhắn thoại {duration}</i> (đã gửi kèm ở trên)"
BODY_PHOTO = "🖼 <i>Ảnh</i> (đã gửi kèm ở trên)"
REPLIES_TITLE = "<b>Trả lời</b>"
REPLY_LINE = "💬 {org} — đồng chí {author}, {date}:\n{body}"
REPLY_VOICE = "🎤 <i>tin nhắn thoại {duration}</i>"
FORWARD_LINE = "⬆️ {date}: {from_org} chuyển lên {to_org}{note}"
FORWARD_NOTE = " — «{note}»"
NO_REPLY_YET = "<i>Chưa có trả lời.</i>"
TRUNCATED = "…"

BTN_OPEN = "📂 Mở ý kiến"
BTN_VIEW = "📂 Xem ý kiến"
BTN_REPLY = "💬 Trả lời"
BTN_CLOSE = "✅ Đóng ý kiến"
BTN_FORWARD = "⬆️ Chuyển lên cấp trên"
BTN_BACK_INBOX = "⬅️ Hộp thư"
BTN_BACK_MINE = "⬅️ Ý kiến của tôi"
BTN_BACK_MENU = "⬅️ Quay lại"

# Answering, forwarding, closing.
ASK_REPLY = (
    "Đồng chí trả lời ý kiến <b>{reference}</b> của đồng chí {author}.\n\n"
    "Đồng chí <b>gõ câu trả lời</b>, hoặc <b>bấm giữ nút 🎤</b> để trả lời bằng giọng nói."
)
REPLY_SENT = "✅ Đã gửi trả lời tới đồng chí <b>{author}</b> (ý kiến {reference})."
REPLY_UNSUPPORTED = "Câu trả lời chỉ nhận <b>chữ</b> hoặc <b>tin nhắn thoại</b>. Đồng chí vui lòng gõ, hoặc bấm giữ nút 🎤 để nói."
REPLY_TOO_LONG = (
    "Câu trả lời dài {length} ký tự, vượt quá giới hạn {limit} ký tự nên chưa được gửi. "
    "Đồng chí vui lòng rút gọn lại."
)
CONFIRM_FORWARD = (
    "Chuyển ý kiến <b>{reference}</b> lên <b>{org}</b>?\n"
    "Cấp ủy cấp trên sẽ tiếp nhận, xem xét và trả lời đồng chí {author}."
)
FORWARDED = "✅ Đã chuyển ý kiến <b>{reference}</b> lên <b>{org}</b>."
CONFIRM_CLOSE = "Đóng ý kiến <b>{reference}</b>?\nSau khi đóng sẽ không trả lời hay chuyển lên được nữa."
CLOSED = "✅ Đã đóng ý kiến <b>{reference}</b>."
ALREADY_CLOSED = "Ý kiến này đã được đóng, không trả lời hay chuyển lên được nữa."
NO_HIGHER_LEVEL = "Ý kiến đã ở cấp cao nhất, không chuyển lên được nữa."
OWN_ITEM = "Đồng chí không thể tự trả lời, chuyển hay đóng ý kiến của chính mình."
NOT_AT_YOUR_LEVEL = "Ý kiến này hiện do {org} xem xét; đồng chí chỉ xem được, không trả lời hay chuyển tiếp."

# Messages that go through the outbox.
NOTICE_NEW = (
    "📥 <b>Ý kiến mới {reference}</b> — {kind}\n"
    "Từ đồng chí <b>{author}</b> ({author_cell})\n"
    "Gửi tới: {org}\n\n"
    "{excerpt}"
)
NOTICE_FORWARDED = (
    "⬆️ <b>Ý kiến {reference}</b> — {kind}, được {from_org} chuyển lên {to_org}\n"
    "Từ đồng chí <b>{author}</b> ({author_cell})\n\n"
    "{excerpt}"
)
NOTICE_FORWARD_NOTE = "\n\nGhi chú: «{note}»"
NOTICE_REPLY = "💬 <b>Trả lời ý kiến {reference}</b> ({kind})\n{org} — đồng chí {replier}:\n\n{body}"
NOTICE_REPLY_VOICE = "💬 <b>Trả lời ý kiến {reference}</b> ({kind})\n{org} — đồng chí {replier} trả lời bằng tin nhắn thoại."
NOTICE_FORWARDED_TO_AUTHOR = (
    "⬆️ Ý kiến <b>{reference}</b> của đồng chí đã được {from_org} chuyển lên <b>{to_org}</b> để xem xét, trả lời."
)
NOTICE_CLOSED_TO_AUTHOR = "Ý kiến <b>{reference}</b> của đồng chí đã được {org} ghi nhận và khép lại."

# API messages people may read.
API_ORG_UNKNOWN = "Không tìm thấy tổ chức này."
