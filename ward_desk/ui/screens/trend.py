"""Twelve months at a glance: the on-time rate and the self-assessment total, with sparklines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from ward_desk.i18n import t
from ward_desk.ui.i18n import fmt_percent
from ward_desk.ui.screens.base import DeskScreen
from ward_desk.ui.workers import store_work

if TYPE_CHECKING:
    from ward_desk.reports.trend import TrendRow

MONTHS = 12


class TrendScreen(DeskScreen):
    """The 12 months ending with ``month`` (default: last month); ``[`` / ``]`` move the window."""

    CSS_PATH = "report.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket,comma", "month(-1)", "key.prev_month", id="prev_month"),
        Binding("right_square_bracket,full_stop", "month(1)", "key.next_month", id="next_month"),
        Binding("escape", "back", "key.back", id="back"),
    ]
    BUSY_SELECTOR = "#trend"

    def __init__(self, month: str | None = None) -> None:
        super().__init__()
        self._month = month
        self._rows: list[TrendRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="body"):
            yield Static("", id="headline", classes="title")
            yield Static("", id="sparks")
            yield DataTable(id="trend", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()
        self.load(self._month)

    @store_work("trend")
    def load(self, month: str | None) -> tuple[str, list[TrendRow]]:
        """The trend rows (reports.trend: one pass over the dossiers, stored totals)."""
        from ward_desk.domain.report_math import parse_period
        from ward_desk.reports.trend import trend_rows
        from ward_desk.services import ui_queries

        month = month or ui_queries.month_label(self.session, 1)
        return month, trend_rows(self.session, parse_period(month), MONTHS)

    def done_load(self, result: tuple[str, list[TrendRow]]) -> None:
        self._month, self._rows = result
        self.render_data()

    def render_data(self) -> None:
        from ward_desk.domain.criteria import format_points
        from ward_desk.i18n import get_language
        from ward_desk.reports.trend import sparkline

        rows, lang = self._rows, get_language()
        if not rows:
            return
        first, last = rows[0].month, rows[-1].month
        self.query_one("#headline", Static).update(t("ui.trend.title", first=_mm(first), last=_mm(last)))
        rates = sparkline([r.on_time_rate for r in rows])
        totals = sparkline([None if r.total_c is None else r.total_c / 100 for r in rows])
        label_w = max(len(t("report.col.on_time_rate")), len(t("report.trend.col.total"))) + 2
        self.query_one("#sparks", Static).update(Text.assemble(
            (f"{t('report.col.on_time_rate'):<{label_w}}", "dim"), (rates, "bold green"), "\n",
            (f"{t('report.trend.col.total'):<{label_w}}", "dim"), (totals, "bold cyan")))
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key in ("report.trend.col.month", "report.col.on_time_rate", "report.col.resolved",
                    "report.trend.col.total", "report.trend.col.state"):
            table.add_column(t(key), key=key)
        for r in rows:
            rate = fmt_percent(r.on_time_rate)
            total = "—" if r.total_c is None else format_points(r.total_c, lang)
            state: Any = "—" if r.state is None else t(f"assess.state.{r.state}")
            if r.state == "returned":
                state = Text(state, style="bold red")
            table.add_row(_mm(r.month), Text(rate, justify="right"), Text(str(r.resolved), justify="right"),
                          Text(total, justify="right"), state, key=r.month)

    def action_month(self, step: int) -> None:
        """Move the 12-month window by one month."""
        from ward_desk.services.ui_queries import shift_month

        if self._month is not None:
            self.load(shift_month(self._month, step))



def _mm(month: str) -> str:
    year, mon = month.split("-")
    return f"{mon}/{year}"
