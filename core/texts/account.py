"""Linking an account, the home menu, the profile and the help screen."""

WELCOME_UNLINKED = (
    "Xin chào đồng chí! Đây là <b>Sổ tay đảng viên điện tử</b>.\n\n"
    "Để bắt đầu, đồng chí bấm nút <b>«📱 Gửi số điện thoại»</b> ở dưới màn hình, "
    "hoặc mở đường liên kết mời mà bí thư chi bộ đã gửi."
)
SHARE_PHONE_BUTTON = "📱 Gửi số điện thoại"
LINKED = (
    "✅ Đã liên kết tài khoản với đồng chí <b>{name}</b> — {cell}.\n"
    "Từ nay thông báo họp, lời nhắc và nghị quyết sẽ được gửi đến đây. "
    "Đồng chí chọn các nút lớn ở dưới màn hình để sử dụng."
)
ALREADY_LINKED = "Tài khoản này đã được liên kết với đồng chí <b>{name}</b>. Đồng chí chọn một nút bên dưới."
HOME = "Đồng chí chọn một mục bên dưới."

# Refusals when linking. Deliberately vague about which part was wrong where precision would help an attacker.
CODE_INVALID = "Mã mời không đúng. Đồng chí vui lòng kiểm tra lại đường liên kết hoặc hỏi bí thư chi bộ."
CODE_EXPIRED = "Mã mời đã hết hạn. Đồng chí vui lòng đề nghị bí thư chi bộ gửi mã mới."
CODE_USED = "Mã mời này đã được dùng. Mỗi mã chỉ dùng được một lần; đồng chí vui lòng hỏi bí thư chi bộ."
CONTACT_NOT_OWN = "Đồng chí vui lòng gửi số điện thoại <b>của chính mình</b> bằng nút «📱 Gửi số điện thoại»."
PHONE_UNKNOWN = (
    "Số điện thoại này chưa có trong danh sách đảng viên. "
    "Đồng chí vui lòng liên hệ bí thư chi bộ để được cập nhật, hoặc dùng đường liên kết mời."
)
ACCOUNT_TAKEN = (
    "Tài khoản này đã được liên kết với một đảng viên khác. "
    "Đồng chí vui lòng liên hệ bí thư chi bộ."
)
MEMBER_TAKEN = (
    "Hồ sơ của đồng chí đã được liên kết với một tài khoản khác. "
    "Để đổi tài khoản, đồng chí vui lòng đề nghị bí thư chi bộ đặt lại liên kết."
)
MEMBER_INACTIVE = "Hồ sơ này hiện không còn hoạt động. Đồng chí vui lòng liên hệ bí thư chi bộ."
LINK_RATE_LIMITED = "Đồng chí đã thử quá nhiều lần. Xin vui lòng thử lại sau {minutes} phút."

# The home keyboard. Two large buttons a row at most.
BTN_MEETINGS = "📅 Lịch họp"
BTN_RESOLUTIONS = "📜 Nghị quyết"
BTN_FEEDBACK = "✍️ Góp ý"
BTN_PROFILE = "👤 Hồ sơ"
BTN_HELP = "❓ Hướng dẫn"
BTN_NOTICE = "📢 Thông báo"
BTN_STATS = "📊 Thống kê"

