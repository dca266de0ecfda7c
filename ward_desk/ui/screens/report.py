"""The monthly dossier report on screen: the reports' own tables, one at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from ward_desk.i18n import t
from ward_desk.ui.i18n import fmt_percent
from ward_desk.ui.screens.base import DeskScreen
from ward_desk.ui.workers import store_work

if TYPE_CHECKING:
    from ward_desk.services.reporting import PeriodReport

SECTIONS = ("field", "officer", "indicators")


class ReportScreen(DeskScreen):
    """The dossier report of a month (``[`` / ``]`` change it, ``g`` the table shown)."""

    CSS_PATH = "report.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket,comma", "month(-1)", "key.prev_month", id="prev_month"),
        Binding("right_square_bracket,full_stop", "month(1)", "key.next_month", id="next_month"),
        Binding("g,tab", "section", "key.section", id="section"),
        Binding("escape", "back", "key.back", id="back"),
    ]
    BUSY_SELECTOR = "#report"

    def __init__(self, month: str | None = None) -> None:
        super().__init__()
        self._month = month
        self._report: PeriodReport | None = None
        self._section = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="body"):
            yield Static("", id="headline", classes="title")
            yield Static("", id="summary")
            yield Static("", id="section", classes="title")
            yield DataTable(id="report", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()
        self.load(self._month)

    @store_work("report")
    def load(self, month: str | None) -> PeriodReport:
        """Compute the month's report (default: last month)."""
        from ward_desk.domain.report_math import parse_period
        from ward_desk.services import reporting, ui_queries

        month = month or ui_queries.month_label(self.session, 1)
        return reporting.period_report(self.session, parse_period(month))

    def done_load(self, report: PeriodReport) -> None:
        self._report = report
        self._month = report.period.label
        self.render_data()

    def render_data(self) -> None:
        report = self._report
        if report is None:
            return
        from ward_desk.reports.tables import indicator_table, period_label, report_tables
        from ward_desk.ui.tables import fill

        total = report.total
        self.query_one("#headline", Static).update(
            t("ui.report.title", period=period_label(report.period)))
        rate = total.on_time_rate
        self.query_one("#summary", Static).update(t(
            "ui.report.summary", opening=total.opening, received=total.received, resolved=total.resolved,
            open=total.open_at_end, rate=fmt_percent(rate),
            apologies=total.apology_slips))
        tables = [*report_tables(report), indicator_table(report)]
        shown = tables[self._section % len(tables)]
        self.query_one("#section", Static).update(
            f"{shown.title}  ({self._section % len(tables) + 1}/{len(tables)})")
        fill(self.query_one(DataTable), shown, clip=24)

    def action_month(self, step: int) -> None:
        """Previous or next month."""
        from ward_desk.services.ui_queries import shift_month

        if self._month is not None:
            self.load(shift_month(self._month, step))

    def action_section(self) -> None:
        """Show the next table: by field, by officer, indicators."""
        self._section = (self._section + 1) % len(SECTIONS)
        self.render_data()

