"""Issue 3's "done when", on the demo ward a new user gets from ``ward-desk demo``.

At 80x24, keys only: unlock, receive a dossier typed without accents, find it
again among two years of dossiers by part of the name without accents, take it
to returned with a rating, and print its receipt (PDF and Word on disk).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from tests.conftest import Clock, DemoWard
from tests.ui.conftest import make_app, settle
from ward_desk.ui.screens.dashboard import DashboardScreen
from ward_desk.ui.screens.dialogs import OfficerDialog
from ward_desk.ui.screens.dossier_detail import DossierDetailScreen
from ward_desk.ui.screens.dossier_list import DossierListScreen
from ward_desk.ui.screens.intake import IntakeScreen

DEMO_PASSWORD = "demo-muine-2026"  # printed by `ward-desk demo` and prefilled there


async def pick_action(pilot, action: str) -> None:
    actions = pilot.app.screen.query_one("#actions")
    ids = [actions.get_option_at_index(i).id for i in range(actions.option_count)]
    assert action in ids, ids
    actions.focus()
    actions.highlighted = ids.index(action)
    await pilot.press("enter")
    await settle(pilot)


def test_new_user_on_the_demo_ward_keyboard_only(demo_ward: DemoWard, tmp_path: Path) -> None:
    ward = tmp_path / "ward"
    shutil.copytree(demo_ward.path, ward)
    clock = Clock(demo_ward.day.now)  # the desk's clock is where the demo's history ends

    async def scenario() -> None:
        app = make_app(ward, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*DEMO_PASSWORD, "enter")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
            await settle(pilot)
            assert app.screen._counts is not None and app.screen._counts.ready_to_return > 0  # a lived-in ward

            # Receive: procedure and applicant typed without accents.
            await pilot.press("f3")
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)
            await pilot.press(*"dang ky khai sinh", "enter")
            await pilot.press(*"Khuc Thua Du", "enter", *"001099012345", "enter", *"0912 345 678", "enter",
                              *"So 5 duong Nguyen Dinh Chieu")
            await pilot.press("ctrl+s")
            await settle(pilot)
            code = app.screen._last_code
            assert code is not None
            slips = ward / "slips"
            assert (slips / f"{code}-receipt.pdf").stat().st_size > 0  # the receipt, at once
            assert (slips / f"{code}-receipt.docx").stat().st_size > 0

            # Find it again: part of the name, no accents, among ~20,000 dossiers.
            await pilot.press("f4")
            await settle(pilot)
            assert isinstance(app.screen, DossierListScreen)
            await pilot.press(*"thua du")
            await pilot.pause(0.3)  # the search box's debounce
            await settle(pilot)
            table = app.screen.query_one("#table")
            assert table.row_count >= 1 and table.get_row_at(0)[0] == code
            await pilot.press("enter", "enter")
            await settle(pilot)
            assert isinstance(app.screen, DossierDetailScreen)
            assert "khai sinh" in app.screen._view.procedure.lower()
            assert app.screen._view.applicant == "Khuc Thua Du" and app.screen._view.id_number == "001099012345"

            # Forward, result ready, returned with a rating.
            await pick_action(pilot, "forward")
            assert isinstance(app.screen, OfficerDialog)
            await pilot.press("enter")
            await settle(pilot)
            await pick_action(pilot, "mark_result_ready")
            await pick_action(pilot, "return_result")
            await pilot.press("down", "enter")  # "yes, hand it back": "no" is the default
            await pilot.press("2")  # satisfied
            await settle(pilot)
            view = app.screen._view
            assert view.state == "returned" and view.rating == "satisfied"

            # Print the receipt again from the dossier: written anew, and the path is said.
            before = (slips / f"{code}-receipt.pdf").stat().st_mtime_ns
            os.utime(slips / f"{code}-receipt.pdf", ns=(before - 10**9, before - 10**9))
            await pilot.press("p")
            await settle(pilot)
            # A dossier that has moved on has its control sheet (form 06) too: the clerk picks.
            assert [k for k, _ in app.screen._choices] == ["receipt", "control"]
            await pilot.press("1")
            await settle(pilot)
            assert (slips / f"{code}-receipt.pdf").stat().st_mtime_ns > before - 10**9
            assert any(str(slips) in str(n.message) for n in app._notifications)

    asyncio.run(scenario())
