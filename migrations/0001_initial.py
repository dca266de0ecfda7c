"""Initial schema: office, users, catalogue, dossiers with their events and full-text index, outbox.

Frozen SQL: a migration never imports the models, which keep moving."""

from __future__ import annotations

from peewee import Database

VERSION = 1

STATEMENTS = [
    'CREATE TABLE "meta" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)',
    'CREATE TABLE "office" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(255) NOT NULL, "agency_id" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "upstream_label" VARCHAR(255) NOT NULL, "upstream_url" VARCHAR(255) NOT NULL, "upstream_public_key" BLOB, "upstream_signing_key" BLOB, "upstream_recovery_key" BLOB, "signing_key" BLOB, "created_at" DATETIME NOT NULL)',
    'CREATE UNIQUE INDEX "office_code" ON "office" ("code")',
    'CREATE TABLE "user" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, "username" VARCHAR(255) NOT NULL, "full_name" VARCHAR(255) NOT NULL, "role" VARCHAR(255) NOT NULL, "active" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "version" INTEGER NOT NULL)',
    'CREATE UNIQUE INDEX "user_uid" ON "user" ("uid")',
    'CREATE UNIQUE INDEX "user_username" ON "user" ("username")',
    'CREATE TABLE "procedure" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "name_folded" VARCHAR(255) NOT NULL, "field" VARCHAR(255) NOT NULL, "processing_days" INTEGER NOT NULL, "fee" VARCHAR(255) NOT NULL, "documents" TEXT NOT NULL, "online_level" VARCHAR(255) NOT NULL, "legal_basis" VARCHAR(255) NOT NULL, "active" INTEGER NOT NULL, "version" INTEGER NOT NULL, "updated_at" DATETIME NOT NULL)',
    'CREATE UNIQUE INDEX "procedure_code" ON "procedure" ("code")',
    'CREATE INDEX "procedure_name_folded" ON "procedure" ("name_folded")',
    'CREATE INDEX "procedure_field" ON "procedure" ("field")',
    'CREATE TABLE "dossier" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, "code" VARCHAR(255) NOT NULL, "procedure_id" INTEGER NOT NULL, "applicant_name" VARCHAR(255) NOT NULL, "applicant_id_number" VARCHAR(255) NOT NULL, "applicant_phone" VARCHAR(255) NOT NULL, "applicant_address" VARCHAR(255) NOT NULL, "channel" VARCHAR(255) NOT NULL, "received_at" DATETIME NOT NULL, "due_at" DATETIME NOT NULL, "statutory_due_at" DATETIME NOT NULL, "state" VARCHAR(255) NOT NULL, "officer_id" INTEGER, "received_by_id" INTEGER, "documents" TEXT NOT NULL, "digitized" INTEGER NOT NULL, "completed_at" DATETIME, "returned_at" DATETIME, "closed_at" DATETIME, "called_at" DATETIME, "fee_paid" INTEGER NOT NULL, "rule_set" VARCHAR(255) NOT NULL, "lookup_secret" VARCHAR(255) NOT NULL, "apology_count" INTEGER NOT NULL, "note" TEXT NOT NULL, "version" INTEGER NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("procedure_id") REFERENCES "procedure" ("id") ON DELETE RESTRICT, FOREIGN KEY ("officer_id") REFERENCES "user" ("id") ON DELETE RESTRICT, FOREIGN KEY ("received_by_id") REFERENCES "user" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "dossier_uid" ON "dossier" ("uid")',
    'CREATE UNIQUE INDEX "dossier_code" ON "dossier" ("code")',
    'CREATE INDEX "dossier_received_at" ON "dossier" ("received_at")',
    'CREATE INDEX "dossier_officer_id" ON "dossier" ("officer_id")',
    'CREATE INDEX "dossier_completed_at" ON "dossier" ("completed_at")',
    'CREATE INDEX "dossier_closed_at" ON "dossier" ("closed_at")',
    'CREATE INDEX "dossier_state_due_at" ON "dossier" ("state", "due_at")',
    'CREATE INDEX "dossier_procedure_id_received_at" ON "dossier" ("procedure_id", "received_at")',
    'CREATE TABLE "event" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, "dossier_id" INTEGER NOT NULL, "at" DATETIME NOT NULL, "actor_id" INTEGER, "kind" VARCHAR(255) NOT NULL, "action" VARCHAR(255), "from_state" VARCHAR(255), "to_state" VARCHAR(255) NOT NULL, "due_at" DATETIME, "reason" TEXT NOT NULL, "legal_basis" TEXT NOT NULL, "data" TEXT NOT NULL, "prev_hash" VARCHAR(255) NOT NULL, "hash" VARCHAR(255) NOT NULL, FOREIGN KEY ("dossier_id") REFERENCES "dossier" ("id") ON DELETE RESTRICT, FOREIGN KEY ("actor_id") REFERENCES "user" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "event_uid" ON "event" ("uid")',
    'CREATE INDEX "event_dossier_id" ON "event" ("dossier_id")',
    'CREATE TABLE "apology_slip" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, "dossier_id" INTEGER NOT NULL, "issued_at" DATETIME NOT NULL, "issued_by_id" INTEGER, "reason" TEXT NOT NULL, "previous_due_at" DATETIME NOT NULL, "new_due_at" DATETIME NOT NULL, FOREIGN KEY ("dossier_id") REFERENCES "dossier" ("id") ON DELETE RESTRICT, FOREIGN KEY ("issued_by_id") REFERENCES "user" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "apology_slip_uid" ON "apology_slip" ("uid")',
    'CREATE INDEX "apology_slip_dossier_id" ON "apology_slip" ("dossier_id")',
    'CREATE INDEX "apology_slip_issued_at" ON "apology_slip" ("issued_at")',
    'CREATE TABLE "rating" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, "dossier_id" INTEGER NOT NULL, "level" VARCHAR(255) NOT NULL, "comment" TEXT NOT NULL, "at" DATETIME NOT NULL, FOREIGN KEY ("dossier_id") REFERENCES "dossier" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "rating_uid" ON "rating" ("uid")',
    'CREATE UNIQUE INDEX "rating_dossier_id" ON "rating" ("dossier_id")',
    'CREATE INDEX "rating_at" ON "rating" ("at")',
    'CREATE TABLE "attachment" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, "dossier_id" INTEGER NOT NULL, "name" VARCHAR(255) NOT NULL, "ref" VARCHAR(255) NOT NULL, "sha256" VARCHAR(255) NOT NULL, "added_at" DATETIME NOT NULL, "added_by_id" INTEGER, FOREIGN KEY ("dossier_id") REFERENCES "dossier" ("id") ON DELETE RESTRICT, FOREIGN KEY ("added_by_id") REFERENCES "user" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX "attachment_uid" ON "attachment" ("uid")',
    'CREATE INDEX "attachment_dossier_id" ON "attachment" ("dossier_id")',
    'CREATE TABLE "calendar_override" ("day" DATE NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, "note" VARCHAR(255) NOT NULL, "source" VARCHAR(255) NOT NULL)',
    'CREATE TABLE "outbox" ("seq" INTEGER PRIMARY KEY AUTOINCREMENT, "entity" VARCHAR(255) NOT NULL, "entity_uid" VARCHAR(255) NOT NULL, "version" INTEGER NOT NULL, "op" VARCHAR(255) NOT NULL, "payload" TEXT NOT NULL, "created_at" DATETIME NOT NULL)',
    'CREATE TABLE "sync_state" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)',
    'CREATE TABLE "reference_data" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, "version" VARCHAR(255) NOT NULL, "body" TEXT NOT NULL, "signature" BLOB NOT NULL, "received_at" DATETIME NOT NULL, "applied_at" DATETIME)',
    'CREATE VIRTUAL TABLE "dossier_fts" USING fts5(body, content=\'\', contentless_delete=1, prefix=\'2 3\', tokenize=\'unicode61 remove_diacritics 0\')',
]


def upgrade(db: Database) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
