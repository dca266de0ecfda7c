"""XLSX output (openpyxl): one sheet per table, bold wrapped headers, a bold totals row,
frozen header, column widths fitted to the content. Vietnamese text is stored as is."""

from __future__ import annotations

import io
import re

from ward_desk.reports.cells import Table

from ward_desk.domain.text import write_cell

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def workbook_bytes(headline: list[str], tables: list[Table]) -> bytes:
    """An .xlsx file with the headline on top of every sheet and one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    total_fill = PatternFill("solid", fgColor="F2F2F2")
    used: set[str] = set()
    for table in tables:
        name = _BAD_SHEET_CHARS.sub(" ", table.title)[:31] or "Sheet"
        while name in used:
            name = name[:28] + f"~{len(used)}"
        used.add(name)
        ws = wb.create_sheet(name)
        for i, line in enumerate(headline, start=1):
            write_cell(ws, i, 1, line).font = Font(bold=i == 1, size=12 if i == 1 else 11)
        top = len(headline) + 2
        widths = [len(str(h)) for h in table.header]
        for col, label in enumerate(table.header, start=1):
            cell = write_cell(ws, top, col, label)
            cell.font = Font(bold=True)
            cell.fill = head_fill
            cell.border = border
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        body = [*table.rows, table.total] if table.total else list(table.rows)
        for r, values in enumerate(body, start=top + 1):
            is_total = bool(table.total) and r == top + len(body)
            for col, value in enumerate(values, start=1):
                cell = write_cell(ws, r, col, value)
                cell.border = border
                if isinstance(value, float):
                    cell.number_format = "0.0"
                if is_total:
                    cell.font = Font(bold=True)
                    cell.fill = total_fill
                if isinstance(value, str) and len(value) > 40:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                widths[col - 1] = max(widths[col - 1], min(len(str(value if value is not None else "")), 60))
        for col, width in enumerate(widths, start=1):
            # Header labels wrap, so a numeric column need not be as wide as its label.
            ws.column_dimensions[get_column_letter(col)].width = max(8, min(width + 2, 62 if col <= 2 else 16))
        ws.row_dimensions[top].height = 45
        ws.freeze_panes = ws.cell(row=top + 1, column=2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

