"""The forms of Circular 03/2025 from the desk: stopping a dossier at the citizen's request
produces the notice (form 05) like the other moves produce theirs, and the print chooser
offers the dossier's forms."""

from __future__ import annotations

from tests.slips.slip_testkit import pdf_text
from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import open_in_list, receive_dossier, run, run_action
from ward_desk.ui.screens.dialogs import ConfirmDialog, ReasonDialog


def test_withdrawing_produces_the_stop_notice(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, "Le Van Cuong")
            await open_in_list(pilot, "le van", code)
            detail = app.screen
            await run_action(pilot, "withdraw")
            assert isinstance(app.screen, ReasonDialog)
            await pilot.press("1", "enter")  # the first common reason
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("down", "enter")
            await settle(pilot)
            assert app.screen is detail and detail._view.state == "withdrawn"
            slips = store_dir / "slips"
            assert sorted(p.name for p in slips.iterdir() if "stop" in p.name) == [
                f"{code}-stop.docx", f"{code}-stop.pdf"]
            text = pdf_text(slips / f"{code}-stop.pdf")
            assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text and "Mẫu số 05" in text
            assert "Công dân xin rút hồ sơ" in text and "Le Van Cuong" in text
            assert "stop" in detail.slips_available()

    run(scenario)


def test_a_supplement_request_lists_each_thing_typed_apart_on_form_02(store_dir, clock):
    """The clerk separates what must be brought with ";" (the box says so): form 02 prints
    one row for each."""

    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, "Tran Van Bo")
            await open_in_list(pilot, "tran van", code)
            await run_action(pilot, "request_supplement")
            dialog = app.screen
            assert isinstance(dialog, ReasonDialog)
            assert "dấu ;" in dialog.query_one("#reason").placeholder
            dialog.query_one("#reason").focus()
            await pilot.press(*"Thieu van ban uy quyen; thieu ban sao giay khai sinh", "enter")
            await settle(pilot)
            text = pdf_text(store_dir / "slips" / f"{code}-supplement.pdf")
            assert "1 Thieu van ban uy quyen" in text and "2 thieu ban sao giay khai sinh" in text

    run(scenario)
