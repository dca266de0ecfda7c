"""Each dossier records the calendar its due date was computed with (issue 10, item 1).

``dossier.calendar_version``: the name of the working calendar in force when the due
date was last computed (the sourced notice file's version, the upstream year notices
applied, a digest of the local overrides: ``domain.notices.calendar_version``). Two
PCs that print different dates for one dossier can then be told apart. Dossiers of
older stores keep the empty text: their calendar was not recorded.

Frozen SQL: a migration never imports the models.
"""

from __future__ import annotations

from peewee import Database

VERSION = 7

STATEMENTS = [
    """ALTER TABLE "dossier" ADD COLUMN "calendar_version" VARCHAR(255) NOT NULL DEFAULT ''""",
]


def upgrade(db: Database) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
