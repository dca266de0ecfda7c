"""The code base stays lint- and type-clean: ruff everywhere, mypy on the domain and sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean_on_domain_and_sync() -> None:
    result = _run("mypy", "ward_desk/domain", "sync_agent", "district_desk")
    assert result.returncode == 0, result.stdout + result.stderr
