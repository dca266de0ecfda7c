"""The district desk's one screen: four tabs over the store, loaded in thread workers.

1 wards (stuck ones in red) · 2 the month's ranking (flagged self-scores in red,
wards not ranked yet below) · 3 overdue dossiers across wards · 4 self-assessments
to review (a: accept, t: return with a reason). r reloads, m changes the month.
Every store call runs in ``@work(thread=True, exclusive=True, exit_on_error=False)``
and closes its thread's connection when done.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from district_desk.ui.bindings import translate_bindings
from district_desk.views import rate_text, score_text
from ward_desk.i18n import t

TABS = ("wards", "ranking", "overdue", "reviews")
RED = "bold red"


def _local(iso: str | None, with_time: bool = True) -> str:
    if not iso:
        return ""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    dt = datetime.fromisoformat(iso.rstrip("Z")).replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    return dt.strftime("%d/%m %H:%M" if with_time else "%d/%m/%Y")


def previous_month(today: date) -> str:
    """The month before ``today``'s: the one wards have just submitted."""
    y, m = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return f"{y:04d}-{m:02d}"


class MainScreen(Screen[None]):
    CSS_PATH = str(Path(__file__).with_name("main.tcss"))
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "tab('wards')", "tab_wards", id="tab_wards", show=False),
        Binding("2", "tab('ranking')", "tab_ranking", id="tab_ranking", show=False),
        Binding("3", "tab('overdue')", "tab_overdue", id="tab_overdue", show=False),
        Binding("4", "tab('reviews')", "tab_reviews", id="tab_reviews", show=False),
        Binding("r", "reload", "reload", id="reload"),
        Binding("m", "month", "month", id="month"),
        Binding("a", "accept", "accept", id="accept"),
        Binding("t", "return_review", "return", id="return"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._asked_password = False
        translate_bindings(self)

    # -- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="status")
        with TabbedContent(id="tabs"):
            for n, name in enumerate(TABS, start=1):
                with TabPane(self._tab_label(n, name), id=name):
                    yield DataTable(id=f"{name}-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    @staticmethod
    def _tab_label(n: int, name: str) -> str:
        return f"{n} {t(f'district.ui.tab.{name}')}"

    def on_mount(self) -> None:
        app: Any = self.app
        if not app.month:
            from ward_desk.domain.timing import local_day

            now = app.now() if app.now else None
            if now is None:
                from district_desk.store import utcnow

                now = utcnow()
            app.month = previous_month(local_day(now))
        self._status(t("district.ui.loading"))
        self.query_one("#wards-table", DataTable).focus()
        self.load()

    def _status(self, extra: str = "") -> None:
        app: Any = self.app
        name = self.data.get("name", "")
        parts = [p for p in (name, t("district.ui.month_label", month=app.month), extra) if p]
        self.query_one("#status", Static).update(" · ".join(parts))

    def relabel(self) -> None:
        """Redraw every label in the current language (after the language switch)."""
        translate_bindings(self)
        tabs = self.query_one(TabbedContent)
        for n, name in enumerate(TABS, start=1):
            tabs.get_tab(name).label = self._tab_label(n, name)
        self._render_all()
        self._status(self._as_of())

    # -- actions --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("accept", "return_review"):
            return True if self._active() == "reviews" else None
        return True

    def _active(self) -> str:
        return self.query_one(TabbedContent).active or "wards"

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        pane = event.pane.id or ""
        if pane:
            self.query_one(f"#{pane}-table", DataTable).focus()

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = name
        self.query_one(f"#{name}-table", DataTable).focus()
        self.refresh_bindings()

    def action_reload(self) -> None:
        self._status(t("district.ui.loading"))
        self.load()

    def action_month(self) -> None:
        from district_desk.ui.screens.dialogs import MonthDialog

        app: Any = self.app

        def chosen(month: str | None) -> None:
            if month:
                from district_desk.views import month_period

                app.month = month_period(month).label
                self._status(t("district.ui.loading"))
                self.load_ranking()

        self.app.push_screen(MonthDialog(app.month), chosen)

    def _selected_review(self) -> dict[str, Any] | None:
        table = self.query_one("#reviews-table", DataTable)
        rows = self.data.get("reviews") or []
        if not rows or table.cursor_row is None or table.cursor_row >= len(rows):
            return None
        return rows[table.cursor_row]

    def _reviewable(self) -> dict[str, Any] | None:
        row = self._selected_review()
        if row is None:
            self.notify(t("district.ui.nothing_selected"), severity="warning")
            return None
        if row["state"] != "submitted" or row["review"]:
            self.notify(t("district.ui.not_reviewable"), severity="warning")
            return None
        return row

    def action_accept(self) -> None:
        row = self._reviewable()
        if row is not None:
            self.review(row["office_code"], row["month"], row["revision"], "accepted", "")

    def action_return_review(self) -> None:
        from district_desk.ui.screens.dialogs import ReasonDialog

        row = self._reviewable()
        if row is None:
            return

        def given(comment: str | None) -> None:
            if comment:
                self.review(row["office_code"], row["month"], row["revision"], "returned", comment)

        self.app.push_screen(ReasonDialog(row["office_code"], row["month"], row["revision"]), given)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a ward, a ranked (or excluded) ward or an overdue dossier: open that commune."""
        from district_desk.ui.screens.commune import CommuneScreen

        office = self._office_at(event.data_table.id or "", event.cursor_row)
        if office is None:
            return
        app: Any = self.app
        names = {w["office_code"]: w["name"] for w in self.data.get("wards") or []}
        self.app.push_screen(CommuneScreen(office, names.get(office, ""), app.month))

    def _office_at(self, table: str, row: int) -> str | None:
        if table == "wards-table":
            rows = self.data.get("wards") or []
        elif table == "ranking-table":
            ranking = self.data.get("ranking") or {}
            rows = [*ranking.get("ranked", []), *ranking.get("excluded", [])]
        elif table == "overdue-table":
            rows = self.data.get("overdue") or []
        elif table == "reviews-table":
            rows = self.data.get("reviews") or []
        else:
            return None
        return str(rows[row]["office_code"]) if 0 <= row < len(rows) else None

    # -- workers (habit 2: every store call in a thread) ------------------------

    def _store(self) -> Any:
        """The open district store (opened on first use, in the worker's thread)."""
        app: Any = self.app
        if app.store is None:
            from district_desk.store import DistrictStore, default_data_dir

            app.store = DistrictStore.open(app.data_dir or default_data_dir(), app.db_url,
                                           password=app.password_source)
        return app.store

    def _release(self) -> None:
        app: Any = self.app
        if app.store is not None and not app.store.db.is_closed():
            app.store.db.close()  # this thread's connection (peewee keeps one per thread)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load", name="load")
    def load(self) -> dict[str, Any]:
        from district_desk import ranking, views

        app: Any = self.app
        try:
            store = self._store()
            views.refresh_facts(store)
            return {
                "name": store.name,
                "wards": views.ward_rows(store, app.now() if app.now else None),
                "overdue": views.overdue_rows(store, app.now() if app.now else None, limit=500),
                "reviews": views.assessment_rows(store),
                "ranking": ranking.compute_ranking(store, app.month),
            }
        finally:
            self._release()

    @work(thread=True, exclusive=True, exit_on_error=False, group="ranking", name="load_ranking")
    def load_ranking(self) -> dict[str, Any]:
        from district_desk import ranking

        app: Any = self.app
        try:
            return {"ranking": ranking.compute_ranking(self._store(), app.month)}
        finally:
            self._release()

    @work(thread=True, exclusive=True, exit_on_error=False, group="review", name="review")
    def review(self, office: str, month: str, revision: int, status: str, comment: str) -> dict[str, Any]:
        from district_desk import views

        app: Any = self.app
        try:
            store = self._store()
            keys = store.unlock(app.password_source() if app.password_source else None)
            decision = views.record_review(store, keys, office_code=office, month=month, revision=revision,
                                           status=status, comment=comment)
            return {"reviews": views.assessment_rows(store), "done": (status, office, month, revision,
                                                                      decision.doc_id)}
        finally:
            self._release()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.state == WorkerState.SUCCESS and isinstance(worker.result, dict):
            result = dict(worker.result)
            done = result.pop("done", None)
            self.data.update(result)
            self._render_all()
            self._status(self._as_of())
            if done:
                status, office, month, revision, doc_id = done
                self.notify(t(f"district.review.done_{status}", office=office, month=month, revision=revision,
                              doc_id=doc_id))
        elif worker.state == WorkerState.ERROR:
            self._failed(worker)

    def _failed(self, worker: Worker[Any]) -> None:
        from sync_agent.errors import Locked
        from ward_desk.errors import WardDeskError

        error = worker.error
        if isinstance(error, Locked) and not self._asked_password:
            self._ask_password(retry=worker.name)
            return
        text = str(error) if isinstance(error, WardDeskError) else t("district.ui.failed", detail=str(error))
        self._status(text)
        self.notify(text, severity="error", timeout=8)

    def _ask_password(self, retry: str) -> None:
        from district_desk.ui.screens.dialogs import PasswordDialog

        self._asked_password = True
        app: Any = self.app

        def given(password: str | None) -> None:
            if not password:
                return
            app.password_source = lambda: password
            self._asked_password = False
            if retry == "load" or app.store is None:
                self.load()

        self.app.push_screen(PasswordDialog(), given)

    # -- rendering -------------------------------------------------------------

    def _as_of(self) -> str:
        ranking = self.data.get("ranking")
        return t("district.ui.computed_at", at=_local(ranking["generated_at"])) if ranking else ""

    def _render_all(self) -> None:
        if "wards" in self.data:
            self._render_wards()
            self._render_overdue()
        if "reviews" in self.data:
            self._render_reviews()
        if "ranking" in self.data:
            self._render_ranking()

    @staticmethod
    def _fill(table: DataTable, columns: list[str], rows: list[list[Any]], empty: str) -> None:
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*columns)
        for row in rows:
            table.add_row(*row)
        if not rows:
            table.add_row(Text(empty, style="italic"), *[""] * (len(columns) - 1))
        elif cursor is not None and 0 <= cursor < len(rows):
            table.move_cursor(row=cursor)

    def _render_wards(self) -> None:
        from district_desk.views import reasons_text

        cols = [t(f"district.wards.col.{k}") for k in ("office_code", "name", "last_sync", "pending", "stuck")]
        rows = []
        for w in self.data["wards"]:
            style = RED if w["stuck"] else ""
            rows.append([
                Text(w["office_code"], style=style), Text(w["name"], style=style),
                Text(_local(w["last_sync"]) or t("sync.report.never"), style=style),
                "" if w["pending"] is None else str(w["pending"]),
                Text(reasons_text(w["stuck_reasons"]), style=style),
            ])
        self._fill(self.query_one("#wards-table", DataTable), cols, rows, t("sync.report.no_wards"))

    def _render_ranking(self) -> None:
        data = self.data["ranking"]
        cols = [t(f"district.rank.col.{k}") for k in
                ("rank_total", "office_code", "ward", "self_total", "district_total", "on_time_share", "flags",
                 "data_as_of")]
        rows: list[list[Any]] = []
        for r in data["ranked"]:
            style = RED if r["inflated"] else ""
            rows.append([
                str(r["rank_total"]), r["office_code"], r["ward"], Text(score_text(r["self_total"]), style=style),
                score_text(r["district_total"]), rate_text(r.get("on_time_share")),
                Text(", ".join(t(f"district.rank.flag.{f}") for f in r["flags"]), style=style),
                _local(r["data_as_of"]),
            ])
        for e in data["excluded"]:
            reason = t(f"district.rank.reason.{e['reason']}", batches=", ".join(map(str, e["missing_batches"])))
            rows.append(["—", e["office_code"], e["ward"], "", "", "", Text(reason, style="dim"),
                         _local(e["data_as_of"])])
        self._fill(self.query_one("#ranking-table", DataTable), cols, rows, t("district.rank.none"))

    def _render_overdue(self) -> None:
        cols = [t(f"district.overdue.col.{k}") for k in
                ("office_code", "code", "field", "statutory_due_at", "working_days_late", "apology")]
        rows = [
            [r["office_code"], r["code"], r["field"], _local(r["statutory_due_at"], with_time=False),
             Text(str(r["working_days_late"]), style=RED), t("district.yes") if r["apology"] else ""]
            for r in self.data["overdue"]
        ]
        self._fill(self.query_one("#overdue-table", DataTable), cols, rows, t("district.overdue.none"))

    def _render_reviews(self) -> None:
        cols = [t(f"district.assess.col.{k}") for k in
                ("office_code", "ward", "month", "revision", "total", "state", "review")]
        rows = []
        for r in self.data["reviews"]:
            pending = r["state"] == "submitted" and not r["review"]
            review = (t(f"district.assess.state.{r['review']}") if r["review"]
                      else Text(t("district.assess.to_review"), style="bold") if pending else "")
            rows.append([r["office_code"], r["ward"], r["month"], str(r["revision"]), score_text(r["total"]),
                         t(f"district.assess.state.{r['state']}"), review])
        self._fill(self.query_one("#reviews-table", DataTable), cols, rows, t("district.assess.none"))
