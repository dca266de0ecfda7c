"""The dashboard's counts read from indexes alone (issue 3).

``dossier_state_due_at`` gains ``apology_count``. The dashboard's "needs an apology
slip" count (open dossiers due by the next working day with no slip yet) was the
one dashboard count that read a table row per candidate: on the 1,000,000-dossier
bench store, ~1,600 scattered rows, 26 ms cold, and ~6.5 MiB of the desk's page
cache, refilled every minute by the dashboard's refresh. Measured in bench/RESULTS.md,
"Desk app (issue 3)". The index keeps its name and its leading columns, so every
query that used it still does; an intake writes the same number of index entries.

Frozen SQL: a migration never imports the models.
"""

from __future__ import annotations

from peewee import Database

VERSION = 5

STATEMENTS = [
    'DROP INDEX IF EXISTS "dossier_state_due_at"',
    'CREATE INDEX "dossier_state_due_at" ON "dossier" ("state", "due_at", "apology_count")',
]


def upgrade(db: Database) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
