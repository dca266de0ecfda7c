"""Helpers of the abuse tests (imported as ``abuse_kit``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wd_testkit import snapshot

# The damaged-store sentence in each language: no refusal in these tests may say it.
DAMAGED_VI = "bị hỏng (không qua được kiểm tra toàn vẹn)"
DAMAGED_EN = "is damaged (it fails the integrity checks)"
# SQLite's own side files, which a refused open may leave (empty) for the next one to reuse.
SQLITE_SIDE_FILES = ("ward.db-wal", "ward.db-shm")


def unchanged_files(folder: Path, before: dict[str, str]) -> None:
    """Every file of ``folder`` as in ``before`` (a ``snapshot``), but SQLite's side files
    and the test's own filler; and no file added."""
    after = snapshot(folder)

    def kept(files: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in files.items()
                if Path(k).name not in SQLITE_SIDE_FILES and not Path(k).name.startswith(".filler")}

    assert kept(after) == kept(before), sorted(set(kept(after).items()) ^ set(kept(before).items()))


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait until ``condition()`` holds, at most ``timeout`` seconds (then fail, naming it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


async def wait_pilot(pilot: Any, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """The same inside a Textual ``run_test``: let the app run until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting on the desk"
        await pilot.pause(0.05)
        await asyncio.sleep(0)
