"""The dashboard's overdue and will-be-late counts read from indexes alone again.

Overdue now counts against the statutory due date everywhere (``domain.figures``),
so the dashboard's count filters ``statutory_due_at``, which the state/due index did
not hold: each open dossier of the state was read from the table. Adding the column
to the end of ``dossier_state_due_at`` keeps its name and leading columns (every
query that used it still does) and adds no index entry to an intake.

Frozen SQL: a migration never imports the models.
"""

from __future__ import annotations

from peewee import Database

VERSION = 8

STATEMENTS = [
    'DROP INDEX IF EXISTS "dossier_state_due_at"',
    'CREATE INDEX "dossier_state_due_at" ON "dossier" ("state", "due_at", "apology_count", "statutory_due_at")',
    # The officers' "will not be ready in time" notices, few among the events: the
    # dashboard's will-be-late count asks, per running dossier, whether one exists.
    'CREATE INDEX IF NOT EXISTS "event_late_notice" ON "event" ("dossier_id") WHERE "kind" = \'late_notice\'',
]


def upgrade(db: Database) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
