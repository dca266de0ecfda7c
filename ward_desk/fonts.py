"""Vietnamese-capable TTFs for every PDF the app writes (slips and reports).

fpdf2's core fonts are Latin-1 only, so every PDF must embed a Unicode TTF. The
``font-roboto`` dependency ships Roboto (Apache-2.0, full Vietnamese coverage)
inside the wheel, so this works on any machine pip reaches, with no system fonts.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ward_desk.errors import InvalidInput

FAMILY = "Roboto"
# fpdf2 style -> font_roboto attribute
_STYLES = {"": "Roboto", "B": "RobotoBold", "I": "RobotoItalic", "BI": "RobotoBoldItalic"}


@lru_cache(maxsize=1)
def pdf_font_paths() -> dict[str, Path]:
    """fpdf2 style ("", "B", "I", "BI") -> TTF path. Raises ``slips.font_missing``."""
    try:
        import font_roboto
    except ImportError as exc:
        raise InvalidInput("slips.font_missing", detail="font-roboto") from exc
    paths: dict[str, Path] = {}
    for style, attr in _STYLES.items():
        path = Path(getattr(font_roboto, attr, "") or "")
        if not path.is_file():
            raise InvalidInput("slips.font_missing", detail=f"font-roboto: {attr}")
        paths[style] = path
    return paths


def register_pdf_fonts(pdf: Any) -> str:
    """Add the regular/bold/italic faces to an ``fpdf.FPDF`` and return the family name.

    fpdf2 subsets embedded TTFs to the glyphs used, so a one-page slip stays ~30 KB.
    """
    for style, path in pdf_font_paths().items():
        pdf.add_font(FAMILY, style, str(path))
    return FAMILY
