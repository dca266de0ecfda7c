"""Opening, creating and closing the encrypted ward store.

The database key is unwrapped once (see :mod:`ward_desk.store.keys`) and
SQLCipher is given the raw key (``x'..'``), so opening a connection costs no
PBKDF2 and every worker thread can open its own connection cheaply.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import peewee
from playhouse.sqlcipher_ext import SqlCipherDatabase

from ward_desk.store import models, presence, space
from ward_desk.store.errors import (
    DiskError,
    KeyFileMismatch,
    NoStore,
    NotAWardDeskStore,
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFailed,
    StoreTooNew,
)
from ward_desk.store.keys import KeyFile

log = logging.getLogger(__name__)

DB_NAME = "ward.db"
KEYS_NAME = "keys.json"
BACKUP_DIR = "backups"
_PLAIN_SQLITE_HEADER = b"SQLite format 3\x00"


def connection_pragmas() -> list[tuple[str, object]]:
    """Pragmas every connection gets, in order.

    ``synchronous=FULL`` in WAL mode fsyncs the log at each commit: a receipt the
    clerk has printed must survive a power cut, not only a crash. ``temp_store``
    in memory keeps sorter spill files (which could hold plaintext) off the disk.

    Checkpoints are meant to run when the desk is idle (:func:`maybe_checkpoint`);
    ``wal_autocheckpoint`` is only the bound for a desk that never is (a commit
    that crosses it pays for the checkpoint), and ``journal_size_limit`` truncates
    the log file back after a checkpoint has reset it.
    """
    return [
        ("cipher_log_level", "NONE"),
        ("journal_mode", "wal"),
        ("synchronous", "FULL"),
        ("foreign_keys", 1),
        ("temp_store", "MEMORY"),
        ("busy_timeout", BUSY_TIMEOUT_MS),
        ("cache_size", -16000),
        ("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES),
        ("journal_size_limit", WAL_SIZE_LIMIT_BYTES),
    ]


# Several desks, the CLI and the sync daemon write one store: a writer waits this long for
# another's commit (each is milliseconds; a big import or an idle checkpoint, seconds)
# before the clerk is told the store is busy. Transactions that read then write begin
# IMMEDIATE, so SQLite's busy handler covers them too (a deferred one that read first
# gets SQLITE_BUSY at once when another wrote meanwhile; no wait helps it).
BUSY_TIMEOUT_MS = 20000
WAL_AUTOCHECKPOINT_PAGES = 16000  # 64 MB of log: ~1,000 intakes without an idle moment
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
IDLE_CHECKPOINT_SECONDS = 2.0
FTS_IDLE_MERGE_PAGES = 64  # FTS5 merge work per idle call (~15 ms; the index does not merge during commits)


@dataclass
class Store:
    """An open, unlocked store. ``db`` is the bound peewee database."""

    data_dir: Path
    db: SqlCipherDatabase
    store_id: str
    key: bytes
    # This process's mark that it has the store open (restore and upgrades refuse while
    # another process holds one); dropped on close.
    presence: presence.Presence | None = None

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    @property
    def keys_path(self) -> Path:
        return self.data_dir / KEYS_NAME

    def keyfile(self) -> KeyFile:
        """The key slots, with this database's salt filled in when the file predates it
        (so the next save records it)."""
        keyfile = KeyFile.load(self.keys_path)
        if not keyfile.db_salt:
            keyfile.db_salt = db_salt(self.db_path) or ""
        return keyfile

    def atomic(self) -> peewee._atomic:
        return self.db.atomic()

    def checkpoint(self) -> None:
        """Fold the WAL back into the database; done when idle so commits stay quick."""
        self.db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        if not self.db.is_closed():
            with contextlib.suppress(peewee.DatabaseError):
                self.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()
        if self.presence is not None:
            self.presence.release()


def maybe_checkpoint(store: Store, idle_seconds: float, *, min_idle: float = IDLE_CHECKPOINT_SECONDS,
                     merge_pages: int = FTS_IDLE_MERGE_PAGES) -> bool:
    """Store upkeep for a quiet moment; returns whether it ran.

    Call it from the app's idle timer (or after a CLI command) with how long the
    clerk has been idle. When ``idle_seconds >= min_idle`` it does a bounded step of
    search-index merging (the index does not merge inside commits; see migration
    0004) and a PASSIVE checkpoint, which never waits for readers or writers, so
    the next intake commits into a short WAL instead of paying for a checkpoint.
    Run it on the thread that owns the store's connection.
    """
    if idle_seconds < min_idle:
        return False
    db = store.db
    if merge_pages > 0:
        # Never wait for another desk's write lock here: if it is taken, merge next time.
        timeout = db.execute_sql("PRAGMA busy_timeout").fetchone()[0]
        db.execute_sql("PRAGMA busy_timeout = 0")
        try:
            with contextlib.suppress(peewee.OperationalError), db.atomic("IMMEDIATE"):
                db.execute_sql("INSERT INTO dossier_fts (dossier_fts, rank) VALUES ('merge', ?)", (merge_pages,))
        finally:
            db.execute_sql(f"PRAGMA busy_timeout = {int(timeout)}")
    store.checkpoint()
    return True


def bind(path: Path, key: bytes) -> SqlCipherDatabase:
    """Bind the models' deferred database to ``path`` opened with the raw ``key``."""
    db = models.database
    if not db.is_closed():
        db.close()
    db.init(str(path), passphrase=f"x'{key.hex()}'", pragmas=connection_pragmas(),
            timeout=BUSY_TIMEOUT_MS / 1000)
    return db


