"""A5 DOCX slips with python-docx (imported lazily), for offices that edit before printing."""

from __future__ import annotations

import io
from typing import Any

from ward_desk.slips.layout import Block, SlipDocument, column_widths, printable_document
from ward_desk.slips.qr import qr_png

PAGE_W_MM, PAGE_H_MM = 148, 210
MARGINS_MM = (9, 10, 9, 15)  # top, right, bottom, left — as the PDF
CONTENT_W_MM = PAGE_W_MM - MARGINS_MM[1] - MARGINS_MM[3]
HEADER_LEFT_MM = 48
# Decree 30/2020 names Times New Roman for administrative documents; Word on Windows
# and LibreOffice (via Liberation Serif) both carry its Vietnamese glyphs.
FONT = "Times New Roman"
BODY_PT = 10.5


def render_docx(doc: SlipDocument) -> bytes:
    """The slip as DOCX bytes: one A5 section, the same content as the PDF."""
    from docx import Document
    from docx.shared import Mm

    doc = printable_document(doc)  # a control character made python-docx refuse the whole slip
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_W_MM), Mm(PAGE_H_MM)
    top, right, bottom, left = MARGINS_MM
    section.top_margin, section.right_margin = Mm(top), Mm(right)
    section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)
    props = document.core_properties
    # python-docx stamps its own name as author; personal data stays out of metadata.
    props.author, props.last_modified_by, props.title, props.comments = "Ward Desk", "Ward Desk", doc.title, ""
    _Writer(document).write(doc)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


