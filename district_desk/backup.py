"""``district-desk backup`` and ``restore``: a copy of the district store that is proven
readable before it is called a backup.

A backup is a folder. For SQLite it holds ``district.db`` (an online copy made
with SQLite's backup API while receivers keep writing, still encrypted under the
same key), ``district.key`` (that key, wrapped under the passphrase) and
``district.toml``; the copy is then opened as a store and its schema version and
row counts compared with the original. For PostgreSQL it holds
``district.dump``, made by ``pg_dump --format=custom`` of the store's schema,
and is checked by ``pg_restore --list`` reading it whole; restoring it into a
fresh database is what the tests do. ``restore`` puts a backup in place: the
SQLite files beside the settings (the current ones kept aside, never deleted),
or ``pg_restore`` into the database named by ``--db`` / ``DATABASE_URL``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sync_agent.errors import BadInput, Damaged

DUMP_FILE = "district.dump"
PG_BIN_ENV = "DISTRICT_DESK_PG_BIN"  # folder of pg_dump/pg_restore matching the server's version


def _tool(name: str) -> str:
    folder = os.environ.get(PG_BIN_ENV, "").strip()
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not Path(path).exists():
        raise Damaged("district.ops.no_pg_tool", tool=name)
    return path


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise Damaged("district.ops.pg_tool_failed", tool=Path(args[0]).name, detail=detail[-1] if detail else "")


def _counts(store: Any) -> dict[str, int]:
    from district_desk.models import ALL_MODELS

    return {m._meta.table_name: m.select().count() for m in ALL_MODELS}


def backup(store: Any, out: Path) -> dict[str, Any]:
    """Back the open ``store`` up into the new folder ``out``; returns what was checked."""
    from district_desk.store import KEY_FILE, SETTINGS_FILE, SQLITE_FILE, DistrictStore

    if out.exists() and any(out.iterdir()):
        raise BadInput("district.ops.backup_exists", path=str(out))
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    sqlite_path = store.backend.encrypted_file
    if sqlite_path is not None:
        target = out / SQLITE_FILE
        conn = store.db.connection()
        key = store.db.connect_params.get("passphrase") if hasattr(store.db, "connect_params") else None
        import sqlcipher3

        dest = sqlcipher3.connect(str(target))
        try:
            if key:
                dest.execute(f'PRAGMA key = "{key}"')
            conn.backup(dest)  # online: pages copied while other connections write
        finally:
            dest.close()
        os.chmod(target, 0o600)
        shutil.copy2(sqlite_path.with_name(KEY_FILE), out / KEY_FILE)
        settings = (store.data_dir / SETTINGS_FILE).read_text(encoding="utf-8")
        (out / SETTINGS_FILE).write_text(settings, encoding="utf-8")
        os.chmod(out / SETTINGS_FILE, 0o600)
        expected = _counts(store)
        copy = DistrictStore.open(out, f"sqlite:///{target}", kek=store.derived_key(), migrate=False)
        try:
            found = _counts(copy)
        finally:
            copy.close()
            from district_desk.models import database_proxy

            database_proxy.initialize(store.db)  # the original store is this process's again
        if found != expected:
            raise Damaged("district.ops.backup_mismatch", path=str(out))
        return {"kind": "sqlite", "path": str(target), "rows": sum(found.values())}
    schema = store.db.execute_sql("SELECT current_schema()").fetchone()[0]
    dump = out / DUMP_FILE
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--schema={schema}", f"--file={dump}",
          f"--dbname={store.url}"])
    os.chmod(dump, 0o600)
    _run([_tool("pg_restore"), "--list", str(dump)])  # reads the whole archive
    return {"kind": "postgresql", "path": str(dump), "schema": schema}


def restore(source: Path, data_dir: Path, db_url: str | None) -> dict[str, Any]:
    """Put the backup folder ``source`` in place for ``data_dir`` (SQLite) or into the
    database ``db_url`` names (PostgreSQL, which must be empty or have no district yet)."""
    from district_desk.store import KEY_FILE, SETTINGS_FILE, SQLITE_FILE

    dump = source / DUMP_FILE
    if dump.exists():
        if not db_url:
            raise BadInput("district.ops.restore_needs_db")
        _run([_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={db_url}", str(dump)])
        return {"kind": "postgresql", "into": db_url}
    files = [source / SQLITE_FILE, source / KEY_FILE, source / SETTINGS_FILE]
    if not all(f.exists() for f in files):
        raise BadInput("district.ops.not_a_backup", path=str(source))
    data_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kept = data_dir / f"before-restore-{stamp}"
    for name in (SQLITE_FILE, KEY_FILE, SETTINGS_FILE, SQLITE_FILE + "-wal", SQLITE_FILE + "-shm"):
        if (data_dir / name).exists():
            kept.mkdir(exist_ok=True)
            os.replace(data_dir / name, kept / name)
    for f in files:
        shutil.copy2(f, data_dir / f.name)
        os.chmod(data_dir / f.name, 0o600)
    return {"kind": "sqlite", "into": str(data_dir), "kept": str(kept) if kept.exists() else ""}


# ------------------------------------------------------------------ commands


def cmd_backup(args: Any) -> int:
    """``district-desk backup --to DIR``."""
    from district_desk.cli_common import open_district, say

    store = open_district(args)
    try:
        done = backup(store, Path(args.to))
    finally:
        store.close()
    say("district.ops.backup_done", path=done["path"])
    return 0


def cmd_restore(args: Any) -> int:
    """``district-desk restore --from DIR``."""
    from district_desk.backends import redact_url
    from district_desk.cli_common import district_data_dir, say

    done = restore(Path(args.source), district_data_dir(args), args.db)
    say("district.ops.restore_done", source=str(args.source), into=redact_url(done["into"]))
    return 0


def register(sub: Any, common: Any, secret: Any) -> None:
    """Add ``backup`` and ``restore`` to the ``district-desk`` parser."""
    from ward_desk.i18n import t

    p = sub.add_parser("backup", parents=[common, secret], help=t("district.ops.help.backup"))
    p.add_argument("--to", required=True, metavar="DIR", help=t("district.ops.help.backup_to"))
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", parents=[common], help=t("district.ops.help.restore"))
    p.add_argument("--from", dest="source", required=True, metavar="DIR", help=t("district.ops.help.restore_from"))
    p.set_defaults(func=cmd_restore)
