"""The district store's numbered schema migrations (SQLite and PostgreSQL).

Each ``NNNN_name.py`` defines ``VERSION`` and ``upgrade(db)`` with frozen SQL
(never the models), run by the ward's runner (:mod:`ward_desk.migrations.runner`); the
version is the ``schema_version`` row of the ``setting`` table. The two back
ends differ only in a few column types, so a statement is written once with
``{pk}``, ``{bigint}``, ``{timestamp}``, ``{blob}``, ``{bool}`` and ``{smallint}``
in it and :func:`execute` fills them for the database at hand.

Adding one: take the next free number (no gaps), write the statements the models'
change needs, and change the models in the same commit;
``tests/district/test_district_migrations.py`` checks that a store built by the
migrations has exactly the schema the models describe, on both back ends.
"""

from __future__ import annotations

from collections.abc import Iterable

import peewee
from ward_desk.migrations.runner import MigrationSet

DISTRICT = MigrationSet(__name__, "setting")

# Never change an entry: migrations already written rely on it (add new ones).
_TYPES = {
    "sqlite": {
        "pk": "INTEGER NOT NULL PRIMARY KEY", "bigint": "INTEGER", "timestamp": "DATETIME",
        "blob": "BLOB", "bool": "INTEGER", "smallint": "INTEGER",
    },
    "postgresql": {
        "pk": "SERIAL NOT NULL PRIMARY KEY", "bigint": "BIGINT", "timestamp": "TIMESTAMP",
        "blob": "BYTEA", "bool": "BOOLEAN", "smallint": "SMALLINT",
    },
}


def dialect(db: peewee.Database) -> str:
    """``postgresql`` or ``sqlite`` (SQLCipher is SQLite)."""
    return "postgresql" if isinstance(db, peewee.PostgresqlDatabase) else "sqlite"


def execute(db: peewee.Database, statements: Iterable[str]) -> None:
    """Run each statement with its type placeholders filled for ``db``'s dialect."""
    types = _TYPES[dialect(db)]
    for statement in statements:
        db.execute_sql(statement.format(**types))
