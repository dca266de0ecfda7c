"""Call list: results ready to hand back, with phone numbers; mark each call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from ward_desk.i18n import t
from ward_desk.ui.exports import ExportKeys, Output
from ward_desk.ui.i18n import fmt_date, fmt_datetime, key_hints
from ward_desk.ui.screens.base import DeskScreen
from ward_desk.ui.workers import store_work


@dataclass(frozen=True)
class CallRow:
    code: str
    applicant: str
    phone: str
    procedure: str
    completed_at: datetime | None
    called_at: datetime | None
    last_outcome: str | None = None
    not_reachable: int = 0


class CallListScreen(ExportKeys, DeskScreen):
    """Citizens to phone before they travel: not yet called first, oldest result first."""

    CSS_PATH = "call_list.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c,space", "mark_called('reached')", "key.mark_called", id="mark_called"),
        Binding("k", "mark_called('not_reachable')", "key.not_reachable", id="not_reachable"),
        Binding("x", "mark_called('wrong_number')", "key.wrong_number", id="wrong_number"),
        Binding("r", "reload", "key.reload", id="reload"),
        Binding("escape", "back", "key.back", id="back"),
        *ExportKeys.EXPORT_BINDINGS,
    ]
    BUSY_SELECTOR = "#table"

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[CallRow] = []
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="body"):
            yield Static(t("ui.calls.title"), classes="title")
            yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="hint", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.render_data()
        self.load()

    def on_screen_resume(self) -> None:
        # Back from a dossier or another screen: results may have been returned meanwhile.
        if self._loaded:
            self.load()

    def action_reload(self) -> None:
        """Read the list again."""
        self.load()

    @store_work("calls")
    def load(self) -> list[CallRow]:
        """Dossiers whose result is ready."""
        return self._read()

    def _read(self) -> list[CallRow]:
        from ward_desk.services import dossiers

        rows = dossiers.call_list(self.session)
        tries = dossiers.call_tries(rows)
        none = dossiers.CallTries(None, 0, None)
        return [CallRow(d.code, d.applicant_name, d.applicant_phone, d.procedure.name,
                        d.completed_at, d.called_at, tries.get(d.id, none).last_outcome,
                        tries.get(d.id, none).not_reachable) for d in rows]

    def done_load(self, rows: list[CallRow]) -> None:
        self._rows = rows
        self._loaded = True
        self.render_data()

    def render_data(self) -> None:
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_columns(t("ui.list.col.code"), t("ui.list.col.applicant"), t("ui.calls.phone"),
                          t("ui.calls.ready_since"), t("ui.calls.called"))
        for r in self._rows:
            if r.called_at:
                called = Text(fmt_datetime(r.called_at), style="green")
            elif r.last_outcome in ("not_reachable", "wrong_number"):
                called = Text(t(f"ui.calls.outcome.{r.last_outcome}", count=r.not_reachable), style="bold yellow")
            else:
                called = Text("—", style="bold")
            # Ready since: the date is enough, and keeps the call column in 80 columns.
            table.add_row(r.code, r.applicant[:20], r.phone or "—", fmt_date(r.completed_at), called,
                          key=r.code)
        if self._rows:
            table.move_cursor(row=min(cursor, len(self._rows) - 1))
        hint = t("ui.calls.hint", keys=key_hints(self, ("mark_called", "not_reachable", "wrong_number")))
        self.query_one("#hint", Static).update(hint if self._rows else t("ui.calls.empty"))

    def output(self) -> Output | None:
        """The call list as shown, with the procedure and every call's outcome."""
        from ward_desk.reports.cells import Table

        if not self._loaded:
            return None
        header = [t("ui.list.col.code"), t("ui.list.col.applicant"), t("ui.calls.phone"),
                  t("ui.list.col.procedure"), t("ui.calls.ready_since"), t("ui.calls.called")]
        rows: list[list[Any]] = []
        for r in self._rows:
            called = fmt_datetime(r.called_at) if r.called_at else (
                t(f"ui.calls.outcome.{r.last_outcome}", count=r.not_reachable)
                if r.last_outcome in ("not_reachable", "wrong_number") else "")
            rows.append([r.code, r.applicant, r.phone, r.procedure, fmt_date(r.completed_at), called])
        return Output("goi-bao", [t("ui.calls.title")], [Table(t("ui.calls.title"), header, rows, [])],
                      personal=True)

    def action_mark_called(self, outcome: str = "reached") -> None:
        """Record a call for the dossier under the cursor and what it came to."""
        table = self.query_one(DataTable)
        if not self._rows:
            return
        self.mark(self._rows[table.cursor_row].code, outcome)

    @store_work("mark", exclusive=False)
    def mark(self, code: str, outcome: str) -> tuple[str, str, list[CallRow]]:
        """Record the call and read the list again."""
        from ward_desk.services import dossiers

        dossiers.mark_called(self.session, code, outcome=outcome)
        return code, outcome, self._read()

    def done_mark(self, result: tuple[str, str, list[CallRow]]) -> None:
        code, outcome, rows = result
        self.done_load(rows)
        count = next((r.not_reachable for r in rows if r.code == code), 0)
        key = "ui.calls.marked" if outcome == "reached" else f"ui.calls.marked.{outcome}"
        self.notify(t(key, code=code, count=count))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from ward_desk.ui.screens.dossier_detail import DossierDetailScreen

        if event.row_key.value:
            self.app.push_screen(DossierDetailScreen(str(event.row_key.value)))

    def capture_state(self) -> dict[str, Any]:
        return {"cursor": self.query_one(DataTable).cursor_row}