def open_raw(path: Path, key: bytes) -> SqlCipherDatabase:
    """A separate (unbound) connection to another store file, e.g. a backup copy."""
    return SqlCipherDatabase(str(path), passphrase=f"x'{key.hex()}'", pragmas=connection_pragmas())


def check_readable(db: SqlCipherDatabase, path: Path) -> None:
    """Touch the first pages: a wrong file or a damaged one fails here, clearly."""
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
    except peewee.DatabaseError as exc:
        db.close()
        raise translate_db_error(exc, path) from None


# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 10, 11, 13, 14, 26
_DAMAGE_WORDS = ("not a database", "malformed", "corrupt", "file is encrypted")


def _chain(exc: BaseException, depth: int = 6) -> list[BaseException]:
    """``exc``, the driver error peewee wraps as its first argument, and the errors it
    arose from: a failed commit is often hidden behind the rollback that followed
    ("cannot rollback - no transaction is active"), the full disk in its context."""
    out: list[BaseException] = []
    todo = [exc]
    while todo and len(out) < depth * 3:
        e = todo.pop(0)
        if any(e is seen for seen in out):
            continue
        out.append(e)
        if e.args and isinstance(e.args[0], BaseException):
            todo.append(e.args[0])
        todo.extend(c for c in (e.__cause__, e.__context__) if c is not None)
    return out


def sqlite_code(exc: BaseException) -> int | None:
    """SQLite's primary result code behind ``exc`` (or the first error in its chain
    that has one), or None when there is none."""
    for e in _chain(exc):
        code = getattr(e, "sqlite_errorcode", None)
        if isinstance(code, int):
            return code & 0xFF
    return None


