"""Printed slips are plaintext personal data (issue 13 item 7): they are removed after
the office's ``slips_keep_days`` whenever any ward-desk command or the sync daemon runs,
and an office can choose not to keep them at all once printed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from abuse_kit import wait_for, wait_pilot
from wd_testkit import cli_env, ok, run_cli

DAY = 86400.0


def _slip(data: Path, name: str, age_seconds: float) -> Path:
    """A slip file as the printer leaves it, last written ``age_seconds`` ago."""
    folder = data / "slips"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(b"%PDF-1.7 Nguyen Van An 001203047159 0912345678")
    when = time.time() - age_seconds
    os.utime(path, (when, when))
    return path


def _config(data: Path, text: str) -> None:
    (data / "config.toml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("command", [["stats"], ["search", "nguyen"], ["calendar", "holidays", "--year", "2026"],
                                     ["verify"]])
def test_any_command_removes_slips_older_than_the_default_30_days(store_dir: Path, command: list[str]) -> None:
    old = _slip(store_dir, "22918-260101-0001-receipt.pdf", 31 * DAY)
    recent = _slip(store_dir, "22918-260301-0002-receipt.docx", 29 * DAY)
    ok(run_cli(*command, "--data-dir", store_dir))
    assert not old.exists() and recent.exists()


def test_a_failed_command_removes_them_too(store_dir: Path) -> None:
    old = _slip(store_dir, "22918-260101-0001-receipt.pdf", 31 * DAY)
    proc = run_cli("dossier", "show", "22918-200101-9999", "--data-dir", store_dir)
    assert proc.returncode == 2
    assert not old.exists()


def test_the_age_is_the_office_s_setting(store_dir: Path) -> None:
    _config(store_dir, "slips_keep_days = 2\n")
    old = _slip(store_dir, "a-receipt.pdf", 3 * DAY)
    recent = _slip(store_dir, "b-receipt.pdf", 1 * DAY)
    ok(run_cli("stats", "--data-dir", store_dir))
    assert not old.exists() and recent.exists()


def test_not_kept_once_printed(store_dir: Path) -> None:
    """0: a slip goes once the viewer or the spooler has had it (a few minutes)."""
    from ward_desk.slips.output import HANDOVER_MINUTES

    _config(store_dir, "slips_keep_days = 0\n")
    printed = _slip(store_dir, "a-receipt.pdf", (HANDOVER_MINUTES + 1) * 60)
    printing = _slip(store_dir, "b-receipt.pdf", 30)
    ok(run_cli("stats", "--data-dir", store_dir))
    assert not printed.exists() and printing.exists()


def test_only_slip_files_are_touched(store_dir: Path) -> None:
    keep = store_dir / "slips" / "ghi-chu.txt"
    _slip(store_dir, "x-receipt.pdf", 40 * DAY)
    keep.write_text("the office's own file")
    os.utime(keep, (time.time() - 40 * DAY,) * 2)
    ok(run_cli("stats", "--data-dir", store_dir))
    assert keep.exists() and not (store_dir / "slips" / "x-receipt.pdf").exists()
    assert (store_dir / "ward.db").exists() and (store_dir / "keys.json").exists()


def test_a_bad_setting_is_named_and_the_default_applies(store_dir: Path) -> None:
    from ward_desk.config import load_settings
    from ward_desk.errors import InvalidInput

    _config(store_dir, "slips_keep_days = -1\n")
    with pytest.raises(InvalidInput) as exc:
        load_settings(store_dir)
    assert exc.value.message.params["key"] == "slips_keep_days"
    old = _slip(store_dir, "a-receipt.pdf", 31 * DAY)
    ok(run_cli("stats", "--data-dir", store_dir))
    assert not old.exists()


def test_the_sync_daemon_removes_them_while_it_runs(store_dir: Path) -> None:
    """A PC where only the daemon runs (no desk, no command) for weeks."""
    old = _slip(store_dir, "a-receipt.pdf", 31 * DAY)  # printed, say, before the desk closed
    proc = subprocess.Popen(
        [sys.executable, "-m", "ward_desk.cli.main", "sync", "daemon", "--interval", "5", "--data-dir",
         str(store_dir)], env=cli_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: not old.exists() or proc.poll() is not None, 60, "the daemon's purge")
        assert proc.poll() is None, "the daemon stopped: the slip must go while it runs"
        assert not old.exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


async def _lock_with(store_dir: Path, keep_days: float, clock) -> tuple[Path, Path]:
    """Unlock the desk, print-like files appear, the clerk locks it."""
    from ward_desk.ui.app import WardDeskApp
    from ward_desk.ui.screens.dashboard import DashboardScreen
    from ward_desk.ui.screens.lock import LockScreen

    _config(store_dir, f"slips_keep_days = {keep_days}\n")
    app = WardDeskApp(store_dir, clock=clock, username="admin", open_viewer=False, warm_up=False,
                      sync_delay_seconds=3600.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"mat-khau-123", "enter")
        await wait_pilot(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await app.workers.wait_for_complete()
        just_printed = _slip(store_dir, "22918-260303-0009-receipt.pdf", 5)
        yesterday = _slip(store_dir, "22918-260302-0008-receipt.pdf", DAY)
        app.action_lock()
        await wait_pilot(pilot, lambda: isinstance(app.screen, LockScreen))
        await app.workers.wait_for_complete()
        return just_printed, yesterday


def test_the_desk_removes_slips_not_kept_when_it_locks(store_dir: Path, clock) -> None:
    just_printed, yesterday = asyncio.run(_lock_with(store_dir, 0, clock))
    assert not just_printed.exists() and not yesterday.exists()


def test_the_desk_keeps_slips_within_the_setting_when_it_locks(store_dir: Path, clock) -> None:
    just_printed, yesterday = asyncio.run(_lock_with(store_dir, 30, clock))
    assert just_printed.exists() and yesterday.exists()


def test_the_readme_says_slips_are_plaintext() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "plaintext" in readme and "slips_keep_days" in readme
