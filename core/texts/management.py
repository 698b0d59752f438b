"""Managing organisations and member records (the API and, later, the bot's admin screens)."""

# Organisations.
ORG_PARENT_IS_CELL = "Chi bộ là cấp cuối cùng, không thể lập tổ chức trực thuộc chi bộ."
ORG_NAME_TAKEN = "Tổ chức này đã có một đơn vị trực thuộc cùng tên."
ORG_CODE_TAKEN = "Mã tổ chức này đã được dùng."
ORG_NAME_REQUIRED = "Đồng chí vui lòng nhập tên tổ chức."
ORG_NOT_A_CELL = "Đảng viên chỉ sinh hoạt ở chi bộ; đồng chí vui lòng chọn một chi bộ."

# Member fields.
NAME_REQUIRED = "Đồng chí vui lòng nhập họ và tên."
FIELD_REQUIRED = "Trường «{field}» không được để trống."
DATE_IN_FUTURE = "Ngày «{field}» không được ở tương lai."
DATE_TOO_OLD = "Ngày «{field}» không hợp lệ."
JOINED_BEFORE_BORN = "Ngày vào Đảng phải sau ngày sinh."
OFFICIAL_BEFORE_JOINED = "Ngày chính thức phải sau ngày vào Đảng."
CITIZEN_ID_INVALID = "Số định danh cá nhân phải gồm đúng 12 chữ số."
PHONE_INVALID = "Số điện thoại không đúng định dạng số Việt Nam."
CARD_INVALID = "Số thẻ đảng viên chỉ gồm chữ số, chữ cái và các dấu . - /"
CARD_TAKEN = "Số thẻ đảng viên này đã thuộc về một hồ sơ khác."
CITIZEN_ID_TAKEN = "Số định danh cá nhân này đã thuộc về một hồ sơ khác."
CANNOT_DEACTIVATE_SELF = "Đồng chí không thể tự ngừng hoạt động hồ sơ của chính mình."
MEMBER_INACTIVE = "Hồ sơ này đã ngừng hoạt động; đồng chí cần kích hoạt lại trước."
MEMBER_ALREADY_LINKED = "Hồ sơ này đã liên kết với một tài khoản. Muốn đổi tài khoản, đồng chí đặt lại liên kết trước."

# Importing a list of members.
IMPORT_REJECTED = "Tệp có {count} lỗi nên chưa nhập hồ sơ nào. Đồng chí sửa các dòng được liệt kê rồi gửi lại."
IMPORT_UNREADABLE = "Không đọc được tệp. Chỉ nhận tệp .csv hoặc .xlsx theo mẫu."
IMPORT_TYPE_REFUSED = "Tệp «{name}» không được nhận: danh sách đảng viên chỉ nhập từ tệp <b>.csv</b> hoặc <b>.xlsx</b> theo mẫu."
IMPORT_TOO_LARGE = ("Tệp vượt giới hạn nhập: tối đa {rows} dòng, {columns} cột và 1.000 ký tự mỗi ô. "
                    "Đồng chí xoá các dòng, cột thừa hoặc chia nhỏ tệp rồi gửi lại.")
IMPORT_MANAGERS_ONLY = "Chỉ bí thư, phó bí thư hoặc cấp ủy mới nhập được danh sách đảng viên."
# Reasons attached to single lines (the importer's own reasons are technical English).
ROW_OUTSIDE_SCOPE = "organisation is outside the organisations you manage"
ROW_AMBIGUOUS_ORG = "organisation path is ambiguous (two organisations share a name)"
ROW_WRONG_KIND = "'{name}' is a {actual}, not a {expected}"
ROW_CITIZEN_ID_TAKEN = "citizen ID belongs to another member"
# Said of a card number or citizen ID whose record lies outside the caller's organisations, without
# saying which record or even that one exists.
ROW_NOT_YOURS = "cannot be imported by you; ask the committee above"
ROW_NUL_CHARACTER = "contains a NUL character (is this really a CSV file?)"
ROW_ROLE_ELSEWHERE = "member holds a function outside the organisations you manage; ask the committee above"

# Tokens.
TOKEN_NAME_TOO_LONG = "Tên mã truy cập dài quá 128 ký tự."
