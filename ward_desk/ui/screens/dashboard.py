"""Dashboard: today's counters; each line opens the dossier list it counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from ward_desk.i18n import t
from ward_desk.ui.i18n import fmt_date, fmt_percent, key_hints
from ward_desk.ui.screens.base import DeskScreen
from ward_desk.ui.workers import store_work

if TYPE_CHECKING:
    from ward_desk.services.dossiers import Dashboard

# Dashboard lines, in order: (view id of the dossier list, counter attribute).
LINES = (
    ("received_today", "received_today"),
    ("returned_today", "returned_today"),
    ("due_today", "due_today"),
    ("overdue", "overdue"),
    ("apology", "apology_needed"),
    ("ready", "ready_to_return"),
    ("supplement", "waiting_supplement"),
    ("suspended", "suspended"),
    ("month_resolved", "month_on_time_rate"),
)


class DashboardScreen(DeskScreen):
    """The clerk's first screen after unlock; refreshed every minute."""

    CSS_PATH = "dashboard.tcss"
    REFRESH_SECONDS = 60.0
    BINDINGS: ClassVar[list[BindingType]] = [
        # Upper case too: the same key with Caps Lock on (or Shift) does the same.
        Binding("n,N", "app.goto('intake')", "key.new_dossier", id="new_dossier"),
        Binding("s,slash,S", "app.goto('dossiers')", "key.search", id="search"),
        Binding("c,C", "app.goto('calls')", "key.call_list", id="call_list"),
        Binding("r,R", "reload", "key.reload", id="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._counts: Dashboard | None = None
        self._refresh_timer: Any = None
        self._first = True

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="body"):
            yield Static(self._today_line(), id="today", classes="title")
            yield OptionList(id="lines")
            yield Static(self._hint(), id="hint", classes="status")
            yield Static(self._sync_line(), id="sync", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.render_data()
        self.query_one(OptionList).focus()
        self.load()

    def on_screen_resume(self) -> None:
        # Back from a list or the intake form: the counts may have changed.
        if self._counts is not None:
            self.action_reload()

    def _sync_line(self) -> str:
        from ward_desk.ui.sync import status_line

        return status_line(self.desk.sync_facts, self.desk.sync_running)

    def show_sync_status(self) -> None:
        """Called by the app when the background sync's status changed."""
        if self.is_mounted:
            self.query_one("#sync", Static).update(self._sync_line())

    def _hint(self) -> str:
        return t("ui.dashboard.hint", keys=key_hints(self, ("new_dossier", "search", "call_list")))

    def _today_line(self) -> str:
        return t("ui.dashboard.today", day=fmt_date(self.desk.clock()))

    def action_reload(self) -> None:
        """Count again now (the minute timer re-arms after this run)."""
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
            self._refresh_timer = None
        self.load()

    @store_work("dashboard")
    def load(self) -> Dashboard:
        """Run the dashboard queries."""
        from ward_desk.services import dossiers

        return dossiers.dashboard(self.session)

    def done_load(self, counts: Dashboard) -> None:
        self._counts = counts
        self.render_data()
        # Habit 3: the next refresh is armed only now that this one has finished.
        self._refresh_timer = self.set_timer(self.REFRESH_SECONDS, self.load)
        if self._first:
            self._first = False
            self.desk.dashboard_ready()

    def failed_load(self, error: BaseException | None) -> bool:
        self._refresh_timer = self.set_timer(self.REFRESH_SECONDS, self.load)
        return False

    def render_data(self) -> None:
        self.query_one("#today", Static).update(self._today_line())
        self.show_sync_status()
        lines = self.query_one(OptionList)
        highlighted = lines.highlighted
        lines.clear_options()
        lines.add_options([Option(self._line_text(view, attr), id=view) for view, attr in LINES])
        lines.highlighted = highlighted if highlighted is not None else 0

    def _line_text(self, view: str, attr: str) -> Text:
        counts = self._counts
        label = t(f"ui.dashboard.{view}")
        if counts is None:
            value = "…"
        elif attr == "month_on_time_rate":
            rate = counts.month_on_time_rate
            value = "—" if rate is None else f"{fmt_percent(rate)} ({counts.month_on_time}/{counts.month_resolved})"
        else:
            value = str(getattr(counts, attr))
            if attr == "overdue" and counts.overdue_extended:
                # Why this count can be above the one the clerk remembers: apology-extended
                # dossiers are late against the law too (domain.figures).
                value += " " + t("ui.dashboard.overdue_extended", n=counts.overdue_extended)
        text = Text.assemble((f"{label:<34}", ""), (value, "bold"))
        if counts is not None and view in ("overdue", "apology") and getattr(counts, attr) > 0:
            text.stylize("bold red")
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from ward_desk.ui.screens.dossier_list import DossierListScreen

        self.app.push_screen(DossierListScreen(view=event.option.id or "all"))
