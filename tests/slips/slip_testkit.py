"""Helpers of the slip tests (imported as ``slip_testkit``): a filled SlipData, readers of slips."""

from __future__ import annotations

import io
import re
from pathlib import Path

from ward_desk.slips.model import FORM_NUMBERS, FORM_TITLES, DocumentRow, HistoryRow, SlipData


def make_data(kind: str = "receipt", **changes: object) -> SlipData:
    """A slip as the office would print it, with every field the forms use."""
    data = SlipData(
        office_name="Phường Mũi Né", office_code="22918", form_number=FORM_NUMBERS[kind],
        form_title=FORM_TITLES[kind], province_name="tỉnh Lâm Đồng",
        dossier_code="22918-260303-0001", lookup_secret="K7PQ2M",
        status_base_url="https://tracuu.lamdong.example.vn/",
        applicant_name="Nguyễn Thị Đào", applicant_id_number="068190012345", applicant_phone="0912345678",
        applicant_address="Số 12 đường Huỳnh Thúc Kháng, khu phố 5, phường Mũi Né, tỉnh Lâm Đồng",
        procedure_name="Đăng ký khai sinh", procedure_code="HT.01", procedure_field="Hộ tịch",
        legal_basis="Luật Hộ tịch 2014", processing_time="Trong ngày", fee="Miễn phí nếu đúng hạn",
        received_at="03/03/2026 09:00", due_at="03/03/2026 17:00", previous_due_at="03/03/2026 17:00",
        new_due_at="06/03/2026 17:00", reason="Cần xác minh thông tin nơi sinh với cơ sở y tế.",
        clerk_name="Lê Văn Bình", officer_name="Phạm Thu Hà", signer_name="Trần Quốc Dũng",
        place="Mũi Né", issued_on="03/03/2026", date_line="Mũi Né, ngày 03 tháng 3 năm 2026",
        documents=(DocumentRow("Tờ khai đăng ký khai sinh"), DocumentRow("Giấy chứng sinh"),
                   DocumentRow("Giấy tờ tùy thân của người đi đăng ký")),
        requested_items=("Giấy chứng sinh (bản chính)", "Giấy xác nhận cư trú của người mẹ"),
        return_method="Trực tiếp tại Trung tâm Phục vụ hành chính công phường Mũi Né",
        history=(
            HistoryRow("03/03/2026 09:00", "Lê Văn Bình", "Tiếp nhận hồ sơ", "Đã tiếp nhận"),
            HistoryRow("03/03/2026 09:30", "Lê Văn Bình (quầy 2)", "Chuyển xử lý", "Đang giải quyết", "Trong hạn"),
            HistoryRow("03/03/2026 16:10", "Phạm Thu Hà", "Có kết quả", "Đã có kết quả", "Đúng hạn"),
        ),
    )
    return data.with_(**changes) if changes else data


def squash(text: str) -> str:
    """Whitespace-insensitive text: PDF extraction breaks lines where the layout wrapped."""
    return re.sub(r"\s+", " ", text).strip()


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return squash(" ".join(page.extract_text() for page in PdfReader(path).pages))


def docx_text(path: Path) -> str:
    """Every paragraph of the body and of every (nested) table cell."""
    from docx import Document

    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]

    def cells(tables) -> None:
        for table in tables:
            for row in table.rows:
                for cell in row.cells:
                    parts.extend(p.text for p in cell.paragraphs)
                    cells(cell.tables)

    cells(document.tables)
    return squash(" ".join(parts))


def modules_from_image(image, size: int, border: int = 4) -> list[list[bool]]:
    """Read a QR image back into its module matrix by sampling each module's centre."""
    gray = image.convert("L")
    width, height = gray.size
    total = size + 2 * border
    step_x, step_y = width / total, height / total
    out = []
    for r in range(size):
        y = int((r + border + 0.5) * step_y)
        out.append([gray.getpixel((int((c + border + 0.5) * step_x), y)) < 128 for c in range(size)])
    return out


def image_from_bytes(blob: bytes):
    from PIL import Image

    return Image.open(io.BytesIO(blob))
