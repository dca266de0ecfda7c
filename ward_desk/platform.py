"""What differs on Windows, in one place (issue 11): console encoding, command lines,
the data folders. Everything here is plain logic over strings and paths, so it is
tested on Linux (``PureWindowsPath``, cp1258/cp1252 streams); nothing else in the
project branches on the operating system for these.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import PurePath, PureWindowsPath
from typing import Any, TextIO

APP_FOLDER = "WardDesk"
_UTF8 = {"utf-8", "utf8", "utf_8", "cp65001"}


def is_windows() -> bool:
    return os.name == "nt"


def utf8_console(*streams: TextIO | Any) -> None:
    """Make ``streams`` (default: stdout and stderr) write UTF-8 whatever the code page.

    A Vietnamese Windows writes redirected output (``ward-desk report ... > file``) in
    the ANSI code page, cp1258 or cp1252, which cannot hold most Vietnamese letters:
    Python raised ``UnicodeEncodeError`` there. A real console is unaffected (Python
    writes it as UTF-16); a stream that cannot be reconfigured is left as it is.
    """
    for stream in streams or (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower()
        reconfigure = getattr(stream, "reconfigure", None)
        if encoding in _UTF8 or reconfigure is None:
            continue
        try:
            reconfigure(encoding="utf-8", errors="backslashreplace")
        except (ValueError, OSError):  # closed, or already written to in a way that forbids it
            continue


def command_line(argv: Sequence[str | PurePath], *, windows: bool | None = None) -> str:
    """``argv`` as one command line for the shell that will run it: ``cmd.exe``'s
    quoting on Windows (paths with spaces, ``C:\\Program Files\\...``), POSIX quoting
    elsewhere."""
    parts = [str(a) for a in argv]
    return subprocess.list2cmdline(parts) if (is_windows() if windows is None else windows) else shlex.join(parts)


def all_users_data_dir(environ: Mapping[str, str] | None = None) -> PureWindowsPath:
    """The data folder shared by every Windows account of the PC (``install.ps1
    -AllUsers``): ``%ProgramData%\\WardDesk``, ``C:\\ProgramData\\WardDesk`` when unset."""
    env = os.environ if environ is None else environ
    return PureWindowsPath(env.get("ProgramData") or env.get("PROGRAMDATA") or r"C:\ProgramData") / APP_FOLDER


def is_network_path(path: str | PurePath, *, windows: bool | None = None) -> bool:
    """Whether ``path`` names a network share (``\\\\server\\share``, ``//server/share``):
    SQLite's WAL does not work over one, so the store must be on the PC's own disk."""
    text = str(path)
    if is_windows() if windows is None else windows:
        return bool(PureWindowsPath(text).drive.startswith("\\\\"))
    return text.startswith("//") and not text.startswith("///")
