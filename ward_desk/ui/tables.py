"""Putting the reports' tables (``reports.cells.Table``) into a Textual DataTable."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from ward_desk.domain.criteria import format_decimal
from ward_desk.i18n import get_language


def cell(value: Any) -> Any:
    """How one report value shows: numbers right-aligned, blanks as a dash."""
    if value is None or value == "":
        return Text("-", justify="right", style="dim")
    if isinstance(value, float):
        return Text(format_decimal(value, get_language()), justify="right")
    if isinstance(value, int):
        return Text(str(value), justify="right")
    return str(value)


def fill(table: Any, source: Any, *, clip: int = 40, header_width: int | None = None) -> None:
    """Replace ``table``'s columns and rows with those of report table ``source``
    (its totals row last, in bold). With ``header_width``, column labels are wrapped at
    spaces to that width (the header grows to the tallest), so a column is as narrow as
    its figures and its label is whole, not cut at the screen's edge."""
    table.clear(columns=True)
    labels = [wrap_label(str(label), header_width) if header_width else str(label) for label in source.header]
    if header_width:
        table.header_height = max((label.count("\n") + 1 for label in labels), default=1)
    for n, label in enumerate(labels):
        table.add_column(label, key=f"c{n}")
    for n, row in enumerate(source.rows):
        table.add_row(*(_clip(cell(v), clip) for v in row), key=f"r{n}")
    if source.total:
        table.add_row(*(Text(c.plain if isinstance(c, Text) else str(c), style="bold",
                             justify="right" if isinstance(v, (int, float)) else "left")
                        for v, c in ((v, cell(v)) for v in source.total)), key="total")


def wrap_label(label: str, width: int) -> str:
    """``label`` on lines of at most ``width`` characters, broken at spaces only."""
    import textwrap

    return "\n".join(textwrap.wrap(label, width, break_long_words=False, break_on_hyphens=False)) or label


def _clip(value: Any, width: int) -> Any:
    if isinstance(value, str) and len(value) > width:
        return value[: width - 1] + "…"
    return value