def translate_db_error(exc: BaseException, path: Path, *, needed: int = space.STORE_HEADROOM_BYTES) -> StoreError:
    """Map SQLite's terse errors onto the store's own, distinct ones.

    Only a file that fails SQLite's or SQLCipher's checks is called damaged. A full
    disk (``SQLITE_FULL``, or an I/O error with almost no space left: the shared
    index cannot grow) is a full disk, with where and how much ``needed``; other
    disk errors, read-only files and locks each say so; anything else is reported
    as a refusal that says nothing about the file's health. The whole chain of
    errors is read, most telling cause first.
    """
    chain = _chain(exc)
    codes = {getattr(e, "sqlite_errorcode", -1) & 0xFF for e in chain
             if isinstance(getattr(e, "sqlite_errorcode", None), int)}
    text = " | ".join(str(e).lower() for e in chain)
    oserrors = [e for e in chain if isinstance(e, OSError) and not isinstance(e, peewee.DatabaseError)]
    if any(space.is_space_errno(e) for e in oserrors) or _SQLITE_FULL in codes or "database or disk is full" in text:
        return space.disk_full(path, needed)
    if oserrors and space.is_disk_errno(oserrors[0]):
        return space.os_error(oserrors[0], path, needed)  # type: ignore[arg-type]
    disk_trouble = codes & {_SQLITE_IOERR, _SQLITE_CANTOPEN, _SQLITE_READONLY, _SQLITE_PERM} or any(
        w in text for w in ("disk i/o error", "unable to open", "readonly", "read-only"))
    if disk_trouble and space.read_only(path):
        return DiskError("store.read_only", path=str(path))
    if codes & {_SQLITE_IOERR, _SQLITE_CANTOPEN} or "disk i/o error" in text or "unable to open" in text:
        if space.low_on_space(path):
            return space.disk_full(path, needed)
        if _SQLITE_CANTOPEN in codes or "unable to open" in text:
            return DiskError("store.cannot_open", path=str(path))
        return DiskError("store.io_error", path=str(path), free=space.format_size(space.free_bytes(path)))
    if codes & {_SQLITE_READONLY, _SQLITE_PERM} or "readonly" in text or "read-only" in text:
        return DiskError("store.read_only", path=str(path))
    if codes & {_SQLITE_BUSY, _SQLITE_LOCKED} or "database is locked" in text or "busy" in text:
        return StoreBusy("store.busy")
    if codes & {_SQLITE_CORRUPT, _SQLITE_NOTADB} or any(w in text for w in _DAMAGE_WORDS):
        return StoreDamaged("store.damaged", path=str(path))
    if oserrors:
        return space.os_error(oserrors[0], path, needed)  # type: ignore[arg-type]
    return StoreFailed("store.failed", detail=(str(exc).splitlines() or [type(exc).__name__])[0][:200])


