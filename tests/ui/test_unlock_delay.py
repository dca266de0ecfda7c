"""Repeated wrong passwords make that user wait, longer each time, across restarts of the
desk, and the message says when to try again."""

from __future__ import annotations

import asyncio
import json

from tests.ui.conftest import make_app, settle
from tests.ui.test_desk_flow import screen_text
from ward_desk.services import unlock_guard
from ward_desk.ui.screens.dashboard import DashboardScreen


async def _try(pilot, password: str) -> str:
    box = pilot.app.screen.query_one("#password")
    box.value = ""
    box.focus()
    await pilot.press(*password, "enter")
    await settle(pilot)
    screen = pilot.app.screen
    return str(screen._message) if hasattr(screen, "_message") else screen_text(pilot.app)


def test_wrong_passwords_make_the_user_wait_longer_each_time_even_after_a_restart(store_dir, clock):
    async def first_run() -> list[str]:
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            return [await _try(pilot, f"sai-{i}") for i in range(3)]

    async def second_run() -> tuple[str, str, bool]:
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            refused = await _try(pilot, "mat-khau-123")  # right, but too soon
            clock.advance(seconds=6)
            again = await _try(pilot, "sai-3")  # a 4th wrong one: 10 s now
            clock.advance(seconds=11)
            await _try(pilot, "mat-khau-123")
            return refused, again, isinstance(app.screen, DashboardScreen)

    shown = asyncio.run(first_run())
    assert "thử lại sau" not in shown[0] and "thử lại sau" not in shown[1]
    assert "thử lại sau 5 giây (lúc 09:00:05)" in shown[2]
    refused, again, unlocked = asyncio.run(second_run())
    assert "thử lại sau 5 giây" in refused
    assert "thử lại sau 10 giây" in again
    assert unlocked
    # Unlocked: the count starts again.
    assert json.loads((store_dir / unlock_guard.STATE_FILE).read_text()) == {}


def test_a_damaged_attempts_file_counts_as_no_failures(store_dir, clock):
    (store_dir / unlock_guard.STATE_FILE).write_text("{not json", encoding="utf-8")
    unlock_guard.check(store_dir, "admin", clock())
    assert unlock_guard.record_failure(store_dir, "admin", clock()) is None
    (store_dir / unlock_guard.STATE_FILE).write_text('{"x": 1, "y": {"failures": "many"}}')
    unlock_guard.check(store_dir, "admin", clock())


def test_delays_grow_and_are_capped() -> None:
    delays = [unlock_guard.delay_after(n) for n in range(1, 12)]
    assert delays[:2] == [0, 0] and delays[2:5] == [5, 10, 20]
    assert delays == sorted(delays) and max(delays) == unlock_guard.MAX_DELAY
