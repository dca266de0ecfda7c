"""A growing delay after repeated wrong passwords, per user, kept across restarts.

The store is locked while a password is tried, so the count lives beside it, in
``<data dir>/unlock-attempts.json`` (no personal data: user names are hashed). The
file is advisory: one that is missing, unreadable or edited into nonsense counts as
no failures (the key slots' Argon2 still makes every guess slow), and it is written
atomically so a crash mid-write never leaves a broken one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from ward_desk.errors import EXIT_LOCKED, WardDeskError

STATE_FILE = "unlock-attempts.json"
FREE_ATTEMPTS = 3  # typing mistakes: no wait before the 4th try
FIRST_DELAY = 5.0  # seconds after the 3rd wrong password, doubling with each one after
MAX_DELAY = 15 * 60.0

T = TypeVar("T")


class TryLater(WardDeskError):
    """Too many wrong passwords for this user: try again at the time said."""

    exit_code = EXIT_LOCKED


def delay_after(failures: int) -> float:
    """Seconds to wait after ``failures`` wrong passwords in a row."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - FREE_ATTEMPTS))


def _user_key(username: str | None) -> str:
    return hashlib.sha256(("ward-desk-unlock:" + (username or "").strip().casefold()).encode()).hexdigest()[:32]


def _load(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def _save(path: Path, data: dict[str, dict[str, object]]) -> None:
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a read-only or full disk must not stop a right password from working
        pass


def _entry(data: dict[str, dict[str, object]], username: str | None) -> tuple[int, datetime | None]:
    entry = data.get(_user_key(username), {})
    failures = entry.get("failures", 0)
    until = entry.get("until")
    try:
        until_at = datetime.fromisoformat(until) if isinstance(until, str) else None
    except ValueError:
        until_at = None
    return (failures if isinstance(failures, int) and failures >= 0 else 0), until_at


def _wait_error(until: datetime, now: datetime) -> TryLater:
    from ward_desk.domain.timing import to_local

    seconds = max(1, math.ceil((until - now).total_seconds()))
    return TryLater("auth.try_later", seconds=seconds, at=to_local(until).strftime("%H:%M:%S"))


def check(data_dir: Path, username: str | None, now: datetime) -> None:
    """Raise :class:`TryLater` while ``username`` must still wait (``now``: naive UTC)."""
    _, until = _entry(_load(Path(data_dir) / STATE_FILE), username)
    if until is not None and now < until:
        raise _wait_error(until, now)


def record_failure(data_dir: Path, username: str | None, now: datetime) -> datetime | None:
    """Count one more wrong password; the time from which the next try is taken, if any."""
    path = Path(data_dir) / STATE_FILE
    data = _load(path)
    failures, _ = _entry(data, username)
    failures += 1
    delay = delay_after(failures)
    until = now + timedelta(seconds=delay) if delay else None
    data[_user_key(username)] = {"failures": failures, "until": until.isoformat() if until else None}
    _save(path, data)
    return until


def record_success(data_dir: Path, username: str | None) -> None:
    """A right password: this user starts again from no failures."""
    path = Path(data_dir) / STATE_FILE
    data = _load(path)
    if data.pop(_user_key(username), None) is not None:
        _save(path, data)


def guarded(data_dir: Path, username: str | None, now: datetime, attempt: Callable[[], T]) -> T:
    """Run ``attempt`` (an unlock) unless the user must wait; count a wrong password,
    and when it starts a wait, say until when (``TryLater``) instead of only "wrong"."""
    from ward_desk.store.errors import WrongPassword

    check(data_dir, username, now)
    try:
        result = attempt()
    except WrongPassword:
        until = record_failure(data_dir, username, now)
        if until is not None:
            raise _wait_error(until, now) from None
        raise
    record_success(data_dir, username)
    return result
