"""Printable PDF (fpdf2) with a Unicode font, A4 landscape: national motto, title,
tables with a totals row, signature blocks."""

from __future__ import annotations

from ward_desk.reports.cells import Table, format_cell

from ward_desk.fonts import register_pdf_fonts
from ward_desk.i18n import t


def pdf_bytes(headline: list[str], tables: list[Table], *, signatures: bool, language: str | None = None,
              widths: list[float] | None = None) -> bytes:
    """A PDF of the headline and tables (``widths`` in mm, else the first column wide, the rest even)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    family = register_pdf_fonts(pdf)
    pdf.add_page()
    pdf.set_font(family, "B", 10)
    pdf.cell(0, 5, t("report.motto.1", language), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.cell(0, 5, t("report.motto.2", language), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(family, "B", 13)
    pdf.multi_cell(0, 7, headline[0], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    for line in headline[1:]:
        pdf.multi_cell(0, 5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    for table in tables:
        pdf.ln(4)
        pdf.set_font(family, "B", 11)
        pdf.cell(0, 6, table.title, new_x="LMARGIN", new_y="NEXT")
        n = len(table.header)
        cols = widths or [46.0] + [(usable - 46.0) / (n - 1)] * (n - 1)
        pdf.set_font(family, "", 7 if n > 8 else 8)
        with pdf.table(col_widths=tuple(cols), text_align="CENTER" if n > 8 else "LEFT", line_height=3.6,
                       headings_style=FontFace(emphasis="BOLD", fill_color=(221, 235, 247)),
                       first_row_as_headings=True) as grid:
            grid.row(table.header)
            for values in table.rows:
                grid.row([format_cell(v, language) for v in values])
            if table.total:
                grid.row([format_cell(v, language) for v in table.total], style=FontFace(emphasis="BOLD", fill_color=(242, 242, 242)))
    if signatures:
        pdf.ln(8)
        pdf.set_font(family, "B", 10)
        half = usable / 2
        pdf.cell(half, 6, t("report.sign.preparer", language), align="C")
        pdf.cell(half, 6, t("report.sign.leader", language), align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
