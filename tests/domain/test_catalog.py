"""Every message id the domain raises exists in Vietnamese and English."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ward_desk.domain.lifecycle import Action, State
from ward_desk.i18n import _catalog

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

DOMAIN = Path(__file__).parents[2] / "ward_desk" / "domain"
CATALOG = Path(__file__).parents[2] / "ward_desk" / "i18n" / "catalog" / "domain.toml"
ID = re.compile(r'"((?:validation|lifecycle|apology|codes)\.[a-z_.]+)"')


def _used_ids() -> set[str]:
    ids: set[str] = set()
    for path in DOMAIN.glob("*.py"):
        ids |= set(ID.findall(path.read_text(encoding="utf-8")))
    ids |= {f"lifecycle.state.{s.value}" for s in State}
    ids |= {f"lifecycle.action.{a.value}" for a in Action}
    return ids


def test_every_used_id_is_translated() -> None:
    data = tomllib.loads(CATALOG.read_text(encoding="utf-8"))
    used = _used_ids()
    assert "validation.phone" in used and "lifecycle.illegal" in used
    for language in ("vi", "en"):
        missing = used - set(data[language])
        assert not missing, (language, sorted(missing))
    assert set(data["vi"]) == set(data["en"])


def test_catalogue_loads_without_clashes() -> None:
    # _catalog raises if two files define the same id.
    assert "validation.phone" in _catalog("vi")


def test_domain_is_pure() -> None:
    import subprocess

    code = (
        "import sys, ward_desk.domain.calendar, ward_desk.domain.codes, ward_desk.domain.lifecycle, "
        "ward_desk.domain.text, ward_desk.domain.timing, ward_desk.domain.validation; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('peewee', 'textual', 'rich', 'sqlcipher3')"
        " or m.startswith(('ward_desk.store', 'ward_desk.services', 'ward_desk.ui'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
