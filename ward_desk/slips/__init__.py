"""Printable official slips: receipt (01), supplement request (02), refusal (03), apology (04).

Layers, so that rendering stays pure and start-up stays light:

- ``model``     :class:`SlipData`, the view model (text only, no store).
- ``templates`` the wording, TOML per kind, office overrides, validation.
- ``layout``    template + data -> neutral blocks that every renderer draws.
- ``render_pdf`` / ``render_docx`` / ``preview``: the three outputs (fpdf2, python-docx,
  80-column text); heavy libraries are imported inside the functions.
- ``output``    files: atomic write under ``<data_dir>/slips``, opening, purging.
- ``data``      :func:`slip_data_from` / :func:`print_slip`, the only part reading the store.

Names are loaded on first use (PEP 562) so ``import ward_desk.slips`` costs nothing.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "SlipData": "model", "DocumentRow": "model", "KINDS": "model", "FORMATS": "model",
    "FORM_NUMBERS": "model", "qr_payload": "model",
    "load_template": "templates", "SlipTemplate": "templates",
    "preview_text": "output", "render_slip": "output", "render_bytes": "output",
    "open_with_default_viewer": "output", "purge_old_slips": "output", "purge_slips": "output", "slips_dir": "output",
    "slip_data_from": "data", "print_slip": "data",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
