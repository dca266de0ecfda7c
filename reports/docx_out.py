"""DOCX output (python-docx): motto, title, tables with a bold totals row, signatures.
Named docx_out so it never shadows the ``docx`` package."""

from __future__ import annotations

import io

from ward_desk.reports.cells import Table, format_cell

from ward_desk.i18n import t


def docx_bytes(headline: list[str], tables: list[Table], *, signatures: bool, language: str | None = None) -> bytes:
    """A Word document of the headline and tables, A4 landscape."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Mm(12))
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(10)
    for i, key in enumerate(("report.motto.1", "report.motto.2")):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.add_run(t(key, language)).bold = i == 0
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(headline[0])
    run.bold = True
    run.font.size = Pt(13)
    for line in headline[1:]:
        doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for table in tables:
        doc.add_paragraph().add_run(table.title).bold = True
        body = [*table.rows, table.total] if table.total else list(table.rows)
        grid = doc.add_table(rows=1 + len(body), cols=len(table.header))
        grid.style = "Table Grid"
        small = Pt(7) if len(table.header) > 8 else Pt(9)
        for r, values in enumerate([table.header, *body]):
            bold = r == 0 or (bool(table.total) and r == len(body))
            for c, value in enumerate(values):
                cell = grid.cell(r, c)
                cell.text = ""
                cell_run = cell.paragraphs[0].add_run(format_cell(value, language))
                cell_run.bold = bold
                cell_run.font.size = small
    if signatures:
        doc.add_paragraph()
        sig = doc.add_table(rows=1, cols=2)
        for i, key in enumerate(("report.sign.preparer", "report.sign.leader")):
            p = sig.cell(0, i).paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run(t(key, language)).bold = True
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
