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


def _textual_english(app) -> list[str]:
    """Footer words of the shown screen that are not the desk's own (catalogue) words:
    Textual's built-in English descriptions, and the header icon's English tooltip."""
    from textual.widgets._header import HeaderIcon

    from ward_desk.i18n import _catalog

    ours = set(_catalog("vi").values())
    out = [b.binding.description for b in app.screen.active_bindings.values()
           if b.binding.show and b.binding.description and b.binding.description not in ours]
    out += [str(i.tooltip) for i in app.screen.query(HeaderIcon) if i.tooltip and str(i.tooltip) not in ours]
    return out


def test_no_textual_english_in_the_footer_of_an_open_menu_or_the_palette(store_dir, clock):
    async def scenario():
        from textual.widgets import Select

        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            assert _textual_english(app) == []
            await pilot.press("ctrl+p")
            await settle(pilot)
            assert _textual_english(app) == []  # its Esc: "Exit the command palette" in Textual
            assert "Exit the command palette" not in screen_text(app)
            await pilot.press("escape")
            await settle(pilot)
            for screen_key, select_id in (("f3", "#channel"), ("f4", "#f-state")):
                await pilot.press(screen_key)
                await settle(pilot)
                app.screen.query_one(select_id, Select).focus()
                await pilot.press("enter")  # the menu opens
                await settle(pilot)
                assert app.screen.query_one(select_id, Select).expanded
                footer = screen_text(app).splitlines()[-1]
                assert _textual_english(app) == [] and "Dismiss" not in footer, footer
                assert "Đóng danh sách" in footer, footer
                await pilot.press("escape")
                await settle(pilot)
            # In English, the same places speak the desk's English, not Textual's.
            await pilot.press("f9")
            await settle(pilot)
            app.screen.query_one("#f-state", Select).focus()
            await pilot.press("enter")
            await settle(pilot)
            assert "Close the list" in screen_text(app).splitlines()[-1]

    run(scenario)
