"""A TrueType font with Vietnamese glyphs for printable PDFs, on any machine.

The project depends on the ``font-roboto`` package (Roboto, Apache-2.0, full
Vietnamese coverage), so ``./install.sh`` brings the font along on a fresh
machine without root or network beyond PyPI. DejaVu and Noto from the system
are used only if that package is missing.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from ward_desk.errors import WardDeskError

_SYSTEM_FONTS = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
)


class FontMissing(WardDeskError):
    """No Vietnamese-capable TTF could be found."""


@lru_cache(maxsize=1)
def vietnamese_font() -> tuple[Path, Path]:
    """Paths of a regular and a bold TTF that cover Vietnamese."""
    spec = importlib.util.find_spec("font_roboto")
    if spec is not None and spec.submodule_search_locations:
        files = Path(next(iter(spec.submodule_search_locations))) / "files"
        regular, bold = files / "Roboto-Regular.ttf", files / "Roboto-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    for regular_name, bold_name in _SYSTEM_FONTS:
        regular, bold = Path(regular_name), Path(bold_name)
        if regular.is_file():
            return regular, bold if bold.is_file() else regular
    raise FontMissing("report.no_font")
