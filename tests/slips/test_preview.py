"""The on-screen preview: the same content, never wider than an 80-column terminal."""

from __future__ import annotations

import pytest
from slip_testkit import make_data

from ward_desk.slips import preview_text
from ward_desk.slips.model import KINDS, DocumentRow, date_line
from ward_desk.slips.preview import cell_width

LONG = dict(
    office_name="Phường Nguyễn Thái Bình và các khu dân cư mở rộng phía Tây Nam thành phố",
    applicant_name="Tôn Nữ Thị Phương Thảo Hoàng Nguyễn Ngọc Bích",
    applicant_address="Tổ dân phố số 15, khu phố Long Hải, đường Nguyễn Thông kéo dài, " * 2,
    documents=(DocumentRow("Bản sao có chứng thực " + "giấy tờ rất dài " * 8, "Bản chính để đối chiếu xong trả lại"),),
    requested_items=("x" * 150,),
    reason="Giấy tờ chưa hợp lệ " * 10,
    status_base_url="https://dich-vu-cong.tinh-lam-dong.example.vn/tra-cuu/ho-so/trang-thai/rat-dai",
)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("long", [False, True])
def test_preview_fits_80_columns(kind: str, long: bool) -> None:
    text = preview_text(make_data(kind, **(LONG if long else {})), kind)
    widths = [cell_width(line) for line in text.splitlines()]
    assert max(widths) <= 80, [line for line in text.splitlines() if cell_width(line) > 80]


@pytest.mark.parametrize("kind", KINDS)
def test_preview_carries_the_essentials(kind: str) -> None:
    text = preview_text(make_data(kind), kind)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Nguyễn Thị Đào",
                     "Đăng ký khai sinh", "22918-260303-0001", "Mũi Né, ngày 03 tháng 3 năm 2026"):
        assert expected in text, expected


def test_receipt_preview_shows_documents_and_qr_payload() -> None:
    text = preview_text(make_data(), "receipt")
    assert "| STT | Tên giấy tờ" in text
    assert "Giấy tờ tùy thân của người đi đăng ký" in text
    assert "[QR] https://tracuu.lamdong.example.vn/status?code=22918-260303-0001&s=K7PQ2M" in text


def test_date_line_pads_as_decree_30_asks() -> None:
    from datetime import date

    assert date_line("Mũi Né", date(2026, 2, 5)) == "Mũi Né, ngày 05 tháng 02 năm 2026"
    assert date_line("Mũi Né", date(2026, 3, 3)) == "Mũi Né, ngày 03 tháng 3 năm 2026"
    assert date_line("Mũi Né", date(2026, 12, 25)) == "Mũi Né, ngày 25 tháng 12 năm 2026"
    assert date_line("", date(2026, 1, 9)) == "Ngày 09 tháng 01 năm 2026"


def test_unknown_kind_is_refused() -> None:
    from ward_desk.errors import InvalidInput

    with pytest.raises(InvalidInput) as info:
        preview_text(make_data(), "invoice")
    assert info.value.message.id == "slips.unknown_kind"


def test_processing_time_is_printed_in_the_procedures_unit() -> None:
    from ward_desk.slips.model import processing_time_text

    assert processing_time_text(0) == "Trong ngày"
    assert processing_time_text(5) == "05 ngày làm việc"
    assert processing_time_text(30, "calendar_days") == "30 ngày"
    assert processing_time_text(8, "hours") == "08 giờ làm việc"
    with pytest.raises(ValueError):
        processing_time_text(3, "weeks")
