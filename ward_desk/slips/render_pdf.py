"""A5 PDF slips with fpdf2 (imported lazily: it costs start-up time the UI needs)."""

from __future__ import annotations

import io
from typing import Any

from ward_desk.fonts import FAMILY, register_pdf_fonts
from ward_desk.slips.layout import Block, SlipDocument, column_widths, printable_document
from ward_desk.slips.qr import qr_png

# A5 portrait, millimetres. The left margin is wider for binding into a file,
# as Decree 30/2020 asks of administrative documents (scaled down from A4).
PAGE_W, PAGE_H = 148.0, 210.0
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 15.0, 10.0, 9.0, 9.0
CONTENT_W = PAGE_W - MARGIN_L - MARGIN_R
HEADER_LEFT_W = 54.0
BODY_PT = 10.0
LINE_H = 4.9
QR_MM = 24.0
SIGN_SPACE = 15.0  # blank height for the handwritten signature
# Lines one value may take on the sheet: a receipt stays one A5 page whatever was stored.
FIELD_LINES, TEXT_LINES = 3, 4
FIT_SCALES = (1.0, 0.94, 0.88, 0.82, 0.76)  # body sizes tried, largest first, to keep a slip on one sheet


def render_pdf(doc: SlipDocument) -> bytes:
    """The slip as PDF bytes (A5, embedded Roboto subset, QR when the slip has one)."""
    from fpdf import FPDF

    doc = printable_document(doc)  # stored text can never break the slip

    class SlipPDF(FPDF):
        def header(self) -> None:
            # A slip that runs over (a long documents list) must still say on every
            # sheet whose slip it is, in case the sheets get separated.
            if self.page_no() > 1:
                self.set_font(FAMILY, "I", 7.5)
                self.cell(0, 3.5, f"{doc.number_line} — {doc.title} — trang {self.page_no()}/{{nb}}",
                          align="R")
                self.ln(6)

    def draw(scale: float) -> Any:
        # A tuple, not "A5": fpdf2 2.8.5 corrected its A5 size and warns on every use of the name.
        pdf = SlipPDF(orientation="P", unit="mm", format=(PAGE_W, PAGE_H))
        pdf.set_margins(MARGIN_L, MARGIN_T, MARGIN_R)
        pdf.set_auto_page_break(True, margin=MARGIN_B)
        pdf.set_creator("Ward Desk")
        # Title only: author/subject would copy personal data into metadata nobody sees.
        pdf.set_title(doc.title)
        register_pdf_fonts(pdf)
        pdf.add_page()
        _Drawer(pdf, FAMILY, scale).draw(doc)
        return pdf

    # A long address or procedure name must not push the signatures or the QR code onto
    # a second sheet: the body is set a little smaller until the slip fits one page
    # (only a long documents list still runs over, with a header on each sheet).
    for scale in FIT_SCALES:
        pdf = draw(scale)
        if pdf.pages_count == 1:
            break
    return bytes(pdf.output())


