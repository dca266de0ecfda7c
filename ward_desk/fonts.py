"""Vietnamese-capable TTFs for every PDF the app writes (slips and reports).

fpdf2's core fonts are Latin-1 only, so every PDF must embed a Unicode TTF. Roboto
(Apache-2.0, full Vietnamese coverage) ships inside this package
(``ward_desk/data/fonts``, with its licence beside it), so this works on any machine,
from a wheel or the offline bundle, with no system fonts.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ward_desk.errors import InvalidInput

FAMILY = "Roboto"
FONT_DIR = Path(__file__).parent / "data" / "fonts"
# fpdf2 style -> TTF file
_STYLES = {"": "Roboto-Regular.ttf", "B": "Roboto-Bold.ttf", "I": "Roboto-Italic.ttf",
           "BI": "Roboto-BoldItalic.ttf"}


@lru_cache(maxsize=1)
def pdf_font_paths() -> dict[str, Path]:
    """fpdf2 style ("", "B", "I", "BI") -> TTF path. Raises ``slips.font_missing``
    (an installation that lost its files)."""
    paths: dict[str, Path] = {}
    for style, name in _STYLES.items():
        path = FONT_DIR / name
        if not path.is_file():
            raise InvalidInput("slips.font_missing", detail=str(path))
        paths[style] = path
    return paths


def register_pdf_fonts(pdf: Any) -> str:
    """Add the regular/bold/italic faces to an ``fpdf.FPDF`` and return the family name.

    fpdf2 subsets embedded TTFs to the glyphs used, so a one-page slip stays ~30 KB.
    """
    for style, path in pdf_font_paths().items():
        pdf.add_font(FAMILY, style, str(path))
    return FAMILY
