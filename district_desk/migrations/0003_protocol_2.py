"""Protocol 2's heartbeat facts: what a ward says is wrong with the district's
signed acknowledgement (``ack_problem``, "" when nothing), and whether the
ward's clock was far from the receiver's at receipt (``skewed``)."""

from __future__ import annotations

from peewee import Database

from district_desk.migrations import execute

VERSION = 3

STATEMENTS = [
    """ALTER TABLE "heartbeat" ADD COLUMN "ack_problem" VARCHAR(255) NOT NULL DEFAULT ''""",
    """ALTER TABLE "heartbeat" ADD COLUMN "skewed" {bool} NOT NULL DEFAULT FALSE""",
]


def upgrade(db: Database) -> None:
    execute(db, STATEMENTS)
