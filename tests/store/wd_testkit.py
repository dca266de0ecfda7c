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
import uuid
from datetime import datetime
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
        WARD_DESK_TEST_ONLY="1",  # lets the line above lower the KDF (test runs only)
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
    """Every file under ``folder`` (relative path -> sha256 of its bytes).

    The empty swap lock (``presence/swap.lock``) is left out: any open creates it and
    it holds nothing; the markers of processes still open are kept in, so one left
    behind by a process that has closed shows."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and not (p.name == "swap.lock" and p.parent.name == "presence"):
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def make_store(data_dir: Path, **kwargs: object) -> str:
    """A new, closed store (office 22918, admin/PASSWORD); returns its recovery key."""
    from ward_desk.services.setup import create_store

    params = dict(office_code=OFFICE_CODE, office_name="Phường Mũi Né", admin_username=ADMIN,
                  admin_password=PASSWORD)
    params.update(kwargs)
    store, recovery = create_store(Path(data_dir), **params)
    store.close()
    return recovery


MIGRATION_NOW = datetime(2026, 3, 3, 2, 0)


def build_store_at(data_dir: Path, version: int) -> tuple[list[str], bytes]:
    """A store whose schema stops at ``version``, with an office, the catalogue and
    a few dossiers in it, closed. Returns the dossier codes and the database key.

    The tables these rows go into have not changed since schema 1, so the current
    services write them as the older code did; a migration that changes one of
    them must make this builder write that table with frozen SQL instead.
    """
    from ward_desk.migrations import apply_all

    from ward_desk.services import dossiers
    from ward_desk.services.catalogue import load_starter_catalogue
    from ward_desk.services.desk import session_for
    from ward_desk.services.users import insert_user
    from ward_desk.store import models
    from ward_desk.store.database import DB_NAME, KEYS_NAME, Store, bind
    from ward_desk.store.keys import new_db_key, new_keyfile

    data_dir.mkdir(parents=True)
    (data_dir / "backups").mkdir()
    key, store_id = new_db_key(), uuid.uuid4().hex
    keyfile = new_keyfile(store_id)
    keyfile.set_password(ADMIN, PASSWORD, key)
    db = bind(data_dir / DB_NAME, key)
    db.connect()
    assert apply_all(db, data_dir, backup_first=False, target=version) == list(range(1, version + 1))
    with db.atomic():
        models.Meta.create(key="store_id", value=store_id)
        models.Meta.create(key="created_at", value=MIGRATION_NOW.isoformat())
        models.Office.create(code=OFFICE_CODE, agency_id=OFFICE_CODE, name="Phường Mũi Né", created_at=MIGRATION_NOW)
        insert_user(ADMIN, "Trần Văn Quản Trị", "admin", MIGRATION_NOW)
        load_starter_catalogue(MIGRATION_NOW)
    keyfile.save(data_dir / KEYS_NAME)
    # Schema 7 added dossier.calendar_version: below it the current services write the
    # column on a copy of the table's later shape, dropped again once the rows are in.
    added_later = [] if version >= 7 else ['"dossier"."calendar_version"']
    if added_later:
        db.execute_sql("""ALTER TABLE "dossier" ADD COLUMN "calendar_version" VARCHAR(255) NOT NULL DEFAULT ''""")
    store = Store(data_dir=data_dir, db=db, store_id=store_id, key=key)
    session = session_for(store, ADMIN, clock=lambda: MIGRATION_NOW)
    codes = []
    for name in ("Nguyễn Văn Cũ", "Trần Thị Lược Đồ", "Lê Hoàng Một"):
        codes.append(dossiers.intake(session, dossiers.IntakeRequest(
            procedure_code="CT.01", applicant_name=name, phone="0912345678")).code)
    dossiers.move(session, codes[0], "forward")
    if added_later:
        db.execute_sql('ALTER TABLE "dossier" DROP COLUMN "calendar_version"')
    store.close()
    return codes, key
