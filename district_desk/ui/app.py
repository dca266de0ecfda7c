"""``district-desk ui``: the district's desk, keyboard only, 80x24 and up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from district_desk.ui.bindings import translate_bindings
from ward_desk.i18n import get_language, set_language


class DistrictApp(App[None]):
    """Wards, ranking, overdue dossiers and reviews over one district store.

    ``password`` returns the district passphrase when the store or a review
    signature needs it; without one, the app asks on screen.
    """

    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "quit", id="quit"),
        Binding("l", "toggle_language", "language", id="language"),
    ]

    def __init__(self, data_dir: Path | None, *, db_url: str | None = None,
                 password: Callable[[], str] | None = None, month: str | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.db_url = db_url
        self.password_source = password
        self.month = month
        self.now = now
        self.store: Any = None  # DistrictStore, opened by the main screen's first worker
        translate_bindings(self)

    def on_mount(self) -> None:
        from district_desk.ui.screens.main import MainScreen

        self.push_screen(MainScreen())

    def action_toggle_language(self) -> None:
        set_language("en" if get_language() == "vi" else "vi")
        translate_bindings(self)
        for screen in self.screen_stack:
            relabel = getattr(screen, "relabel", None)
            if relabel is not None:
                relabel()
        self.refresh_bindings()

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()
