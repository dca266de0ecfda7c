"""The documents checklist: ticked and unticked differ by shape ([x] / [ ]), and saving
with a document not ticked asks first, "no" chosen."""

from __future__ import annotations

from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import run, screen_text
from ward_desk.ui.screens.dialogs import ConfirmDialog
from ward_desk.ui.screens.intake import IntakeScreen


def test_unticked_documents_show_as_empty_boxes_and_are_asked_about(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await pilot.press("f3")
            await settle(pilot)
            await pilot.press(*"dang ky khai sinh", "enter", *"Nguyen Van An")
            await settle(pilot)
            form = app.screen
            docs = form.query_one("#documents")
            docs.focus()
            await pilot.press("space")  # untick the first
            await settle(pilot)
            shown = screen_text(app)
            first, second = form._procedure.documents[:2]
            assert f"[ ] {first}" in shown and f"[x] {second}" in shown
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog) and first in str(app.screen._question)
            await pilot.press("enter")  # no
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen) and form._last_code is None
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("down", "enter")
            await settle(pilot)
            assert form._last_code is not None
            from ward_desk.services import dossiers

            saved = await app.store_thread.call(dossiers.get, form._last_code)
            import json

            received = {d["name"]: d["received"] for d in json.loads(saved.documents)}
            assert received[first] is False and received[second] is True

    run(scenario)
