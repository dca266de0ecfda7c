"""Leaving the desk loses nothing by accident and shows nothing it should not: Ctrl+Q
over an unsaved intake asks first, the lock hides the data behind it, the language the
clerk chose is the one the desk opens in next time, and the demo names all its users."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import receive_dossier, run, screen_text
from ward_desk.ui.screens.dialogs import ConfirmDialog
from ward_desk.ui.screens.intake import IntakeScreen


def test_quitting_over_an_unsaved_intake_asks_with_no_as_the_default(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await pilot.press("f3")
            await settle(pilot)
            await pilot.press(*"khai sinh", "enter", *"Nguyen Van An")
            await settle(pilot)
            await pilot.press("ctrl+q")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog) and app.is_running
            await pilot.press("enter")  # "no": back to the form, nothing lost
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)
            assert app.screen.query_one("#name").value == "Nguyen Van An"
            await pilot.press("ctrl+q")
            await settle(pilot)
            await pilot.press("down", "enter")
            await settle(pilot)
            assert not app.is_running

    run(scenario)


def test_the_lock_hides_names_ids_and_phones(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await receive_dossier(pilot, "Nguyen Van An")
            await pilot.press(*"khai sinh", "enter", *"Tran Thi Binh", "tab", *"001099012345")
            await settle(pilot)
            assert "Tran Thi Binh" in screen_text(app)
            await pilot.press("f12")
            await settle(pilot)
            # What the terminal shows: the lock and, through it, whatever shows of the screen under it.
            shown = html.unescape(app.export_screenshot()).replace("\xa0", " ")
            assert "Màn hình đã khóa" in shown
            assert "Tran Thi Binh" not in shown and "001099012345" not in shown
            # Nothing of the form shows around the lock box either (it did, at 90% opacity).
            assert "Đăng ký khai sinh" not in shown and "receipt.pdf" not in shown
            await pilot.press(*"mat-khau-123", "enter")
            await settle(pilot)
            assert "Tran Thi Binh" in screen_text(app)  # the work under the lock is kept

    run(scenario)


def test_the_language_chosen_is_the_one_the_desk_opens_in(store_dir, clock):
    async def scenario(switch: bool) -> str:
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            text = screen_text(app)
            if switch:
                await unlock(pilot)
                await pilot.press("f9")
                await settle(pilot)
                await pilot.press("ctrl+q")
                await settle(pilot)
        return text

    import asyncio

    assert "Mật khẩu" in asyncio.run(scenario(False))
    asyncio.run(scenario(True))
    assert 'language = "en"' in (store_dir / "config.toml").read_text(encoding="utf-8")
    assert "Password" in asyncio.run(scenario(False))


def test_the_demo_names_every_user_and_role(tmp_path: Path) -> None:
    from ward_desk.demo import DEMO_PASSWORD, DEMO_USERS

    data = tmp_path / "demo"
    env = {**os.environ, "WARD_DESK_LANG": "vi", "WARD_DESK_KDF_MEMORY_KIB": "64"}
    out = subprocess.run([sys.executable, "-m", "ward_desk.cli.main", "demo", "--no-ui", "--data-dir", str(data),
                          "--as-of", "18/11/2026 09:30", "--years", "0.02", "--seed", "1"],
                         capture_output=True, text=True, env=env, timeout=300, check=True).stdout
    for username, full_name, _role in DEMO_USERS:
        line = next(x for x in out.splitlines() if x.strip().startswith(f"{username} —"))
        assert full_name in line and DEMO_PASSWORD in line, out
    assert "lãnh đạo" in out and "cán bộ tiếp nhận" in out and "quản trị" in out
