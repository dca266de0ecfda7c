"""Data the demo generator draws from: Vietnamese names with realistic frequencies,
phone prefixes, streets of the demo ward, and the reasons clerks write.

Frequencies are rounded from published surveys of Vietnamese family names
(Nguyễn ~38%, then Trần, Lê, Phạm...) and shifted slightly towards the south
(Huỳnh, Võ, Trương are commoner there) because the demo ward is Mũi Né.
All strings are NFC, as ``validate_person_name`` returns them.
"""

from __future__ import annotations

# (family name, weight in percent)
FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Huỳnh", 3.2),
    ("Hoàng", 2.0), ("Phan", 4.5), ("Võ", 3.6), ("Vũ", 1.2), ("Đặng", 2.1),
    ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0),
    ("Lý", 0.5), ("Trương", 1.3), ("Đinh", 0.8), ("Lâm", 0.6), ("Mai", 0.5),
    ("Đoàn", 0.5), ("Châu", 0.4), ("Lưu", 0.4), ("Cao", 0.4), ("Hà", 0.4),
    ("Tạ", 0.3), ("Tô", 0.3), ("Thái", 0.3), ("Kiều", 0.2), ("Quách", 0.2),
    ("La", 0.2), ("Lương", 0.4), ("Trịnh", 0.4), ("Văn", 0.2),
)  # fmt: skip

MALE_MIDDLE: tuple[tuple[str, float], ...] = (
    ("Văn", 36), ("Minh", 10), ("Hữu", 8), ("Đức", 7), ("Quốc", 6), ("Công", 5),
    ("Thanh", 5), ("Tấn", 4), ("Thành", 4), ("Hoàng", 3), ("Xuân", 3), ("Anh", 3),
    ("Gia", 3), ("Ngọc", 2), ("Trọng", 2), ("Đình", 3), ("Bảo", 2),
)  # fmt: skip

FEMALE_MIDDLE: tuple[tuple[str, float], ...] = (
    ("Thị", 46), ("Ngọc", 11), ("Thanh", 7), ("Thu", 5), ("Kim", 5), ("Mỹ", 4),
    ("Hồng", 4), ("Minh", 4), ("Bích", 3), ("Phương", 3), ("Khánh", 3), ("Bảo", 3),
    ("Thùy", 2),
)  # fmt: skip

MALE_GIVEN: tuple[str, ...] = (
    "Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Hải", "Hiếu",
    "Hoàng", "Hùng", "Huy", "Khang", "Khoa", "Kiên", "Long", "Lộc", "Lâm", "Minh",
    "Nam", "Nghĩa", "Nhân", "Phong", "Phúc", "Phước", "Quang", "Quân", "Sơn", "Tài",
    "Thắng", "Thành", "Thịnh", "Tiến", "Toàn", "Trí", "Trung", "Tuấn", "Tùng", "Vinh",
    "Việt", "Vũ", "Khôi", "Đông", "Hậu", "Tâm", "Thiện", "Lợi", "Tú", "Hưng",
)  # fmt: skip

FEMALE_GIVEN: tuple[str, ...] = (
    "An", "Anh", "Chi", "Diễm", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng",
    "Hiền", "Hoa", "Hồng", "Hương", "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai",
    "My", "Nga", "Ngân", "Ngọc", "Nhung", "Như", "Oanh", "Phương", "Quyên", "Thảo",
    "Thu", "Thủy", "Trang", "Trinh", "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến",
    "Nhi", "Hân", "Thư", "Tiên", "Kiều", "Lệ", "Diệu", "Trâm", "Thắm", "Nhàn",
)  # fmt: skip

# Mobile prefixes in use since the 2018 renumbering (Viettel, MobiFone, VinaPhone,
# Vietnamobile, Gmobile), all accepted by validate_phone.
MOBILE_PREFIXES: tuple[str, ...] = (
    "086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039",
    "089", "090", "093", "070", "076", "077", "078", "079",
    "088", "091", "094", "081", "082", "083", "084", "085",
    "092", "056", "058", "099", "059",
)  # fmt: skip

