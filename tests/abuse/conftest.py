"""Abuse tests share the store tests' helpers (``wd_testkit``) and a small real disk."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "store"))
sys.path.insert(0, str(Path(__file__).parent.parent / "slips"))
sys.path.insert(0, str(Path(__file__).parent))


def _mount_tmpfs(where: Path, size: int) -> str | None:
    """Mount a tmpfs of ``size`` bytes on ``where``; the reason when that cannot be done."""
    if os.name != "posix" or not hasattr(os, "geteuid"):
        return "tmpfs needs Linux"
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root (run the suite as root, as .ci/run does in its container)"
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        return f"mount -t tmpfs failed: {proc.stderr.strip() or proc.returncode}"
    return None


class SmallDisk:
    """A real file system of a fixed size (tmpfs), filled and freed on demand."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.filler = root / f".filler-{uuid.uuid4().hex}"

    def free(self) -> int:
        st = os.statvfs(self.root)
        return st.f_bavail * st.f_frsize

    def fill(self, leave: int = 0) -> None:
        """Take all the free space but ``leave`` bytes (to the file system's block)."""
        self.release()
        room = self.free() - leave
        if room <= 0:
            return
        with open(self.filler, "wb") as f:
            block = b"\0" * (1 << 20)
            while room > 0:
                try:
                    room -= f.write(block[: min(room, len(block))])
                except OSError:
                    break
        assert self.free() <= leave + 4096, (self.free(), leave)

    def release(self) -> None:
        """Free what :meth:`fill` took: the disk has room again."""
        self.filler.unlink(missing_ok=True)

    def read_only(self, on: bool = True) -> None:
        """Remount the disk read-only (or writable again), as a write-protected stick is."""
        subprocess.run(["mount", "-o", f"remount,{'ro' if on else 'rw'}", str(self.root)], check=True,
                       capture_output=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], SmallDisk]]:
    """``small_disk(size)``: a tmpfs of ``size`` bytes mounted under ``tmp_path``,
    unmounted afterwards (lazily, so a process still holding a file cannot keep it)."""
    mounted: list[Path] = []

    def make(size: int) -> SmallDisk:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        reason = _mount_tmpfs(where, size)
        if reason is not None:
            pytest.skip(reason + "; the /dev/full tests in test_disk_full cover the OS-error paths")
        mounted.append(where)
        return SmallDisk(where)

    yield make
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)
