"""Rate limits shared by every receiver process: ``rate_limit`` holds one token
bucket per limit and client (a hash of its address), so N processes enforce one
limit instead of N."""

from __future__ import annotations

from peewee import Database

from district_desk.migrations import execute

VERSION = 4

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "rate_limit" ("id" {pk}, "bucket" VARCHAR(255) NOT NULL, "client" VARCHAR(255) NOT NULL, "tokens" REAL NOT NULL, "stamp_ms" {bigint} NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "rate_limit_bucket_client" ON "rate_limit" ("bucket", "client")',
]


def upgrade(db: Database) -> None:
    execute(db, STATEMENTS)
