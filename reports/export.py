"""Render a period report or a self-assessment in one of the output formats.

``render_report`` / ``render_assessment`` return bytes (text formats are UTF-8;
CSV carries a BOM so Excel shows Vietnamese). Binary formats are built by
:mod:`ward_desk.reports.xlsx`, :mod:`ward_desk.reports.pdf` and :mod:`ward_desk.reports.docx_out`, imported
only when asked for.
"""

from __future__ import annotations

import csv
import io
import json

from ward_desk.reports.cells import Table, format_cell
from ward_desk.reports.tables import (
    assessment_headline,
    assessment_table,
    indicator_table,
    report_headline,
    report_tables,
)

from ward_desk.domain.text import csv_cell
from ward_desk.errors import InvalidInput
from ward_desk.i18n import t
from ward_desk.services.assessment import AssessmentView
from ward_desk.services.reporting import PeriodReport

FORMATS = ("text", "csv", "xlsx", "pdf", "docx", "json")
BINARY = ("xlsx", "pdf", "docx")
BOM = "\ufeff"


def _text_table(table: Table, language: str | None) -> str:
    from tabulate import tabulate

    rows = [*table.rows, table.total] if table.total else table.rows
    # Cells are formatted here (decimal comma in Vietnamese), so tabulate is told where
    # to align instead of parsing numbers: the first column is text, the rest figures.
    cells = [[format_cell(v, language) for v in row] for row in rows]
    align = ("left",) + ("right",) * (len(table.header) - 1)
    return table.title + "\n" + tabulate(cells, headers=table.header, tablefmt="simple", colalign=align,
                                         disable_numparse=True)


def _csv(blocks: list[tuple[list[str], list[Table]]]) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")

    def row(values) -> None:
        # Data, never formulas: a procedure, a ward or an evidence note may start with "=".
        writer.writerow([csv_cell("" if v is None else v) for v in values])

    for headline, tables in blocks:
        for line in headline:
            row([line])
        for table in tables:
            row([])
            row([table.title])
            row(table.header)
            for values in table.rows:
                row(values)
            if table.total:
                row(table.total)
    return out.getvalue().encode("utf-8")


def render_report(report: PeriodReport, fmt: str, language: str | None = None) -> bytes:
    """The report in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise InvalidInput("report.bad_format", format=fmt, choices=", ".join(FORMATS))
    if fmt == "json":
        return (json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    headline = report_headline(report, language)
    tables = [*report_tables(report, language), indicator_table(report, language)]
    if fmt == "text":
        parts = ["\n".join(headline), *(_text_table(tb, language) for tb in tables), t("report.reconciled", language)]
        return ("\n\n".join(parts) + "\n").encode("utf-8")
    if fmt == "csv":
        return _csv([(headline, tables)])
    if fmt == "xlsx":
        from ward_desk.reports.xlsx import workbook_bytes

        return workbook_bytes(headline, tables)
    if fmt == "pdf":
        from ward_desk.reports.pdf import pdf_bytes

        return pdf_bytes(headline, tables, signatures=True, language=language)
    from ward_desk.reports.docx_out import docx_bytes

    return docx_bytes(headline, tables, signatures=True, language=language)


def render_assessment(view: AssessmentView, office_name: str, fmt: str, language: str | None = None) -> bytes:
    """The self-assessment in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise InvalidInput("report.bad_format", format=fmt, choices=", ".join(FORMATS))
    if fmt == "json":
        return (json.dumps(view.as_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    headline = assessment_headline(view, office_name, language)
    table = assessment_table(view, language)
    if fmt == "text":
        from tabulate import tabulate

        body = tabulate([*table.rows, table.total], headers=table.header, tablefmt="simple",
                        maxcolwidths=[None, 38, None, None, 48], disable_numparse=True)
        return ("\n".join(headline) + "\n\n" + body + "\n").encode("utf-8")
    if fmt == "csv":
        return _csv([(headline, [table])])
    if fmt == "xlsx":
        from ward_desk.reports.xlsx import workbook_bytes

        return workbook_bytes(headline, [table])
    if fmt == "pdf":
        from ward_desk.reports.pdf import pdf_bytes

        return pdf_bytes(headline, [table], signatures=False, language=language, widths=[22, 62, 12, 12, 72])
    from ward_desk.reports.docx_out import docx_bytes

    return docx_bytes(headline, [table], signatures=False, language=language)
