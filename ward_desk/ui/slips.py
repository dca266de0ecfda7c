"""Bridge to the slip printer (``ward_desk.slips``), called only from worker threads.

The printer is imported when first used (DOCX/PDF libraries are heavy), and a
missing printer never loses a dossier: the store change is already committed
when a slip is asked for, so a failure here is reported, not raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ward_desk.i18n import t

SLIP_FORMATS = ("pdf", "docx")


@dataclass(frozen=True)
class SlipResult:
    """What became of a slip request: the files written, or why none were."""

    paths: tuple[Path, ...] = ()
    message: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.paths)


def render(kind: str, session: Any, code: str) -> SlipResult:
    """Render slip ``kind`` (receipt, supplement, refusal, apology) of dossier ``code``
    as PDF and DOCX under ``<data dir>/slips``."""
    from ward_desk.services import dossiers

    try:
        from ward_desk import slips

        dossier = dossiers.get(code)
        paths = tuple(Path(slips.print_slip(session, dossier, kind, fmt)) for fmt in SLIP_FORMATS)
    except ImportError:
        return SlipResult(message=t("ui.slips.unavailable"))
    except Exception as exc:  # the dossier is saved; say why the paper is missing
        return SlipResult(message=t("ui.slips.failed", detail=str(exc) or type(exc).__name__))
    return SlipResult(paths=paths, message=t("ui.slips.saved", path=str(paths[0])))


def preview(kind: str, session: Any, code: str) -> str:
    """The slip as plain text (at most 80 columns) for the on-screen preview."""
    from ward_desk import slips
    from ward_desk.services import dossiers

    data = slips.slip_data_from(session, dossiers.get(code), kind)
    return str(slips.preview_text(data, kind, data_dir=session.store.data_dir))


def open_with_viewer(path: Path) -> bool:
    """Open ``path`` with the system's default viewer; False where there is none
    (the caller then shows the path)."""
    from ward_desk import slips

    return bool(slips.open_with_default_viewer(path))
