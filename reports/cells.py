"""The layout every output format shares: header cells and rows of plain values.

Pure layout (the domain's number formats and the message catalogue only), so the
district's tables use it too without loading the ward's services.
"""

from __future__ import annotations

from dataclasses import dataclass

from ward_desk.domain.criteria import format_decimal
from ward_desk.i18n import get_language

Cell = str | int | float | None


def format_cell(value: Cell, language: str | None = None) -> str:
    """A cell as printed on paper and screen: "-" for no value, rates and points with one
    decimal, a decimal comma in Vietnamese ("96,4") and a point in English. CSV and XLSX
    keep numbers as numbers (the spreadsheet applies the reader's locale)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return format_decimal(value, language or get_language())
    return str(value)


@dataclass(frozen=True)
class Table:
    """A titled table: header labels, body rows, and a totals row."""

    title: str
    header: list[str]
    rows: list[list[Cell]]
    total: list[Cell]
