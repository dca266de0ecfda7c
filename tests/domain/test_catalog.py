"""Every message id the domain raises exists in Vietnamese and English."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from ward_desk.domain.lifecycle import Action, State
from ward_desk.i18n import load_catalogs

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
    # Parsed afresh (no cache): parsing raises if two files define the same id.
    messages = load_catalogs(CATALOG.parent, None)
    assert "validation.phone" in messages["vi"] and "validation.phone" in messages["en"]


def _write(folder: Path, name: str, vi: str, en: str) -> None:
    (folder / name).write_text(f'[vi]\n"x.{name}" = "{vi}"\n[en]\n"x.{name}" = "{en}"\n', encoding="utf-8")


def test_parsed_catalogue_is_cached_and_follows_its_sources(tmp_path: Path, monkeypatch) -> None:
    """The parsed catalogue is reused while its TOML files are unchanged, re-read as
    soon as one changes, and never written where writing is not wanted."""
    import ward_desk.i18n as i18n

    folder, cache_file = tmp_path / "catalog", tmp_path / "cache" / "catalog.json"
    folder.mkdir()
    _write(folder, "a.toml", "một", "one")
    _write(folder, "b.toml", "hai", "two")
    assert load_catalogs(folder, cache_file, write=False)["vi"]["x.a.toml"] == "một"
    assert not cache_file.exists()
    first = load_catalogs(folder, cache_file)
    assert cache_file.exists()

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed although the cache is fresh")

    monkeypatch.setattr(i18n, "_parse", no_parsing)
    assert load_catalogs(folder, cache_file) == first
    monkeypatch.undo()

    _write(folder, "b.toml", "hai (sửa)", "two (edited)")
    assert load_catalogs(folder, cache_file)["vi"]["x.b.toml"] == "hai (sửa)"
    cache_file.write_text("{not json", encoding="utf-8")  # a damaged cache is parsed around and replaced
    assert load_catalogs(folder, cache_file)["en"]["x.b.toml"] == "two (edited)"
    _write(folder, "c.toml", "một", "one")  # c.toml defines x.c.toml: no clash
    (folder / "d.toml").write_text('[vi]\n"x.a.toml" = "lại"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="defined twice"):
        load_catalogs(folder, cache_file)


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
