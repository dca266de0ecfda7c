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
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import peewee
from sqlcipher3 import dbapi2 as sqlcipher

from ward_desk.store import presence, space
from ward_desk.store.database import db_salt, file_size, translate_db_error, translating_errors
from ward_desk.store.errors import (
    NoKeySlots,
    NotAWardDeskStore,
    StoreDamaged,
    StoreError,
    StoreExists,
    WrongPassword,
)
from ward_desk.store.keys import KeyFile
from ward_desk.store.space import ensure_free

_PAGES_PER_STEP = 1024  # small steps let the clerk's writes interleave with a long backup


def _keyed_connection(path: Path, key: bytes) -> sqlcipher.Connection:
    conn = sqlcipher.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("PRAGMA cipher_log_level = NONE")
    return conn


def backup_store(db: peewee.Database, key: bytes, dest: Path, keyfile: KeyFile | None = None) -> Path:
    """Copy the open store ``db`` to ``dest`` (encrypted), then prove the copy.

    Refuses to overwrite an existing file. With ``keyfile``, its slots are written
    beside the copy (``dest.keys.json``), so the backup can be restored on its own.
    A disk without room for the copy is refused before anything is written; one
    that fills up during the copy leaves nothing behind. Returns ``dest``.
    """
    dest = Path(dest)
    if dest.exists():
        raise StoreExists("store.backup_exists", path=str(dest))
    needed = _backup_needs(db)
    with translating_errors(dest.parent, needed=needed):
        dest.parent.mkdir(parents=True, exist_ok=True)
    remove_unfinished(dest.parent)
    ensure_free(dest.parent, needed)
    tmp = dest.with_name(dest.name + ".part")
    keys_path = Path(str(dest) + ".keys.json")
    try:
        _copy_into(db, key, tmp)
        try:
            prove_backup(tmp, key)
        except StoreError:
            raise StoreError("store.backup_failed", path=str(dest)) from None
        with translating_errors(dest.parent, needed=needed):
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            if keyfile is not None:
                # The copy has its own SQLCipher salt: record it, so its key file and it
                # are known to belong together.
                replace(keyfile, db_salt=db_salt(tmp) or "").save(keys_path)
            os.replace(tmp, dest)
    except BaseException:
        _remove_copy(tmp)
        if not dest.exists():
            with contextlib.suppress(OSError):
                keys_path.unlink()
        raise
    return dest


def _backup_needs(db: peewee.Database) -> int:
    """Room a copy of ``db`` takes: the database and its log, and a little for the key file."""
    return file_size(Path(str(db.database))) + space.MIB


def _copy_into(db: peewee.Database, key: bytes, tmp: Path) -> None:
    """The online backup of ``db`` into ``tmp``; SQLite's failures become the store's."""
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        target = _keyed_connection(tmp, key)
        try:
            source = db.connection()
            source.backup(target, pages=_PAGES_PER_STEP)
            target.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
        finally:
            target.close()
    except (sqlcipher.Error, peewee.DatabaseError, OSError) as exc:
        raise translate_db_error(exc, tmp.parent, needed=_backup_needs(db)) from exc


_UNFINISHED_SUFFIXES = (".part", ".part-journal", ".part-wal", ".part-shm")


