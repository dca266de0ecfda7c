"""One commune in detail, opened with Enter from the ranking, the ward list or the
overdue list: its month's counts (the same definitions as the commune's own, from
``ward_desk.domain.figures``), its self-assessment criterion by criterion (points,
evidence, the commune's indicator beside the province's) and its dossiers with their
standing. Esc goes back. The store is read in a thread worker, as on the main screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from district_desk.ui.bindings import translate_bindings
from district_desk.views import indicator_text, rate_text, score_text
from ward_desk.i18n import t


def _local(iso: str | None) -> str:
    if not iso:
        return ""
    from district_desk.ranking import local_text

    return local_text(iso)[:10]


def _store(app: Any) -> Any:
    """The app's district store (opened on first use, as the main screen does)."""
    if app.store is None:
        from district_desk.store import DistrictStore, default_data_dir

        app.store = DistrictStore.open(app.data_dir or default_data_dir(), app.db_url, password=app.password_source)
    return app.store


class CommuneScreen(Screen[None]):
    """A commune's month: counts, criteria, dossiers."""

    CSS_PATH = str(Path(__file__).with_name("commune.tcss"))
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "back", id="back"),
    ]

    def __init__(self, office: str, ward: str, month: str) -> None:
        super().__init__()
        self.office, self.ward, self.month = office, ward, month
        self.data: dict[str, Any] = {}
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield Static(t("district.ui.drill_title", office=self.office, ward=self.ward, month=self.month),
                     id="drill-title")
        yield Static(t("district.ui.loading"), id="drill-counts")
        yield DataTable(id="drill-criteria", cursor_type="row", zebra_stripes=True)
        yield Static("", id="drill-detail")
        yield DataTable(id="drill-dossiers", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#drill-criteria", DataTable).focus()
        self.load()

    def relabel(self) -> None:
        """Redraw in the current language (after the language switch)."""
        translate_bindings(self)
        self.query_one("#drill-title", Static).update(
            t("district.ui.drill_title", office=self.office, ward=self.ward, month=self.month))
        if self.data:
            self._show()

    @work(thread=True, exclusive=True, exit_on_error=False, group="drill", name="drill")
    def load(self) -> dict[str, Any]:
        from district_desk import views
        from sync_agent.errors import BadInput

        app: Any = self.app
        store = _store(app)
        try:
            now = app.now() if app.now else None
            row = next((r for r in views.commune_rows(store, self.month, now) if r["office_code"] == self.office), None)
            try:
                criteria: dict[str, Any] | None = views.assessment_criteria(store, self.office, self.month)
            except BadInput:
                criteria = None
            return {"counts": row, "assessment": criteria,
                    "dossiers": views.commune_dossiers(store, self.office, self.month, now)}
        finally:
            if not store.db.is_closed():
                store.db.close()  # this thread's connection

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.state == WorkerState.SUCCESS and isinstance(worker.result, dict):
            self.data = dict(worker.result)
            self._show()
        elif worker.state == WorkerState.ERROR:
            self.query_one("#drill-counts", Static).update(t("district.ui.failed", detail=str(worker.error)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "drill-criteria":
            return
        items = (self.data.get("assessment") or {}).get("items") or []
        if 0 <= event.cursor_row < len(items):
            item = items[event.cursor_row]
            evidence = " · ".join(x for x in (item["evidence"], item["attachment"]) if x)
            text = f"{item['id']} {item['title']}".strip() + (f" — {evidence}" if evidence else "")
            self.query_one("#drill-detail", Static).update(text)

    def _show(self) -> None:
        c = self.data.get("counts")
        if c is None:
            self.query_one("#drill-counts", Static).update(t("district.drill.unknown_commune", office=self.office))
            return
        overdue = str(c["overdue"])
        if c["apology_extended"]:
            overdue += " " + t("district.drill.of_which_extended", n=c["apology_extended"])
        line = t("district.drill.counts_line", received=c["received"], early=c["early"], on_time=c["on_time"],
                 late=c["late"], overdue=overdue, share=rate_text(c["on_time_share"]))
        if c["revoked"]:
            line = t("district.drill.revoked") + " · " + line
        self.query_one("#drill-counts", Static).update(line)
        self._render_criteria()
        self._render_dossiers()

    def _render_criteria(self) -> None:
        table = self.query_one("#drill-criteria", DataTable)
        table.clear(columns=True)
        a = self.data.get("assessment")
        table.add_columns(*[t(f"district.drill.col.{k}") for k in
                            ("criterion", "points", "max", "self_value", "district_value", "evidence")])
        if a is None:
            table.add_row(Text(t("district.drill.no_assessment", office=self.office, month=self.month),
                               style="italic"), "", "", "", "", "")
            return
        for i in a["items"]:
            gap = (i["indicator"] and i["self_value"] is not None and i["district_value"] is not None
                   and i["self_value"] > i["district_value"])
            table.add_row(
                Text((f"{i['id']} {i['title']}".strip())[:26]),
                score_text(i["points"]) if i["points"] is not None else "-",
                score_text(i["max"]) if i["max"] is not None else "-",
                Text(indicator_text(i, "self_value"), style="bold red" if gap else ""),
                indicator_text(i, "district_value"),
                (i["evidence"] or ("—" if i["kind"] == "manual" else ""))[:24],
            )

    def _render_dossiers(self) -> None:
        table = self.query_one("#drill-dossiers", DataTable)
        table.clear(columns=True)
        table.add_columns(*[t(f"district.drill.col.{k}") for k in
                            ("code", "procedure_code", "received_at", "statutory_due_at", "standing")])
        rows = self.data.get("dossiers") or []
        if not rows:
            table.add_row(Text(t("district.drill.no_dossiers"), style="italic"), "", "", "", "")
        for d in rows:
            late = d["standing"] in ("overdue", "apology_extended") or d["timing"] == "late"
            label = t(f"district.drill.timing.{d['timing']}") if d["timing"] else t(f"district.drill.standing.{d['standing']}")
            table.add_row(d["code"], d["procedure_code"], _local(d["received_at"]), _local(d["statutory_due_at"]),
                          Text(label, style="bold red" if late else ""))
