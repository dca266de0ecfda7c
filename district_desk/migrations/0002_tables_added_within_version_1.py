"""Tables that were added to the district schema while it still said version 1.

Before numbered migrations, new tables (quarantine actions, enrolment codes, the
district view's facts, snapshots and reviews) were created on open when missing,
without a version bump: a store that says 1 may lack some of them. Version 1's
statements are all ``IF NOT EXISTS``, so running them again adds exactly what is
missing and leaves every existing table and row alone.
"""

from __future__ import annotations

import importlib

from peewee import Database

VERSION = 2


def upgrade(db: Database) -> None:
    importlib.import_module("district_desk.migrations.0001_initial").upgrade(db)
