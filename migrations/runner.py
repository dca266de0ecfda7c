"""The one runner of numbered schema migrations, for the ward's store and the district's.

A *migration set* is a package folder of ``NNNN_name.py`` modules, each defining
``VERSION`` (its number) and ``upgrade(db)`` with frozen SQL (never the models),
and the key/value table whose ``schema_version`` row says how far a database
has come. The ward's set is :mod:`ward_desk.migrations` (table ``meta``); the district's is
:mod:`district_desk.migrations` (table ``setting``).

This module knows neither product: it imports only peewee, so the upstream
product can use it without loading the ward's store. What a failure means to a
user (which backup to restore, which message) is the caller's business; the
runner raises :class:`MigrationFailed` with the version that failed.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType

from peewee import Database

VERSION_KEY = "schema_version"


class MigrationFailed(Exception):
    """Migration ``version`` raised; its transaction was rolled back, so the
    database stays at the last version that completed."""

    def __init__(self, version: int) -> None:
        super().__init__(f"migration {version} failed")
        self.version = version


@dataclass(frozen=True)
class MigrationSet:
    """The migrations in package ``package``, the version kept in ``version_table``
    (``key`` / ``value`` columns, row ``schema_version``)."""

    package: str
    version_table: str

    def discover(self) -> list[ModuleType]:
        """All migration modules, by number; refuses gaps and duplicates."""
        folder = importlib.import_module(self.package)
        found = []
        for info in pkgutil.iter_modules(folder.__path__):
            if info.name[:4].isdigit():
                found.append(importlib.import_module(f"{self.package}.{info.name}"))
        found.sort(key=lambda m: m.VERSION)
        numbers = [m.VERSION for m in found]
        if numbers != list(range(1, len(found) + 1)):
            raise RuntimeError(f"{self.package}: migrations are not numbered 1..n without gaps: {numbers}")
        return found

    @cached_property
    def latest(self) -> int:
        """The highest version this code knows."""
        return len(self.discover())

    def current_version(self, db: Database) -> int:
        """The version ``db`` is at (0 for an empty database)."""
        if self.version_table not in db.get_tables():
            return 0
        row = db.execute_sql(
            f'SELECT "value" FROM "{self.version_table}" WHERE "key" = {db.param}', (VERSION_KEY,)
        ).fetchone()
        return int(row[0]) if row else 0

    def pending(self, db: Database, target: int | None = None) -> list[ModuleType]:
        """The migrations that would bring ``db`` to ``target`` (default: the latest)."""
        target = self.latest if target is None else target
        version = self.current_version(db)
        return [m for m in self.discover() if version < m.VERSION <= target]

    def apply(
        self,
        db: Database,
        *,
        target: int | None = None,
        lock: Callable[[Database], None] | None = None,
    ) -> list[int]:
        """Bring ``db`` up to ``target`` (default: the latest); return the versions applied.

        Each migration runs in its own transaction together with the version bump,
        so a crash leaves the database at the last completed version. ``lock`` is
        called first inside each transaction (a PostgreSQL advisory lock, say), and
        the version is read again under it: two processes opening the same old
        database at once apply each migration once, the second finding it done.
        """
        applied = []
        for module in self.pending(db, target):
            try:
                with db.atomic():
                    if lock is not None:
                        lock(db)
                    if self.current_version(db) >= module.VERSION:
                        continue  # another process got here first
                    module.upgrade(db)
                    db.execute_sql(
                        f'INSERT INTO "{self.version_table}" ("key", "value") VALUES ({db.param}, {db.param}) '
                        'ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"',
                        (VERSION_KEY, str(module.VERSION)),
                    )
            except Exception as exc:
                raise MigrationFailed(module.VERSION) from exc
            applied.append(module.VERSION)
        return applied