PROFILE = (
    "👤 <b>Hồ sơ đảng viên</b>\n\n"
    "Họ và tên: <b>{full_name}</b>\n"
    "Ngày sinh: {date_of_birth}\n"
    "Giới tính: {gender}\n"
    "Ngày vào Đảng: {joined_on}\n"
    "Ngày chính thức: {official_on}\n"
    "Số thẻ đảng viên: {card_number}\n"
    "Chi bộ: {cell}\n"
    "Số định danh cá nhân: {citizen_id}\n"
    "Số điện thoại: {phone}\n"
    "{status_line}"
)
PROBATIONARY = "(dự bị)"
STATUS_OFFICIAL = "Đảng viên chính thức"
STATUS_PROBATIONARY = "Đảng viên dự bị"
STATUS_EXEMPT = "Miễn sinh hoạt"
NO_PHONE = "(chưa có)"
FOLLOWING_ON = "\n📬 Đồng chí miễn sinh hoạt, vẫn nhận thông báo, nghị quyết và giấy mời họp của chi bộ (không bắt buộc dự)."
FOLLOWING_OFF = "\n📭 Đồng chí miễn sinh hoạt và đã tắt nhận thông báo của chi bộ."
BTN_FOLLOW_OFF = "📭 Thôi nhận thông báo"
BTN_FOLLOW_ON = "📬 Nhận lại thông báo"
FOLLOW_TURNED_OFF = "Đã tắt. Đồng chí sẽ không nhận thông báo, nghị quyết, giấy mời họp của chi bộ nữa."
FOLLOW_TURNED_ON = "Đã bật. Đồng chí sẽ nhận thông báo, nghị quyết và giấy mời họp (không bắt buộc dự)."
PROFILE_FOOTER = "\n🔒 Số định danh và số điện thoại được che một phần để bảo vệ thông tin của đồng chí."

HELP = (
    "❓ <b>Hướng dẫn sử dụng</b>\n\n"
    "📅 <b>Lịch họp</b> — xem các buổi họp sắp tới và trả lời dự họp hay xin vắng.\n"
    "📜 <b>Nghị quyết</b> — đọc và nghe tóm tắt các nghị quyết, văn bản mới.\n"
    "✍️ <b>Góp ý</b> — gửi góp ý, phản ánh, đề xuất tới chi bộ hoặc cấp ủy.\n"
    "👤 <b>Hồ sơ</b> — xem thông tin của đồng chí và chỉnh cách nghe giọng đọc.\n"
    "❓ <b>Hướng dẫn</b> — xem lại trang này.\n"
)
HELP_SECRETARY = (
    "\n<b>Dành cho bí thư, phó bí thư:</b>\n"
    "📢 <b>Thông báo</b> — gửi thông báo tới đảng viên trong chi bộ.\n"
    "📊 <b>Thống kê</b> — xem số liệu dự họp, học tập nghị quyết.\n"
)
HELP_FOOTER = "\nNếu cần giúp đỡ, đồng chí cứ hỏi bí thư chi bộ hoặc gõ /start để về màn hình chính."

COMMANDS = {
    "start": "Màn hình chính",
    "lichhop": "Lịch họp",
    "nghiquyet": "Nghị quyết",
    "gopy": "Góp ý",
    "hoso": "Hồ sơ của tôi",
    "huongdan": "Hướng dẫn sử dụng",
}

# Which messenger receives a member linked on both (👤 Hồ sơ).
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo"}
PROFILE_CHANNEL = "Nhận tin qua: <b>{channel}</b>"
BTN_RECEIVE_VIA = "📱 Nhận tin qua {channel}"
CHANNEL_SWITCHED = "✅ Từ nay tin nhắn của Sổ tay sẽ gửi đến đồng chí qua <b>{channel}</b>."
CHANNEL_NOT_LINKED = "Đồng chí chưa liên kết tài khoản trên ứng dụng này, nên chưa thể nhận tin qua đó."

# Invites on paper (`sotay members invite`, `sotay members invite-sheet`).
INVITE_ZALO = "Trên Zalo: nhắn mã {code} cho Sổ tay"
SHEET_TITLE = "Mã mời sử dụng Sổ tay đảng viên — {cell}"
SHEET_INTRO = "Mỗi đồng chí nhận phiếu của mình. Mỗi mã chỉ dùng một lần, hết hạn ngày {date}."
SHEET_EMPTY = "Mọi đảng viên của chi bộ đã liên kết tài khoản: không cần phiếu mời."
CARD_HEADING = "Sổ tay đảng viên điện tử"
CARD_TELEGRAM = "Trên Telegram: quét mã QR bằng điện thoại, hoặc mở đường liên kết:"
CARD_ZALO = "Trên Zalo: tìm «Sổ tay» và nhắn mã"
CARD_CODE_LABEL = "Mã mời"
CARD_EXPIRES = "Hết hạn ngày {date}. Không đưa mã cho người khác."
