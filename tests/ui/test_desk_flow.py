"""The clerk's day, driven by keys at 80x24 on a real encrypted store."""

from __future__ import annotations

import asyncio

from tests.ui.conftest import make_app, settle, unlock
from ward_desk.ui.screens.dashboard import DashboardScreen
from ward_desk.ui.screens.dialogs import OfficerDialog
from ward_desk.ui.screens.dossier_detail import DossierDetailScreen
from ward_desk.ui.screens.dossier_list import DossierListScreen
from ward_desk.ui.screens.intake import IntakeScreen


def run(scenario) -> None:
    asyncio.run(scenario())


def screen_text(app) -> str:
    """Everything drawn on screen, one string (for 'is it visible' checks)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def receive_dossier(pilot, name: str = "Nguyen Van An") -> str:
    """Intake typed without accents; returns the new dossier code."""
    app = pilot.app
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, IntakeScreen)
    await pilot.press(*"dang ky khai sinh")
    await settle(pilot)
    await pilot.press("enter")
    await pilot.press(*name, "enter", *"001099012345", "enter", *"0912 345 678", "enter",
                      *"12 duong so 3")
    await pilot.press("ctrl+s")
    await settle(pilot)
    code = app.screen._last_code
    assert code and code.startswith("22918-260303-")
    return code


async def open_in_list(pilot, typed: str, code: str) -> None:
    await pilot.press("f4")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DossierListScreen)
    await pilot.press(*typed)
    await pilot.pause(0.3)  # the debounce
    await settle(pilot)
    table = pilot.app.screen.query_one("#table")
    assert table.row_count == 1
    assert table.get_row_at(0)[0] == code
    await pilot.press("enter", "enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DossierDetailScreen)


async def run_action(pilot, action: str) -> None:
    """Highlight ``action`` in the detail's action list and press Enter."""
    screen = pilot.app.screen
    actions = screen.query_one("#actions")
    ids = [actions.get_option_at_index(i).id for i in range(actions.option_count)]
    assert action in ids, ids
    actions.focus()
    actions.highlighted = ids.index(action)
    await pilot.press("enter")
    await settle(pilot)


def test_intake_forward_ready_return_with_rating(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot)
            assert "22918-260303-0001" in screen_text(app)
            await open_in_list(pilot, "nguyen van", code)
            await run_action(pilot, "forward")
            assert isinstance(app.screen, OfficerDialog)  # whom to: the active users, the clerk first
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen._view.state == "in_progress"
            assert app.screen._view.officer == "Trần Văn Quản Trị"
            await run_action(pilot, "mark_result_ready")
            assert app.screen._view.state == "result_ready"
            await run_action(pilot, "return_result")
            await pilot.press("down", "enter")  # "yes, hand it back": "no" is the default
            await pilot.press("1")  # very satisfied
            await settle(pilot)
            view = app.screen._view
            assert view.state == "returned"
            assert view.rating == "very_satisfied"
            assert view.allowed == ()
            assert [e.to_state for e in view.events] == ["received", "in_progress",
                                                        "result_ready", "returned"]
            await pilot.press("escape", "f6")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
            counts = app.screen._counts
            assert counts.received_today == 1 and counts.returned_today == 1

    run(scenario)


def test_search_without_accents_finds_accented_name(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, name="Nguyễn Thị Đào")
            await receive_dossier(pilot, name="Trần Văn Bình")
            await open_in_list(pilot, "thi dao", code)
            assert app.screen._view.applicant == "Nguyễn Thị Đào"

    run(scenario)


def test_reason_is_required_and_illegal_actions_not_offered(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot)
            await open_in_list(pilot, "an", code)
            offered = set(app.screen._view.allowed)
            # From "received" the rules never allow these.
            assert not offered & {"return_result", "resume", "complete_supplement"}
            shown = screen_text(app)
            assert "Trả kết quả" not in shown and "Tiếp tục giải quyết" not in shown
            # Suspending needs a reason and a legal basis: an empty one is refused.
            await run_action(pilot, "suspend")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert "Cần ghi lý do" in screen_text(app)
            await pilot.press(*"cho xac minh", "enter", *"Nghi dinh 118/2025", "enter")
            await settle(pilot)
            view = app.screen._view
            assert view.state == "suspended"
            assert set(view.allowed) == {"resume", "reject", "withdraw"}
            # An action the rules refuse is ignored even if asked for directly.
            app.screen.start_move("return_result")
            await settle(pilot)
            assert app.screen._view.state == "suspended"

    run(scenario)


def test_idle_lock_keeps_the_form(store_dir, clock):
    async def scenario():
        from ward_desk.ui.screens.lock import LockScreen

        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await pilot.press("f3")
            await settle(pilot)
            app.set_idle_lock(1.0)
            await pilot.press(*"khai sinh")
            await pilot.pause(0.3)
            assert isinstance(app.screen, IntakeScreen)  # typing keeps it open
            await pilot.pause(1.2)
            assert isinstance(app.screen, LockScreen)
            assert app.check_action("goto", ("dossiers",)) is False
            await pilot.press(*"sai-mat-khau", "enter")
            await settle(pilot)
            assert isinstance(app.screen, LockScreen)
            assert "không đúng" in screen_text(app)
            await pilot.press(*"mat-khau-123", "enter")
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)
            assert app.screen.query_one("#procedure").value == "khai sinh"

    run(scenario)


def test_wrong_password_message(store_dir, clock):
    async def scenario():
        from ward_desk.ui.screens.unlock import UnlockScreen

        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"wrong-password", "enter")
            await settle(pilot)
            assert isinstance(app.screen, UnlockScreen)
            assert "Tên đăng nhập hoặc mật khẩu không đúng" in screen_text(app)

    run(scenario)


