"""Numbered schema migrations, applied in order when a store is opened.

Each ``NNNN_name.py`` module defines ``VERSION`` (its number) and
``upgrade(db)``; it holds frozen SQL and never imports the models. Before any
migration of an existing store, an encrypted backup is taken and proven.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from peewee import Database

from ward_desk.store.errors import StoreError

if TYPE_CHECKING:
    from ward_desk.store.keys import KeyFile


def discover() -> list[ModuleType]:
    """All migration modules, by number; refuses gaps and duplicates."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name[:4].isdigit():
            found.append(importlib.import_module(f"{__name__}.{info.name}"))
    found.sort(key=lambda m: m.VERSION)
    numbers = [m.VERSION for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations are not numbered 1..n without gaps: {numbers}")
    return found


LATEST_VERSION = len(discover())


def current_version(db: Database) -> int:
    if "meta" not in db.get_tables():
        return 0
    row = db.execute_sql("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def apply_all(
    db: Database,
    data_dir: Path,
    *,
    backup_first: bool = True,
    key: bytes | None = None,
    target: int | None = None,
    keyfile: KeyFile | None = None,
) -> list[int]:
    """Bring ``db`` up to ``target`` (default: the latest) and return the versions applied.

    Each migration runs in its own transaction together with the version bump, so
    a crash leaves the store at the last completed version. The backup taken first
    gets ``keyfile``'s slots beside it, so it can be restored on its own.
    """
    from ward_desk.store.backup import backup_store

    target = LATEST_VERSION if target is None else target
    version = current_version(db)
    pending = [m for m in discover() if version < m.VERSION <= target]
    if not pending:
        return []
    backup_path: Path | None = None
    if backup_first and key is not None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        backup_path = data_dir / "backups" / f"before-schema-{pending[0].VERSION}-{stamp}.db"
        backup_store(db, key, backup_path, keyfile=keyfile)
    applied = []
    for module in pending:
        try:
            with db.atomic():
                module.upgrade(db)
                db.execute_sql(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (str(module.VERSION),),
                )
        except Exception as exc:
            _raise_if_disk(exc, db, data_dir)
            raise StoreError(
                "store.migration_failed", version=module.VERSION, backup=str(backup_path or "-")
            ) from exc
        applied.append(module.VERSION)
    return applied


def _raise_if_disk(exc: Exception, db: Database, data_dir: Path) -> None:
    """A migration stopped by a full (or failing, or busy) disk says so: the store is
    left at the last completed version either way, but the cure is different."""
    from peewee import DatabaseError

    from ward_desk.store.database import file_size, translate_db_error
    from ward_desk.store.errors import DiskError, DiskFull, StoreBusy
    from ward_desk.store.space import STORE_HEADROOM_BYTES

    if isinstance(exc, (DatabaseError, OSError)):
        needed = file_size(Path(str(db.database))) + STORE_HEADROOM_BYTES
        err = translate_db_error(exc, data_dir, needed=needed)
        if isinstance(err, (DiskFull, DiskError, StoreBusy)):
            raise err from exc
