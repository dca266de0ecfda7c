"""Intake at counter speed: Enter before the type-ahead, and a form left half-typed."""

from __future__ import annotations

import asyncio
import threading

from tests.ui.conftest import make_app, settle, unlock
from ward_desk.ui.screens.dashboard import DashboardScreen
from ward_desk.ui.screens.intake import IntakeScreen


def run(scenario) -> None:
    asyncio.run(scenario())


def value(app, field: str) -> str:
    return app.screen.query_one(f"#{field}").value


def test_enter_before_the_catalogue_arrives_picks_and_keeps_the_name(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            # Hold the store thread so the catalogue cannot arrive while the clerk types.
            gate = threading.Event()
            app.store_thread.submit(gate.wait, 10)
            await pilot.press("f3")
            await pilot.pause()
            assert isinstance(app.screen, IntakeScreen)
            assert app.screen._catalogue is None
            await pilot.pause(0.6)  # past the busy indicator's delay: the form must stay typeable
            await pilot.press(*"khai sinh", "enter", *"Pham Van Nam")
            assert value(app, "name") == "Pham Van Nam"
            assert app.screen._procedure is None  # still waiting for the catalogue
            gate.set()
            await settle(pilot)
            assert app.screen._procedure is not None
            assert "khai sinh" in app.screen._procedure.name.lower()
            assert value(app, "procedure").startswith(app.screen._procedure.code)
            assert value(app, "name") == "Pham Van Nam"
            assert app.focused.id == "name"

    run(scenario)


def test_fast_enter_picks_the_best_match_for_what_is_typed(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await pilot.press("f3")
            await settle(pilot)  # the catalogue is loaded; no pause between the keys below
            await pilot.press(*"khai tu", "enter", *"Le Thi Hoa", "enter", *"0912345678")
            chosen = app.screen._procedure
            assert chosen is not None and "khai tử" in chosen.name.lower()
            assert value(app, "name") == "Le Thi Hoa"
            assert value(app, "id_number") == "0912345678"
            # No match: the clerk is told and stays in the procedure box.
            await pilot.press("f8", *"zzzz", "enter")
            assert app.screen._procedure is None
            assert app.focused.id == "procedure"
            assert "zzzz" in str(app.screen._said)

    run(scenario)


def test_half_typed_form_is_kept_as_a_visible_draft(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await pilot.press("f3")
            await settle(pilot)
            draft = app.screen.query_one("#draft")
            assert not draft.display
            await pilot.press(*"khai sinh", "enter", *"Pham Van Nam", "enter", *"0011")
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)
            assert value(app, "name") == "Pham Van Nam" and value(app, "id_number") == "0011"
            draft = app.screen.query_one("#draft")
            assert draft.display
            assert "Bản nháp chưa lưu — F8 để xóa" in str(draft.render())
            await pilot.press("f9")  # the notice follows the language
            await settle(pilot)
            assert "Unsaved draft — F8 clears" in str(app.screen.query_one("#draft").render())
            await pilot.press("f8")
            await pilot.pause()
            assert not app.screen.query_one("#draft").display
            assert value(app, "name") == ""
            # An empty form left and come back to is no draft.
            await pilot.press("escape", "n")
            await settle(pilot)
            assert not app.screen.query_one("#draft").display

    run(scenario)



def test_enter_on_an_empty_procedure_box_picks_nothing(store_dir, clock):
    """Enter before anything is typed must not choose the catalogue's first entry."""
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await pilot.press("f3")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen._procedure is None
            assert app.focused.id == "procedure"

    run(scenario)


def test_scanning_the_citizen_card_qr_fills_the_applicant(store_dir, clock):
    """A QR scanner types the CCCD card's text and Enter into the name box: the name,
    ID number and address land in their own boxes and the phone is next. A plain name
    followed by Enter just moves on."""
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await pilot.press("f3")
            await settle(pilot)
            await pilot.press(*"khai sinh", "enter")
            await settle(pilot)
            assert app.focused.id == "name"
            scanned = "060199012345|261234567|Nguyễn Thị Thu Hà|15081999|Nữ|Khu phố 3, Phường Mũi Né|02072021"
            await pilot.press(*scanned, "enter")
            await settle(pilot)
            assert value(app, "name") == "Nguyễn Thị Thu Hà"
            assert value(app, "id_number") == "060199012345"
            assert value(app, "address") == "Khu phố 3, Phường Mũi Né"
            assert app.focused.id == "phone"
            assert not app.screen.query_one("#name").has_class("-invalid")
            await pilot.press(*"0912345678", "ctrl+s")
            await settle(pilot)
            assert app.screen._last_code is not None
            from ward_desk.store.models import Dossier

            saved = app.store_thread.submit(
                lambda: Dossier.get(Dossier.code == app.screen._last_code).applicant_id_number).result(5)
            assert saved == "060199012345"

    run(scenario)
