"""Helpers shared by the store and CLI tests: run the real ``ward-desk`` in a
subprocess, build real stores, and take byte-level snapshots of a data folder.

Imported by module name (``tests/store`` and ``tests/cli`` put this folder on
``sys.path`` in their conftest), so the name is unusual on purpose.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

ADMIN = "admin"
PASSWORD = "mat-khau-123"
OFFICE_CODE = "22918"
CLI_TIMEOUT = 60
RECOVERY_RE = re.compile(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{4}){7}\b")
CODE_RE = re.compile(r"\b22918-\d{6}-\d{4}\b")


def cli_env(password: str | None = PASSWORD, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: cheap Argon2, Vietnamese, UTF-8 pipes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_DESK_")}
    env.update(
        WARD_DESK_KDF_MEMORY_KIB=os.environ.get("WARD_DESK_KDF_MEMORY_KIB", "64"),
        WARD_DESK_LANG="vi",
        PYTHONUTF8="1",
        PYTHONIOENCODING="utf-8",
    )
    if password is not None:
        env["WARD_DESK_PASSWORD"] = password
    env.update(extra)
    return env


def run_cli(*args: object, password: str | None = PASSWORD, env: dict[str, str] | None = None,
            timeout: float = CLI_TIMEOUT, cwd: Path | None = None, **extra_env: str) -> subprocess.CompletedProcess:
    """Run ``python -m ward_desk.cli.main ARGS`` with no terminal on stdin.

    Every run also checks the promise that no traceback reaches a user unless
    ``--debug`` was given.
    """
    argv = [sys.executable, "-m", "ward_desk.cli.main", *map(str, args)]
    proc = subprocess.run(
        argv, env=env or cli_env(password, **extra_env), stdin=subprocess.DEVNULL, capture_output=True,
        text=True, encoding="utf-8", errors="replace", timeout=timeout, cwd=cwd,
    )
    if "--debug" not in argv:
        assert "Traceback" not in proc.stderr + proc.stdout, (argv, proc.stderr)
    return proc


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, (proc.args, proc.returncode, proc.stdout, proc.stderr)
    return proc


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> sha256 of its bytes)."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def make_store(data_dir: Path, **kwargs: str) -> str:
    """A new, closed store (office 22918, admin/PASSWORD); returns its recovery key."""
    from ward_desk.store.database import create_store

    params = dict(office_code=OFFICE_CODE, office_name="Phường Mũi Né", admin_username=ADMIN,
                  admin_password=PASSWORD)
    params.update(kwargs)
    store, recovery = create_store(Path(data_dir), **params)
    store.close()
    return recovery
