"""The documents the 2025 rules replaced are cited nowhere: not on a form, in the catalogue,
the procedure data, the code or the docs (Decree 118/2025/NĐ-CP and Circular 03/2025/TT-VPCP
replaced Decree 61/2018, Decree 107/2021 and Circular 01/2018 on 1 July 2025)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OLD = re.compile(r"61/2018|107/2021|01/2018|(?:Decree|Nghị định)\s+(?:số\s+)?(?:61|107)\b"
                 r"|(?:Circular|Thông tư)\s+(?:số\s+)?01\b", re.IGNORECASE)
PLACES = ("ward_desk", "reports", "district_desk", "sync_agent", "docs")
SUFFIXES = {".py", ".toml", ".csv", ".md", ".json"}


def test_no_old_legal_basis_is_cited() -> None:
    found = []
    for place in PLACES:
        for path in [ROOT / "README.md", *(ROOT / place).rglob("*")] if place == "docs" else (ROOT / place).rglob("*"):
            if path.suffix not in SUFFIXES or "__pycache__" in path.parts or not path.is_file():
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if OLD.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert found == []


def test_the_forms_cite_the_2025_documents() -> None:
    from ward_desk.slips.model import FORMS_BASIS

    assert "118/2025/NĐ-CP" in FORMS_BASIS and "03/2025/TT-VPCP" in FORMS_BASIS
    for template in (ROOT / "ward_desk" / "slips" / "templates").glob("*.toml"):
        assert "Thông tư số 03/2025/TT-VPCP" in template.read_text(encoding="utf-8"), template.name
