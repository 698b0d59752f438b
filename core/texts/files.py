"""Files people send (meeting documents, a notice's file): why one is refused."""

FILE_TOO_LARGE = (
    "Tệp «{name}» nặng {size} MB, vượt quá giới hạn {limit} MB nên chưa được nhận. "
    "Đồng chí vui lòng nén nhỏ hoặc chia thành nhiều tệp."
)
FILE_CONTENT_MISMATCH = (
    "Tệp «{name}» có đuôi {extension} nhưng nội dung không đúng loại tệp đó, nên chưa được nhận. "
    "Đồng chí vui lòng mở tệp trên máy kiểm tra và gửi lại."
)
FILE_EMPTY = "Tệp «{name}» không có nội dung. Đồng chí vui lòng gửi lại."
