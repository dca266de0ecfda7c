"""Monthly self-assessments (one row per revision of a month)."""

from __future__ import annotations

from peewee import Database

VERSION = 2

STATEMENTS = [
    'CREATE TABLE "self_assessment" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, "month" VARCHAR(255) NOT NULL, "revision" INTEGER NOT NULL, "criteria_set" VARCHAR(255) NOT NULL, "state" VARCHAR(255) NOT NULL, "scores" TEXT NOT NULL, "indicators" TEXT NOT NULL, "total" INTEGER NOT NULL, "band" VARCHAR(255) NOT NULL, "revision_reason" TEXT NOT NULL, "created_by_id" INTEGER, "signed_by_id" INTEGER, "submitted_at" DATETIME, "signature" BLOB, "review_comment" TEXT NOT NULL, "reviewed_at" DATETIME, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "version" INTEGER NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE RESTRICT, FOREIGN KEY ("signed_by_id") REFERENCES "user" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "self_assessment_uid" ON "self_assessment" ("uid")',
    'CREATE INDEX "self_assessment_month" ON "self_assessment" ("month")',
    'CREATE UNIQUE INDEX "self_assessment_month_revision" ON "self_assessment" ("month", "revision")',
]


def upgrade(db: Database) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
