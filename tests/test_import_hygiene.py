"""The core never imports the UI, the domain never touches the database, the
wire format needs no store, and the ward never loads the upstream product
(STYLE.md habit 1; ARCHITECTURE.md "Packages and the direction of imports").

Checked twice: by importing every module of a layer in a fresh interpreter and
looking at ``sys.modules``, and by import-linter's static contracts in
pyproject.toml (which also see imports made inside functions).
"""

from __future__ import annotations

import json
import os
import re
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
        "ward_desk.migrations", "sync_agent", "district_desk", "ward_desk.reports",
    )
    assert "ward_desk.services.dossiers" in result["imported"]
    assert "ward_desk.store.database" in result["imported"]
    assert "district_desk.receiver" in result["imported"]
    assert _loaded(result["modules"], ("textual", "rich")) == []
    assert not [m for m in result["modules"] if m.startswith("ward_desk.ui")]


def test_domain_never_imports_the_database() -> None:
    result = _import_in_fresh_interpreter("ward_desk.domain")
    assert "ward_desk.domain.lifecycle" in result["imported"]
    assert _loaded(result["modules"], ("peewee", "playhouse", "sqlcipher3", "textual", "rich")) == []
    assert not [m for m in result["modules"] if m.startswith(("ward_desk.store", "ward_desk.services"))]


def test_the_wire_format_loads_no_store_and_no_agent() -> None:
    # What both sides share is pure: a receiver or a tool reading envelopes and key
    # files loads neither a database driver nor the ward's store, services or agent.
    result = _import_in_fresh_interpreter(
        "sync_agent.envelope", "sync_agent.keyfiles", "sync_agent.enrol_code", "sync_agent.errors"
    )
    assert result["missing"] == [] and "sync_agent.keyfiles" in result["imported"]
    assert _loaded(result["modules"], ("peewee", "playhouse", "sqlcipher3", "district_desk", "textual")) == []
    assert not [m for m in result["modules"] if m.startswith(("ward_desk.store", "ward_desk.services", "ward_desk.cli"))]
    assert not [m for m in result["modules"] if m in ("sync_agent.agent", "sync_agent.ward_cli", "sync_agent.downlink",
                                                        "sync_agent.enrolment")]


def test_no_ward_module_loads_the_upstream_product() -> None:
    # Every module of the ward's packages (the desk's screens and the CLI included)
    # and of the ward's agent, imported together: none of them pulls in district_desk.
    result = _import_in_fresh_interpreter("ward_desk", "ward_desk.reports", "ward_desk.migrations", "sync_agent")
    assert result["missing"] == []
    assert {"ward_desk.ui.app", "ward_desk.cli.main", "sync_agent.agent", "sync_agent.ward_cli"} <= set(result["imported"])
    assert _loaded(result["modules"], ("district_desk",)) == []


# The contracts in pyproject.toml this suite stands on: if one is renamed or dropped,
# this test says so instead of passing on whatever remains (new ones may be added).
CONTRACTS = (
    "Domain is pure",
    "Ward layers: ui > services > store > domain",
    "Core never imports the UI",
    "Only the district CLI starts the district UI",
    "The ward's core never imports the sync agent",
    "Neither the ward nor the wire format imports the upstream product",
    "The wire format is pure",
    "The upstream product never uses the ward's store, services or agent",
)


def test_import_linter_contracts_hold() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    command = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    if not exe.exists() and not shutil.which("lint-imports"):
        pytest.fail("lint-imports (import-linter) is not installed: ./install.sh --dev")
    proc = subprocess.run([*command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    kept = {line.rsplit(" KEPT", 1)[0] for line in proc.stdout.splitlines() if " KEPT" in line}
    assert set(CONTRACTS) <= kept, set(CONTRACTS) - kept
    assert ", 0 broken." in proc.stdout


def test_reports_and_migrations_are_imported_by_their_installed_names() -> None:
    # In a checkout, the folders reports/ and migrations/ are also importable as
    # top-level packages (the current directory is on sys.path), so an import by
    # the old name would pass here and fail once the wheel is installed, where
    # they are ward_desk.reports and ward_desk.migrations only.
    old_name = re.compile(r"^\s*(?:from|import)\s+(?:reports|migrations)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("ward_desk", "sync_agent", "district_desk", "reports", "migrations", "bench", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if old_name.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
