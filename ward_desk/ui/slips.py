"""Bridge to the slip printer (``ward_desk.slips``): data read on the store thread, files
written in a thread of their own.

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


def gather(kind: str, session: Any, code: str) -> Any:
    """Read what slip ``kind`` of dossier ``code`` prints (on the store thread)."""
    from ward_desk import slips
    from ward_desk.services import dossiers

    return slips.slip_data_from(session, dossiers.get(code), kind)


def write(kind: str, data: Any, data_dir: Path) -> SlipResult:
    """Render gathered slip data as PDF and DOCX under ``<data dir>/slips``.

    Runs in its own thread worker, never on the store thread: a PDF takes long
    enough that the clerk's next search would wait behind it."""
    try:
        from ward_desk import slips

        out = slips.slips_dir(data_dir)
        paths = tuple(Path(slips.render_slip(data, kind, out, fmt, data_dir=data_dir))
                      for fmt in SLIP_FORMATS)
    except ImportError:
        return SlipResult(message=t("ui.slips.unavailable"))
    except Exception as exc:  # the dossier is saved; say why the paper is missing
        return SlipResult(message=t("ui.slips.failed", detail=str(exc) or type(exc).__name__))
    return SlipResult(paths=paths, message=t("ui.slips.saved", path=str(paths[0])))


async def produce(app: Any, kind: str, code: str, data: Any = None) -> SlipResult:
    """Gather (store thread, unless ``data`` is given) then render (a plain thread) a slip."""
    import asyncio

    session = app.session
    if data is None:
        try:
            data = await app.store_thread.call(gather, kind, session, code)
        except Exception as exc:
            return SlipResult(message=t("ui.slips.failed", detail=str(exc) or type(exc).__name__))
    result = await asyncio.to_thread(write, kind, data, session.store.data_dir)
    if result.ok and getattr(app, "is_web", False):
        deliver(app, result.paths[0])
    return result


def deliver(app: Any, path: Path) -> None:
    """Open the slip in the clerk's browser (served desk: ``ward-desk serve``), where it
    prints on the counter's printer; the office PC's disk copy follows the retention rule."""
    app.deliver_binary(path, open_method="browser", mime_type="application/pdf" if path.suffix == ".pdf" else None,
                       name=path.name)


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