def _remove_copy(tmp: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            Path(str(tmp) + suffix).unlink()


def remove_unfinished(folder: Path) -> int:
    """Delete copies a killed backup left half-written (``*.part`` and SQLite's
    ``*.part-journal`` beside it): each can be as large as the store, and an
    unfinished copy is never a backup."""
    removed = 0
    for suffix in _UNFINISHED_SUFFIXES:
        for part in Path(folder).glob("*" + suffix):
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


def restore_store(data_dir: Path, backup: Path, key: bytes, expected_store_id: str,
                  keyfile: KeyFile | None = None) -> Path:
    """Replace the store in ``data_dir`` with ``backup``, keeping the replaced one.

    The store must be closed. With ``keyfile``, those slots become the store's
    ``keys.json`` (else the present one is kept); either way it records the
    restored file's salt. The replaced database is kept in ``backups/`` with its
    key file beside it, so it too can be restored on its own. Returns where the
    replaced store was kept.
    """
    meta = prove_backup(backup, key)
    if meta.get("store_id") != expected_store_id:
        raise StoreError(
            "store.restore_wrong_store", path=str(backup), found=meta.get("store_id"), expected=expected_store_id
        )
    data_dir = Path(data_dir)
    # A desk, the CLI or the sync daemon with the store open would go on writing into the
    # replaced file, and every dossier it saved after the swap would be lost: refused,
    # naming them. Nobody opens the store while the swap runs.
    with presence.exclusive(data_dir, "store.in_use_restore"):
        return _swap_in(data_dir, Path(backup), keyfile)


def _swap_in(data_dir: Path, backup: Path, keyfile: KeyFile | None) -> Path:
    db_path, keys_path = data_dir / "ward.db", data_dir / "keys.json"
    needed = file_size(Path(backup)) + file_size(db_path) + space.MIB
    ensure_free(data_dir, needed)
    kept = _free_name(data_dir / "backups", "replaced-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    tmp = db_path.with_name("ward.db.restoring")
    made: list[Path] = []
    try:
        with translating_errors(data_dir, needed=needed):
            kept.parent.mkdir(exist_ok=True)
            # Keep the replaced store whole: its WAL and index go with it, and its key file.
            for suffix in ("", "-wal", "-shm"):
                src = Path(str(db_path) + suffix)
                if src.exists():
                    made.append(Path(str(kept) + suffix))
                    shutil.copy2(src, made[-1])
            if keys_path.exists():
                made.append(Path(str(kept) + ".keys.json"))
                shutil.copy2(keys_path, made[-1])
            made.append(tmp)
            shutil.copy2(backup, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            # The key file first: it opens the old file and the new one alike (one store,
            # one database key), so a crash between the two renames loses nothing.
            slots = keyfile if keyfile is not None else KeyFile.load(keys_path)
            replace(slots, db_salt=db_salt(tmp) or "").save(keys_path)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(str(db_path) + suffix).unlink()
            os.replace(tmp, db_path)
    except BaseException:
        for path in made:
            if path != db_path:
                with contextlib.suppress(OSError):
                    path.unlink()
        raise
    return kept


def _free_name(folder: Path, stem: str) -> Path:
    """``folder/stem.db``, or ``stem-2.db``... when taken: two restores within one second
    must not keep the second replaced store over the first (that lost it)."""
    n, path = 1, folder / f"{stem}.db"
    while any(Path(str(path) + s).exists() for s in ("", "-wal", "-shm", ".keys.json")):
        n += 1
        path = folder / f"{stem}-{n}.db"
    return path


def restore_from_backup(data_dir: Path, backup: Path, username: str | None, password: str) -> Path:
    """Restore ``backup`` into ``data_dir`` with what the backup itself carries.

    The present store need not open (a damaged or lost ``ward.db`` is why one
    restores): the key comes from the present ``keys.json`` when it is readable and
    the password opens it, else from the key file beside the backup
    (``FILE.keys.json``). A backup of another store is refused from the key files
    alone. Returns where the replaced store was kept.
    """
    data_dir, backup = Path(data_dir), Path(backup)
    if not backup.is_file():
        raise StoreError("store.backup_missing", path=str(backup))
    present = _readable_keyfile(data_dir / "keys.json")
    beside = _readable_keyfile(Path(str(backup) + ".keys.json"))
    if present is None and beside is None:
        raise NoKeySlots("store.restore_no_keys", path=str(backup), keys=str(backup) + ".keys.json")
    if present is not None and beside is not None and beside.store_id != present.store_id:
        raise StoreError("store.restore_wrong_store", path=str(backup), found=beside.store_id,
                         expected=present.store_id)
    key, opened, refusal = None, None, None
    for candidate in (present, beside):
        if candidate is None:
            continue
        try:
            key, opened = candidate.unlock(username, password), candidate
            break
        except (WrongPassword, NoKeySlots) as exc:
            refusal = refusal or exc
    if key is None:
        assert refusal is not None
        raise refusal
    expected = (present or beside).store_id  # type: ignore[union-attr]
    try:
        prove_backup(backup, key)
    except StoreDamaged:
        reference = beside or present
        assert reference is not None
        salt = db_salt(backup)
        if reference.db_salt and salt == reference.db_salt:
            raise StoreDamaged("store.backup_damaged", path=str(backup)) from None
        raise StoreError("store.backup_unreadable", path=str(backup)) from None
    # The slots that opened it stay: the password just typed opens the restored store.
    return restore_store(data_dir, backup, key, expected, keyfile=opened)


def _readable_keyfile(path: Path) -> KeyFile | None:
    """The key file at ``path``, or None when it is missing, damaged or not usable."""
    try:
        return KeyFile.load(path)
    except StoreError:
        return None
