"""Reading a spreadsheet someone else made (CSV or XLSX), within bounds.

A register or a procedure list comes from outside: an Excel book kept for years, an
export of the provincial system, or a hostile file. Every way a file can grow without
end is bounded (:class:`TableLimits`): its size on disk and, for an XLSX, unpacked; its
rows, its columns and the length of a cell. The first limit crossed refuses the whole
file with the row and column where it was crossed, and reading stops there: an XLSX is
streamed in openpyxl's read-only mode, never loaded whole.
"""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from ward_desk.errors import InvalidInput

Row = tuple[int, list[str]]  # (row number as a spreadsheet shows it, cell texts)


@dataclass(frozen=True)
class TableLimits:
    """What one import may hold. Ten years of a busy ward's register are ~50,000 rows of
    ~20 columns; the longest honest cell is a procedure's list of documents."""

    max_bytes: int = 64 << 20  # on disk
    max_unpacked: int = 512 << 20  # an XLSX's members, inflated (a zip bomb claims gigabytes)
    max_rows: int = 100_000  # rows under the header (rows are numbered as the sheet shows them)
    max_columns: int = 100
    max_cell: int = 10_000  # characters


DEFAULT_LIMITS = TableLimits()
# Blank rows (formatting only) are skipped, but not without end: past this many times the
# row limit the sheet is refused even if every further row is blank.
_BLANK_SLACK = 10
# Where a header is looked for (titles and the office's name come above it).
HEADER_SEARCH = 15


def column_letter(index: int) -> str:
    """Spreadsheet letters of a 0-based column index (0 → A, 26 → AA)."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _mb(size: int, *, up: bool = False) -> str:
    """A size in MB (KB under 1 MB); ``up``: rounded up, so a file just past a limit never
    reads as the limit itself ("65 MB, over the 64 MB limit", not "64 MB, over 64 MB")."""
    unit, name = (1 << 20, "MB") if size >= 1 << 20 else (1024, "KB")
    return f"{max(1, -(-size // unit) if up else size // unit)} {name}"


class _Guard:
    """Checks each row against the limits as it is read; names the header above a column."""

    def __init__(self, limits: TableLimits) -> None:
        self.limits = limits
        self.last_row = limits.max_rows + 1  # the header is row 1 of a plain file
        self._header: list[str] = []

    def column(self, i: int) -> str:
        name = self._header[i] if i < len(self._header) else ""
        return f"{column_letter(i)} ({name})" if name else column_letter(i)

    def check(self, n: int, cells: list[str]) -> bool:
        """True if the row holds anything; raises at the first limit it crosses."""
        blank = not any(cells)
        if n > self.last_row and (not blank or n > _BLANK_SLACK * self.last_row):
            raise InvalidInput("import.too_many_rows", row=n, max=self.limits.max_rows)
        if blank:
            return False
        last = max(i for i, c in enumerate(cells) if c)
        if last >= self.limits.max_columns:
            first = next(i for i, c in enumerate(cells) if c and i >= self.limits.max_columns)
            raise InvalidInput("import.too_many_columns", row=n, column=column_letter(first),
                               max=self.limits.max_columns)
        for i, c in enumerate(cells):
            if len(c) > self.limits.max_cell:
                raise InvalidInput("import.cell_too_long", row=n, column=self.column(i), length=len(c),
                                   max=self.limits.max_cell)
        if n <= HEADER_SEARCH and sum(1 for c in cells if c) > sum(1 for c in self._header if c):
            self._header = list(cells)  # the fullest row near the top is the header, for naming columns
        return True


def cell_text(value: object) -> str:
    """A cell's value as the text a clerk sees: a date typed without a time stays a date
    (an Excel date cell is a datetime at midnight; midnight is not what the clerk meant)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value).strip()


