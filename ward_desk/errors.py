"""The error every layer raises for a user-facing problem.

A :class:`WardDeskError` carries a catalogue message (never raw text) and the
CLI exit code that belongs to it, so the CLI, the UI and the receiver all show
the same plain-language sentence in the user's language.
"""

from __future__ import annotations

from typing import Any

from ward_desk.domain.text import visible
from ward_desk.i18n import Message

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3
EXIT_DAMAGED = 4
# The disk refused (full, read-only, failing): nothing was changed and the store is not
# damaged, so a script must not treat it as 4 and restore a backup over good data.
EXIT_DISK = 5
# Another process has the store open, so a restore or an upgrade was refused: nothing
# changed; close the named desks (or stop the sync daemon) and run it again.
EXIT_IN_USE = 6


class WardDeskError(Exception):
    """Base for every error a user may see. ``message`` is a catalogue id."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message_id: str, **params: Any) -> None:
        # What a user typed or a file held is echoed in messages: shown, never obeyed by
        # the terminal (escape sequences), never a megabyte long.
        params = {k: visible(v) if isinstance(v, str) else v for k, v in params.items()}
        self.message = Message(message_id, params)
        super().__init__(message_id)

    def __str__(self) -> str:
        return self.message.render()


class InvalidInput(WardDeskError):
    """Bad input from a user or a file; nothing was changed."""

    exit_code = EXIT_BAD_INPUT


class RuleViolation(WardDeskError):
    """A domain rule refuses the request (e.g. an illegal state transition)."""

    exit_code = EXIT_BAD_INPUT


class NotFound(WardDeskError):
    exit_code = EXIT_BAD_INPUT


class PermissionDenied(WardDeskError):
    exit_code = EXIT_BAD_INPUT
