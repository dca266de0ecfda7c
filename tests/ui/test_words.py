"""No English in the Vietnamese desk where Textual brings its own words, and the palette
finds commands typed without accents."""

from __future__ import annotations

from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import run, screen_text


def test_the_palette_speaks_vietnamese_and_ignores_accents(store_dir, clock):
    async def scenario():
        from textual.command import CommandPalette

        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            footer = screen_text(app).splitlines()[-1]
            assert "palette" not in footer
            await pilot.press("ctrl+p")
            await settle(pilot)
            palette = app.screen
            assert isinstance(palette, CommandPalette)
            assert "Search for commands" not in screen_text(app)
            assert "Gõ tên việc cần làm" in screen_text(app)
            await pilot.press(*"ho so moi")
            await pilot.pause(0.3)
            await settle(pilot)
            assert "Hồ sơ mới" in screen_text(app)
            await pilot.press("enter")
            await settle(pilot)
            from ward_desk.ui.screens.intake import IntakeScreen

            assert isinstance(app.screen, IntakeScreen)
            await pilot.press("ctrl+p", *"zzzqqq")
            await pilot.pause(0.8)  # Textual waits half a second before saying "no matches"
            await settle(pilot)
            shown = screen_text(app)
            assert "No matches found" not in shown and "Không thấy lệnh nào khớp" in shown
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("escape")  # a nested "Dismiss" level, if any
            await settle(pilot)
            app.action_help_quit()
            await settle(pilot)
            said = [str(n.message) for n in app._notifications]
            assert "Bấm Ctrl+Q để thoát Ward Desk." in said and not any("Press" in m for m in said)

    run(scenario)
