"""What every ``district-desk`` command module shares: the data folder, the
district passphrase (asked once per command) and opening the store.

The district passphrase (it unlocks the district's private keys and the
SQLite store's key) comes from ``--password-file FILE`` (first line), else
``DISTRICT_DESK_PASSWORD``, else a prompt when a terminal is attached.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from sync_agent.errors import BadInput, Locked
from ward_desk.i18n import t

PASSWORD_ENV = "DISTRICT_DESK_PASSWORD"


def say(message_id: str, **params: Any) -> None:
    """Print a catalogue message in the current language."""
    print(t(message_id, None, **params))


def district_password(args: argparse.Namespace, *, confirm: bool = False) -> str:
    """The district passphrase from a file, the environment or a prompt (asked once per command)."""
    if getattr(args, "_password", None):
        return str(args._password)
    args._password = _read_password(args, confirm=confirm)
    return str(args._password)


def _read_password(args: argparse.Namespace, *, confirm: bool = False) -> str:
    if getattr(args, "password_file", None):
        try:
            text = Path(args.password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInput("sync.cli.password_file_unreadable", path=args.password_file) from exc
        password = text.splitlines()[0] if text else ""
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    elif sys.stdin.isatty():
        password = getpass.getpass(t("sync.cli.password_prompt"))
        if confirm and getpass.getpass(t("sync.cli.password_again")) != password:
            raise BadInput("sync.cli.password_mismatch")
    else:
        raise Locked("sync.cli.password_required", env=PASSWORD_ENV)
    if not password:
        raise Locked("sync.cli.password_required", env=PASSWORD_ENV)
    return password


def district_data_dir(args: argparse.Namespace) -> Path:
    """``--data-dir``, else ``DISTRICT_DESK_DATA_DIR`` or the platform's user data folder."""
    from district_desk.store import default_data_dir

    return Path(args.data_dir) if args.data_dir else default_data_dir()


def open_district(args: argparse.Namespace) -> Any:
    """The district store the command's options name (the passphrase asked only if needed)."""
    from district_desk.store import DistrictStore

    # The SQLite store is encrypted: the passphrase is asked only when it is needed.
    return DistrictStore.open(district_data_dir(args), getattr(args, "db", None), lambda: district_password(args))


def normal_fingerprint(text: str) -> str:
    """A fingerprint as typed (any case, spaces or dashes) in the printed form."""
    digits = "".join(ch for ch in (text or "").lower() if ch in "0123456789abcdef")
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def add_replace_options(parser: argparse.ArgumentParser) -> None:
    """``--replace --reason TEXT``: the explicit step that gives an enrolled (or
    revoked) office another key."""
    parser.add_argument("--replace", action="store_true", help=t("sync.enrol.help.replace"))
    parser.add_argument("--reason", default="", help=t("sync.enrol.help.reason"))


def replace_reason(args: argparse.Namespace) -> str:
    """The checked reason of a replace step ("" without ``--replace``)."""
    from sync_agent.errors import BadInput
    from ward_desk.domain.validation import validate_reason

    if not args.replace:
        if args.reason:
            raise BadInput("sync.enrol.reason_without_replace")
        return ""
    if not args.reason.strip():
        raise BadInput("sync.enrol.reason_needed")
    return validate_reason(args.reason)