def db_salt(path: Path) -> str | None:
    """SQLCipher's salt of the database file ``path`` (its first 16 bytes), as hex."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    return head.hex() if len(head) == 16 else None


def _unreadable(exc: StoreError, db_path: Path, keyfile: KeyFile) -> StoreError:
    """Why the key could not read ``db_path``'s first page: a key file that belongs to
    another store (its recorded salt is not this file's), else real damage."""
    if not isinstance(exc, StoreDamaged):
        return exc
    salt = db_salt(db_path)
    if keyfile.db_salt and salt and salt != keyfile.db_salt:
        return KeyFileMismatch("store.keyfile_mismatch", keys=keyfile.path or KEYS_NAME, path=str(db_path))
    if not keyfile.db_salt:
        # A key file from before the salt was recorded: both causes stay possible.
        return StoreDamaged("store.key_does_not_open", keys=keyfile.path or KEYS_NAME, path=str(db_path))
    return exc


def _read_meta(db: SqlCipherDatabase) -> dict[str, str]:
    try:
        rows = db.execute_sql("SELECT key, value FROM meta").fetchall()
    except peewee.OperationalError:
        return {}
    return {k: v for k, v in rows}


def locate(data_dir: Path) -> tuple[Path, Path]:
    """The database and key-file paths, refusing a folder with no store."""
    data_dir = Path(data_dir)
    db_path, keys_path = data_dir / DB_NAME, data_dir / KEYS_NAME
    if not db_path.exists() and not keys_path.exists():
        raise NoStore("store.no_store", path=str(data_dir))
    if not db_path.exists():
        raise NotAWardDeskStore("store.not_ward_desk", path=str(db_path))
    with open(db_path, "rb") as f:
        head = f.read(16)
    if not head:
        raise StoreDamaged("store.damaged", path=str(db_path))
    if head == _PLAIN_SQLITE_HEADER:
        raise NotAWardDeskStore("store.not_ward_desk", path=str(db_path))
    return db_path, keys_path


UpgradeNotice = Callable[[int, int, int], None]
"""Told (from schema, to schema, store size in bytes) before an upgrade starts: the
backup it takes first can run for minutes on a big store, so the user is told why."""


def open_with_key(data_dir: Path, key: bytes, keyfile: KeyFile, *, migrate: bool = True,
                  on_upgrade: UpgradeNotice | None = None) -> Store:
    """Open the store whose database key is ``key`` (already unwrapped), marked as open
    by this process until :meth:`Store.close` (:mod:`ward_desk.store.presence`)."""
    db_path, _ = locate(data_dir)
    # Registered before the first read, under the swap lock: a restore either sees this
    # process or has finished before it reads anything.
    with presence.entering(Path(data_dir)) as mine:
        db = bind(db_path, key)
        try:
            _check_and_upgrade(db, db_path, Path(data_dir), key, keyfile, mine, migrate=migrate,
                               on_upgrade=on_upgrade)
        except BaseException:
            db.close()
            raise
    keyfile.save_if_rewrapped()  # the key opened this store: a weak slot may now be made strong
    return Store(data_dir=Path(data_dir), db=db, store_id=keyfile.store_id, key=key, presence=mine)


def _check_and_upgrade(db: SqlCipherDatabase, db_path: Path, data_dir: Path, key: bytes, keyfile: KeyFile,
                       mine: presence.Presence, *, migrate: bool, on_upgrade: UpgradeNotice | None) -> None:
    from ward_desk.migrations import LATEST_VERSION, apply_all

    try:
        check_readable(db, db_path)
    except StoreError as exc:
        raise _unreadable(exc, db_path, keyfile) from None
    meta = _read_meta(db)
    if not meta.get("store_id"):
        # An empty or foreign file that the key happens to "open" (SQLCipher treats a
        # zero-length file as a new database): never migrate into it.
        raise StoreDamaged("store.damaged", path=str(db_path))
    if meta["store_id"] != keyfile.store_id:
        raise KeyFileMismatch("store.keyfile_mismatch", keys=keyfile.path or KEYS_NAME, path=str(db_path))
    version = int(meta.get("schema_version", "0"))
    if version > LATEST_VERSION:
        raise StoreTooNew("store.too_new", found=version, supported=LATEST_VERSION)
    if version < LATEST_VERSION and migrate:
        # An older desk still open would write into the old schema (and the backup taken
        # first would miss what it writes): upgrade only alone.
        presence.refuse_if_others(data_dir, mine, "store.in_use_upgrade")
        if on_upgrade is not None and version > 0:
            # Only a courtesy: a failing notice must never stop (or half-do) the upgrade.
            with contextlib.suppress(Exception):
                on_upgrade(version, LATEST_VERSION, file_size(db_path))
        apply_all(db, data_dir, backup_first=version > 0, key=key, keyfile=keyfile)


def open_store(data_dir: Path, username: str, password: str, *, migrate: bool = True,
               on_upgrade: UpgradeNotice | None = None) -> Store:
    """Unlock with a user's password and open (migrating if needed, unless ``migrate`` is False)."""
    _db_path, keys_path = locate(data_dir)
    keyfile = KeyFile.load(keys_path)
    key = keyfile.unlock_with_password(username, password)
    try:
        return open_with_key(data_dir, key, keyfile, migrate=migrate, on_upgrade=on_upgrade)
    except StoreError:
        # A re-key interrupted after the database took the new key and before the new
        # slots replaced keys.json: the new slots are in keys.json.rekey.
        pending = keys_path.with_name(keys_path.name + ".rekey")
        if not pending.exists():
            raise
        newer = KeyFile.load(pending)
        store = open_with_key(data_dir, newer.unlock_with_password(username, password), newer, migrate=migrate,
                              on_upgrade=on_upgrade)
        os.replace(pending, keys_path)
        return store


def open_with_recovery(data_dir: Path, recovery_key: str, *, on_upgrade: UpgradeNotice | None = None) -> Store:
    """Unlock with the printed recovery key (a lost password is not lost data)."""
    _, keys_path = locate(data_dir)
    keyfile = KeyFile.load(keys_path)
    key = keyfile.unlock_with_recovery(recovery_key)
    return open_with_key(data_dir, key, keyfile, on_upgrade=on_upgrade)


@contextlib.contextmanager
def translating_errors(path: Path, *, needed: int = space.STORE_HEADROOM_BYTES) -> Iterator[None]:
    """Turn low-level SQLite and disk failures inside a block into the store's own errors."""
    try:
        yield
    except peewee.DatabaseError as exc:
        raise translate_db_error(exc, path, needed=needed) from exc
    except OSError as exc:
        raise space.os_error(exc, path, needed) from exc


def file_size(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            total += os.path.getsize(str(path) + suffix)
    return total
