"""Helpers of the abuse tests (imported as ``abuse_kit``)."""

from __future__ import annotations

from pathlib import Path

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