class _Writer:
    def __init__(self, document: Any) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn
        from docx.shared import Pt

        self.document = document
        self.Pt = Pt
        self.align = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                      "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}
        normal = document.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(BODY_PT)
        # Set the East Asian/complex-script font slots too, or Word may pick another
        # face for some runs and the diacritics look mismatched.
        fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
        for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(slot), FONT)
        normal.paragraph_format.space_after = Pt(0)
        normal.paragraph_format.space_before = Pt(0)
        normal.paragraph_format.line_spacing = 1.1

    def para(self, container: Any, text: str = "", *, align: str = "left", bold: bool = False,
             italic: bool = False, size: float | None = None) -> Any:
        p = container.add_paragraph()
        p.alignment = self.align[align]
        if text:
            run = p.add_run(text)
            run.bold, run.italic = bold, italic
            if size:
                run.font.size = self.Pt(size)
        return p

    def spacer(self, points: float) -> None:
        """Vertical space of exactly ``points`` (an empty paragraph is a full line otherwise)."""
        p = self.document.add_paragraph()
        p.paragraph_format.line_spacing = self.Pt(points)

    def grid(self, rows: int, widths_mm: tuple[float, ...], style: str | None = None) -> Any:
        from docx.shared import Mm

        table = self.document.add_table(rows=rows, cols=len(widths_mm))
        if style:
            table.style = self.document.styles[style]
        table.autofit = False
        # Word and LibreOffice lay out from the grid (w:gridCol), not the cells' widths:
        # set both, or every column comes out equal.
        for column, width in zip(table.columns, widths_mm, strict=True):
            column.width = Mm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths_mm, strict=True):
                cell.width = Mm(width)
        return table

    def no_side_padding(self, table: Any) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:w"), "0")
            el.set(qn("w:type"), "dxa")
            margins.append(el)
        table._tbl.tblPr.append(margins)

    def write(self, doc: SlipDocument) -> None:
        if doc.form_label:
            self.para(self.document, doc.form_label, align="right", italic=True, size=8)
        head = self.grid(1, (HEADER_LEFT_MM, CONTENT_W_MM - HEADER_LEFT_MM))
        self.no_side_padding(head)  # the motto needs every millimetre to stay on one line
        left, right = head.rows[0].cells
        left.paragraphs[0].alignment = self.align["center"]
        for i, line in enumerate(doc.header_left):
            p = left.paragraphs[0] if i == 0 else left.add_paragraph()
            p.alignment = self.align["center"]
            run = p.add_run(line.upper())
            run.bold, run.font.size = i == len(doc.header_left) - 1, self.Pt(8.5)
        self.para(left, "———", align="center", size=8)
        if doc.number_line:
            self.para(left, doc.number_line, align="center", size=9.5)
        for i, line in enumerate(doc.motto):
            p = right.paragraphs[0] if i == 0 else right.add_paragraph()
            p.alignment = self.align["center"]
            run = p.add_run(line)
            run.bold, run.font.size = True, self.Pt(9 if i == 0 else 10.5)
        if doc.motto:
            self.para(right, "—————————", align="center", size=8)
        if doc.date_line:
            self.para(right, doc.date_line, align="center", italic=True, size=9.5)
        self.spacer(8)
        self.para(self.document, doc.title, align="center", bold=True, size=12)
        if doc.subtitle:
            self.para(self.document, doc.subtitle, align="center", italic=True)
        self.spacer(6)
        for block in doc.blocks:
            self.block(block)
        self.signatures(doc)
        if doc.qr_payload:
            self.qr(doc.qr_payload, doc.qr_caption)

    def block(self, block: Block) -> None:
        if block.kind == "text":
            self.para(self.document, block.text, align=block.align, bold=block.bold, italic=block.italic)
        elif block.kind == "field":
            p = self.document.add_paragraph()
            p.alignment = self.align[block.align]
            label = p.add_run(f"{block.label}: ")
            label.italic = block.italic
            value = p.add_run(block.text)
            value.bold, value.italic = block.bold, block.italic
        else:
            if block.heading:
                self.para(self.document, block.heading, bold=True)
            n = len(block.columns)
            default = (12, CONTENT_W_MM - 12 - 28, 28) if n == 3 else (12, CONTENT_W_MM - 12) if n == 2 else (1,) * n
            widths = column_widths(block, CONTENT_W_MM, default)
            table = self.grid(1 + len(block.rows), widths, style="Table Grid")
            size = 9.5 if n <= 3 else 8.5  # six columns on an A5 sheet: a size smaller
            for r, values in enumerate((block.columns, *block.rows)):
                for c, value in enumerate(values):
                    cell = table.rows[r].cells[c]
                    p = cell.paragraphs[0]
                    p.alignment = self.align["center" if c == 0 else "left"]
                    run = p.add_run(value)
                    run.bold, run.font.size = r == 0, self.Pt(size)
            self.spacer(4)

    def signatures(self, doc: SlipDocument) -> None:
        sigs = doc.signatures
        slots = max(2, len(sigs))
        self.spacer(4)
        table = self.grid(1, tuple(CONTENT_W_MM / slots for _ in range(slots)))
        offset = slots - len(sigs)  # a lone signer signs on the right
        for i, sig in enumerate(sigs):
            cell = table.rows[0].cells[offset + i]
            p = cell.paragraphs[0]
            p.alignment = self.align["center"]
            title = p.add_run(sig.title)
            title.bold, title.font.size = True, self.Pt(10)
            if sig.note:
                self.para(cell, sig.note, align="center", italic=True, size=9.5)
            room = cell.add_paragraph()  # room for the handwritten signature
            room.paragraph_format.line_spacing = self.Pt(40)
            if sig.name:
                self.para(cell, sig.name, align="center", bold=True)

    def qr(self, payload: str, caption: str) -> None:
        from docx.shared import Mm

        self.spacer(6)
        table = self.grid(1, (28, CONTENT_W_MM - 28))
        pic, text = table.rows[0].cells
        pic.paragraphs[0].add_run().add_picture(io.BytesIO(qr_png(payload)), width=Mm(24), height=Mm(24))
        if caption:
            p = text.paragraphs[0]
            run = p.add_run(caption)
            run.italic, run.font.size = True, self.Pt(9)
