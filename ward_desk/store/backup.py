"""Encrypted backups with SQLite's online backup API, each proven by reopening it.

A backup is the database copied page by page while the app keeps running,
encrypted with the same database key, plus a copy of the key slots beside it
(``FILE.keys.json``) so the backup opens with the passwords and the recovery key
that were valid when it was made. A backup that cannot be reopened and checked
is deleted and reported: a backup never tested is no backup.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import peewee
from sqlcipher3 import dbapi2 as sqlcipher

from ward_desk.store.errors import NotAWardDeskStore, StoreDamaged, StoreError, StoreExists
from ward_desk.store.keys import KeyFile

_PAGES_PER_STEP = 1024  # small steps let the clerk's writes interleave with a long backup


def _keyed_connection(path: Path, key: bytes) -> sqlcipher.Connection:
    conn = sqlcipher.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("PRAGMA cipher_log_level = NONE")
    return conn


def backup_store(db: peewee.Database, key: bytes, dest: Path, keyfile: KeyFile | None = None) -> Path:
    """Copy the open store ``db`` to ``dest`` (encrypted), then prove the copy.

    Refuses to overwrite an existing file. Returns ``dest``.
    """
    dest = Path(dest)
    if dest.exists():
        raise StoreExists("store.backup_exists", path=str(dest))
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_unfinished(dest.parent)
    tmp = dest.with_name(dest.name + ".part")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    target = _keyed_connection(tmp, key)
    try:
        source = db.connection()
        source.backup(target, pages=_PAGES_PER_STEP)
        target.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
    finally:
        target.close()
    try:
        prove_backup(tmp, key)
    except StoreError:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise StoreError("store.backup_failed", path=str(dest)) from None
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dest)
    if keyfile is not None:
        keyfile.save(Path(str(dest) + ".keys.json"))
    return dest


def remove_unfinished(folder: Path) -> int:
    """Delete copies a killed backup left half-written (``*.part``): each can be as
    large as the store, and an unfinished copy is never a backup."""
    removed = 0
    for part in Path(folder).glob("*.part"):
        with contextlib.suppress(OSError):
            part.unlink()
            removed += 1
    return removed


def prove_backup(path: Path, key: bytes) -> dict[str, str]:
    """Open a backup with ``key`` and run the integrity checks; return its meta."""
    conn = _keyed_connection(path, key)
    try:
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()
            cipher_errors = conn.execute("PRAGMA cipher_integrity_check").fetchall()
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlcipher.DatabaseError:
            raise StoreDamaged("store.damaged", path=str(path)) from None
        if not ok or ok[0] != "ok" or cipher_errors:
            raise StoreDamaged("store.damaged", path=str(path))
        if "store_id" not in meta:
            raise NotAWardDeskStore("store.not_ward_desk", path=str(path))
        return meta
    finally:
        conn.close()


def default_backup_name(data_dir: Path, now: datetime | None = None) -> Path:
    now = now or datetime.now(timezone.utc)
    return Path(data_dir) / "backups" / f"ward-{now.strftime('%Y%m%dT%H%M%SZ')}.db"


def restore_store(data_dir: Path, backup: Path, key: bytes, expected_store_id: str) -> Path:
    """Replace the store in ``data_dir`` with ``backup``, keeping the replaced one.

    The store must be closed. Returns where the replaced store was kept.
    """
    meta = prove_backup(backup, key)
    if meta.get("store_id") != expected_store_id:
        raise StoreError(
            "store.restore_wrong_store", path=str(backup), found=meta.get("store_id"), expected=expected_store_id
        )
    data_dir = Path(data_dir)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kept = data_dir / "backups" / f"replaced-{stamp}.db"
    kept.parent.mkdir(exist_ok=True)
    db_path = data_dir / "ward.db"
    # Keep the replaced store whole: fold its WAL in first by copying all three files.
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(db_path) + suffix)
        if src.exists():
            shutil.copy2(src, Path(str(kept) + suffix))
    tmp = db_path.with_name("ward.db.restoring")
    shutil.copy2(backup, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(db_path) + suffix).unlink()
    os.replace(tmp, db_path)
    return kept