# CCCD province codes of applicants: mostly the home province (Bình Thuận, 060),
# then neighbours and the big cities people move from.
ID_PROVINCES: tuple[tuple[str, float], ...] = (
    ("060", 72), ("079", 6), ("058", 3), ("068", 3), ("075", 2), ("056", 2),
    ("001", 2), ("040", 1.5), ("038", 1.5), ("052", 1.5), ("077", 1.5), ("036", 1),
    ("034", 1), ("066", 1), ("049", 1),
)  # fmt: skip

STREETS: tuple[str, ...] = (
    "Nguyễn Đình Chiểu", "Huỳnh Thúc Kháng", "Võ Nguyên Giáp", "Nguyễn Thông",
    "Lê Duẩn", "Hàm Nghi", "Nguyễn Minh Châu", "Trần Quang Diệu", "Xuân Diệu",
    "Nguyễn Cơ Thạch", "Hùng Vương", "Lê Lợi", "Trần Hưng Đạo", "Phan Bội Châu",
)  # fmt: skip

OTHER_PLACES: tuple[str, ...] = (
    "phường Phú Thủy, tỉnh Lâm Đồng", "phường Hàm Tiến, tỉnh Lâm Đồng", "xã Tiến Thành, tỉnh Lâm Đồng",
    "phường Phú Tài, tỉnh Lâm Đồng", "xã Hàm Liêm, tỉnh Lâm Đồng", "phường Bến Thành, TP Hồ Chí Minh",
    "phường Phan Rang, tỉnh Khánh Hòa", "xã Thiện Nghiệp, tỉnh Lâm Đồng",
)  # fmt: skip

SUPPLEMENT_REASONS: tuple[str, ...] = (
    "Thiếu bản sao giấy tờ tùy thân của người yêu cầu",
    "Tờ khai chưa ghi đủ thông tin, đề nghị bổ sung",
    "Thiếu giấy tờ chứng minh nơi cư trú",
    "Thiếu bản vẽ hiện trạng thửa đất có xác nhận",
    "Giấy tờ về quyền sử dụng đất chưa được chứng thực",
    "Thiếu văn bản ủy quyền hợp lệ",
    "Thiếu giấy xác nhận của cơ sở y tế",
)

SUSPEND_REASONS: tuple[tuple[str, str], ...] = (
    ("Chờ kết quả xác minh của cơ quan có liên quan", "Khoản 2 Điều 17 Nghị định 118/2025/NĐ-CP"),
    ("Đất đang có tranh chấp, chờ hòa giải", "Điều 235 Luật Đất đai 2024"),
    ("Chờ ý kiến của cơ quan chuyên môn cấp tỉnh", "Khoản 2 Điều 17 Nghị định 118/2025/NĐ-CP"),
    ("Chờ xác minh thông tin hộ tịch tại nơi cư trú trước đây", "Điều 12 Nghị định 123/2015/NĐ-CP"),
)

REJECT_REASONS: tuple[str, ...] = (
    "Hồ sơ không đủ điều kiện giải quyết theo quy định",
    "Không thuộc thẩm quyền giải quyết của UBND phường",
    "Người yêu cầu không bổ sung hồ sơ trong thời hạn",
    "Giấy tờ cung cấp không hợp lệ",
)

WITHDRAW_REASONS: tuple[str, ...] = (
    "Công dân xin rút hồ sơ",
    "Công dân đề nghị dừng giải quyết để nộp lại hồ sơ khác",
    "Công dân đã chuyển nơi cư trú, xin rút hồ sơ",
)

APOLOGY_REASONS: tuple[str, ...] = (
    "Cần thêm thời gian xác minh thực địa",
    "Chờ ý kiến phối hợp của cơ quan liên quan",
    "Khối lượng hồ sơ tăng cao, chưa kịp giải quyết",
    "Cán bộ thụ lý nghỉ ốm đột xuất",
)

RATING_COMMENTS: dict[str, tuple[str, ...]] = {
    "very_satisfied": ("Cán bộ nhiệt tình, nhanh chóng", "Rất hài lòng", ""),
    "satisfied": ("", "Giải quyết đúng hẹn", ""),
    "neutral": ("", "Phải chờ hơi lâu"),
    "unsatisfied": ("Trả kết quả trễ hẹn", "Phải đi lại nhiều lần", "Hướng dẫn chưa rõ ràng"),
}
