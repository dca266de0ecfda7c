"""Errors of the sync side that the base error module does not name."""

from __future__ import annotations

from ward_desk.errors import EXIT_BAD_INPUT, EXIT_DAMAGED, EXIT_LOCKED, WardDeskError


class Locked(WardDeskError):
    """Wrong or missing passphrase: nothing was read or changed."""

    exit_code = EXIT_LOCKED


class Damaged(WardDeskError):
    """A file or store that exists but cannot be read as what it claims to be."""

    exit_code = EXIT_DAMAGED


class BadInput(WardDeskError):
    """A request the user (or a caller) can fix."""

    exit_code = EXIT_BAD_INPUT
