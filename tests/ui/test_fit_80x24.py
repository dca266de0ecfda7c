"""At 80x24 the call list's header, the report's column labels and the dossier history's
columns are whole on screen (they were cut at the right edge)."""

from __future__ import annotations

from tests.ui.conftest import settle, unlock
from tests.ui.test_desk_flow import run, screen_text
from tests.ui.test_snapshots import leader_desk


def test_headers_and_history_columns_fit_80_columns(store_dir, clock):
    async def scenario():
        from ward_desk.i18n import t
        from ward_desk.ui.tables import wrap_label

        app = leader_desk(store_dir, clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await pilot.press("f5")
            await settle(pilot)
            lines = screen_text(app).splitlines()
            header = next(line for line in lines if t("ui.list.col.code") in line)
            for key in ("ui.list.col.code", "ui.list.col.applicant", "ui.calls.phone", "ui.calls.ready_since",
                        "ui.calls.called"):
                assert t(key) in header, header
            assert "0912345678" in screen_text(app)

            await pilot.press("f7")
            await settle(pilot)
            await pilot.press("right_square_bracket", "m")
            await settle(pilot)
            table = app.screen.query_one("#report")
            shown = screen_text(app)
            whole = 0
            x = 0
            for column in table.ordered_columns:  # every label left of the edge, whole
                x += column.get_render_width(table)
                if x > 78:
                    break
                whole += 1
                for part in str(column.label).splitlines():
                    assert part in shown, (part, shown)
            assert whole >= 6
            assert wrap_label("Giải quyết: trước hạn", 11) == "Giải quyết:\ntrước hạn"

            await pilot.press("escape", "escape")
            await settle(pilot)
            await pilot.press("f4", "ctrl+f", *"tran van binh")
            await pilot.pause(0.3)
            await pilot.press("enter", "enter")
            await settle(pilot)
            app.screen.query_one("#body").scroll_end(animate=False)
            await settle(pilot)
            shown = screen_text(app)
            history = shown[shown.index(t("ui.detail.timeline")):]
            for key in ("at", "what", "who", "note"):
                assert t(f"ui.detail.col.{key}") in history, history
            # The time of each event and the whole of its note (wrapped, not cut).
            assert history.count("20/02/2026 09:00") == 2
            assert "hẹn trả 25/02/2026" in history and "17:00" in history

    run(scenario)
