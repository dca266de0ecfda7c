"""Form 07, the tracking book (Sổ theo dõi hồ sơ), as XLSX (openpyxl) and A4 landscape PDF (fpdf2).

Both take a :class:`ward_desk.services.tracking_book.TrackingBook` (text cells) and
return bytes. The XLSX keeps every column, one dossier a row under the header row
:data:`XLSX_HEADER_ROW`, so the book can be read back by ``ward-desk import dossiers``;
the PDF prints the columns a paper book has, the applicant's name, address and phone in
one cell, and a column to sign on receipt of the result.
"""

from __future__ import annotations

import io

from ward_desk.fonts import register_pdf_fonts
from ward_desk.services.tracking_book import COLUMNS, TrackingBook
from ward_desk.slips.model import FORM_SET
from ward_desk.slips.templates import DEFAULT_MOTTO

XLSX_HEADER_ROW = 8  # the title block above it: issuer, motto, form number, title, period
# PDF columns (indexes into COLUMNS) and widths in mm: 277 mm of an A4 landscape sheet.
_PDF_COLUMNS = (
    ("STT", (0,), 8), ("Mã hồ sơ", (1,), 28), ("Tên thủ tục hành chính", (2,), 36),
    ("Tên cá nhân, tổ chức; địa chỉ, số điện thoại", (5, 7, 8), 44), ("Nhận hồ sơ", (10,), 18),
    ("Hẹn trả kết quả", (11,), 18), ("Người giải quyết", (12,), 20), ("Có kết quả", (13,), 18),
    ("Trả kết quả", (14,), 18), ("Tình trạng", (15,), 18), ("Kết quả", (16,), 13), ("Ghi chú", (17,), 24),
    ("Ký nhận", (18,), 14),
)


def _issuer(book: TrackingBook) -> list[str]:
    return [line.upper() for line in (book.province_name, book.authority_name, book.centre_name) if line]


def _form_label(book: TrackingBook) -> str:
    return f"Mẫu số {book.form_number} — Thông tư số {FORM_SET}"


def book_xlsx(book: TrackingBook) -> bytes:
    """The book as an .xlsx workbook: one sheet, the title block, then one row per dossier."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from ward_desk.domain.text import write_cell

    wb = Workbook()
    ws = wb.active
    ws.title = "Sổ theo dõi hồ sơ"
    last = len(COLUMNS)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    issuer = _issuer(book)
    for i, line in enumerate(issuer, start=1):
        write_cell(ws, i, 1, line).font = Font(bold=i == len(issuer))
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=5)
    for i, line in enumerate(DEFAULT_MOTTO, start=1):
        cell = write_cell(ws, i, 10, line)
        cell.font, cell.alignment = Font(bold=True), center
        ws.merge_cells(start_row=i, start_column=10, end_row=i, end_column=last)
    write_cell(ws, 4, last, _form_label(book)).font = Font(italic=True, size=9)
    title = write_cell(ws, 5, 1, book.title.upper())
    title.font, title.alignment = Font(bold=True, size=14), center
    ws.merge_cells(start_row=5, start_column=1, end_row=5, end_column=last)
    period = write_cell(ws, 6, 1, book.period_text)
    period.font, period.alignment = Font(italic=True), center
    ws.merge_cells(start_row=6, start_column=1, end_row=6, end_column=last)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="DDEBF7")
    widths = [len(c) for c in COLUMNS]
    for col, label in enumerate(COLUMNS, start=1):
        cell = write_cell(ws, XLSX_HEADER_ROW, col, label)
        cell.font, cell.fill, cell.border, cell.alignment = Font(bold=True), fill, border, center
    for r, row in enumerate(book.rows, start=XLSX_HEADER_ROW + 1):
        for col, value in enumerate(row, start=1):
            write_cell(ws, r, col, value).border = border
            widths[col - 1] = max(widths[col - 1], min(len(value), 50))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = max(6, min(width + 2, 40))
    ws.row_dimensions[XLSX_HEADER_ROW].height = 45
    ws.freeze_panes = ws.cell(row=XLSX_HEADER_ROW + 1, column=3)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def book_pdf(book: TrackingBook) -> bytes:
    """The book as an A4 landscape PDF: the issuer and the motto, the form's number,
    the title and the period, then the table (its header on every sheet), sheets numbered."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    from ward_desk.domain.text import printable

    class BookPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-9)
            self.set_font(family, "I", 7)
            self.cell(0, 4, f"{book.title} — {book.period_text} — trang {self.page_no()}/{{nb}}", align="R")

    pdf = BookPDF(orientation="L", unit="mm", format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=12)
    pdf.set_creator("Ward Desk")
    pdf.set_title(book.title)
    family = register_pdf_fonts(pdf)
    pdf.add_page()
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    left_w = 110.0
    pdf.set_font(family, "I", 8)
    pdf.cell(usable, 4, _form_label(book), align="R", new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y()
    issuer = _issuer(book)
    for i, line in enumerate(issuer):
        pdf.set_font(family, "B" if i == len(issuer) - 1 else "", 9.5)
        pdf.multi_cell(left_w, 4.6, line, align="C", new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    for i, line in enumerate(DEFAULT_MOTTO):
        pdf.set_x(pdf.l_margin + left_w)
        pdf.set_font(family, "B", 10 if i == 0 else 11)
        pdf.cell(usable - left_w, 5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 4)
    pdf.set_font(family, "B", 14)
    pdf.cell(usable, 7, book.title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "I", 10)
    pdf.cell(usable, 5, book.period_text, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(family, "", 7)
    pdf.set_line_width(0.2)
    widths = tuple(w for _, _, w in _PDF_COLUMNS)
    with pdf.table(col_widths=widths, width=usable, line_height=3.4, text_align="LEFT", padding=(0.6, 0.8),
                   headings_style=FontFace(emphasis="BOLD", fill_color=(221, 235, 247)),
                   first_row_as_headings=True) as grid:
        grid.row([label for label, _, _ in _PDF_COLUMNS])
        for row in book.rows:
            # Each value cut to what a paper book's cell holds: one stored text never runs a row over a sheet.
            grid.row([printable(" — ".join(row[i] for i in idx if row[i]), 200) for _, idx, _ in _PDF_COLUMNS])
        if not book.rows:
            grid.row(["", "", "(không có hồ sơ nào được tiếp nhận trong kỳ)"] + [""] * (len(_PDF_COLUMNS) - 3))
    pdf.ln(6)
    half = usable / 2
    pdf.set_font(family, "B", 10)
    pdf.set_x(pdf.l_margin + half)
    pdf.cell(half, 5, "NGƯỜI LẬP SỔ", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "I", 9)
    pdf.set_x(pdf.l_margin + half)
    pdf.cell(half, 4.5, "(Ký và ghi rõ họ tên)", align="C")
    return bytes(pdf.output())
