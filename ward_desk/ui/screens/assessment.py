"""The month's self-assessment: computed criteria explained, manual ones scored by the
leader with evidence, total and band, sign and submit; a returned month revised and
submitted again. Other roles see the same screen read-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from ward_desk.i18n import get_language, t
from ward_desk.ui.screens.base import DeskScreen
from ward_desk.ui.workers import store_work

if TYPE_CHECKING:
    from ward_desk.services.assessment import AssessmentView


@dataclass(frozen=True)
class AssessmentData:
    """One month's self-assessment and the months upstream returned (read on the store thread)."""

    view: AssessmentView
    returned: tuple[str, ...]


def _month_text(month: str) -> str:
    year, mon = month.split("-")
    return f"{mon}/{year}"


class AssessmentScreen(DeskScreen):
    """Self-assessment of one month; ``[`` / ``]`` change the month."""

    CSS_PATH = "assessment.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket,comma", "month(-1)", "key.prev_month", id="prev_month"),
        Binding("right_square_bracket,full_stop", "month(1)", "key.next_month", id="next_month"),
        Binding("e", "score", "key.score", id="score"),
        Binding("s", "submit", "key.submit", id="submit"),
        Binding("v", "revise", "key.revise", id="revise"),
        Binding("m", "report", "key.report", id="report"),
        Binding("t", "trend", "key.trend", id="trend"),
        Binding("escape", "back", "key.back", id="back", show=False),
    ]
    BUSY_SELECTOR = "#items"

    def __init__(self, month: str | None = None) -> None:
        super().__init__()
        self._month = month
        self._data: AssessmentData | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="body"):
            yield Static("", id="headline", classes="title")
            yield Static("", id="returned", classes="error")
            yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
            yield Static("", id="detail")
            yield Static("", id="total", classes="title")
            yield Static("", id="hint", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()
        self.load(self._month)

    # -- data --------------------------------------------------------------------
    @store_work("assessment")
    def load(self, month: str | None) -> AssessmentData:
        """The month's latest revision (or a preview); with no month, the one to do now:
        the latest returned month, else last month."""
        from ward_desk.services import assessment, ui_queries

        returned = tuple(ui_queries.returned_months())
        if month is None:
            month = returned[0] if returned else ui_queries.month_label(self.session, 1)
        return AssessmentData(assessment.show(self.session, month), returned)

    def done_load(self, data: AssessmentData) -> None:
        self._data = data
        self._month = data.view.month
        self.render_data()
        self.refresh_bindings()

    @property
    def is_leader(self) -> bool:
        return self.session.user.role == "leader"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        view = self._data.view if self._data else None
        if action in ("score", "submit"):
            return self.is_leader and view is not None and not view.locked
        if action == "revise":
            return self.is_leader and view is not None and view.locked
        return super().check_action(action, parameters)

    def render_data(self) -> None:
        data = self._data
        if data is None:
            return
        from ward_desk.domain.criteria import format_points

        view, lang = data.view, get_language()
        state = t(f"assess.state.{view.state}")
        revision = t("ui.assess.revision", n=view.revision) if view.revision else t("ui.assess.not_saved")
        self.query_one("#headline", Static).update(
            Text.assemble((t("ui.assess.title", month=_month_text(view.month)), "bold"), "  ",
                          (state, "bold cyan"), "  ", revision))
        returned = ""
        if view.state == "returned":
            returned = t("ui.assess.returned_comment", comment=view.review_comment)
        elif data.returned:
            returned = t("ui.assess.returned_months", months=", ".join(_month_text(m) for m in data.returned))
        self.query_one("#returned", Static).update(returned)
        titles = {c.id: c.title(lang) for _, c in view.criteria_set.items()} if view.criteria_set else {}
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        # The explanation before the title: on 80 columns it is what must show; the
        # highlighted row's title and full explanation are spelled out under the table.
        # The criterion by its name (clipped; in full under the table), never its key.
        table.add_column(t("assess.col.criterion"), key="id")
        table.add_column(t("assess.col.points"), key="points")
        table.add_column(t("assess.col.explanation"), key="why")
        for item in view.items:
            points = "" if item.points_c is None else format_points(item.points_c, lang)
            shown = Text(f"{points or '—'}/{format_points(item.max_c, lang)}", justify="right",
                         style="bold yellow" if item.points_c is None else "")
            why = item.explanation(lang).render(lang)
            name = titles.get(item.criterion_id) or item.criterion_id
            table.add_row(name[:21] + ("…" if len(name) > 21 else ""), shown,
                          why[:44] + ("…" if len(why) > 44 else ""), key=item.criterion_id)
        if view.items:
            table.move_cursor(row=min(cursor, len(view.items) - 1))
            self._show_detail()
        band = view.band_name(lang) or t("assess.no_band")
        self.query_one("#total", Static).update(t("assess.total", total=format_points(view.total_c, lang),
                                                  max=format_points(view.max_c, lang), band=band))
        self.query_one("#hint", Static).update(self._hint(view))

    def _hint(self, view: AssessmentView) -> str:
        if not self.is_leader:
            return t("ui.assess.read_only")
        if view.locked:
            return t("ui.assess.locked_hint")
        if view.pending:
            return t("ui.assess.pending", count=len(view.pending))
        return t("ui.assess.ready_hint")

    # -- actions -----------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        item = self._current_item()
        if item is None or self._data is None:
            return
        lang = get_language()
        view = self._data.view
        title = view.criteria_set.item(item.criterion_id).title(lang) if view.criteria_set else ""
        self.query_one("#detail", Static).update(
            Text.assemble((title, "bold"), "\n", item.explanation(lang).render(lang)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_score()

    def action_month(self, step: int) -> None:
        """Show the previous or next month."""
        from ward_desk.services.ui_queries import shift_month

        if self._month is not None:
            self.load(shift_month(self._month, step))

    def _current_item(self) -> Any:
        if self._data is None or not self._data.view.items:
            return None
        row = self.query_one(DataTable).cursor_row
        return self._data.view.items[min(row, len(self._data.view.items) - 1)]

    def action_score(self, problem: Any = None, given: tuple[str, str, str] | None = None) -> None:
        """Score the manual criterion under the cursor, with its evidence."""
        from ward_desk.domain.criteria import format_points
        from ward_desk.ui.screens.dialogs import ScoreDialog

        item = self._current_item()
        if item is None or self._data is None or not self.check_action("score", ()):
            return
        if item.kind != "manual":
            self.notify(t("ui.assess.computed_item"), severity="warning")
            return
        lang = get_language()
        view = self._data.view
        title = view.criteria_set.item(item.criterion_id).title(lang) if view.criteria_set else ""
        points, evidence, attachment = given or (
            "" if item.points_c is None else format_points(item.points_c, "en"), item.evidence, item.attachment)

        def answered(answer: tuple[str, str, str] | None) -> None:
            if answer:
                self.score(item.criterion_id, *answer)

        self.app.push_screen(ScoreDialog(item.criterion_id, title, format_points(item.max_c, lang),
                                         points, evidence, attachment, problem), callback=answered)

    @store_work("score", exclusive=False)
    def score(self, criterion: str, points: str, evidence: str, attachment: str) -> AssessmentData:
        """Record the manual score on the month's draft and read the month again."""
        from ward_desk.services import assessment, ui_queries

        assert self._month is not None
        try:
            view = assessment.score_manual(self.session, self._month, criterion, points, evidence, attachment)
        except Exception as exc:
            raise _ScoreRefused(exc, (points, evidence, attachment)) from exc
        return AssessmentData(view, tuple(ui_queries.returned_months()))

    def done_score(self, data: AssessmentData) -> None:
        self.done_load(data)
        self.notify(t("ui.assess.scored"))

    def failed_score(self, error: BaseException | None) -> bool:
        from ward_desk.errors import WardDeskError

        if isinstance(error, _ScoreRefused) and isinstance(error.cause, WardDeskError):
            from ward_desk.ui.i18n import Later

            self.action_score(Later(error.cause), error.given)  # the dialog again, with why
            return True
        return False

    def action_submit(self) -> None:
        """Sign the month with the office key and submit it (asks first)."""
        from ward_desk.ui.screens.dialogs import ConfirmDialog

        if self._data is None or not self.check_action("submit", ()):
            return
        view = self._data.view
        if view.pending:
            self.notify(t("ui.assess.pending", count=len(view.pending)), severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.submit()

        self.app.push_screen(ConfirmDialog(t("ui.assess.confirm_submit", month=_month_text(view.month))),
                             callback=confirmed)

    @store_work("submit", exclusive=False)
    def submit(self) -> AssessmentData:
        """Sign and submit the month; read it again."""
        from ward_desk.services import assessment, ui_queries

        assert self._month is not None
        view = assessment.submit(self.session, self._month)
        return AssessmentData(view, tuple(ui_queries.returned_months()))

    def done_submit(self, data: AssessmentData) -> None:
        self.done_load(data)
        self.notify(t("ui.assess.submitted", month=_month_text(data.view.month), revision=data.view.revision))

    def action_revise(self) -> None:
        """Open a new revision of a submitted or returned month, with a reason."""
        from ward_desk.ui.screens.dialogs import ReasonDialog

        if self._data is None or not self.check_action("revise", ()):
            return

        def reasoned(answer: tuple[str, str] | None) -> None:
            if answer:
                self.revise(answer[0])

        self.app.push_screen(ReasonDialog("revise", True, False, title=t("ui.assess.revise_title")),
                             callback=reasoned)

    @store_work("revise", exclusive=False)
    def revise(self, reason: str) -> AssessmentData:
        """Start the new revision (a draft with the last one's manual scores)."""
        from ward_desk.services import assessment, ui_queries

        assert self._month is not None
        view = assessment.revise(self.session, self._month, reason)
        return AssessmentData(view, tuple(ui_queries.returned_months()))

    def done_revise(self, data: AssessmentData) -> None:
        self.done_load(data)
        self.notify(t("ui.assess.revised", revision=data.view.revision))

    def action_report(self) -> None:
        """The month's dossier report."""
        from ward_desk.ui.screens.report import ReportScreen

        self.app.push_screen(ReportScreen(self._month))

    def action_trend(self) -> None:
        """The 12 months up to this one: on-time rate and total score."""
        from ward_desk.ui.screens.trend import TrendScreen

        self.app.push_screen(TrendScreen(self._month))


class _ScoreRefused(Exception):
    """A refused manual score, carrying what was typed so the dialog can show it again."""

    def __init__(self, cause: BaseException, given: tuple[str, str, str]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.given = given
