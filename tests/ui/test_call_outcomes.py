"""The call list records what a call came to: reached, not reachable (try again later,
counted) or a wrong number; handing the result back allows "declined to rate"."""

from __future__ import annotations

import json

from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import open_in_list, receive_dossier, run, run_action, screen_text
from ward_desk.ui.screens.call_list import CallListScreen


def test_call_outcomes_and_a_declined_rating(store_dir, clock):
    async def scenario():
        from ward_desk.services import dossiers

        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_dossier(pilot, "Nguyen Van An")
            await open_in_list(pilot, "nguyen van", code)
            await run_action(pilot, "mark_result_ready")
            await pilot.press("f5")
            await settle(pilot)
            calls = app.screen
            assert isinstance(calls, CallListScreen)
            assert "Không liên lạc được" in screen_text(app)  # the key is in the hint line
            await pilot.press("k")
            await settle(pilot)
            assert calls._rows[0].last_outcome == "not_reachable" and calls._rows[0].not_reachable == 1
            clock.advance(hours=2)
            await pilot.press("k")
            await settle(pilot)
            row = calls._rows[0]
            assert row.not_reachable == 2 and row.called_at is None
            assert "(2 lần)" in screen_text(app)
            await pilot.press("x")
            await settle(pilot)
            assert calls._rows[0].last_outcome == "wrong_number" and calls._rows[0].called_at is None
            assert "Sai số" in screen_text(app)
            await pilot.press("c")
            await settle(pilot)
            assert calls._rows[0].called_at is not None and calls._rows[0].last_outcome == "reached"
            # Handed back; the citizen declines to rate.
            await pilot.press("enter")
            await settle(pilot)
            await run_action(pilot, "return_result")
            await pilot.press("down", "enter")
            await settle(pilot)
            assert "Công dân không đánh giá" in screen_text(app)
            await pilot.press("5")
            await settle(pilot)
            view = app.screen._view
            assert view.state == "returned" and view.rating is None

            def read():
                d = dossiers.get(code)
                return d.ratings.count(), [json.loads(e.data) for e in dossiers.history(d)]

            ratings, datas = await app.store_thread.call(read)
            assert ratings == 0
            assert datas[-1].get("rating") == "declined"
            outcomes = [x.get("outcome") for x in datas if "outcome" in x]
            assert outcomes == ["not_reachable", "not_reachable", "wrong_number", "reached"]

    run(scenario)
