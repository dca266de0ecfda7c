"""Printing goes to the system print queue (``lp`` here; the Windows shell's print verb is
not run on Linux), or says there is no printer and where the file is; the clerk chooses
which of the dossier's slips to print. ``lp`` is a real program on PATH in these tests: a
script that records what it was asked, or answers as CUPS does without a printer."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import open_in_list, receive_dossier, run, run_action
from ward_desk.slips.printing import send_to_printer
from ward_desk.ui.screens.dialogs import ChoiceDialog


def _fake_lp(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lp = folder / "lp"
    lp.write_text("#!/bin/sh\n" + body)
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)
    return folder


@pytest.fixture
def printer(tmp_path, monkeypatch):
    """A print queue that accepts jobs; the file it was given is recorded."""
    log = tmp_path / "printed.txt"
    bin_dir = _fake_lp(tmp_path / "bin", f'echo "$2" >> "{log}"\necho "request id is desk-1 (1 file(s))"\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return log


def test_no_lp_no_default_printer_and_a_queue(tmp_path, monkeypatch):
    slip = tmp_path / "slip.pdf"
    slip.write_bytes(b"%PDF-1.4\n")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    assert send_to_printer(slip).reason == "no_printer"
    no_dest = _fake_lp(tmp_path / "cups", 'echo "lp: Error - No default destination." >&2\nexit 1\n')
    monkeypatch.setenv("PATH", str(no_dest))
    outcome = send_to_printer(slip)
    assert not outcome.queued and outcome.reason == "no_printer" and "No default destination" in outcome.detail
    log = tmp_path / "log"
    ok = _fake_lp(tmp_path / "ok", f'echo "$2" > "{log}"\necho "request id is p-7 (1 file(s))"\n')
    monkeypatch.setenv("PATH", str(ok))
    outcome = send_to_printer(slip)
    assert outcome.queued and "p-7" in outcome.detail and log.read_text().strip() == str(slip)


def test_the_clerk_chooses_which_slip_and_it_reaches_the_queue(store_dir, clock, printer):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, "Nguyen Van An")
            await open_in_list(pilot, "nguyen van", code)
            await run_action(pilot, "request_supplement")
            await pilot.press("1", "enter")  # a common reason, then confirm
            await settle(pilot)
            await pilot.press("p")
            await settle(pilot)
            assert isinstance(app.screen, ChoiceDialog)
            assert [k for k, _ in app.screen._choices] == ["receipt", "supplement", "control"]
            await pilot.press("2")
            await settle(pilot)
            printed = printer.read_text().split()
            assert len(printed) == 1 and printed[0].endswith(f"{code}-supplement.pdf")
            assert any("desk-1" in str(n.message) for n in app._notifications)

    run(scenario)


def test_without_a_printer_the_desk_says_so_and_where_the_file_is(store_dir, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(_fake_lp(tmp_path / "cups", 'echo "lp: Error - No default destination." >&2\nexit 1\n')))

    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, "Tran Thi Binh")
            await open_in_list(pilot, "tran thi", code)
            await pilot.press("p")  # one slip only: no choice to make
            await settle(pilot)
            said = [str(n.message) for n in app._notifications]
            assert any("chưa cài máy in" in m and f"{code}-receipt.pdf" in m for m in said), said

    run(scenario)
