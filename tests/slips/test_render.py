"""Every kind renders to PDF and DOCX with exact Vietnamese text; the QR carries the payload."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import segno
from slip_testkit import (
    docx_text,
    image_from_bytes,
    make_data,
    modules_from_image,
    pdf_text,
    squash,
)

from ward_desk.slips import render_slip
from ward_desk.slips.model import KINDS, qr_payload
from ward_desk.slips.qr import qr_matrix

TITLES = {
    "receipt": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "supplement": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "refusal": "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    "apology": "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
    "stop": "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
    "control": "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
}
# Every form of Circular 03/2025: the motto, the issuer (province, UBND, the 2025 centre),
# the form's number under that circular.
COMMON = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Nguyễn Thị Đào",
    "Đăng ký khai sinh", "22918-260303-0001", "Mũi Né, ngày 03 tháng 3 năm 2026", "TỈNH LÂM ĐỒNG",
    "UBND PHƯỜNG MŨI NÉ", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG MŨI NÉ", "Thông tư số 03/2025/TT-VPCP",
]
# The basis every notice cites in its first line (the receipt and control sheet cite the
# circular in their form label only: their sheet is full).
BASIS = "Căn cứ Nghị định số 118/2025/NĐ-CP"
SPECIFIC = {
    "receipt": ["Mẫu số 01", "Giấy tờ tùy thân của người đi đăng ký", "03/03/2026 17:00", "NGƯỜI NỘP HỒ SƠ",
                "Lê Văn Bình", "068190012345", "tỉnh Lâm Đồng",
                "6. Nhận kết quả: Trực tiếp tại Trung tâm Phục vụ hành chính công phường Mũi Né"],
    "supplement": ["Mẫu số 02", "1 Giấy chứng sinh (bản chính)", "2 Giấy xác nhận cư trú của người mẹ",
                   "Cần xác minh thông tin nơi sinh", "NGƯỜI HƯỚNG DẪN", BASIS,
                   "Trung tâm Phục vụ hành chính công phường Mũi Né đã tiếp nhận hồ sơ của"],
    "refusal": ["Mẫu số 03", "từ chối tiếp nhận, giải quyết hồ sơ này", "Cần xác minh thông tin nơi sinh", BASIS,
                "Trung tâm Phục vụ hành chính công phường Mũi Né tiếp nhận hồ sơ của"],
    "apology": ["Mẫu số 04", "06/03/2026 17:00", "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", "Trần Quốc Dũng",
                "xin lỗi ông/bà", "đề nghị gia hạn thời gian giải quyết", BASIS,
                "Ngày 03/03/2026 09:00, Trung tâm Phục vụ hành chính công phường Mũi Né tiếp nhận hồ sơ của"],
    "stop": ["Mẫu số 05", "Lý do dừng giải quyết: Cần xác minh thông tin nơi sinh", "dừng giải quyết hồ sơ nêu trên "
             "kể từ ngày 03/03/2026", "NGƯỜI ĐỀ NGHỊ DỪNG", "Lê Văn Bình", BASIS,
             "Xét đề nghị dừng giải quyết hồ sơ của"],
    "control": ["Mẫu số 06", "Thời gian", "Người thực hiện", "Bước xử lý", "Tiến độ", "Lê Văn Bình (quầy 2)",
                "Chuyển xử lý", "Trong hạn", "Phạm Thu Hà", "Đúng hạn", "NGƯỜI LẬP PHIẾU"],
}
A5_PT = (419.53, 595.28)


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_round_trips_the_vietnamese_text(kind: str, tmp_path: Path) -> None:
    from pypdf import PdfReader

    path = render_slip(make_data(kind), kind, tmp_path, "pdf")
    assert path == tmp_path / f"22918-260303-0001-{kind}.pdf"
    reader = PdfReader(path)
    assert len(reader.pages) == 1, "a slip is one A5 sheet"
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A5_PT, abs=0.5)
    text = pdf_text(path)
    assert unicodedata.is_normalized("NFC", text)
    for expected in [TITLES[kind], *COMMON, *SPECIFIC[kind]]:
        assert expected in text, expected
    # Ordinary text is never cut to fit (the basis paragraph once pushed the opening line
    # past what a text block holds, and it ended in "Trung tâm Phục vụ…").
    assert "…" not in text
    assert list(tmp_path.iterdir()) == [path], "no temporary file left behind"


@pytest.mark.parametrize("kind", KINDS)
def test_docx_has_the_same_text_on_an_a5_section(kind: str, tmp_path: Path) -> None:
    from docx import Document

    path = render_slip(make_data(kind), kind, tmp_path, "docx")
    assert path.name == f"22918-260303-0001-{kind}.docx"
    section = Document(str(path)).sections[0]
    # DOCX stores twentieths of a point, so millimetres come back rounded.
    assert (section.page_width.mm, section.page_height.mm) == pytest.approx((148, 210), abs=0.1)
    text = docx_text(path)
    for expected in [TITLES[kind], *COMMON, *SPECIFIC[kind]]:
        assert expected in text, expected


def test_decomposed_input_prints_composed(tmp_path: Path) -> None:
    # An IME or a paste may deliver "ễ" as e + U+0302 + U+0303; the font maps composed glyphs.
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Đào")
    path = render_slip(make_data(applicant_name=nfd), "receipt", tmp_path, "pdf")
    assert "Nguyễn Thị Đào" in pdf_text(path)


def test_empty_values_print_as_blanks_to_fill_by_hand(tmp_path: Path) -> None:
    path = render_slip(make_data("refusal", reason="", applicant_phone=""), "refusal", tmp_path, "pdf")
    text = pdf_text(path)
    assert "Lý do: …" in text
    assert "Số điện thoại: …" in text


def _expected_matrix(payload: str) -> list[list[bool]]:
    # Independent of our module: what segno makes for the payload we expect.
    return [[bool(m) for m in row] for row in segno.make(payload, error="m", micro=False).matrix]


def test_receipt_qr_carries_the_status_url(tmp_path: Path) -> None:
    from pypdf import PdfReader

    expected = "https://tracuu.lamdong.example.vn/status?code=22918-260303-0001&s=K7PQ2M"
    assert qr_payload(make_data()) == expected
    path = render_slip(make_data(), "receipt", tmp_path, "pdf")
    images = PdfReader(path).pages[0].images
    assert len(images) == 1
    matrix = _expected_matrix(expected)
    assert modules_from_image(images[0].image, len(matrix)) == matrix
    assert qr_matrix(expected) == matrix


def test_receipt_qr_without_upstream_is_just_the_code(tmp_path: Path) -> None:
    from docx import Document

    data = make_data(status_base_url="")
    assert qr_payload(data) == "22918-260303-0001"
    path = render_slip(data, "receipt", tmp_path, "docx")
    blobs = [rel.target_part.blob for rel in Document(str(path)).part.rels.values() if "image" in rel.reltype]
    assert len(blobs) == 1
    matrix = _expected_matrix("22918-260303-0001")
    assert modules_from_image(image_from_bytes(blobs[0]), len(matrix)) == matrix


@pytest.mark.parametrize("kind", ["supplement", "refusal", "apology"])
def test_only_the_receipt_has_a_qr(kind: str, tmp_path: Path) -> None:
    from pypdf import PdfReader

    path = render_slip(make_data(kind), kind, tmp_path, "pdf")
    assert len(PdfReader(path).pages[0].images) == 0


def test_many_documents_flow_onto_a_second_page(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from ward_desk.slips.model import DocumentRow

    docs = tuple(DocumentRow(f"Giấy tờ số {i} — bản sao có chứng thực") for i in range(1, 31))
    path = render_slip(make_data(documents=docs), "receipt", tmp_path, "pdf")
    reader = PdfReader(path)
    assert len(reader.pages) >= 2
    text = pdf_text(path)
    assert "Giấy tờ số 30 — bản sao có chứng thực" in text
    assert "Lê Văn Bình" in text  # the signatures still come after the table
    # A continuation sheet says whose slip it is, in case the sheets get separated.
    second = squash(reader.pages[1].extract_text())
    assert f"Mã hồ sơ: 22918-260303-0001 — GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ — trang 2/{len(reader.pages)}" in second
