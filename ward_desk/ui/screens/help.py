"""Help: the keys of the screen the user came from, in the current language."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ward_desk.i18n import t
from ward_desk.ui.screens.base import DeskModal

if TYPE_CHECKING:
    from ward_desk.ui.app import BoundCommand


class HelpScreen(DeskModal):
    """Lists every bound action (key, name, what it does); Escape closes."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "close", "key.close", id="close")]

    def __init__(self, commands: list[BoundCommand]) -> None:
        super().__init__()
        self._bound = commands

    def compose(self) -> ComposeResult:
        with Vertical(id="body"):
            yield Static(t("ui.help.title"), classes="title")
            yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            # The highlighted row's description in full: on 80 columns the table clips it.
            yield Static("", id="what")
            yield Static(t("ui.help.palette"), classes="status")

    def on_mount(self) -> None:
        self.render_data()
        self.query_one(DataTable).focus()

    def render_data(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(t("ui.help.key"), t("ui.help.action"), t("ui.help.what"))
        for command in self._bound:
            what = command.help
            table.add_row(command.key, command.label, what if len(what) <= 40 else what[:39] + "…")
        self._show_what()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_what()

    def _show_what(self) -> None:
        table = self.query_one(DataTable)
        if self._bound and table.row_count:
            command = self._bound[min(table.cursor_row, len(self._bound) - 1)]
            self.query_one("#what", Static).update(f"{command.key} — {command.label}: {command.help}")

    def action_close(self) -> None:
        """Back to the screen underneath."""
        self.dismiss(None)
