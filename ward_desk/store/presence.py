"""Who has the store open: a presence marker per open store, and the swap lock.

Several processes share one store on the office PC (a desk per browser tab, the
CLI, the sync daemon). SQLite keeps their writes apart, but a file swap (restore,
a schema upgrade with its backup, the demo's reset) under an open process loses
every write that process makes afterwards into the replaced file. So:

* every process that opens the store holds a *presence* file in
  ``<data dir>/presence/``: an OS file lock (``filelock``: ``flock`` on POSIX,
  ``LockFileEx`` on Windows) plus a small JSON beside it naming the holder. The OS
  drops the lock when the process dies, so a crashed desk's marker is found
  unlocked and removed, never counted;
* a swap takes the *swap lock* and refuses while any other presence is held,
  naming the holders; opening takes the swap lock briefly too, so nobody enters
  while a swap runs and a swap never misses someone entering.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout

from ward_desk.errors import EXIT_IN_USE, WardDeskError

PRESENCE_DIR = "presence"
SWAP_LOCK = "swap.lock"
SWAP_INFO = "swap.json"
ENTER_WAIT_SECONDS = 30.0  # an opener waits this long for a restore or an upgrade to end
SWAP_WAIT_SECONDS = 5.0  # a swap waits this long for openers registering at that moment


class StoreInUse(WardDeskError):
    """A swap was refused (or an open had to wait too long) because another
    process has the store open; the message names who."""

    exit_code = EXIT_IN_USE


@dataclass(frozen=True)
class Holder:
    """Who holds a presence marker (what its JSON says)."""

    pid: int
    host: str
    user: str
    command: str
    since: str

    def describe(self) -> str:
        """``ward-desk ui (pid 123, user lan, host QUAY-1, since 14:05)`` — one line."""
        since = self.since[11:16] if len(self.since) >= 16 else self.since
        return f"{self.command} (pid {self.pid}, {self.user}@{self.host}, {since})"


def _command_label() -> str:
    """The program and its command word, nothing else: other words and option values
    can be paths, names or worse, and this is written to a file others read."""
    prog = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else "python"
    if prog in ("main", "__main__", "-c", ""):
        prog = "ward-desk"
    skip = False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = "=" not in arg and arg in _VALUE_OPTIONS
        else:
            return f"{prog} {arg[:20]}" if arg.isascii() and arg.isalpha() else prog
    return prog


_VALUE_OPTIONS = {"--data-dir", "--user", "--password-file", "--lang"}


def _me(label: str | None = None) -> dict[str, object]:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment (a service account): say so
        user = "?"
    return {"pid": os.getpid(), "host": socket.gethostname(), "user": user,
            "command": label or _command_label(), "since": datetime.now().isoformat(timespec="seconds")}


def _holder(info: Path) -> Holder:
    try:
        data = json.loads(info.read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data["host"]), str(data["user"]), str(data["command"]),
                      str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        # Held but not described yet (or described by a damaged file): still a holder.
        return Holder(0, "?", "?", "ward-desk", "")


def _write_info(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _swap_lock(data_dir: Path) -> FileLock:
    # Kept on disk after release: deleting a lock file others wait on lets two hold it.
    return FileLock(Path(data_dir) / PRESENCE_DIR / SWAP_LOCK, thread_local=False, preserve_lock_file=True)


@contextlib.contextmanager
def _holding_swap(data_dir: Path, wait: float, refusal: str, **params: object) -> Iterator[None]:
    folder = Path(data_dir) / PRESENCE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    lock = _swap_lock(data_dir)
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        holder = _holder(folder / SWAP_INFO)
        raise StoreInUse(refusal, holders=holder.describe(), **params) from None
    try:
        yield
    finally:
        lock.release()


class Presence:
    """This process's marker for one open store; :meth:`release` when it closes."""

    def __init__(self, data_dir: Path, label: str | None = None) -> None:
        folder = Path(data_dir) / PRESENCE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        ident = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.lock_path = folder / f"{ident}.lock"
        self.info_path = folder / f"{ident}.json"
        self._lock = FileLock(self.lock_path, thread_local=False)
        self._lock.acquire(timeout=0)
        try:
            _write_info(self.info_path, _me(label))
        except OSError:
            # A full disk, say: the lock alone still marks the store open (its holder is
            # then named "?"), and the store opens for reading as before.
            with contextlib.suppress(OSError):
                self.info_path.with_name(self.info_path.name + ".tmp").unlink()
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Drop the marker (idempotent)."""
        if self._lock.is_locked:
            with contextlib.suppress(OSError):
                self.info_path.unlink()
            # Unlinked while still locked: no prober can find it unlocked in between.
            with contextlib.suppress(OSError):
                self.lock_path.unlink()
            self._lock.release()


@contextlib.contextmanager
def entering(data_dir: Path, label: str | None = None, *, wait: float = ENTER_WAIT_SECONDS) -> Iterator[Presence]:
    """Mark the store in ``data_dir`` open by this process, holding the swap lock
    for the block (the opener checks the schema there, and upgrades it only when
    :func:`refuse_if_others` finds it alone). Waits at most ``wait`` seconds while
    a restore or an upgrade runs, else refuses naming who runs it. The marker is
    dropped again when the block raises."""
    with _holding_swap(data_dir, wait, "store.in_use_swapping"):
        mine = Presence(data_dir, label)
        try:
            yield mine
        except BaseException:
            mine.release()
            raise
        finally:
            with contextlib.suppress(OSError):
                (Path(data_dir) / PRESENCE_DIR / SWAP_INFO).unlink()


def refuse_if_others(data_dir: Path, mine: Presence, refusal: str) -> None:
    """Inside :func:`entering`: raise :class:`StoreInUse` (message ``refusal``) when
    another process has the store open, else say who is swapping (for openers that wait)."""
    held = others(data_dir, mine)
    if held:
        raise StoreInUse(refusal, count=len(held), holders="; ".join(h.describe() for h in held))
    _write_info(Path(data_dir) / PRESENCE_DIR / SWAP_INFO, _me())


def others(data_dir: Path, mine: Presence | None = None) -> list[Holder]:
    """The live holders other than ``mine``; markers whose process died are removed.

    Call it holding the swap lock (``exclusive``): an opener that has created its
    lock file but not yet locked it would otherwise look dead.
    """
    folder = Path(data_dir) / PRESENCE_DIR
    found: list[Holder] = []
    for lock_path in sorted(folder.glob("*.lock")):
        if lock_path.name == SWAP_LOCK or (mine is not None and lock_path == mine.lock_path):
            continue
        info = lock_path.with_suffix(".json")
        probe = FileLock(lock_path, thread_local=False)
        try:
            probe.acquire(timeout=0)
        except Timeout:
            found.append(_holder(info))
            continue
        except OSError:
            continue  # vanished meanwhile: its holder closed
        # Nobody holds it: its process ended without closing (a crash, a kill).
        with contextlib.suppress(OSError):
            info.unlink()
        probe.release()
        with contextlib.suppress(OSError):
            lock_path.unlink()
    return found


@contextlib.contextmanager
def exclusive(data_dir: Path, refusal: str, mine: Presence | None = None, *,
              wait: float = SWAP_WAIT_SECONDS) -> Iterator[None]:
    """Hold the store alone for a file swap, or raise :class:`StoreInUse` with the
    catalogue message ``refusal`` (``store.in_use_restore``...) naming who has it open.
    Nobody can open the store until the block ends (they wait in :func:`enter`)."""
    folder = Path(data_dir) / PRESENCE_DIR
    with _holding_swap(data_dir, wait, "store.in_use_swapping"):
        held = others(data_dir, mine)
        if held:
            raise StoreInUse(refusal, count=len(held), holders="; ".join(h.describe() for h in held))
        _write_info(folder / SWAP_INFO, _me())
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                (folder / SWAP_INFO).unlink()
