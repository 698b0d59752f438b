"""What the bot answers to a message outside any flow (bot/routers/fallback.py)."""

NEXT_MEETING = (
    "📅 <b>Cuộc họp sắp tới của đồng chí</b>\n"
    "<b>{title}</b>\n"
    "🕰 {when}\n"
    "📍 {place}\n"
    "Trả lời của đồng chí: {answer}"
)
NO_MEETING = "📅 Hiện đồng chí chưa có cuộc họp nào sắp tới. Khi chi bộ mời họp, Sổ tay sẽ báo đồng chí."
BTN_OPEN_INVITATION = "📅 Xem thư mời và trả lời"
OFFER_FEEDBACK = (
    "✍️ Đồng chí muốn gửi nội dung vừa rồi làm <b>góp ý</b> tới <b>{cell}</b>?\n"
    "Bấm «📨 Gửi góp ý» để gửi, hoặc chọn một nút ở bàn phím bên dưới."
)
BTN_SEND_FEEDBACK = "📨 Gửi góp ý"
BTN_DONT_SEND = "✖️ Không gửi"
NOT_SENT = "Đã bỏ qua, nội dung không được gửi."
OFFER_GONE = "Nội dung này không còn để gửi. Đồng chí vui lòng gửi lại, hoặc dùng nút ✍️ Góp ý."
