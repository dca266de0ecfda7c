"""UI test helpers: the desk app on a real encrypted store with the settable clock."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ward_desk.i18n import set_language

# wd_testkit (tests/store) builds stores at an older schema for the upgrade tests.
sys.path.insert(0, str(Path(__file__).parent.parent / "store"))


@pytest.fixture(autouse=True)
def _vietnamese() -> None:
    # The language is process-wide; a test that switches it must not leak into the next.
    set_language("vi")
    yield
    set_language("vi")


@pytest.fixture(autouse=True)
def _no_real_printer(tmp_path_factory, monkeypatch) -> None:
    """A machine running the tests may have a real default printer: the desk's ``lp`` is a
    stand-in on PATH that answers as CUPS does with none (tests of printing put their own)."""
    import os
    import stat

    folder = tmp_path_factory.mktemp("no-printer")
    lp = folder / "lp"
    lp.write_text('#!/bin/sh\necho "lp: Error - No default destination." >&2\nexit 1\n')
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture(autouse=True)
def _steady_cursor(monkeypatch) -> None:
    """Freeze the input cursor blink so snapshots do not depend on timing (habit 6)."""
    from textual.widgets import Input

    original = Input._on_mount

    def on_mount(self, event):
        self.cursor_blink = False
        return original(self, event)

    monkeypatch.setattr(Input, "_on_mount", on_mount)


def make_app(store_dir: Path, clock, **kwargs):
    """The desk app as a clerk starts it, with viewers and warm-up imports off."""
    from ward_desk.ui.app import WardDeskApp

    kwargs.setdefault("open_viewer", False)
    kwargs.setdefault("warm_up", False)
    # No background sync check unless a test asks: snapshots must not depend on timing.
    kwargs.setdefault("sync_delay_seconds", 3600.0)
    return WardDeskApp(store_dir, clock=clock, **kwargs)


async def unlock(pilot, password: str = "mat-khau-123") -> None:
    """Type the password on the unlock screen and wait for the dashboard."""
    from ward_desk.ui.screens.dashboard import DashboardScreen

    await pilot.press(*password, "enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DashboardScreen), pilot.app.screen
    await settle(pilot)


async def settle(pilot) -> None:
    """Let workers finish and their results be drawn."""
    for _ in range(3):
        await pilot.app.key_gate.wait_idle()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
