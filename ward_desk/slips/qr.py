"""The receipt's QR code, made with segno (pure Python, no Pillow needed)."""

from __future__ import annotations

import io
from typing import Any

# Level M survives a smudged or creased paper slip (15% recovery) while keeping the
# modules large enough for a cheap phone camera at ~22 mm.
ERROR_LEVEL = "m"
BORDER = 4  # the quiet zone the QR spec requires, in modules
PNG_SCALE = 8  # pixels per module: crisp when printed, even by viewers that smooth images


def make_qr(payload: str) -> Any:
    """The ``segno.QRCode`` for ``payload`` (always a full QR, never a Micro QR:
    phone camera apps do not read Micro QR)."""
    import segno

    return segno.make(payload, error=ERROR_LEVEL, micro=False)


def qr_matrix(payload: str) -> list[list[bool]]:
    """Dark (True) / light modules, without the quiet zone."""
    return [[bool(m) for m in row] for row in make_qr(payload).matrix]


def qr_png(payload: str) -> bytes:
    """PNG bytes with the quiet zone, ``PNG_SCALE`` px per module, black on white."""
    buf = io.BytesIO()
    make_qr(payload).save(buf, kind="png", scale=PNG_SCALE, border=BORDER, dark="black", light="white")
    return buf.getvalue()