def test_language_switch_changes_visible_text(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            assert "Tiếp nhận hôm nay" in screen_text(app)
            await pilot.press("f9")
            await settle(pilot)
            text = screen_text(app)
            assert "Received today" in text and "Tiếp nhận hôm nay" not in text
            assert "Quit" in text  # the footer's key labels follow too
            await pilot.press("f3")  # a screen first shown after the switch
            await settle(pilot)
            assert "Procedure" in screen_text(app)
            await pilot.press(*"khai sinh", "ctrl+l")
            await settle(pilot)
            text = screen_text(app)
            assert "Thủ tục" in text
            assert app.screen.query_one("#procedure").value == "khai sinh"

    run(scenario)


def test_first_run_setup_shows_recovery_key_once(tmp_path, clock):
    async def scenario():
        from ward_desk.ui.screens.setup import RecoveryKeyScreen

        data_dir = tmp_path / "new"
        app = make_app(data_dir, clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"22918", "enter", *"Phuong Mui Ne", "enter", *"admin", "enter",
                              *"Nguyen Van Quan", "enter", *"mat-khau-123", "enter",
                              *"mat-khau-123", "enter")
            await settle(pilot)
            assert isinstance(app.screen, RecoveryKeyScreen)
            key = app.screen._key
            assert key in screen_text(app)
            await pilot.press("ctrl+s")  # not confirmed yet: stays
            await pilot.pause()
            assert isinstance(app.screen, RecoveryKeyScreen)
            await pilot.press("space", "ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
        assert (data_dir / "ward.db").exists()

    run(scenario)


def test_call_list_marks_called(store_dir, clock):
    async def scenario():
        from ward_desk.ui.screens.call_list import CallListScreen

        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot)
            await open_in_list(pilot, "0912", code)
            await run_action(pilot, "mark_result_ready")
            await pilot.press("f5")
            await settle(pilot)
            assert isinstance(app.screen, CallListScreen)
            assert "0912345678" in screen_text(app)
            await pilot.press("c")
            await settle(pilot)
            assert app.screen._rows[0].called_at is not None

    run(scenario)


def test_command_palette_offers_the_bound_actions(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "Hồ sơ mới" in titles and "Tiếp nhận" in titles and "Thoát" in titles
            await pilot.press("f1")
            await settle(pilot)
            assert "Hồ sơ mới" in screen_text(app)

    run(scenario)


def test_first_visit_of_each_screen_does_not_reparse_the_stylesheet(store_dir, clock, monkeypatch):
    """Every screen's CSS is loaded at start, so opening a screen for the first time
    must not make Textual re-parse all CSS and re-style every node (twice, as it does
    for a new mode's screen unless the app marks it current): that cost is paid on
    the unlock-to-dashboard path and on each first F-key. A theme change still
    re-styles, and a screen made before it shows the new theme when visited."""
    from textual.css.stylesheet import Stylesheet

    reparses: list[int] = []
    original = Stylesheet.reparse

    def counted(self) -> None:
        reparses.append(1)
        original(self)

    monkeypatch.setattr(Stylesheet, "reparse", counted)

    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            for key in ("f3", "f4", "f5", "f7", "f6"):
                await pilot.press(key)
                await settle(pilot)
            assert reparses == []
            old_background = app.screen.styles.background
            app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
            await settle(pilot)
            new_background = app.screen.styles.background
            assert reparses and new_background != old_background
            await pilot.press("f4")
            await settle(pilot)
            assert isinstance(app.screen, DossierListScreen)
            assert app.screen.styles.background == new_background

    run(scenario)


def test_unlock_announces_a_store_upgrade_then_clears_it(tmp_path, clock, monkeypatch):
    """A store one schema behind (as after installing a new version): the unlock
    tells the clerk why it takes long (backup first), then the dashboard opens and
    the notice is gone."""
    from ward_desk.migrations import LATEST_VERSION
    from wd_testkit import build_store_at

    store_dir = tmp_path / "ward"
    build_store_at(store_dir, LATEST_VERSION - 1)
    shown: list[str] = []

    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        original = app.notify

        def notify(message, *args, **kwargs):
            shown.append(str(message))
            return original(message, *args, **kwargs)

        monkeypatch.setattr(app, "notify", notify)
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            assert any("Đang nâng cấp kho dữ liệu" in m for m in shown), shown
            assert not app._notifications
            assert list((store_dir / "backups").glob("before-schema-*.db"))

    run(scenario)


def test_quitting_while_the_store_upgrades_does_not_hang(tmp_path, clock, monkeypatch):
    """A clerk quits while the store is being upgraded: the notice (sent from the store
    thread) must not wait for the quitting UI, the store thread must end, and the store
    must open afterwards, upgraded or not, never half-done."""
    import threading

    from wd_testkit import build_store_at

    from ward_desk import migrations
    from ward_desk.store import database

    store_dir = tmp_path / "ward"
    build_store_at(store_dir, migrations.LATEST_VERSION - 1)
    measuring = threading.Event()
    real_size = database.file_size

    def slow_size(path):
        measuring.set()  # the store thread is about to give its notice...
        threading.Event().wait(0.5)  # ...while the clerk quits
        return real_size(path)

    monkeypatch.setattr(database, "file_size", slow_size)

    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"mat-khau-123", "enter")
            while not measuring.is_set():
                await pilot.pause(0.02)
            await pilot.press("ctrl+q")
        thread = app.store_thread._thread
        assert thread is not None and not thread.is_alive()

    run(scenario)
    from ward_desk.services.desk import open_session

    session = open_session(store_dir, "admin", "mat-khau-123")
    try:
        assert migrations.current_version(session.store.db) == migrations.LATEST_VERSION
    finally:
        session.store.close()
