"""The ward store's numbered schema migrations, applied in order when a store is opened.

Each ``NNNN_name.py`` module defines ``VERSION`` (its number) and
``upgrade(db)``; it holds frozen SQL and never imports the models. Before any
migration of an existing store, an encrypted backup is taken and proven. The
runner itself (:mod:`ward_desk.migrations.runner`) is shared with the district's store.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from peewee import Database
from ward_desk.migrations.runner import MigrationFailed, MigrationSet

WARD = MigrationSet(__name__, "meta")

if TYPE_CHECKING:
    from ward_desk.store.keys import KeyFile


def discover() -> list[ModuleType]:
    """All migration modules, by number; refuses gaps and duplicates."""
    return WARD.discover()


LATEST_VERSION = WARD.latest


def current_version(db: Database) -> int:
    return WARD.current_version(db)


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
    # Imported here: the runner's package must stay loadable without the ward's
    # store (the district's migrations use the same runner).
    from ward_desk.store.backup import backup_store
    from ward_desk.store.errors import StoreError

    pending = WARD.pending(db, target)
    if not pending:
        return []
    backup_path: Path | None = None
    if backup_first and key is not None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        backup_path = data_dir / "backups" / f"before-schema-{pending[0].VERSION}-{stamp}.db"
        backup_store(db, key, backup_path, keyfile=keyfile)
    try:
        return WARD.apply(db, target=target)
    except MigrationFailed as exc:
        _raise_if_disk(exc.__cause__, db, data_dir)
        raise StoreError(
            "store.migration_failed", version=exc.version, backup=str(backup_path or "-")
        ) from exc.__cause__


def _raise_if_disk(exc: BaseException | None, db: Database, data_dir: Path) -> None:
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