class _Drawer:
    def __init__(self, pdf: Any, family: str, scale: float = 1.0) -> None:
        from fpdf.enums import XPos, YPos

        self.pdf = pdf
        self.family = family
        self.body_pt, self.line_h, self.sign_space = BODY_PT * scale, LINE_H * scale, SIGN_SPACE * scale
        self.scale = scale
        self.next_line = {"new_x": XPos.LEFT, "new_y": YPos.NEXT}

    def font(self, size: float, bold: bool = False, italic: bool = False) -> None:
        self.pdf.set_font(self.family, ("B" if bold else "") + ("I" if italic else ""), size)

    def fit(self, text: str, width: float, size: float, bold: bool = False, smallest: float = 6.5) -> None:
        """Set the largest size <= ``size`` at which ``text`` fits ``width`` (the motto
        must stay on one line; it is wider than half an A5 page at body size)."""
        while size > smallest:
            self.font(size, bold)
            if self.pdf.get_string_width(text) <= width:
                return
            size -= 0.25
        self.font(size, bold)

    def clipped(self, text: str, width: float, lines: int, used: float = 0.0) -> str:
        """``text`` cut (with "…") to what fits in ``lines`` lines of ``width`` mm in the
        current font after ``used`` mm of the first line; wrapping at word ends loses a
        little of each line, hence the 0.9."""
        budget = width * lines * 0.9 - used
        if self.pdf.get_string_width(text) <= budget:
            return text
        low, high = 0, len(text)
        while low < high:  # the longest prefix that fits, by halving
            mid = (low + high + 1) // 2
            if self.pdf.get_string_width(text[:mid] + "…") <= budget:
                low = mid
            else:
                high = mid - 1
        return text[:low].rstrip() + "…"

    def centered(self, x: float, width: float, text: str, height: float) -> None:
        self.pdf.set_x(x)
        self.pdf.multi_cell(width, height, text, align="C", **self.next_line)

    def rule(self, x: float, width: float, length: float) -> None:
        # Clear of the dots below (ạ, ậ) that sit under the baseline.
        y = self.pdf.get_y() + 1.1
        self.pdf.set_line_width(0.25)
        self.pdf.line(x + (width - length) / 2, y, x + (width + length) / 2, y)
        self.pdf.set_y(y + 1.2)

    def draw(self, doc: SlipDocument) -> None:
        self.header(doc)
        self.title(doc)
        for block in doc.blocks:
            self.block(block)
        self.signatures(doc)
        if doc.qr_payload:
            self.qr(doc.qr_payload, doc.qr_caption)

    def header(self, doc: SlipDocument) -> None:
        pdf = self.pdf
        left_x, right_x = MARGIN_L, MARGIN_L + HEADER_LEFT_W
        right_w = CONTENT_W - HEADER_LEFT_W
        top = MARGIN_T
        if doc.form_label:
            self.font(7.5, italic=True)
            pdf.set_xy(left_x, top)
            pdf.cell(CONTENT_W, 3.5, doc.form_label, align="R")
            top += 3.8
        # Issuer (left): capitals, the issuing unit itself in bold, a short rule under it.
        pdf.set_y(top)
        for i, line in enumerate(doc.header_left):
            last = i == len(doc.header_left) - 1
            # Shrink a little to keep a unit name on one line; wrap only if it is still too long
            # (to three lines at most: an office name of any length leaves room for the slip).
            self.fit(line.upper(), HEADER_LEFT_W - 1, 8.5, bold=last, smallest=7.5)
            self.centered(left_x, HEADER_LEFT_W, self.clipped(line.upper(), HEADER_LEFT_W, 3), 4.0)
        self.rule(left_x, HEADER_LEFT_W, 16)
        if doc.number_line:
            self.font(8.5)
            self.centered(left_x, HEADER_LEFT_W, doc.number_line, 4.0)
        left_bottom = pdf.get_y()
        # National motto (right): line one in capitals, line two with a rule as long as itself.
        pdf.set_y(top)
        for i, line in enumerate(doc.motto):
            self.fit(line, right_w, 9.0 if i == 0 else 10.0, bold=True)
            self.centered(right_x, right_w, line, 4.2)
        if doc.motto:
            self.rule(right_x, right_w, pdf.get_string_width(doc.motto[-1]))
        if doc.date_line:
            pdf.set_y(pdf.get_y() + 1.0)
            self.font(9, italic=True)
            self.centered(right_x, right_w, doc.date_line, 4.2)
        pdf.set_y(max(left_bottom, pdf.get_y()) + 3.0)

    def title(self, doc: SlipDocument) -> None:
        self.font(12, bold=True)
        self.centered(MARGIN_L, CONTENT_W, doc.title, 5.6)
        if doc.subtitle:
            self.font(9.5, italic=True)
            self.centered(MARGIN_L, CONTENT_W, doc.subtitle, 4.6)
        self.pdf.set_y(self.pdf.get_y() + 2.5)

    def block(self, block: Block) -> None:
        pdf = self.pdf
        pdf.set_x(MARGIN_L)
        if block.kind == "text":
            self.font(self.body_pt, block.bold, block.italic)
            align = {"left": "L", "center": "C", "right": "R", "justify": "J"}[block.align]
            pdf.multi_cell(CONTENT_W, self.line_h, self.clipped(block.text, CONTENT_W, TEXT_LINES), align=align,
                           **self.next_line)
        elif block.kind == "field":
            # write() flows the value on after the label and wraps back to the margin,
            # like a filled-in paper form.
            self.font(self.body_pt, italic=block.italic)
            label = f"{block.label}: "
            used = pdf.get_string_width(label)
            pdf.write(self.line_h, label)
            self.font(self.body_pt, block.bold, block.italic)
            pdf.write(self.line_h, self.clipped(block.text, CONTENT_W, FIELD_LINES, used))
            pdf.ln(self.line_h)
        else:
            self.table(block)

    def table(self, block: Block) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        if block.heading:
            self.font(self.body_pt, bold=True)
            pdf.multi_cell(CONTENT_W, self.line_h, block.heading, **self.next_line)
        n = len(block.columns)
        self.font((9 if n <= 3 else 8) * self.scale)  # six columns on an A5 sheet: a size smaller
        default = (9, CONTENT_W - 9 - 28, 28) if n == 3 else (9, CONTENT_W - 9) if n == 2 else (1,) * n
        widths = column_widths(block, CONTENT_W, default)
        aligns = ("CENTER",) + ("LEFT",) * (n - 1)
        pdf.set_line_width(0.2)
        with pdf.table(col_widths=widths, width=CONTENT_W, text_align=aligns, line_height=4.6 * self.scale,
                       padding=(0.8, 1.2), headings_style=FontFace(emphasis="BOLD"),
                       align="LEFT", first_row_as_headings=True) as table:
            for row in (block.columns, *block.rows):
                cells = table.row()
                for value, width in zip(row, widths, strict=False):
                    cells.cell(self.clipped(value, width - 2.4, FIELD_LINES))
        pdf.set_y(pdf.get_y() + 1.2)

    def signatures(self, doc: SlipDocument) -> None:
        pdf = self.pdf
        sigs = doc.signatures
        height = 4.4 + 4.0 + self.sign_space + 4.6
        if pdf.get_y() + 3 + height > PAGE_H - MARGIN_B:
            pdf.add_page()
        top = pdf.get_y() + 3.0
        # One signer signs on the right, as on paper; several share the width.
        slots = len(sigs) if len(sigs) > 1 else 2
        width = CONTENT_W / slots
        bottom = top
        for i, sig in enumerate(sigs):
            x = MARGIN_L + width * (i if len(sigs) > 1 else 1)
            pdf.set_y(top)
            self.font(9.5, bold=True)
            self.centered(x, width, sig.title, 4.4)
            if sig.note:
                self.font(8.5, italic=True)
                self.centered(x, width, sig.note, 4.0)
            pdf.set_y(pdf.get_y() + self.sign_space)
            if sig.name:
                self.font(9.5, bold=True)
                self.centered(x, width, sig.name, 4.6)
            bottom = max(bottom, pdf.get_y())
        pdf.set_y(bottom + 2.0)

    def qr(self, payload: str, caption: str) -> None:
        pdf = self.pdf
        y = max(pdf.get_y(), PAGE_H - MARGIN_B - QR_MM)
        if y + QR_MM > PAGE_H - MARGIN_B + 0.01:
            pdf.add_page()
            y = MARGIN_T
        # A bitmap rather than vector squares so the same image goes into the DOCX and
        # tests can read it back; 8 px/module keeps edges sharp at print size.
        pdf.image(io.BytesIO(qr_png(payload)), x=MARGIN_L - 2.0, y=y, w=QR_MM, h=QR_MM)
        if caption:
            self.font(8, italic=True)
            text_x = MARGIN_L - 2.0 + QR_MM + 1.5
            pdf.set_xy(text_x, y + QR_MM / 2 - 4.0)
            pdf.multi_cell(PAGE_W - MARGIN_R - text_x, 3.6, caption, align="L", **self.next_line)
