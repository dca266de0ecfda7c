"""Refusing, withdrawing and handing back a dossier cannot be undone: the desk asks with
"no" as the default, naming the dossier, the applicant and what will happen; reasons are
picked from the common ones or written, never a date or a few letters; a dialog that
finds a problem stays open with what was typed and says it beside the field; keys typed
while a dialog opens land in the dialog, never on the screen beneath."""

from __future__ import annotations

from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import open_in_list, receive_dossier, run, run_action, screen_text
from ward_desk.ui.screens.dialogs import ApologyDialog, ConfirmDialog, RatingDialog, ReasonDialog
from ward_desk.ui.screens.dossier_detail import DossierDetailScreen


def test_refusal_needs_a_real_reason_and_a_yes_that_is_not_the_default(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, "Nguyen Van An")
            await open_in_list(pilot, "nguyen van", code)
            detail = app.screen
            await run_action(pilot, "reject")
            dialog = app.screen
            assert isinstance(dialog, ReasonDialog)
            shown = screen_text(app)
            assert code in shown and "Nguyen Van An" in shown
            assert "Không thuộc thẩm quyền giải quyết" in shown  # a common reason, offered
            # Typed on the list of reasons: the words go to the reason box.
            await pilot.press(*"03/03/2026", "enter")
            await settle(pilot)
            assert app.screen is dialog
            assert dialog.query_one("#reason").value == "03/03/2026"  # kept as typed
            assert "chỉ là ngày tháng" in str(dialog.query_one("#reason-problem").render())
            await pilot.press(*"sai", "enter")  # the field is selected after a problem: typed over
            await settle(pilot)
            assert app.screen is dialog and dialog.query_one("#reason").value == "sai"
            assert "quá ngắn" in screen_text(app)
            # A common reason picked by its number, then Enter: the confirmation, "no" chosen.
            dialog.query_one("#common").focus()
            await pilot.press("2")
            await settle(pilot)
            assert dialog.query_one("#reason").value.startswith("Không thuộc thẩm quyền")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            question = str(app.screen.query_one("#question").render())
            assert code in question and "Nguyen Van An" in question and "không hoàn tác" in question
            await pilot.press("enter")  # the default: no
            await settle(pilot)
            assert app.screen is detail and detail._view.state == "received"
            # Again, and this time yes (↓ then Enter).
            await run_action(pilot, "reject")
            await pilot.press("1", "enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("down", "enter")
            await settle(pilot)
            assert app.screen is detail and detail._view.state == "rejected"
            assert detail._view.events[-1].reason == "Hồ sơ không đủ điều kiện giải quyết theo quy định"

    run(scenario)


def test_handing_back_asks_first_with_no_as_the_default(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, "Tran Thi Binh")
            await open_in_list(pilot, "tran thi", code)
            await run_action(pilot, "mark_result_ready")
            await run_action(pilot, "return_result")
            assert isinstance(app.screen, ConfirmDialog)
            assert "Tran Thi Binh" in screen_text(app) and code in screen_text(app)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DossierDetailScreen)
            assert app.screen._view.state == "result_ready"
            await run_action(pilot, "return_result")
            await pilot.press("down", "enter")
            await settle(pilot)
            assert isinstance(app.screen, RatingDialog)
            await pilot.press("2")
            await settle(pilot)
            assert app.screen._view.state == "returned"

    run(scenario)


def test_keys_typed_as_a_dialog_opens_land_in_the_dialog(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, "Le Van Cuong")
            await open_in_list(pilot, "le van", code)
            detail = app.screen
            actions = detail.query_one("#actions")
            ids = [actions.get_option_at_index(i).id for i in range(actions.option_count)]
            actions.highlighted = ids.index("withdraw")
            # Enter and the reason in one go: "p" and "v" would print and preview beneath.
            await pilot.press("enter", *"cong dan xin rut ho so vi da chuyen di")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, ReasonDialog)
            assert dialog.query_one("#reason").value == "cong dan xin rut ho so vi da chuyen di"
            assert [type(s).__name__ for s in app.screen_stack[-2:]] == ["DossierDetailScreen",
                                                                          "ReasonDialog"]
            assert not any("phiếu" in str(n.message) for n in app._notifications)

    run(scenario)


def test_an_apology_dialog_that_finds_a_problem_stays_open_with_what_was_typed(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, "Pham Van Dung")
            clock.advance(days=30)  # long past its due date: the apology slip is due
            await open_in_list(pilot, "pham van", code)
            detail = app.screen
            assert detail._view.can_apologize
            await pilot.press("a")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, ApologyDialog)
            await pilot.press(*"01/01/2020", "enter")
            await settle(pilot)
            assert app.screen is dialog
            assert dialog.query_one("#new_date").value == "01/01/2020"
            assert str(dialog.query_one("#new_date-problem").render()).strip()
            assert detail._view.apology_count == 0
            # Put right, it is issued and the dialog closes.
            await pilot.press(*dialog._proposed.strftime("%d/%m/%Y"), "enter")
            await settle(pilot)
            assert app.screen is detail and detail._view.apology_count == 1

    run(scenario)
