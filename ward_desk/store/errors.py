"""The store's distinct failures, each with its own plain-language message and exit code."""

from __future__ import annotations

from ward_desk.errors import EXIT_BAD_INPUT, EXIT_DAMAGED, EXIT_LOCKED, WardDeskError


class StoreError(WardDeskError):
    exit_code = EXIT_DAMAGED


class WrongPassword(StoreError):
    """The password (or recovery key) does not open this store."""

    exit_code = EXIT_LOCKED


class NoStore(StoreError):
    """There is no store in the data directory yet."""

    exit_code = EXIT_BAD_INPUT


class StoreExists(StoreError):
    """Refusing to overwrite: a store (or a backup file) is already there."""

    exit_code = EXIT_BAD_INPUT


class NotAWardDeskStore(StoreError):
    """The file exists but was not made by Ward Desk (or belongs to another store)."""

    exit_code = EXIT_DAMAGED


class StoreDamaged(StoreError):
    """The file is ours but its bytes fail the integrity checks."""

    exit_code = EXIT_DAMAGED


class StoreTooNew(StoreError):
    """The store was written by a newer Ward Desk; opening it could lose data."""

    exit_code = EXIT_DAMAGED


class StoreBusy(StoreError):
    """Another Ward Desk process holds the store for a long write."""

    exit_code = EXIT_LOCKED


class DiskFull(StoreError):
    """The disk is full: the change was not saved, nothing committed was lost."""

    exit_code = EXIT_DAMAGED
