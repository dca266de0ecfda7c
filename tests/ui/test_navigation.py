"""One key map: Esc always goes one step back, F3-F7 open a mode's home screen, Enter
goes from the search box into the list once, and every key the help screen lists does
what it says from the screen it is listed on."""

from __future__ import annotations

from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import open_in_list, receive_dossier, run, run_action, screen_text
from ward_desk.ui.screens.assessment import AssessmentScreen
from ward_desk.ui.screens.call_list import CallListScreen
from ward_desk.ui.screens.dashboard import DashboardScreen
from ward_desk.ui.screens.dossier_detail import DossierDetailScreen
from ward_desk.ui.screens.dossier_list import DossierListScreen
from ward_desk.ui.screens.intake import IntakeScreen


def test_escape_goes_one_step_back_from_every_screen(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            # The hint line names the keys the dashboard binds (it said "S: tìm" once).
            assert "n: Hồ sơ mới · s, /: Tìm · c: Gọi báo" in screen_text(app)
            await receive_dossier(pilot)
            await pilot.press("escape")
            await settle(pilot)
            for keys, opened in ((("f4",), DossierListScreen), (("s",), DossierListScreen),
                                 (("S",), DossierListScreen), (("slash",), DossierListScreen),
                                 (("f3",), IntakeScreen), (("n",), IntakeScreen),
                                 (("f5",), CallListScreen), (("c",), CallListScreen),
                                 (("f7",), AssessmentScreen)):
                await pilot.press(*keys)
                await settle(pilot)
                assert isinstance(app.screen, opened), (keys, app.screen)
                await pilot.press("escape")
                await settle(pilot)
                assert isinstance(app.screen, DashboardScreen), (keys, app.screen)
            # A line of the dashboard opens its list over the dashboard: Esc closes it.
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DossierListScreen)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
            assert "Quay lại" not in screen_text(app)  # nowhere to go back to: not offered
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)

    run(scenario)


def test_function_keys_open_the_home_of_their_mode(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot)
            await open_in_list(pilot, "nguyen", code)  # F4, search, Enter, Enter: the detail
            await pilot.press("f6")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
            await pilot.press("f4")
            await settle(pilot)
            assert isinstance(app.screen, DossierListScreen) and len(app.screen_stack) == 1
            await pilot.press("enter")  # a dashboard line, then F6 again: the dashboard itself
            await pilot.press("f6", "enter")
            await settle(pilot)
            assert isinstance(app.screen, DossierListScreen)
            await pilot.press("f6")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen) and len(app.screen_stack) == 1

    run(scenario)


def test_enter_from_the_search_box_opens_what_was_typed_never_a_stale_row(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await receive_dossier(pilot, "Nguyen Van An")
            wanted = await receive_dossier(pilot, "Tran Thi Binh")
            await receive_dossier(pilot, "Le Van Cuong")
            await pilot.press("f4")
            await settle(pilot)
            # Typed and Enter twice at once, before the search has run: the first result of
            # what was typed opens (the unfiltered list's first row is another dossier).
            await pilot.press(*"tran thi", "enter", "enter")
            await settle(pilot)
            assert isinstance(app.screen, DossierDetailScreen)
            assert app.screen._code == wanted
            await pilot.press("escape")
            await settle(pilot)
            # Once the results are shown, Enter moves into the list, and one Enter opens.
            box = app.screen.query_one("#search")
            assert app.focused is app.screen.query_one("#table")
            await pilot.press("ctrl+f")
            await pilot.press(*"le van")
            await pilot.pause(0.3)  # the search's pause after typing
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert app.focused is not box
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DossierDetailScreen)
            assert app.screen.query_one("#fields").render()  # drawn
            assert "Le Van Cuong" in screen_text(app)

    run(scenario)


def test_every_key_help_lists_works_from_where_help_lists_it(store_dir, clock):
    """For each main screen: open help there, then for each row it lists, come back to
    that screen, press the row's key, and check the row's action ran on the row's node."""

    async def scenario():
        from ward_desk.ui.screens.help import HelpScreen

        app = make_app(store_dir, clock, username="admin")
        ran: list[tuple[str, object]] = []
        original = app.run_action

        async def recording(action, default_namespace=None):
            ran.append((action, default_namespace))
            return await original(action, default_namespace)

        app.run_action = recording  # every binding goes through App.run_action

        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot)
            await open_in_list(pilot, "nguyen", code)
            await run_action(pilot, "mark_result_ready")
            await pilot.press("f6")
            await settle(pilot)

            async def detail():
                await pilot.press("f4")
                await settle(pilot)
                app.screen.query_one("#table").focus()
                await pilot.press("enter")
                await settle(pilot)

            async def press(*keys):
                await pilot.press(*keys)
                await settle(pilot)

            reach = {
                DashboardScreen: lambda: press("f6"),
                IntakeScreen: lambda: press("f3"),
                DossierListScreen: lambda: press("f4"),
                DossierDetailScreen: detail,
                CallListScreen: lambda: press("f5"),
                AssessmentScreen: lambda: press("f7"),
            }
            checked = 0
            for screen_class, go in reach.items():
                await go()
                assert isinstance(app.screen, screen_class)
                await press("f1")
                assert isinstance(app.screen, HelpScreen)
                listed = list(app.screen._bound)
                table = app.screen.query_one("#keys")
                assert [table.get_row_at(i)[0] for i in range(table.row_count)] == [c.key for c in listed]
                await press("escape")
                for command in listed:
                    if command.action == "quit":
                        continue  # last, below: it ends the app
                    await go()
                    ran.clear()
                    await press(command.key_name)
                    # The node by kind: coming back may build a new screen of the same kind.
                    assert (command.action, type(command.node)) in [(a, type(n)) for a, n in ran], \
                        (screen_class.__name__, command)
                    checked += 1
                    # Undo what the key opened or changed, so the next row starts the same.
                    if app.locked:
                        await press(*"mat-khau-123", "enter")
                    while app.screen.is_modal:
                        await press("escape")
                    if command.id == "language":
                        await press(command.key_name)
            assert checked > 30
            await press("f6", "ctrl+q")
            assert app.return_code == 0 and not app.is_running

    run(scenario)
