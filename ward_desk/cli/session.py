"""What every command handler shares: the data folder, the password, an unlocked session.

Kept apart from :mod:`ward_desk.cli.main` (which knows every command, the UI
included) so that the sync agent's and the reports' commands can use it
without depending on the UI.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ward_desk.errors import InvalidInput
from ward_desk.i18n import t

Handler = Callable[[argparse.Namespace], int]


def default_data_dir() -> Path:
    env = os.environ.get("WARD_DESK_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("ward-desk", appauthor=False))


def read_password(args: argparse.Namespace, *, prompt_id: str = "cli.password_prompt", confirm: bool = False) -> str:
    """The password from ``--password-file``, ``WARD_DESK_PASSWORD`` or a prompt."""
    if getattr(args, "password_file", None):
        try:
            return Path(args.password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError:
            raise InvalidInput("cli.password_file_unreadable", path=args.password_file) from None
    env = os.environ.get("WARD_DESK_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise InvalidInput("cli.password_needed")
    password = getpass.getpass(t(prompt_id) + " ")
    if confirm and getpass.getpass(t("cli.password_again") + " ") != password:
        raise InvalidInput("auth.password_mismatch")
    return password


def open_cli_session(args: argparse.Namespace):
    """Unlock the store named by ``--data-dir`` for ``--user``."""
    from ward_desk.services.desk import open_session

    return open_session(args.data_dir, args.user, read_password(args), on_upgrade=announce_upgrade)


def announce_upgrade(found: int, target: int, size_bytes: int) -> None:
    """Say on stderr that the store is being upgraded (and backed up first), before it starts."""
    from ward_desk.services.desk import upgrade_notice

    print(upgrade_notice(found, target, size_bytes), file=sys.stderr, flush=True)


def with_session(fn: Callable[[argparse.Namespace, Any], int]) -> Handler:
    """Wrap a handler that needs an unlocked session; always closes the store."""

    def run(args: argparse.Namespace) -> int:
        session = open_cli_session(args)
        try:
            return fn(args, session)
        finally:
            session.store.close()

    run.__doc__ = fn.__doc__
    return run


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=1, default=str))
    else:
        print(text)
