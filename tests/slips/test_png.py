"""Each form drawn to an image (pdftoppm, from poppler-utils, which CI installs): the sheet
has its size and orientation, and ink where a form has it: the issuer top left, the motto
top right, the title across, the signatures low on the sheet, nothing in the margins."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from slip_testkit import make_data

from ward_desk.slips import render_bytes
from ward_desk.slips.model import KINDS


def _first_page(pdf: bytes, tmp_path: Path):
    from PIL import Image

    exe = shutil.which("pdftoppm")
    assert exe, "pdftoppm is needed (Debian/Ubuntu: apt-get install poppler-utils)"
    source = tmp_path / "form.pdf"
    source.write_bytes(pdf)
    subprocess.run([exe, "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile", str(source), str(tmp_path / "page")],
                   check=True, capture_output=True, timeout=60)
    return Image.open(tmp_path / "page.png").convert("L")


def _ink(image, box: tuple[float, float, float, float]) -> float:
    """Share of dark pixels in ``box`` (fractions of the width and height)."""
    w, h = image.size
    region = image.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    counts = region.histogram()  # grey levels 0..255
    return sum(counts[:128]) / max(1, sum(counts))


@pytest.mark.parametrize("kind", KINDS)
def test_each_a5_form_has_ink_where_a_form_has_it(kind: str, tmp_path: Path) -> None:
    image = _first_page(render_bytes(make_data(kind), kind, "pdf"), tmp_path)
    w, h = image.size
    assert abs(w / h - 148 / 210) < 0.01  # A5 portrait
    assert _ink(image, (0.10, 0.04, 0.45, 0.13)) > 0.02, "issuer (top left)"
    assert _ink(image, (0.50, 0.04, 0.95, 0.10)) > 0.02, "national motto (top right)"
    assert _ink(image, (0.15, 0.14, 0.85, 0.20)) > 0.02, "title"
    assert _ink(image, (0.0, 0.0, 0.06, 1.0)) == 0, "left margin stays clear"


def test_the_tracking_book_is_an_a4_landscape_sheet_with_its_table(tmp_path: Path) -> None:
    from ward_desk.reports.book import book_pdf

    from ward_desk.services.tracking_book import TrackingBook

    row = ("01", "22918-260303-0001", "Đăng ký giám hộ", "Hộ tịch", "01", "Nguyễn Thị Đào", "068190012345",
           "Số 12 Huỳnh Thúc Kháng", "0912345678", "Trực tiếp", "03/03/2026 09:00", "06/03/2026 17:00",
           "Phạm Thu Hà", "05/03/2026 10:00", "05/03/2026 15:00", "Đã trả kết quả", "Trước hạn", "", "")
    book = TrackingBook("Trung tâm Phục vụ hành chính công phường Mũi Né", "UBND phường Mũi Né", "tỉnh Lâm Đồng",
                        date(2026, 3, 1), date(2026, 3, 31), (row,) * 12)
    image = _first_page(book_pdf(book), tmp_path)
    w, h = image.size
    assert abs(w / h - 297 / 210) < 0.01  # A4 landscape
    assert _ink(image, (0.05, 0.05, 0.40, 0.15)) > 0.01, "issuer (top left)"
    assert _ink(image, (0.55, 0.05, 0.95, 0.12)) > 0.01, "national motto (top right)"
    assert _ink(image, (0.03, 0.30, 0.97, 0.60)) > 0.03, "the table"
