"""Dossier list: instant accent-insensitive search, filters, keyset paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from ward_desk.i18n import t
from ward_desk.ui.exports import ExportKeys, Output
from ward_desk.ui.i18n import fmt_date, state_text
from ward_desk.ui.screens.base import DeskScreen
from ward_desk.ui.workers import store_work

PAGE = 50
SEARCH_LIMIT = 100
# Rows put into the table at a time. DataTable measures every cell of every row
# it is given; a screenful and a half keeps a search's redraw short, and more
# rows go in as the cursor nears the end (ward_desk.ui: search latency).
CHUNK = 30
DEBOUNCE = 0.15  # seconds after the last keystroke before the search runs
STATES = ("received", "in_progress", "supplement_requested", "suspended", "result_ready",
          "returned", "rejected", "withdrawn")
RUNNING = ("received", "in_progress")
DUE_WINDOWS = ("overdue", "today", "week")
# Dashboard lines preset the filters: (state, due window) the selects can show.
VIEW_PRESETS: dict[str, tuple[str | None, str | None]] = {
    "due_today": (None, "today"),
    "overdue": (None, "overdue"),
    "ready": ("result_ready", None),
    "supplement": ("supplement_requested", None),
    "suspended": ("suspended", None),
    "returned_today": ("returned", None),
}


def _clip(text: str, width: int) -> str:
    # Keeps the state and due columns on an 80-column screen.
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class Row:
    """One dossier as the list shows it (plain data, safe to hand across threads)."""

    id: int
    code: str
    applicant: str
    procedure: str
    state: str
    received_at: datetime
    due_at: datetime

    @classmethod
    def of(cls, d: Any) -> Row:
        return cls(d.id, d.code, d.applicant_name, d.procedure.name, d.state, d.received_at, d.due_at)


@dataclass(frozen=True)
class Query:
    """What the list is asked for: the search text and the filters."""

    text: str = ""
    view: str = "all"
    state: str | None = None
    field: str | None = None
    officer: str | None = None
    due: str | None = None


class DossierListScreen(ExportKeys, DeskScreen):
    """Every dossier, newest first; typing searches as you type."""

    CSS_PATH = "dossier_list.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("ctrl+f,f10", "focus_search", "key.focus_search", id="focus_search"),
        Binding("f8", "clear_filters", "key.clear_filters", id="clear_filters"),
        Binding("down", "into_list", show=False),  # from the search box, like Enter
        *ExportKeys.EXPORT_BINDINGS,
    ]
    BUSY_SELECTOR = "#table"

    def __init__(self, view: str = "all") -> None:
        super().__init__()
        self._view = view
        self._rows: list[Row] = []
        self._loaded = False
        self._more = False
        self._debounce: Any = None
        self._fields: list[str] = []
        self._officers: list[tuple[str, str]] = []
        state, due = VIEW_PRESETS.get(view, (None, None))
        self._preset_state, self._preset_due = state, due
        self._shown: Query | None = None  # the query the table's rows answer
        # Enter (or ↓) in the search box before its results came: "focus" the list when
        # they come; a second Enter meanwhile: "open" the first result too.
        self._after_results: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="body"):
            yield Static(self._view_title(), id="view-title", classes="title")
            yield Input(id="search", compact=True, placeholder=t("ui.list.search_hint"))
            with Horizontal(id="filters"):
                yield Select([(state_text(s), s) for s in STATES], id="f-state", compact=True,
                             prompt=t("ui.list.state_any"), value=self._preset_state or Select.NULL)
                yield Select([(f, f) for f in self._fields], id="f-field", compact=True,
                             prompt=t("ui.list.field_any"))
                yield Select([(name, user) for user, name in self._officers], id="f-officer",
                             compact=True, prompt=t("ui.list.officer_any"))
                yield Select([(t(f"ui.list.due.{w}"), w) for w in DUE_WINDOWS], id="f-due",
                             compact=True, prompt=t("ui.list.due_any"),
                             value=self._preset_due or Select.NULL)
            yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="count", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self._setup_columns()
        self.query_one("#search", Input).focus()
        self.load_choices()
        self.reload()

    def on_screen_resume(self) -> None:
        # Back from a dossier: its state may have moved.
        if self._loaded:
            self.reload()

    def _view_title(self) -> str:
        key = f"ui.dashboard.{self._view}" if self._view != "all" else "ui.list.title"
        return t(key)

    def _setup_columns(self) -> None:
        table = self.query_one("#table", DataTable)
        table.clear(columns=True)
        table.add_column(t("ui.list.col.code"), key="code")
        table.add_column(t("ui.list.col.applicant"), key="applicant")
        # Due and state before the procedure: on 80 columns the procedure name is what gets cut.
        table.add_column(t("ui.list.col.due"), key="due")
        table.add_column(t("ui.list.col.state"), key="state")
        table.add_column(t("ui.list.col.procedure"), key="procedure")

    # -- queries ---------------------------------------------------------------
    def current_query(self) -> Query:
        """The search text and filters as the screen shows them now."""
        def value(selector: str) -> str | None:
            v = self.query_one(selector, Select).value
            return None if v is Select.NULL else str(v)

        return Query(text=self.query_one("#search", Input).value.strip(), view=self._view,
                     state=value("#f-state"), field=value("#f-field"),
                     officer=value("#f-officer"), due=value("#f-due"))

    def reload(self) -> None:
        """Load the first page (or the search results) for the current query."""
        self.fetch(self.current_query(), None)

    @store_work("choices")
    def load_choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The pick lists of the field and officer filters."""
        from ward_desk.services import ui_queries

        return ui_queries.list_fields(), ui_queries.list_officers()

    def done_load_choices(self, result: tuple[list[str], list[tuple[str, str]]]) -> None:
        self._fields, self._officers = result
        self._fill_choices()

    def _fill_choices(self) -> None:
        self.query_one("#f-field", Select).set_options([(f, f) for f in self._fields])
        self.query_one("#f-officer", Select).set_options(
            [(f"{name} ({user})", user) for user, name in self._officers])

    @store_work("list")
    def fetch(self, q: Query, after: tuple[datetime, int] | None) -> tuple[Query, bool, list[Row], bool]:
        """One page for ``q`` (``after`` = last row of the previous page)."""
        from ward_desk.services import dossiers, ui_queries

        session = self.session
        now = session.clock()
        if q.text:
            found = [d for d in dossiers.search(q.text, limit=SEARCH_LIMIT)
                     if self._keep(d, q, now)]
            return q, after is not None, [Row.of(d) for d in found], False
        if q.view == "apology":
            rows = dossiers.apology_candidates(session)
            return q, False, [Row.of(d) for d in rows if self._keep(d, q, now)], False
        f, windows = self._filter(q, now)
        page = ui_queries.list_page(session, f, after=after, limit=PAGE + 1, **windows)
        return q, after is not None, [Row.of(d) for d in page[:PAGE]], len(page) > PAGE

    def _filter(self, q: Query, now: datetime) -> tuple[Any, dict[str, Any]]:
        from ward_desk.services.dossiers import DossierFilter, local_day_bounds

        session = self.session
        start, end = local_day_bounds(session)
        kwargs: dict[str, Any] = {"field": q.field, "officer": q.officer}
        if q.state:
            kwargs["states"] = (q.state,)
        if q.due == "overdue":
            kwargs["overdue_only"] = True
        elif q.due in ("today", "week"):
            kwargs["states"] = kwargs.get("states") or RUNNING
            kwargs["due_from"] = now
            kwargs["due_to"] = end if q.due == "today" else end + timedelta(days=6)
        windows: dict[str, Any] = {}
        if q.view == "received_today":
            windows["received"] = (start, end)
        elif q.view == "returned_today":
            windows["closed"] = (start, end)
        elif q.view == "month_resolved":
            from ward_desk.domain.timing import local_day

            month_start = local_day_bounds(session, local_day(now, session.rules).replace(day=1))[0]
            windows["completed"] = (month_start, end)
        return DossierFilter(**kwargs), windows

    @staticmethod
    def _keep(d: Any, q: Query, now: datetime) -> bool:
        # Search results and apology candidates are short lists: filter them here.
        if q.state and d.state != q.state:
            return False
        if q.field and d.procedure.field != q.field:
            return False
        if q.officer and (d.officer_id is None or d.officer.username != q.officer):
            return False
        if q.due == "overdue" and not (d.state in RUNNING and d.due_at < now):
            return False
        return q.due not in ("today", "week") or (d.state in RUNNING and d.due_at >= now)

    def done_fetch(self, result: tuple[Query, bool, list[Row], bool]) -> None:
        q, appended, rows, more = result
        if q != self.current_query():
            return  # typed on since: a newer fetch is on its way
        self._loaded = True
        self._shown = q
        self._rows = [*self._rows, *rows] if appended else rows
        self._more = more
        self.render_data(appended=len(rows) if appended else None)
        after, self._after_results = self._after_results, None
        if after is not None:
            self._enter_list(open_first=after == "open")

    def render_data(self, appended: int | None = None) -> None:
        table = self.query_one("#table", DataTable)
        if appended is None:
            table.clear()
        self._show_more_rows(table)
        self._update_count()

    def _show_more_rows(self, table: DataTable) -> None:
        """Put the next chunk of fetched rows into the table."""
        now = self.desk.clock()
        start = table.row_count
        for r in self._rows[start:start + CHUNK]:
            late = r.state in RUNNING and r.due_at < now
            due = Text(fmt_date(r.due_at), style="bold red") if late else fmt_date(r.due_at)
            table.add_row(r.code, _clip(r.applicant, 22), due, state_text(r.state),
                          _clip(r.procedure, 30),
                          key=r.code)

    def output(self) -> Output | None:
        """The dossiers listed (every row fetched for the search and filters shown), whole."""
        from ward_desk.reports.cells import Table

        if not self._loaded:
            return None
        header = [t("ui.list.col.code"), t("ui.list.col.applicant"), t("ui.list.col.procedure"),
                  t("ui.list.col.state"), t("ui.list.col.received"), t("ui.list.col.due")]
        rows: list[list[Any]] = [[r.code, r.applicant, r.procedure, state_text(r.state), fmt_date(r.received_at),
                                  fmt_date(r.due_at)] for r in self._rows]
        title = self._view_title()
        return Output("ho-so", [title], [Table(title, header, rows, [])], personal=True)

    def _update_count(self) -> None:
        shown = t("ui.list.count", count=len(self._rows))
        self.query_one("#count", Static).update(shown + (" " + t("ui.list.more") if self._more else ""))

    # -- events --------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        # Debounce: search ~150 ms after the last keystroke; the echo itself is immediate.
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE, self._search_now)

    def _search_now(self) -> None:
        self._debounce = None
        self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        table = self.query_one("#table", DataTable)
        if self.focused is table and table.row_count:
            # Typed in the box before an earlier Enter's results moved the focus into
            # the list: it is the clerk's Enter on the list, so it opens the row.
            self._open(self._rows[table.cursor_row].code)
            return
        self._into_list()

    def action_into_list(self) -> None:
        """↓ in the search box: into the list, as Enter does."""
        if self.focused is self.query_one("#search", Input):
            self._into_list()

    def _into_list(self) -> None:
        """From the search box into the list, once the list shows what is typed: the
        clerk's next Enter opens the dossier under the cursor, never a stale row."""
        if self._shown == self.current_query() and self._debounce is None:
            self._enter_list(open_first=False)
            return
        self._after_results = "open" if self._after_results is not None else "focus"
        if self._debounce is not None:  # search now rather than after the pause
            self._debounce.stop()
            self._debounce = None
            self.reload()

    def _enter_list(self, *, open_first: bool) -> None:
        table = self.query_one("#table", DataTable)
        if not table.row_count:
            return
        table.focus()
        table.move_cursor(row=0)
        if open_first:
            self._open(self._rows[0].code)

    def on_select_changed(self, event: Select.Changed) -> None:
        if self.is_mounted and event.select.id and event.select.id.startswith("f-"):
            self.reload()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if event.cursor_row < table.row_count - 5:
            return
        if table.row_count < len(self._rows):
            self._show_more_rows(table)
            return
        # Keyset paging: fetch the next page as the cursor nears the end.
        if self._more:
            self._more = False
            last = self._rows[-1]
            self.fetch(self.current_query(), (last.received_at, last.id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self._open(str(event.row_key.value))

    def _open(self, code: str) -> None:
        from ward_desk.ui.screens.dossier_detail import DossierDetailScreen

        self.app.push_screen(DossierDetailScreen(code))

    # -- actions -----------------------------------------------------------------------
    def action_focus_search(self) -> None:
        """Cursor back to the search box, text selected."""
        box = self.query_one("#search", Input)
        box.focus()
        box.select_all()

    def action_clear_filters(self) -> None:
        """No search text, no filters, every dossier."""
        self._view = "all"
        self.query_one("#view-title", Static).update(self._view_title())
        for sel in self.query("#filters Select").results(Select):
            with sel.prevent(Select.Changed):
                sel.clear()
        box = self.query_one("#search", Input)
        with box.prevent(Input.Changed):
            box.value = ""
        self.reload()

    # -- language switch ---------------------------------------------------------------
    def capture_state(self) -> dict[str, Any]:
        q = self.current_query()
        cursor = self.query_one("#table", DataTable).cursor_row
        return {"query": q, "cursor": cursor, "focused": self.focused.id if self.focused else None}

    def restore_state(self, state: dict[str, Any]) -> None:
        q: Query = state["query"]
        self._setup_columns()
        self._fill_choices()
        box = self.query_one("#search", Input)
        with box.prevent(Input.Changed):
            box.value = q.text
        for selector, value in (("#f-state", q.state), ("#f-field", q.field),
                                ("#f-officer", q.officer), ("#f-due", q.due)):
            sel = self.query_one(selector, Select)
            with sel.prevent(Select.Changed):
                sel.value = value if value is not None else Select.NULL
        if state["focused"]:
            self.query_one(f"#{state['focused']}").focus()
