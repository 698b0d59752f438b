"""The training ground (`sotay demo`): what a trainee reads on their phone and a trainer on the big screen."""

PRACTICE_CELL = "Chi bộ tập huấn (thực hành)"
PRACTICE_SECRETARY_CELL = "Chi bộ tập huấn số {number} (thực hành)"
GUIDE_NAME = "Hướng dẫn viên"
PRACTICE_MEMBER = "Đảng viên mẫu {letter}"
TRAINEE_NAMES = [
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Giang", "Đặng Văn Hải",
    "Bùi Thị Hoa", "Đỗ Văn Khánh", "Hồ Thị Lan", "Ngô Văn Minh", "Dương Thị Nga", "Lý Văn Phúc", "Mai Thị Quyên",
    "Trịnh Văn Sơn", "Đinh Thị Tâm", "Lò Văn Tùng", "Giàng Thị Vân", "Sùng A Xá", "Hà Thị Yến",
]
TRAINEE_NAME = "{name} ({number})"
TRAINEE_LABEL = "Học viên tập huấn · {track}"
TRACKS = {"member": "Đảng viên", "secretary": "Bí thư chi bộ"}

PRACTICE_MEETING_PLACE = "Hội trường tập huấn"
PRACTICE_MEETING_AGENDA = "1. Thực hành trả lời giấy mời họp trên Sổ tay.\n2. Trao đổi, giải đáp."
PRACTICE_EXCUSE_AGENDA = "1. Thực hành xin vắng họp có lý do.\n2. Trao đổi, giải đáp."
PRACTICE_CONCLUSIONS = (
    "Chi bộ thống nhất:\n1. Mỗi đảng viên cài và dùng Sổ tay để nhận giấy mời, nghe nghị quyết.\n"
    "2. Đồng chí nào chưa quen thì nhờ tổ tập huấn hướng dẫn lại."
)
PRACTICE_ABSENCE_REASON = "Đi công tác xa, xin phép chi bộ cho vắng buổi này."

LESSON_OF = "Bài {number}/{total} · {title}"
DONE = "🎉 Chúc mừng đồng chí đã làm đúng!"
ALL_DONE = "🎓 Đồng chí đã hoàn thành các bài được giao. Xin chờ hướng dẫn viên mở bài tiếp theo."
WAITING = "⏳ Xin chờ hướng dẫn viên mở bài đầu tiên."
HINT = "Gợi ý: {hint}"

# Each lesson: title, the one large line of what to do, and the hint after a step that did not do it.
LESSONS = {
    "rsvp": ("Trả lời giấy mời", "Bấm «✅ Tôi sẽ dự họp» dưới THÔNG BÁO MỜI HỌP buổi «thực hành trả lời giấy mời».",
             "Kéo lên tìm tin THÔNG BÁO MỜI HỌP có dòng «Thực hành trả lời giấy mời», rồi bấm nút ✅ ngay dưới tin đó."),
    "excuse": ("Xin vắng họp có lý do", "Ở buổi «thực hành xin vắng họp», bấm «🙏 Xin vắng mặt» và gửi lý do.",
               "Bấm 🙏 dưới giấy mời buổi «Thực hành xin vắng họp», chọn lý do rồi gõ vài chữ giải thích và bấm ➤."),
    "study": ("Nghe nghị quyết", "Bấm «📜 Nghị quyết», mở Kế hoạch 12-KH/ĐU, nghe bản tóm tắt rồi bấm «✅ Tôi đã nghiên cứu».",
              "Bấm nút 📜 Nghị quyết ở bàn phím dưới cùng, chọn văn bản 12-KH/ĐU; nút ✅ nằm dưới bản tóm tắt."),
    "conclusions": ("Đọc kết luận cuộc họp", "Bấm «📅 Lịch họp» để đọc kết luận buổi sinh hoạt vừa rồi.",
                    "Nút 📅 Lịch họp ở bàn phím dưới cùng; kết luận nằm cuối tin trả lời."),
    "feedback": ("Gửi góp ý", "Bấm «✍️ Góp ý», chọn loại góp ý rồi gõ một câu góp ý và gửi.",
                 "Bấm ✍️ Góp ý, chọn «Góp ý», gửi cho chi bộ, rồi gõ nội dung và bấm ➤."),
    "create_meeting": ("Tạo cuộc họp", "Bấm «📅 Lịch họp» → «➕ Tạo cuộc họp» và tạo một buổi họp cho chi bộ của mình.",
                       "Trong 📅 Lịch họp có nút ➕; chọn ngày, giờ, địa điểm rồi bấm xác nhận."),
    "approve_absence": ("Duyệt xin vắng", "Đồng ý cho «Đảng viên mẫu A» vắng họp: bấm «Đồng ý» dưới BÁO CÁO XIN VẮNG HỌP.",
                        "Tìm tin BÁO CÁO XIN VẮNG HỌP của Đảng viên mẫu A và bấm nút Đồng ý."),
    "notice": ("Gửi thông báo", "Bấm «📢 Thông báo», gửi một thông báo cho chi bộ và đọc báo cáo gửi.",
               "Bấm 📢 Thông báo → soạn thông báo mới, gõ nội dung, xem trước rồi bấm Gửi."),
    "publish": ("Ban hành văn bản", "Bấm «📜 Nghị quyết» → «➕ Đăng văn bản» cho chi bộ của mình.",
                "Trong 📜 Nghị quyết có nút ➕ Đăng văn bản: gõ tên, nội dung tóm tắt rồi bấm Ban hành."),
    "monthly_report": ("Gửi báo cáo tháng", "Bấm «📊 Thống kê» → «📈 Số liệu tổng hợp» → «📝 Báo cáo tháng», xem lại rồi bấm Gửi.",
                       "Báo cáo tháng do Sổ tay soạn sẵn: trong 📊 Thống kê mở 📈 Số liệu tổng hợp, bấm 📝 Báo cáo tháng rồi «📤 Gửi lên cấp ủy»."),
}

