"""Slip files: render to disk atomically, open in the system viewer, purge old ones.

Printed slips are plaintext by nature (a PDF or DOCX a viewer can open) and
carry personal data, so they are written only when a clerk asks, only under
``<data_dir>/slips/`` (owner-only permissions where the OS has them), and
:func:`purge_old_slips` removes them after a while. The encrypted store stays
the record; a slip file is a disposable print job.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ward_desk.errors import InvalidInput
from ward_desk.slips.layout import build_document
from ward_desk.slips.model import FORMATS, SlipData, check_kind
from ward_desk.slips.preview import render_preview
from ward_desk.slips.templates import load_template

SLIPS_DIR = "slips"
_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")


def slips_dir(data_dir: Path) -> Path:
    """Where slips of the store in ``data_dir`` are written."""
    return Path(data_dir) / SLIPS_DIR


def slip_filename(data: SlipData, kind: str, fmt: str) -> str:
    """``<code>-<kind>.<fmt>``; a dossier code is already file-safe, but an imported
    register's codes may not be, so anything else becomes ``_``."""
    code = _UNSAFE.sub("_", data.dossier_code).strip("._") or "slip"
    return f"{code}-{kind}.{fmt}"


def preview_text(data: SlipData, kind: str, *, data_dir: Path | None = None) -> str:
    """The slip as plain text for the screen, no line wider than 80 columns.

    ``data_dir`` selects the office's template overrides (``<data_dir>/templates``).
    """
    check_kind(kind)
    return render_preview(build_document(load_template(kind, data_dir), data))


def render_bytes(data: SlipData, kind: str, fmt: str, *, data_dir: Path | None = None) -> bytes:
    """The slip file's content (``fmt`` is ``pdf`` or ``docx``) without touching the disk."""
    check_kind(kind)
    if fmt not in FORMATS:
        raise InvalidInput("slips.unknown_format", fmt=fmt)
    doc = build_document(load_template(kind, data_dir), data)
    if fmt == "pdf":
        from ward_desk.slips.render_pdf import render_pdf

        return render_pdf(doc)
    from ward_desk.slips.render_docx import render_docx

    return render_docx(doc)


def render_slip(data: SlipData, kind: str, out_dir: Path, fmt: str = "pdf", *,
                data_dir: Path | None = None) -> Path:
    """Write the slip to ``out_dir/<code>-<kind>.<fmt>`` atomically and return the path.

    A reader (the PDF viewer, a print spooler) never sees a half-written file: the
    bytes go to a temporary file in the same folder, are flushed to disk, then
    renamed over the target. Re-printing replaces the earlier file.
    """
    content = render_bytes(data, kind, fmt, data_dir=data_dir)
    out_dir = Path(out_dir)
    target = out_dir / slip_filename(data, kind, fmt)
    try:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".part", dir=out_dir)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise InvalidInput("slips.write_failed", path=str(target), error=exc.strerror or str(exc)) from exc
    return target


def open_with_default_viewer(path: Path) -> bool:
    """Ask the desktop to open ``path``; return at once. False when there is no way
    to (no desktop session, no opener), so the caller shows the path instead."""
    path = Path(path)
    try:
        if sys.platform.startswith("win"):
            os.startfile(str(path))  # type: ignore[attr-defined]  # returns immediately
            return True
        if sys.platform == "darwin":
            opener = shutil.which("open")
        else:
            # Without a display, xdg-open falls back to a text browser in *this*
            # terminal, which would take over the Textual screen.
            if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
                return False
            opener = shutil.which("xdg-open")
        if opener is None:
            return False
        subprocess.Popen(  # a fixed program and one path argument, no shell
            [opener, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
        )
        return True
    except OSError:
        return False


# How long a viewer or a print spooler gets to read a slip that is not kept at all
# (``slips_keep_days = 0``): longer than any printer queue, shorter than a clerk's break.
HANDOVER_MINUTES = 10.0


def purge_slips(data_dir: Path, keep_days: float | None = None, *, now: float | None = None,
                handed_over: bool = False) -> int:
    """Apply the office's retention to its printed slips; return how many went.

    ``keep_days`` defaults to ``config.toml``'s ``slips_keep_days`` (30; a file that
    cannot be read keeps the default). 0 means slips are not kept once printed: they go
    :data:`HANDOVER_MINUTES` after they were written, or at once with ``handed_over``
    (the desk locks or closes: printing is over). Every ``ward-desk`` command, the sync
    daemon and the desk call this; a folder with no slips costs one ``stat``.
    """
    if not slips_dir(data_dir).is_dir():
        return 0
    if keep_days is None:
        from ward_desk.config import Settings, load_settings
        from ward_desk.errors import WardDeskError

        try:
            keep_days = load_settings(data_dir).slips_keep_days
        except WardDeskError:  # a broken config.toml never stops the purge: the default applies
            keep_days = Settings().slips_keep_days
    if keep_days <= 0:
        keep_days = 0.0 if handed_over else HANDOVER_MINUTES / (24 * 60)
    return purge_old_slips(data_dir, keep_days, now=now)


def purge_old_slips(data_dir: Path, older_than_days: float, *, now: float | None = None) -> int:
    """Delete slip files in ``<data_dir>/slips`` last written more than
    ``older_than_days`` ago (and any leftover ``.part`` file); return how many went.

    ``now`` (a ``time.time()`` value) is for tests.
    """
    folder = slips_dir(data_dir)
    if not folder.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - older_than_days * 86400
    if older_than_days <= 0:
        cutoff = float("inf")  # handed over: every slip goes, whatever its clock says
    removed = 0
    for entry in folder.iterdir():
        if entry.is_symlink() or not entry.is_file():
            continue
        if entry.suffix.lower() not in (".pdf", ".docx", ".xlsx", ".part"):  # .xlsx: lists (ui.exports)
            continue  # only what this module writes
        with contextlib.suppress(FileNotFoundError):
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed += 1
    return removed
