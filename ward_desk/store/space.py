"""Free space on the disk a store, a backup or an export is written to.

A full disk must be reported as a full disk: "the store is damaged, restore a
backup" said about one leads a clerk to overwrite good data with old data. SQLite
does not pass the operating system's error number on (a full disk shows up as
``SQLITE_FULL`` or, when the shared-memory index cannot grow, as a plain
``SQLITE_IOERR``), so an I/O error is told apart from a full disk by looking at
the space that is left.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
from pathlib import Path

from ward_desk.store.errors import DiskError, DiskFull

MIB = 1024 * 1024
# What an ordinary store command may need: the shared-memory index and a write-ahead
# log that grows until the next checkpoint (``WAL_SIZE_LIMIT_BYTES`` in database.py).
STORE_HEADROOM_BYTES = 64 * MIB
# Below this much free space an I/O error from SQLite is taken for a full disk: the
# shared-memory index alone needs 32 KiB, a commit a few dozen 4 KiB log frames, and
# file systems keep a few blocks back for their own metadata.
LOW_SPACE_BYTES = 1 * MIB
_SPACE_ERRNOS = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def existing_folder(path: Path) -> Path:
    """``path`` itself when it is a folder, else its nearest existing parent."""
    p = Path(path)
    if p.is_dir():
        return p
    for parent in p.parents:
        if parent.is_dir():
            return parent
    return Path(".")


def free_bytes(path: Path) -> int | None:
    """Bytes an ordinary user may still write on the disk holding ``path`` (None when
    the system cannot say)."""
    try:
        return shutil.disk_usage(existing_folder(path)).free
    except OSError:
        return None


def format_size(n: int | None) -> str:
    """A size for people: whole MB (rounded up, so "needed" is never understated), or KB
    below one MB."""
    if n is None:
        return "?"
    if n < MIB:
        return f"{max(0, math.ceil(n / 1024))} KB"
    return f"{math.ceil(n / MIB)} MB"


def disk_full(path: Path, needed: int = STORE_HEADROOM_BYTES) -> DiskFull:
    """The error for a full disk: where (the folder being written), how much is free
    and how much the operation needs."""
    folder = existing_folder(path)
    free = free_bytes(folder)
    return DiskFull("store.disk_full", path=str(folder), free=format_size(free),
                    needed=format_size(max(needed, (free or 0) + 1)))


def is_space_errno(exc: BaseException) -> bool:
    """Whether an ``OSError`` says the disk (or the user's quota) is full."""
    return isinstance(exc, OSError) and exc.errno in _SPACE_ERRNOS


_DISK_ERRNOS = (*_SPACE_ERRNOS, errno.EIO, errno.EROFS, errno.EFBIG)


def is_disk_errno(exc: BaseException) -> bool:
    """Whether an ``OSError`` is the disk refusing (full, read-only, failing), as
    opposed to a missing file or a network error (which are OSErrors too)."""
    return isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS


def read_only(path: Path) -> bool:
    """Whether the disk holding ``path`` is mounted read-only, or its folder may not be
    written by this user."""
    folder = existing_folder(path)
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except (OSError, AttributeError):  # Windows has no statvfs
        pass
    return not os.access(folder, os.W_OK)


def low_on_space(path: Path) -> bool:
    """Whether the disk holding ``path`` is (nearly) full."""
    free = free_bytes(path)
    return free is not None and free < LOW_SPACE_BYTES


def os_error(exc: OSError, path: Path, needed: int = STORE_HEADROOM_BYTES) -> DiskFull | DiskError:
    """The store's error for an ``OSError`` met while writing ``path``."""
    if is_space_errno(exc) or (exc.errno in (errno.EIO, errno.EFBIG) and low_on_space(path)):
        return disk_full(path, needed)
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) or read_only(path):
        return DiskError("store.read_only", path=str(path))
    return DiskError("store.io_error", path=str(path), free=format_size(free_bytes(path)))


def ensure_free(path: Path, needed: int) -> None:
    """Refuse, before anything is written, an operation that needs more than is free."""
    free = free_bytes(path)
    if free is not None and free < needed:
        raise disk_full(path, needed)
