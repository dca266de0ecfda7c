"""Each event records the counter (quầy) it was made at (issue 11).

A commune centre has several counters (civil status, land, social affairs...), each
a desk session on the one store. The counter is set per desk session (``--counter``,
``WARD_DESK_COUNTER`` or ``counter`` in config.toml) and printed on the receipt.
Old events keep an empty counter, and an empty counter is left out of the chain
hash, so every hash made before this migration still verifies.

Frozen SQL: a migration never imports the models.
"""

from __future__ import annotations

from peewee import Database

VERSION = 6

STATEMENTS = [
    "ALTER TABLE \"event\" ADD COLUMN \"counter\" VARCHAR(255) NOT NULL DEFAULT ''",
]


def upgrade(db: Database) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
