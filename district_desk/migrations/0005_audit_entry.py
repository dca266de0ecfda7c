"""The audit trail: one row per act of a person at the province's desk (enrol, revoke,
review, publish, quarantine release/discard), who did it and when, insert-only."""

from __future__ import annotations

from peewee import Database

from district_desk.migrations import execute

VERSION = 5

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "audit_entry" ("id" {pk}, "at" {timestamp} NOT NULL, "actor" VARCHAR(255) NOT NULL, "action" VARCHAR(255) NOT NULL, "office_code" VARCHAR(255) NOT NULL, "subject" VARCHAR(255) NOT NULL, "detail" TEXT NOT NULL)',
    'CREATE INDEX IF NOT EXISTS "audit_entry_at" ON "audit_entry" ("at")',
    'CREATE INDEX IF NOT EXISTS "audit_entry_office_code" ON "audit_entry" ("office_code")',
]


def upgrade(db: Database) -> None:
    execute(db, STATEMENTS)
