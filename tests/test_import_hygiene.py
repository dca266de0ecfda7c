"""The core never imports the UI, and the domain never touches the database
(STYLE.md habit 1; ARCHITECTURE.md "Packages and the direction of imports").

Checked twice: by importing every module of a layer in a fresh interpreter and
looking at ``sys.modules``, and by import-linter's static contracts in
pyproject.toml (which also see imports made inside functions).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120

PROBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys

    UI_INSIDE = ("district_desk.ui.",)

    imported, missing = [], []
    for top in sys.argv[1:]:
        try:
            package = importlib.import_module(top)
        except ModuleNotFoundError as exc:
            if exc.name == top:  # a layer this checkout does not have (yet)
                missing.append(top)
                continue
            raise
        imported.append(top)
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=top + "."):
            if info.name.startswith(UI_INSIDE):  # a UI package inside a core one (its own contract)
                continue
            importlib.import_module(info.name)
            imported.append(info.name)
    print(json.dumps({"imported": imported, "missing": missing, "modules": sorted(sys.modules)}))
    """
)


def _import_in_fresh_interpreter(*packages: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_DESK_")}
    proc = subprocess.run([sys.executable, "-c", PROBE, *packages], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in names]


def test_core_layers_never_import_textual_or_rich() -> None:
    result = _import_in_fresh_interpreter(
        "ward_desk.domain", "ward_desk.services", "ward_desk.store", "ward_desk.errors", "ward_desk.i18n",
        "migrations", "sync_agent", "reports",
    )
    assert "ward_desk.services.dossiers" in result["imported"]
    assert "ward_desk.store.database" in result["imported"]
    assert _loaded(result["modules"], ("textual", "rich")) == []
    assert not [m for m in result["modules"] if m.startswith("ward_desk.ui")]


def test_domain_never_imports_the_database() -> None:
    result = _import_in_fresh_interpreter("ward_desk.domain")
    assert "ward_desk.domain.lifecycle" in result["imported"]
    assert _loaded(result["modules"], ("peewee", "playhouse", "sqlcipher3", "textual", "rich")) == []
    assert not [m for m in result["modules"] if m.startswith(("ward_desk.store", "ward_desk.services"))]


def test_import_linter_contracts_hold() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    command = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    if not exe.exists() and not shutil.which("lint-imports"):
        pytest.fail("lint-imports (import-linter) is not installed: ./install.sh --dev")
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
