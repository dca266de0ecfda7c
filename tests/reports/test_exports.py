"""Every output format of the report and the self-assessment, read back."""

from __future__ import annotations

import io
import json

import pytest
from ward_desk.reports.export import FORMATS, render_assessment, render_report

from tests.reports.helpers import intake, local, resolve
from ward_desk.domain.report_math import Period
from ward_desk.errors import InvalidInput
from ward_desk.services import assessment as A
from ward_desk.services.reporting import period_report


@pytest.fixture
def report(session, clock):
    for day, channel in ((2, "online"), (3, "direct"), (4, "postal")):
        d = intake(session, clock, local(2026, 2, day, 9), channel=channel)
        resolve(session, clock, d.code, local(2026, 2, day + 1, 15), returned=True, rating="satisfied")
    intake(session, clock, local(2026, 2, 20, 9), procedure="CT.04")
    clock.now = local(2026, 3, 3, 9)
    return period_report(session, Period.month(2026, 2))


def test_text_and_json(report):
    text = render_report(report, "text").decode("utf-8")
    assert "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text and "Hộ tịch" in text
    assert "Tổng cộng" in text
    data = json.loads(render_report(report, "json"))
    assert data["period"] == "2026-02" and data["total"]["received"] == 4
    assert data["indicators"]["online_share"]["numerator"] == 1


def test_csv_has_bom_and_vietnamese(report):
    raw = render_report(report, "csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "Tồn kỳ trước" in raw.decode("utf-8-sig")


def test_xlsx_formatting_totals_vietnamese(report):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(render_report(report, "xlsx")))
    ws = wb["Theo lĩnh vực"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header_row = next(i for i, r in enumerate(values, 1) if r[0] == "Lĩnh vực")
    assert ws.cell(header_row, 1).font.bold
    total_row = next(i for i, r in enumerate(values, 1) if r[0] == "Tổng cộng")
    assert ws.cell(total_row, 2).font.bold
    assert ws.cell(total_row, 6).value == 4  # to handle
    assert {"Hộ tịch", "Chứng thực"} <= {r[0] for r in values}
    assert ws.column_dimensions["A"].width >= 10


def test_pdf_has_vietnamese_text(report):
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(render_report(report, "pdf"))).pages[0].extract_text()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Hộ tịch" in text


def test_docx(report):
    from docx import Document

    doc = Document(io.BytesIO(render_report(report, "docx")))
    assert any("BÁO CÁO TÌNH HÌNH" in p.text for p in doc.paragraphs)
    assert doc.tables[0].cell(0, 0).text == "Lĩnh vực"


def test_assessment_in_every_format(session, report):
    view = A.show(session, "2026-02")
    for fmt in FORMATS:
        data = render_assessment(view, session.office.name, fmt)
        assert data
    text = render_assessment(view, session.office.name, "text").decode("utf-8")
    assert "TỰ ĐÁNH GIÁ" in text and "Chưa chấm" in text


def test_bad_format(report):
    with pytest.raises(InvalidInput):
        render_report(report, "odt")


@pytest.mark.parametrize("fmt", ["text", "pdf", "docx"])
def test_printed_figures_use_the_language_decimal_mark(report, fmt):
    """What people read (text, PDF, Word) writes "25,0" in Vietnamese and "25.0" in
    English; CSV and XLSX keep numbers as numbers."""
    import re

    def read(language: str) -> str:
        raw = render_report(report, fmt, language)
        if fmt == "text":
            return raw.decode("utf-8")
        if fmt == "pdf":
            from pypdf import PdfReader

            return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages)
        from docx import Document

        doc = Document(io.BytesIO(raw))
        return "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)

    vi, en = read("vi"), read("en")
    assert "25,0" in vi and "100,0" in vi and not re.search(r"\b\d+\.\d\b", vi)
    assert "25.0" in en and "100.0" in en and not re.search(r"\b\d+,\d\b", en)
