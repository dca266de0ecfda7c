"""Exporting what a screen shows (the monthly report, the dossier list, the call list) to
XLSX, and printing it, from the desk: the reports' own writers (``ward_desk.reports.xlsx``,
whose every cell goes through ``domain.text.write_cell``, so a name starting with "=" is
data, never a formula; ``ward_desk.reports.pdf``) and the slips' print queue
(``slips.printing.send_to_printer``).

Lists carry names and phone numbers: their files go into the slips folder, which the
office's retention (``slips_keep_days``) empties as it does printed slips. The report
holds counts only: it goes into ``exports``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType

from ward_desk.i18n import t

EXPORTS_DIR = "exports"
_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")


@dataclass(frozen=True)
class Output:
    """What a screen hands over to be exported or printed."""

    name: str  # file name stem, e.g. "bao-cao-2026-03"
    headline: list[str]
    tables: list[Any]  # ward_desk.reports.cells.Table
    personal: bool  # names, IDs, phones: kept only as long as slips are


def output_path(data_dir: Path, output: Output, fmt: str, now: datetime) -> Path:
    """``<data_dir>/<slips|exports>/<name>-<yyyymmdd-hhmmss>.<fmt>``, its folder made private."""
    from ward_desk.slips.output import slips_dir

    folder = slips_dir(data_dir) if output.personal else Path(data_dir) / EXPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        folder.chmod(0o700)
    stem = _UNSAFE.sub("_", output.name).strip("._") or "export"
    return folder / f"{stem}-{now:%Y%m%d-%H%M%S}.{fmt}"


def write_output(data_dir: Path, output: Output, fmt: str, now: datetime) -> Path:
    """Write ``output`` as ``fmt`` (``xlsx`` or ``pdf``); return the file (written whole or not at all)."""
    if fmt == "xlsx":
        from ward_desk.reports.xlsx import workbook_bytes

        data = workbook_bytes(output.headline, output.tables)
    else:
        from ward_desk.reports.pdf import pdf_bytes

        data = pdf_bytes(output.headline, output.tables, signatures=not output.personal)
    path = output_path(data_dir, output, fmt, now)
    part = path.with_name(path.name + ".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(part, path)
    return path


class ExportKeys:
    """Mixin for a desk screen with ``output() -> Output | None``: Ctrl+T writes it as
    XLSX, Ctrl+R prints it (a PDF on the system print queue, or says there is no printer
    and where the file is). Both keys are free in the text boxes."""

    EXPORT_BINDINGS: ClassVar[list[BindingType]] = [
        # Not in the footer (full at 80 columns already): help (F1) and the palette list them.
        Binding("ctrl+t", "export_xlsx", "key.export_xlsx", id="export_xlsx", show=False),
        Binding("ctrl+r", "print_output", "key.print_output", id="print_output", show=False),
    ]

    def output(self) -> Output | None:
        """What to export or print (None while nothing is loaded)."""
        raise NotImplementedError

    def action_export_xlsx(self) -> None:
        """Write what is shown to an XLSX file."""
        output = self.output()
        if output is not None:
            self.export_output(output, "xlsx")

    def action_print_output(self) -> None:
        """Print what is shown."""
        output = self.output()
        if output is not None:
            self.export_output(output, "pdf")

    @work(group="export", exclusive=True, exit_on_error=False)
    async def export_output(self, output: Output, fmt: str) -> str:
        """Write the file off the UI thread; for a print, queue it."""
        from ward_desk.domain.timing import to_local
        from ward_desk.slips.printing import send_to_printer

        app: Any = self.app  # type: ignore[attr-defined]
        session = app.session
        # The file is named by the clerk's clock (office time), from the session's clock.
        now = to_local(session.clock(), session.rules.tz).replace(tzinfo=None)
        path = await asyncio.to_thread(write_output, app.data_dir, output, fmt, now)
        if fmt == "xlsx":
            return t("ui.export.written", path=str(path))
        outcome = await asyncio.to_thread(send_to_printer, path)
        if outcome.queued:
            return t("ui.print.queued", path=str(path), detail=outcome.detail)
        if app.open_viewer:
            from ward_desk.ui import slips

            slips.open_with_viewer(path)
        key = "ui.print.no_printer" if outcome.reason == "no_printer" else "ui.print.failed"
        return t(key, path=str(path), detail=outcome.detail)

    def done_export_output(self, message: str) -> None:
        self.notify(message, timeout=10)  # type: ignore[attr-defined]

