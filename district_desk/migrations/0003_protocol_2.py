"""Protocol 2: what was off about a heartbeat (``heartbeat_note``: the ward's
report of a signed acknowledgement it could not adopt, a ward clock far from the
receiver's), and the reason an enrolment code was issued to replace an enrolled
office's key (``enrolment_code.replace_reason``, "" for a code that may only
enrol a new office); and each published document's signed per-kind number
(``downlink_doc.seq``, 0 for documents published as version 1)."""

from __future__ import annotations

from peewee import Database

from district_desk.migrations import execute

VERSION = 3

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "heartbeat_note" ("id" {pk}, "heartbeat_id" INTEGER NOT NULL, "office_code" VARCHAR(255) NOT NULL, "ack_problem" VARCHAR(255) NOT NULL, "skewed" {bool} NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "heartbeat_note_heartbeat_id" ON "heartbeat_note" ("heartbeat_id")',
    'CREATE INDEX IF NOT EXISTS "heartbeat_note_office_code" ON "heartbeat_note" ("office_code")',
    """ALTER TABLE "enrolment_code" ADD COLUMN "replace_reason" VARCHAR(255) NOT NULL DEFAULT ''""",
    'ALTER TABLE "downlink_doc" ADD COLUMN "seq" INTEGER NOT NULL DEFAULT 0',
]


def upgrade(db: Database) -> None:
    execute(db, STATEMENTS)
