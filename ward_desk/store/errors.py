"""The store's distinct failures, each with its own plain-language message and exit code."""

from __future__ import annotations

from ward_desk.errors import EXIT_BAD_INPUT, EXIT_DAMAGED, EXIT_DISK, EXIT_LOCKED, WardDeskError


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
    """The disk is full: the change was not saved, nothing committed was lost, and the
    store opens as before once space is freed (build it with ``store.space.disk_full``)."""

    exit_code = EXIT_DISK


class DiskError(StoreError):
    """The disk refused a read or a write for another reason than space (read-only,
    removed, failing): nothing was changed, and the store is not known to be damaged."""

    exit_code = EXIT_DISK


class KeyFileUnsupported(StoreError):
    """The key file names a format version or an algorithm this Ward Desk does not
    know, or a cost outside the bounds it accepts: refused before any key is derived."""

    exit_code = EXIT_DAMAGED


class KeyFileMismatch(NotAWardDeskStore):
    """The key file and the database do not belong together: one of them was
    replaced (by another store's file, or by something else altogether)."""

    exit_code = EXIT_DAMAGED


class NoKeySlots(StoreError):
    """The key file holds no slot that a password (or the recovery key) could open."""

    exit_code = EXIT_DAMAGED


class StoreFailed(StoreError):
    """SQLite refused for a reason that says nothing about the file's health (a
    defect of this program, most likely): the change was not saved."""

    exit_code = EXIT_BAD_INPUT
