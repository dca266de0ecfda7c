"""Indexes for the monthly report and the 12-month trend (issue 4).

Measured on a 1,000,000-dossier store (bench/RESULTS.md, "Reports (issue 4)"):

- ``dossier_completed_cover`` replaces ``dossier_completed_at`` (same leading column,
  so every ``completed_at`` range query keeps its index): the report's resolved split,
  the dossiers resolved since a boundary and the trend's twelve months are read from
  the index alone instead of one table row per dossier (the trend read ~100,000 rows).
  It replaces an index, so an intake still writes the same number of index entries.
- ``dossier_closed_unresolved``: refused or withdrawn dossiers (completed_at NULL,
  closed_at set), a few percent of the store, covering what the report reads of them. Without it the report found them by
  scanning every dossier whose completed_at is NULL. An intake has closed_at NULL,
  so it writes nothing here.
- ``dossier_long_running``: dossiers resolved more than 31 days after receipt, so that
  "unfinished at the start of a month" stays a bounded range even for an old month.
  An intake has completed_at NULL, so it writes nothing here.
- ``event_paused``: the events that paused a dossier (supplement requested, suspended),
  so the report looks up a dossier's state at month end only for the dossiers ever
  paused. An intake event is never one, so it writes nothing here.

A covering index on ``received_at`` was measured and left out: the month's intakes
are neighbours in the table, so reading them through the plain index costs a few
milliseconds, not worth a wider entry on every intake.

Frozen SQL: a migration never imports the models.
"""

from __future__ import annotations

from peewee import Database

VERSION = 3

STATEMENTS = [
    'DROP INDEX IF EXISTS "dossier_completed_at"',
    'CREATE INDEX "dossier_completed_cover" ON "dossier" ("completed_at", "statutory_due_at", "received_at", '
    '"procedure_id", "officer_id", "apology_count")',
    'CREATE INDEX "dossier_closed_unresolved" ON "dossier" ("closed_at", "received_at", "procedure_id", '
    '"officer_id", "state", "statutory_due_at", "apology_count", "completed_at") '
    'WHERE "completed_at" IS NULL AND "closed_at" IS NOT NULL',
    'CREATE INDEX "dossier_long_running" ON "dossier" ("completed_at", "received_at", "statutory_due_at", '
    '"procedure_id", "officer_id", "apology_count") '
    'WHERE julianday("completed_at") - julianday("received_at") > 31',
    'CREATE INDEX "event_paused" ON "event" ("dossier_id", "at") '
    "WHERE \"to_state\" IN ('supplement_requested', 'suspended')",
]


def upgrade(db: Database) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