# the trainer's page
TRAINER_TITLE = "Tập huấn Sổ tay — màn hình hướng dẫn viên"
JOIN_PROMPT = "Quét mã bằng điện thoại để bắt đầu thực hành"

# On Zalo there are no buttons: the bot's lists are answered by typing their number or a word.
ZALO_FIRST_WORDS = "Xin chào"  # a Zalo person must write first before a bot may write to them
LESSONS_ZALO: dict[str, tuple[str, str]] = {  # task, hint (the title is the lesson's on either messenger)
    "rsvp": ("Gõ 1 («✅ Tôi sẽ dự họp») để trả lời THÔNG BÁO MỜI HỌP buổi «thực hành trả lời giấy mời».",
             "Tin cuối cùng là THÔNG BÁO MỜI HỌP «Thực hành trả lời giấy mời»: gõ số 1 rồi gửi."),
    "excuse": ("Gõ «lịch họp», chọn số ở dòng «📝 Trả lời mời họp», gõ 2 («🙏 Xin vắng mặt») rồi chọn lý do.",
               "Gõ chữ «lịch họp» và gửi; trong danh sách, gõ số ở dòng 📝, rồi số 2, rồi số của lý do."),
    "study": ("Gõ «nghị quyết», gõ số của Kế hoạch 12-KH/ĐU, nghe tóm tắt rồi gõ số «✅ Tôi đã nghiên cứu».",
              "Gõ chữ «nghị quyết» và gửi; văn bản 12-KH/ĐU là số 1; dòng ✅ nằm cuối danh sách số."),
    "conclusions": ("Gõ «lịch họp» để đọc kết luận buổi sinh hoạt vừa rồi.",
                    "Gõ chữ «lịch họp» và gửi; kết luận nằm cuối tin trả lời."),
    "feedback": ("Gõ «góp ý», gõ 1 («📝 Gửi ý kiến mới»), chọn loại, chọn chi bộ rồi gõ một câu góp ý.",
                 "Gõ chữ «góp ý» và gửi; sau mỗi danh sách, gõ số của dòng mình chọn; cuối cùng gõ nội dung và gửi."),
    "create_meeting": ("Gõ «lịch họp», chọn số «➕ Tạo cuộc họp» và tạo một buổi họp cho chi bộ của mình.",
                       "Trong «lịch họp» có dòng ➕; gõ số của nó, rồi gõ ngày, giờ, địa điểm theo lời nhắc và xác nhận."),
    "approve_absence": ("Đồng ý cho «Đảng viên mẫu A» vắng họp: gõ «đồng ý» dưới BÁO CÁO XIN VẮNG HỌP.",
                        "Tin BÁO CÁO XIN VẮNG HỌP của Đảng viên mẫu A có danh sách số: gõ «đồng ý» hoặc số của dòng Đồng ý."),
    "notice": ("Gõ «thông báo», chọn soạn thông báo mới, gõ nội dung và gửi cho chi bộ.",
               "Gõ chữ «thông báo» và gửi; chọn số của dòng soạn mới, gõ nội dung, xem trước rồi gõ số của dòng Gửi."),
    "publish": ("Zalo không gửi được tệp: đồng chí ban hành văn bản ở trang quản lý (gõ «mở trang quản lý»).",
                "Gõ «mở trang quản lý», mở đường dẫn Sổ tay gửi, vào mục Văn bản, tải tệp lên rồi bấm Ban hành trên trang."),
    "monthly_report": ("Gõ «thống kê», chọn số «📈 Số liệu tổng hợp», rồi số «📝 Báo cáo tháng», xem lại và gõ số «📤 Gửi».",
                       "Báo cáo tháng do Sổ tay soạn sẵn: gõ chữ «thống kê», rồi số của 📈, số của 📝, và số của dòng «📤 Gửi lên cấp ủy»."),
}


def lesson_words(key: str, platform: str) -> tuple[str, str, str]:
    """A lesson's title, task and hint in the words of the trainee's messenger."""
    if platform == "zalo" and key in LESSONS_ZALO:
        return (LESSONS[key][0], *LESSONS_ZALO[key])
    return LESSONS[key]
