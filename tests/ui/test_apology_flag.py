"""The "needs an apology slip" flag is for dossiers that will be late, not for those
merely due today: a same-day procedure received minutes ago is due today, nothing more."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import open_in_list, run, screen_text
from ward_desk.domain.lateness import will_be_late


async def receive_same_day(pilot, name: str) -> str:
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press(*"chung thuc ban sao", "enter", *name, "ctrl+s")
    await settle(pilot)
    return pilot.app.screen._last_code


def test_a_same_day_dossier_is_due_today_and_flagged_only_once_its_time_has_passed(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_same_day(pilot, "Nguyen Van An")
            clock.advance(minutes=5)
            await pilot.press("f6", "r")
            await settle(pilot)
            counts = app.screen._counts
            assert counts.due_today == 1 and counts.apology_needed == 0 and counts.overdue == 0
            await open_in_list(pilot, "nguyen van", code)
            assert "Cần phiếu xin lỗi" not in screen_text(app)
            # The office closes at 17:00 without a result: now it will be late.
            clock.now = datetime(2026, 3, 3, 10, 30)  # 17:30 in Hà Nội
            await pilot.press("f6", "r")
            await settle(pilot)
            counts = app.screen._counts
            assert counts.apology_needed == 1 and counts.due_today == 0
            await pilot.press("f4", "ctrl+f", *"nguyen van", "enter", "enter")
            await settle(pilot)
            assert app.screen._code == code
            assert "Cần phiếu xin lỗi" in screen_text(app)

    run(scenario)


@pytest.mark.parametrize("state, due_hours, apologies, late", [
    ("received", -1, 0, True), ("in_progress", -1, 0, True), ("received", 1, 0, False),
    ("received", -1, 1, False), ("result_ready", -1, 0, False), ("suspended", -1, 0, False),
])
def test_will_be_late(state: str, due_hours: int, apologies: int, late: bool) -> None:
    from datetime import timedelta

    now = datetime(2026, 3, 3, 2, 0)
    assert will_be_late(state, now + timedelta(hours=due_hours), apologies, now) is late