def read_rows(path: Path, limits: TableLimits = DEFAULT_LIMITS,
              progress=None) -> Iterator[Row]:
    """Non-blank rows of a CSV (UTF-8, with or without BOM; comma, semicolon or tab) or
    XLSX file, within ``limits``. ``progress(done, estimated_total)`` is told now and then
    how far reading is (total: the sheet's stated rows, or the CSV's lines)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt"):
        raise InvalidInput("import.unknown_format", path=str(path))
    _check_size(path, limits)
    guard = _Guard(limits)
    if suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path, limits, guard, progress)
    else:
        yield from _csv_rows(path, guard, progress)


def _check_size(path: Path, limits: TableLimits) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        raise InvalidInput("import.unreadable", path=str(path)) from None
    if size > limits.max_bytes:
        raise InvalidInput("import.file_too_big", path=str(path), size=_mb(size, up=True), max=_mb(limits.max_bytes))


def _check_unpacked(path: Path, limits: TableLimits) -> None:
    """Refuse a zip whose members claim more than a register could, before inflating any."""
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError):
        raise InvalidInput("import.unreadable", path=str(path)) from None
    if unpacked > limits.max_unpacked:
        raise InvalidInput("import.unpacked_too_big", path=str(path), size=_mb(unpacked, up=True),
                           max=_mb(limits.max_unpacked))


def _xlsx_rows(path: Path, limits: TableLimits, guard: _Guard, progress) -> Iterator[Row]:
    _check_unpacked(path, limits)
    from openpyxl import load_workbook  # lazy: only imports need it

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a file that is not a workbook
        raise InvalidInput("import.unreadable", path=str(path)) from None
    try:
        yield from _sheet_rows(path, wb.active, guard, progress)
    finally:
        wb.close()


def _sheet_rows(path: Path, ws, guard: _Guard, progress, done_before: int = 0, total: int = 0) -> Iterator[Row]:
    stated = ws.max_row or 0  # from the sheet's <dimension>: a hint for progress only
    # The stated dimension may be wrong (files not written by Excel): read every cell there is.
    ws.reset_dimensions()
    try:
        for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            if progress is not None:
                progress(done_before + n, max(total or stated, done_before + n))
            if guard.check(n, cells):
                yield n, cells
    except InvalidInput:
        raise
    except Exception:  # a damaged sheet part, a cell openpyxl cannot type
        raise InvalidInput("import.unreadable", path=str(path)) from None


def read_sheets(path: Path, limits: TableLimits = DEFAULT_LIMITS, progress=None) -> list[tuple[str, list[Row]]]:
    """Every sheet of a workbook as ``(name, rows)``, each within ``limits`` (a CSV: one,
    named ""). A book kept month by month has a sheet a month; a refusal names the sheet
    (in its row) when there are several."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return [("", list(read_rows(path, limits, progress)))]
    _check_size(path, limits)
    _check_unpacked(path, limits)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise InvalidInput("import.unreadable", path=str(path)) from None
    try:
        sheets = list(wb.worksheets)
        total = sum(ws.max_row or 0 for ws in sheets)
        out: list[tuple[str, list[Row]]] = []
        done = 0
        for ws in sheets:
            try:
                rows = list(_sheet_rows(path, ws, _Guard(limits), progress, done, total))
            except InvalidInput as exc:
                if len(sheets) > 1 and "row" in exc.message.params:
                    exc.message.params["row"] = f"{exc.message.params['row']} «{ws.title}»"
                raise
            done += rows[-1][0] if rows else 0
            out.append((ws.title if len(sheets) > 1 else "", rows))
        return out
    finally:
        wb.close()


def _csv_rows(path: Path, guard: _Guard, progress) -> Iterator[Row]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("import.not_utf8", path=str(path)) from None
    except OSError:
        raise InvalidInput("import.unreadable", path=str(path)) from None
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    lines = text.count("\n") + 1
    # The csv module refuses a field over 128 KiB with an error that names no cell; it is
    # let through here so that the limit above refuses it with its row and column.
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text), dialect)
        n = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error:
                raise InvalidInput("import.csv_broken", row=n + 1) from None
            n += 1
            if progress is not None:
                progress(reader.line_num, lines)
            cells = [v.strip() for v in values]
            if guard.check(n, cells):
                yield n, cells
    finally:
        csv.field_size_limit(old)


class _RowCells:
    """One row of a write-only sheet, filled through ``write_cell`` (which wants ``ws.cell``)."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.cells: list = []

    def cell(self, row: int, column: int, value=None):
        from openpyxl.cell import WriteOnlyCell

        del row, column  # cells are appended in order
        c = WriteOnlyCell(self.ws, value=value)
        self.cells.append(c)
        return c


def write_error_file(src: Path, messages: dict[int, str], out: Path, *, header_row: int | None, heading: str,
                     limits: TableLimits = DEFAULT_LIMITS) -> int:
    """Write ``out`` (XLSX): every non-blank row of ``src`` as it was read, with one more
    column holding the messages of that row (``messages``, by row number) and ``heading``
    over it on ``header_row``. The importer ignores that column, so the file can be fixed
    in place and imported as it is. Written streaming; returns the rows written."""
    rows = list(read_rows(Path(src), limits))
    return write_error_book(out, [("", rows, header_row, messages)], heading)


def write_error_book(out: Path, sheets: list[tuple[str, list[Row], int | None, dict[int, str]]],
                     heading: str) -> int:
    """:func:`write_error_file` for a book of several sheets: ``(name, rows, header row,
    messages by row)`` each, one sheet of ``out`` each."""
    from openpyxl import Workbook

    from ward_desk.domain.text import write_cell

    wb = Workbook(write_only=True)
    written = 0
    for name, rows, header_row, messages in sheets:
        ws = wb.create_sheet(title=name or None)
        width = max((len(c) for _, c in rows), default=0)
        top = header_row if header_row is not None else (rows[0][0] if rows else 1)
        for n, cells in rows:
            line = _RowCells(ws)
            for j in range(width):
                write_cell(line, n, j + 1, cells[j] if j < len(cells) and cells[j] != "" else None)
            write_cell(line, n, width + 1, heading if n == top else messages.get(n) or None)
            ws.append(line.cells)
        written += len(rows)
    part = Path(str(out) + ".part")
    try:
        wb.save(part)
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)
    return written
