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
# Reasons attached to single lines and to the whole file. Each has a stable English code (the key),
# which the API returns beside the Vietnamese reason for programs that read the errors.
ROW_OUTSIDE_SCOPE = "Tổ chức này không thuộc các tổ chức đồng chí phụ trách."
ROW_AMBIGUOUS_ORG = "Đường dẫn tổ chức không rõ: có hai tổ chức cùng tên."
ROW_WRONG_KIND = "«{name}» là {actual}, không phải {expected}."
ROW_CITIZEN_ID_TAKEN = "Số định danh này thuộc về một đảng viên khác."
# Said of a card number or citizen ID whose record lies outside the caller's organisations, without
# saying which record or even that one exists.
ROW_NOT_YOURS = "Đồng chí không nhập được hồ sơ này; đề nghị cấp ủy cấp trên nhập."
ROW_NUL_CHARACTER = "Ô có ký tự NUL (tệp có đúng là tệp CSV không?)."
ROW_ROLE_ELSEWHERE = "Đảng viên này giữ chức vụ ở tổ chức đồng chí không phụ trách; đề nghị cấp ủy cấp trên nhập."
ORG_KIND_WORDS = {"cell": "chi bộ", "committee": "cấp ủy (đảng bộ)"}
FILE_COLUMN = "(cả tệp)"
ROW_REASONS = {
    "column_missing": "Thiếu cột bắt buộc này.",
    "required": "Ô này không được để trống.",
    "org_path_empty": "Chưa ghi tổ chức đảng.",
    "date_in_future": "Ngày này ở tương lai.",
    "date_invalid": "Ngày phải ghi theo dạng ngày/tháng/năm (ví dụ 03/02/1985); tệp ghi «{value}».",
    "joined_before_born": "Ngày vào Đảng phải sau ngày sinh.",
    "official_before_joined": "Ngày chính thức phải sau ngày vào Đảng.",
    "gender_invalid": "Giới tính ghi Nam hoặc Nữ; tệp ghi «{value}».",
    "card_duplicate": "Trùng số thẻ với dòng {line}.",
    "citizen_id_invalid": "Số định danh phải gồm đúng 12 chữ số; tệp ghi {length} ký tự.",
    "citizen_id_duplicate": "Trùng số định danh với dòng {line}.",
    "phone_invalid": "Không phải số điện thoại Việt Nam.",
    "role_invalid": "Vai trò «{value}» không có; ghi Đảng viên, Bí thư hoặc Phó bí thư.",
    "exempt_invalid": "Miễn sinh hoạt ghi Có hoặc Không; tệp ghi «{value}».",
    "committee_is_cell": "Chi bộ không phải là cấp ủy.",
    "outside_scope": ROW_OUTSIDE_SCOPE,
    "ambiguous_org": ROW_AMBIGUOUS_ORG,
    "wrong_kind": ROW_WRONG_KIND,
    "citizen_id_taken": ROW_CITIZEN_ID_TAKEN,
    "not_yours": ROW_NOT_YOURS,
    "nul_character": ROW_NUL_CHARACTER,
    "role_elsewhere": ROW_ROLE_ELSEWHERE,
    # The whole file.
    "file_too_large": "Tệp lớn hơn {megabytes} MB.",
    "file_type": "Chỉ nhập được tệp .csv hoặc .xlsx.",
    "too_many_columns": "Dòng {line} có hơn {limit} cột.",
    "cell_too_long": "Dòng {line}, cột {column}: ô dài hơn {limit} ký tự.",
    "too_many_rows": "Tệp có hơn {limit} dòng.",
    "file_empty": "Tệp trống.",
    "csv_unreadable": "Dòng {line}: không đọc được (ô quá lớn hoặc sai định dạng CSV).",
    "xlsx_unreadable": "Không đọc được tệp Excel (.xlsx).",
    "workbook_too_large": "Tệp Excel khi giải nén lớn hơn {megabytes} MB.",
    "sheet_too_large": "Trang tính khai báo {rows} dòng và {columns} cột (tối đa {max_rows} dòng và {max_columns} cột).",
    "unreadable": "Không đọc được tệp: chỉ nhận tệp .csv hoặc .xlsx theo mẫu.",
}
ROW_ERROR_LINE = "Dòng {line}, cột {column}: {reason}"

# Tokens.
TOKEN_NAME_TOO_LONG = "Tên mã truy cập dài quá 128 ký tự."
