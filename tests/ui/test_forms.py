"""The forms of Circular 03/2025 from the desk: a supplement request lists each thing the
clerk typed apart (form 02), and stopping a dossier at the citizen's request produces the
notice (form 05) like the other moves produce theirs; the print chooser offers the
dossier's forms. One dossier walks through both (a desk session costs seconds)."""

from __future__ import annotations

from tests.slips.slip_testkit import pdf_text
from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import open_in_list, receive_dossier, run, run_action
from ward_desk.ui.screens.dialogs import ConfirmDialog, ReasonDialog


def test_supplement_items_then_withdrawing_produces_forms_02_and_05(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, "Le Van Cuong")
            await open_in_list(pilot, "le van", code)
            detail = app.screen
            slips = store_dir / "slips"

            # Form 02: what must be brought, separated by ";" as the box says, one row each.
            await run_action(pilot, "request_supplement")
            dialog = app.screen
            assert isinstance(dialog, ReasonDialog)
            assert "dấu ;" in dialog.query_one("#reason").placeholder
            dialog.query_one("#reason").focus()
            await pilot.press(*"Thieu van ban uy quyen; thieu ban sao giay khai sinh", "enter")
            await settle(pilot)
            assert app.screen is detail and detail._view.state == "supplement_requested"
            text = pdf_text(slips / f"{code}-supplement.pdf")
            assert "1 Thieu van ban uy quyen" in text and "2 thieu ban sao giay khai sinh" in text

            # Form 05: the citizen asks to stop; the notice is written with the move.
            await run_action(pilot, "withdraw")
            assert isinstance(app.screen, ReasonDialog)
            await pilot.press("1", "enter")  # the first common reason
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("down", "enter")
            await settle(pilot)
            assert app.screen is detail and detail._view.state == "withdrawn"
            assert sorted(p.name for p in slips.iterdir() if "stop" in p.name) == [
                f"{code}-stop.docx", f"{code}-stop.pdf"]
            text = pdf_text(slips / f"{code}-stop.pdf")
            assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text and "Mẫu số 05" in text
            assert "Công dân xin rút hồ sơ" in text and "Le Van Cuong" in text
            assert detail.slips_available() == ["receipt", "supplement", "stop", "control"]

    run(scenario)
