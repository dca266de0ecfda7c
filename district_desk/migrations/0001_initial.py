"""The district schema as version 1 stood when numbered migrations began: every
table and index ``DistrictStore.create`` made with ``create_tables`` (frozen here,
``IF NOT EXISTS`` throughout, so 0002 can run it again on older version-1 stores)."""

from __future__ import annotations

from peewee import Database

from district_desk.migrations import execute

VERSION = 1

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "assessment_review" ("id" {pk}, "office_code" VARCHAR(255) NOT NULL, "month" VARCHAR(255) NOT NULL, "revision" INTEGER NOT NULL, "status" VARCHAR(255) NOT NULL, "comment" TEXT NOT NULL, "reviewed_at" {timestamp} NOT NULL, "doc_id" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "assessment_review_office_code_month_revision" ON "assessment_review" ("office_code", "month", "revision")',
    'CREATE TABLE IF NOT EXISTS "batch" ("id" {pk}, "office_code" VARCHAR(255) NOT NULL, "batch_no" INTEGER NOT NULL, "batch_id" VARCHAR(255) NOT NULL, "first_seq" {bigint} NOT NULL, "last_seq" {bigint} NOT NULL, "record_count" INTEGER NOT NULL, "content_hash" VARCHAR(255) NOT NULL, "prev_hash" VARCHAR(255) NOT NULL, "batch_hash" VARCHAR(255) NOT NULL, "envelope_hash" VARCHAR(255) NOT NULL, "size" INTEGER NOT NULL, "via" VARCHAR(255) NOT NULL, "received_at" {timestamp} NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "batch_office_code_batch_no" ON "batch" ("office_code", "batch_no")',
    'CREATE INDEX IF NOT EXISTS "batch_office_code_first_seq" ON "batch" ("office_code", "first_seq")',
    'CREATE TABLE IF NOT EXISTS "district_key" ("kind" VARCHAR(255) NOT NULL PRIMARY KEY, "public" {blob} NOT NULL, "wrapped" {blob} NOT NULL, "created_at" {timestamp} NOT NULL)',
    'CREATE TABLE IF NOT EXISTS "dossier" ("id" {pk}, "office_code" VARCHAR(255) NOT NULL, "uid" VARCHAR(255) NOT NULL, "code" VARCHAR(255) NOT NULL, "procedure_code" VARCHAR(255) NOT NULL, "field" VARCHAR(255) NOT NULL, "state" VARCHAR(255) NOT NULL, "channel" VARCHAR(255) NOT NULL, "received_at" {timestamp}, "due_at" {timestamp}, "completed_at" {timestamp}, "returned_at" {timestamp}, "lookup_secret" VARCHAR(255) NOT NULL, "version" INTEGER NOT NULL, "updated_at" {timestamp} NOT NULL)',
    'CREATE INDEX IF NOT EXISTS "dossier_code" ON "dossier" ("code")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "dossier_office_code_uid" ON "dossier" ("office_code", "uid")',
    'CREATE INDEX IF NOT EXISTS "dossier_office_code_state_due_at" ON "dossier" ("office_code", "state", "due_at")',
    'CREATE TABLE IF NOT EXISTS "dossier_facts" ("id" {pk}, "office_code" VARCHAR(255) NOT NULL, "uid" VARCHAR(255) NOT NULL, "version" INTEGER NOT NULL, "code" VARCHAR(255) NOT NULL, "procedure_code" VARCHAR(255) NOT NULL, "field" VARCHAR(255) NOT NULL, "state" VARCHAR(255) NOT NULL, "channel" VARCHAR(255) NOT NULL, "digitized" {bool} NOT NULL, "received_at" {timestamp}, "due_at" {timestamp}, "statutory_due_at" {timestamp}, "completed_at" {timestamp}, "closed_at" {timestamp}, "apology_count" INTEGER NOT NULL, "timing" {smallint})',
    'CREATE UNIQUE INDEX IF NOT EXISTS "dossier_facts_office_code_uid" ON "dossier_facts" ("office_code", "uid")',
    'CREATE INDEX IF NOT EXISTS "dossier_facts_received_at" ON "dossier_facts" ("received_at")',
    'CREATE INDEX IF NOT EXISTS "dossier_facts_completed_at" ON "dossier_facts" ("completed_at")',
    'CREATE INDEX IF NOT EXISTS "dossier_facts_closed_at" ON "dossier_facts" ("closed_at")',
    'CREATE INDEX IF NOT EXISTS "dossier_facts_state_statutory_due_at" ON "dossier_facts" ("state", "statutory_due_at")',
    'CREATE TABLE IF NOT EXISTS "downlink_doc" ("doc_id" VARCHAR(255) NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, "version" VARCHAR(255) NOT NULL, "audience" VARCHAR(255) NOT NULL, "issued_at" VARCHAR(255) NOT NULL, "envelope" {blob} NOT NULL, "published_at" {timestamp} NOT NULL)',
    'CREATE INDEX IF NOT EXISTS "downlink_doc_audience" ON "downlink_doc" ("audience")',
    'CREATE INDEX IF NOT EXISTS "downlink_doc_published_at" ON "downlink_doc" ("published_at")',
    'CREATE TABLE IF NOT EXISTS "enrolment_code" ("id" {pk}, "office_code" VARCHAR(255) NOT NULL, "auth_key" VARCHAR(255) NOT NULL, "created_at" {timestamp} NOT NULL, "expires_at" {timestamp} NOT NULL, "used_at" {timestamp}, "failures" INTEGER NOT NULL, "ward_fingerprint" VARCHAR(255) NOT NULL)',
    'CREATE INDEX IF NOT EXISTS "enrolment_code_office_code" ON "enrolment_code" ("office_code")',
    'CREATE TABLE IF NOT EXISTS "facts_watermark" ("office_code" VARCHAR(255) NOT NULL PRIMARY KEY, "batch_id" {bigint} NOT NULL, "refreshed_at" {timestamp} NOT NULL)',
    'CREATE TABLE IF NOT EXISTS "heartbeat" ("id" {pk}, "office_code" VARCHAR(255) NOT NULL, "received_at" {timestamp} NOT NULL, "ward_clock" {timestamp} NOT NULL, "clock_offset_s" REAL NOT NULL, "pending" INTEGER NOT NULL, "oldest_pending_s" {bigint}, "free_disk_bytes" {bigint})',
    'CREATE INDEX IF NOT EXISTS "heartbeat_office_code_received_at" ON "heartbeat" ("office_code", "received_at")',
    'CREATE TABLE IF NOT EXISTS "quarantine" ("id" {pk}, "office_code" VARCHAR(255) NOT NULL, "batch_no" INTEGER NOT NULL, "batch_id" VARCHAR(255) NOT NULL, "content_hash" VARCHAR(255) NOT NULL, "reason" VARCHAR(255) NOT NULL, "detail" TEXT NOT NULL, "envelope" {blob} NOT NULL, "received_at" {timestamp} NOT NULL, "resolved_at" {timestamp})',
    'CREATE UNIQUE INDEX IF NOT EXISTS "quarantine_office_code_batch_no_content_hash" ON "quarantine" ("office_code", "batch_no", "content_hash")',
    'CREATE TABLE IF NOT EXISTS "quarantine_action" ("id" {pk}, "quarantine_id" INTEGER NOT NULL, "action" VARCHAR(255) NOT NULL, "outcome" VARCHAR(255) NOT NULL, "detail" TEXT NOT NULL, "actor" VARCHAR(255) NOT NULL, "at" {timestamp} NOT NULL)',
    'CREATE INDEX IF NOT EXISTS "quarantine_action_quarantine_id" ON "quarantine_action" ("quarantine_id")',
    'CREATE TABLE IF NOT EXISTS "ranking_snapshot" ("id" {pk}, "month" VARCHAR(255) NOT NULL, "number" INTEGER NOT NULL, "published_at" {timestamp} NOT NULL, "body" TEXT NOT NULL, "digest" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "ranking_snapshot_month_number" ON "ranking_snapshot" ("month", "number")',
    'CREATE TABLE IF NOT EXISTS "rating_facts" ("id" {pk}, "office_code" VARCHAR(255) NOT NULL, "uid" VARCHAR(255) NOT NULL, "dossier_uid" VARCHAR(255) NOT NULL, "level" VARCHAR(255) NOT NULL, "satisfied" {bool} NOT NULL, "at" {timestamp})',
    'CREATE UNIQUE INDEX IF NOT EXISTS "rating_facts_office_code_uid" ON "rating_facts" ("office_code", "uid")',
    'CREATE INDEX IF NOT EXISTS "rating_facts_at" ON "rating_facts" ("at")',
    'CREATE TABLE IF NOT EXISTS "record" ("id" {pk}, "office_code" VARCHAR(255) NOT NULL, "entity" VARCHAR(255) NOT NULL, "entity_uid" VARCHAR(255) NOT NULL, "version" INTEGER NOT NULL, "seq" {bigint} NOT NULL, "payload" TEXT NOT NULL, "updated_at" {timestamp} NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "record_office_code_entity_entity_uid" ON "record" ("office_code", "entity", "entity_uid")',
    'CREATE TABLE IF NOT EXISTS "rejection" ("id" {pk}, "at" {timestamp} NOT NULL, "office_code" VARCHAR(255) NOT NULL, "code" VARCHAR(255) NOT NULL, "detail" TEXT NOT NULL, "remote" VARCHAR(255) NOT NULL, "size" INTEGER NOT NULL)',
    'CREATE INDEX IF NOT EXISTS "rejection_at" ON "rejection" ("at")',
    'CREATE TABLE IF NOT EXISTS "self_assessment" ("id" {pk}, "office_code" VARCHAR(255) NOT NULL, "uid" VARCHAR(255) NOT NULL, "month" VARCHAR(255) NOT NULL, "revision" INTEGER NOT NULL, "state" VARCHAR(255) NOT NULL, "total" INTEGER NOT NULL, "band" VARCHAR(255) NOT NULL, "criteria_set" VARCHAR(255) NOT NULL, "submitted_at" {timestamp}, "indicators" TEXT NOT NULL, "version" INTEGER NOT NULL, "updated_at" {timestamp} NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "self_assessment_office_code_uid" ON "self_assessment" ("office_code", "uid")',
    'CREATE INDEX IF NOT EXISTS "self_assessment_office_code_month" ON "self_assessment" ("office_code", "month")',
    'CREATE TABLE IF NOT EXISTS "setting" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)',
    'CREATE TABLE IF NOT EXISTS "ward" ("office_code" VARCHAR(255) NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "sign_key" {blob} NOT NULL, "fingerprint" VARCHAR(255) NOT NULL, "enrolled_at" {timestamp} NOT NULL, "revoked_at" {timestamp})',
    'CREATE TABLE IF NOT EXISTS "ward_progress" ("office_code" VARCHAR(255) NOT NULL PRIMARY KEY, "acked_batch_no" INTEGER NOT NULL, "acked_seq" {bigint} NOT NULL, "acked_hash" VARCHAR(255) NOT NULL, "highest_batch_no" INTEGER NOT NULL, "last_sync" {timestamp}, "last_batch_at" {timestamp})',
]


def upgrade(db: Database) -> None:
    execute(db, STATEMENTS)
