"""Dossier detail: every field, the event timeline, and only the moves the rules allow."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from ward_desk.i18n import t
from ward_desk.ui.i18n import action_text, fmt_datetime, state_text
from ward_desk.ui.screens.base import DeskScreen
from ward_desk.ui.workers import store_work

# Slip produced after a move, by action (the receipt is produced at intake): forms 02, 03
# and 05 (the notice of stopping, issued when the citizen withdraws) of Circular 03/2025.
SLIP_AFTER = {"request_supplement": "supplement", "reject": "refusal", "withdraw": "stop"}
# Moves that close the dossier for good: asked again, with "no" as the default.
IRREVERSIBLE = frozenset({"reject", "withdraw", "return_result"})


@dataclass(frozen=True)
class EventLine:
    at: datetime
    actor: str
    kind: str
    action: str | None
    from_state: str | None
    to_state: str
    reason: str
    legal_basis: str
    due_at: datetime | None


@dataclass(frozen=True)
class DetailView:
    """A dossier as the detail screen shows it (plain data built in the worker)."""

    code: str
    state: str
    procedure: str
    field: str
    applicant: str
    id_number: str
    phone: str
    address: str
    channel: str
    received_at: datetime
    due_at: datetime
    statutory_due_at: datetime
    officer: str
    completed_at: datetime | None
    returned_at: datetime | None
    called_at: datetime | None
    documents: list[tuple[str, bool]]
    apology_count: int
    rating: str | None
    allowed: tuple[str, ...]
    overdue: bool
    can_apologize: bool
    proposed_apology: date | None
    will_be_late: bool
    lateness: str | None = None  # domain.lateness.Lateness value: will be late / due today / due soon
    declared_late: bool = False  # an officer said the result will not be ready in time
    events: list[EventLine] = field(default_factory=list)


def build_view(session: Any, code: str) -> DetailView:
    """Read a dossier, its history and what may be done next (runs in a worker)."""
    from ward_desk.domain import lifecycle
    from ward_desk.domain.lateness import lateness, will_be_late
    from ward_desk.domain.timing import local_day
    from ward_desk.services import dossiers

    d = dossiers.get(code)
    events = dossiers.history(d)
    projection = dossiers.projection(d)
    now = session.clock()
    declared = dossiers.declared_late(d)
    can_apologize = lifecycle.can_issue_apology(projection, now, session.calendar, session.rules,
                                                declared_late=declared)
    flag = lateness(d.state, d.due_at, d.apology_count, now, session.calendar, session.rules, declared)
    proposed = None
    if can_apologize:
        extra = max(1, d.procedure.processing_days)
        proposed = local_day(dossiers.apology_due_date(session, d, extra), session.rules)
    rating = d.ratings.first()
    return DetailView(
        code=d.code, state=d.state, procedure=f"{d.procedure.code} {d.procedure.name}",
        field=d.procedure.field, applicant=d.applicant_name, id_number=d.applicant_id_number,
        phone=d.applicant_phone, address=d.applicant_address, channel=d.channel,
        received_at=d.received_at, due_at=d.due_at, statutory_due_at=d.statutory_due_at,
        officer=d.officer.full_name if d.officer_id else "",
        completed_at=d.completed_at, returned_at=d.returned_at, called_at=d.called_at,
        documents=[(x["name"], bool(x.get("received", True))) for x in json.loads(d.documents)],
        apology_count=d.apology_count, rating=rating.level if rating else None,
        allowed=tuple(a.value for a in lifecycle.allowed_actions(lifecycle.State(d.state))),
        overdue=d.state in dossiers.RUNNING_STATES and d.due_at < now,
        can_apologize=can_apologize, proposed_apology=proposed,
        will_be_late=will_be_late(d.state, d.due_at, d.apology_count, now, declared),
        lateness=flag.value if flag else None, declared_late=declared,
        events=[EventLine(e.at, e.actor.full_name if e.actor_id else "", e.kind, e.action,
                          e.from_state, e.to_state, e.reason, e.legal_basis, e.due_at)
                for e in events],
    )


class DossierDetailScreen(DeskScreen):
    """One dossier. Enter on an action runs it (asking for a reason or rating where needed)."""

    CSS_PATH = "dossier_detail.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("a", "apology", "key.apology", id="apology"),
        Binding("t", "declare_late", "key.declare_late", id="declare_late"),
        Binding("p", "print", "key.print", id="print"),
        Binding("v", "preview", "key.preview", id="preview"),
    ]

    def __init__(self, code: str) -> None:
        super().__init__()
        self._code = code
        self._view: DetailView | None = None
        self._moving = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body"):
            yield Static(self._code, id="headline", classes="title")
            yield Static("", id="fields")
            yield Static(t("ui.detail.actions"), classes="section")
            yield OptionList(id="actions")
            yield Static(t("ui.detail.timeline"), classes="section")
            yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#actions", OptionList).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apology":
            return self._view is not None and self._view.can_apologize
        if action == "declare_late":
            v = self._view
            # Offered only before it is late anyway (past due, the slip is due already).
            return (v is not None and v.state in ("received", "in_progress") and not v.apology_count
                    and not v.will_be_late)
        return super().check_action(action, parameters)

    @store_work("detail")
    def load(self) -> DetailView:
        """Read the dossier again."""
        return build_view(self.session, self._code)

    def done_load(self, view: DetailView) -> None:
        self._view = view
        self.render_data()
        self.refresh_bindings()

    def render_data(self) -> None:
        view = self._view
        if view is None:
            return
        headline = Text.assemble((view.code, "bold"), "  ", (state_text(view.state), "bold cyan"))
        if view.overdue:
            headline.append("  " + t("ui.detail.overdue"), style="bold red")
        if view.will_be_late:  # not merely due soon: that is no reason to apologise yet
            headline.append("  " + t("ui.detail.apology_needed"), style="bold yellow")
        elif view.lateness in ("due_today", "due_soon"):  # said, but no apology asked for
            headline.append("  " + t(f"ui.detail.{view.lateness}"), style="cyan")
        self.query_one("#headline", Static).update(headline)
        self.query_one("#fields", Static).update(self._fields_table(view))
        actions = self.query_one("#actions", OptionList)
        actions.clear_options()
        if view.allowed:
            actions.add_options([Option(action_text(a), id=a) for a in view.allowed])
            actions.highlighted = 0
        else:
            actions.add_option(Option(t("ui.detail.no_actions"), disabled=True))
        table = self.query_one("#timeline", DataTable)
        table.clear(columns=True)
        table.add_columns(t("ui.detail.col.at"), t("ui.detail.col.what"),
                          t("ui.detail.col.who"), t("ui.detail.col.note"))
        for e in view.events:
            table.add_row(fmt_datetime(e.at), self._event_text(e), e.actor, self._event_note(e))

    def _fields_table(self, v: DetailView) -> Table:
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(ratio=1)
        due = Text(fmt_datetime(v.due_at), style="bold red" if v.overdue else "")
        docs = "; ".join(("✓ " if ok else "✗ ") + name for name, ok in v.documents)
        rows: list[tuple[str, Any]] = [
            ("procedure", f"{v.procedure} ({v.field})"),
            ("applicant", v.applicant),
            ("id_number", v.id_number or "—"),
            ("phone", v.phone or "—"),
            ("address", v.address or "—"),
            ("channel", t(f"ui.channel.{v.channel}")),
            ("received_at", fmt_datetime(v.received_at)),
            ("due_at", due),
            ("officer", v.officer or "—"),
            ("documents", docs or "—"),
        ]
        if v.completed_at:
            rows.append(("completed_at", fmt_datetime(v.completed_at)))
        if v.called_at:
            rows.append(("called_at", fmt_datetime(v.called_at)))
        if v.returned_at:
            rows.append(("returned_at", fmt_datetime(v.returned_at)))
        if v.rating:
            rows.append(("rating", t(f"ui.rating.{v.rating}")))
        if v.apology_count:
            rows.append(("apology_count", str(v.apology_count)))
        for key, value in rows:
            grid.add_row(t(f"ui.detail.{key}"), value)
        return grid

    @staticmethod
    def _event_text(e: EventLine) -> str:
        if e.kind == "transition" and e.action:
            return f"{action_text(e.action)} → {state_text(e.to_state)}"
        return t(f"ui.event.{e.kind}")

    @staticmethod
    def _event_note(e: EventLine) -> str:
        parts = [p for p in (e.reason, e.legal_basis) if p]
        if e.due_at is not None:
            parts.append(t("ui.event.due", due=fmt_datetime(e.due_at)))
        return " — ".join(parts)

    # -- moves ---------------------------------------------------------------------
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.start_move(event.option.id)

    def start_move(self, action: str) -> None:
        """Run ``action`` on the dossier, asking first for what the rules require."""
        from ward_desk.domain import lifecycle
        from ward_desk.ui.screens.dialogs import RatingDialog, ReasonDialog

        view = self._view
        if view is None or self._moving or action not in view.allowed:
            return  # illegal moves are never offered, and never run
        if action == "forward":
            self.pick_officer()
            return
        if action == "return_result":
            def rated(level: str | None) -> None:
                if level:
                    self._move(action, rating=level)

            def handed(yes: bool | None) -> None:
                if yes:
                    self.app.push_screen(RatingDialog(), callback=rated)

            self._confirm(action, "", handed)
            return
        needs_reason = lifecycle.requires_reason(lifecycle.Action(action))
        needs_basis = lifecycle.requires_legal_basis(lifecycle.Action(action))
        if needs_reason or needs_basis:
            def reasoned(answer: tuple[str, str] | None) -> None:
                if not answer:
                    return
                if action not in IRREVERSIBLE:
                    self._move(action, reason=answer[0], legal_basis=answer[1])
                    return

                def confirmed(yes: bool | None) -> None:
                    if yes:
                        self._move(action, reason=answer[0], legal_basis=answer[1])

                self._confirm(action, answer[0], confirmed)

            title = f"{action_text(action)} — {view.code} — {view.applicant}"
            self.app.push_screen(ReasonDialog(action, needs_reason, needs_basis, title=title),
                                 callback=reasoned)
            return
        self._move(action)

    def _confirm(self, action: str, reason: str, then: Any) -> None:
        """Ask, with "no" chosen, before a move that cannot be undone; naming the dossier,
        the applicant and what will happen."""
        from ward_desk.ui.screens.dialogs import ConfirmDialog

        view = self._view
        assert view is not None
        question = t(f"ui.confirm.{action}", code=view.code, applicant=view.applicant, reason=reason)
        yes = t("ui.confirm.yes", action=action_text(action).lower())
        self.app.push_screen(ConfirmDialog(question, yes_label=yes), callback=then)

    @store_work("officers")
    def pick_officer(self) -> list[tuple[str, str]]:
        """The office's active users, for the forward dialog."""
        from ward_desk.services import ui_queries

        return ui_queries.list_officers()

    def done_pick_officer(self, officers: list[tuple[str, str]]) -> None:
        from ward_desk.ui.screens.dialogs import OfficerDialog

        def picked(username: str | None) -> None:
            if username:
                self._move("forward", officer=username)

        self.app.push_screen(OfficerDialog(officers, self.session.user.username), callback=picked)

    def _move(self, action: str, **kwargs: Any) -> None:
        self._moving = True
        self.move(action, kwargs)

    @work(group="move", exit_on_error=False)
    async def move(self, action: str, kwargs: dict[str, Any]) -> tuple[str, DetailView, Any]:
        """Apply the move, produce its slip if it has one, and read the dossier again."""
        from ward_desk.ui import slips

        view, data = await self.app.store_thread.call(self._apply_move, action, kwargs)
        slip = await slips.produce(self.app, SLIP_AFTER[action], self._code, data) if data else None
        return action, view, slip

    def _apply_move(self, action: str, kwargs: dict[str, Any]) -> tuple[DetailView, Any]:
        # On the store thread: the move, the slip's data, the dossier read again.
        from ward_desk.services import dossiers
        from ward_desk.ui import slips

        dossiers.move(self.session, self._code, action, **kwargs)
        data = slips.gather(SLIP_AFTER[action], self.session, self._code) if action in SLIP_AFTER else None
        return build_view(self.session, self._code), data

    def done_move(self, result: tuple[str, DetailView, Any]) -> None:
        self._moving = False
        action, view, slip = result
        self.done_load(view)
        message = t("ui.detail.moved", action=action_text(action), state=state_text(view.state))
        self.notify(message + (" " + slip.message if slip else ""))

    def failed_move(self, error: BaseException | None) -> bool:
        self._moving = False
        return False

    # -- "will not be ready in time" --------------------------------------------------
    def action_declare_late(self) -> None:
        """The officer declares the result will not be ready in time, with the reason:
        the dossier will be late and its apology slip is due from now."""
        from ward_desk.ui.screens.dialogs import ReasonDialog

        view = self._view
        if view is None or not self.check_action("declare_late", ()):
            return

        def reasoned(answer: tuple[str, str] | None) -> None:
            if answer:
                self.declare_late(answer[0])

        title = f"{t('ui.late.title')} — {view.code} — {view.applicant}"
        self.app.push_screen(ReasonDialog("declare_late", True, False, title=title), callback=reasoned)

    @store_work("move")
    def declare_late(self, reason: str) -> DetailView:
        """Record the declaration, and read the dossier again."""
        from ward_desk.services import dossiers

        dossiers.declare_late(self.session, self._code, reason)
        return build_view(self.session, self._code)

    def done_declare_late(self, view: DetailView) -> None:
        self.done_load(view)
        self.notify(t("ui.late.declared", code=view.code))

    # -- apology slip ------------------------------------------------------------------
    def action_apology(self) -> None:
        """Issue the apology slip: a proposed new date and reason, confirmed with Enter."""
        from ward_desk.ui.screens.dialogs import ApologyDialog

        view = self._view
        if view is None or not view.can_apologize or view.proposed_apology is None:
            return

        def answered(result: tuple[DetailView, Any] | None) -> None:
            if result:
                self.produce_apology(result)

        self.app.push_screen(ApologyDialog(view.proposed_apology, t("ui.apology.default_reason"),
                                           issue=self._issue_apology), callback=answered)

    @work(group="apology", exit_on_error=False)
    async def produce_apology(self, issued: tuple[DetailView, Any]) -> tuple[DetailView, Any]:
        """Produce the slip the dialog recorded (the dossier read again comes with it)."""
        from ward_desk.ui import slips

        view, data = issued
        return view, await slips.produce(self.app, "apology", self._code, data)

    def _issue_apology(self, day: date, reason: str) -> tuple[DetailView, Any]:
        # On the store thread: the slip row, its data, the dossier read again.
        from ward_desk.domain.timing import to_utc
        from ward_desk.services import dossiers
        from ward_desk.ui import slips

        session = self.session
        due = to_utc(datetime.combine(day, session.calendar.hours.closing), session.rules.tz)
        dossiers.issue_apology(session, self._code, due, reason)
        return build_view(session, self._code), slips.gather("apology", session, self._code)

    def done_produce_apology(self, result: tuple[DetailView, Any]) -> None:
        view, slip = result
        self.done_load(view)
        self.notify(t("ui.apology.issued", due=fmt_datetime(view.due_at)) + " " + slip.message)

    # -- slips -------------------------------------------------------------------------
    def slips_available(self) -> list[str]:
        """The slips this dossier has: the receipt always, and those its history issued."""
        view = self._view
        kinds = ["receipt"]
        if view is None:
            return kinds
        if any(e.action == "request_supplement" for e in view.events):
            kinds.append("supplement")
        if view.state == "rejected":
            kinds.append("refusal")
        if view.apology_count:
            kinds.append("apology")
        if view.state == "withdrawn":
            kinds.append("stop")
        if len(view.events) > 1:  # the control sheet (06) follows a dossier once it moves on
            kinds.append("control")
        return kinds

    def action_print(self) -> None:
        """Choose one of the dossier's slips, then print it (or say there is no printer)."""
        from ward_desk.ui.screens.dialogs import ChoiceDialog

        kinds = self.slips_available()

        def chosen(kind: str | None) -> None:
            if kind:
                self.print_slip(kind)

        if len(kinds) == 1:
            self.print_slip(kinds[0])
            return
        self.app.push_screen(ChoiceDialog(t("ui.print.choose"), [(k, t(f"ui.print.kind.{k}")) for k in kinds]),
                             callback=chosen)

    @work(group="print", exclusive=True, exit_on_error=False)
    async def print_slip(self, kind: str) -> str:
        """Render the slip, queue it on the printer; without one, say so and open the file."""
        import asyncio

        from ward_desk.slips.printing import send_to_printer
        from ward_desk.ui import slips

        result = await slips.produce(self.app, kind, self._code)
        if not result.ok:
            return result.message
        pdf = result.paths[0]
        if self.app.is_web:
            # Served: the office PC's printer is not the counter's; the browser has it (produce delivered it).
            return t("serve.delivered", name=pdf.name)
        outcome = await asyncio.to_thread(send_to_printer, pdf)
        if outcome.queued:
            return t("ui.print.queued", path=str(pdf), detail=outcome.detail)
        if self.desk.open_viewer:
            slips.open_with_viewer(pdf)
        key = "ui.print.no_printer" if outcome.reason == "no_printer" else "ui.print.failed"
        return t(key, path=str(pdf), detail=outcome.detail)

    def done_print_slip(self, message: str) -> None:
        self.notify(message, timeout=10)

    def action_preview(self) -> None:
        """Show the receipt's text on screen."""
        self.preview_slip("receipt")

    @store_work("print")
    def preview_slip(self, kind: str) -> str:
        """The slip's text."""
        from ward_desk.ui import slips

        return slips.preview(kind, self.session, self._code)

    def done_preview_slip(self, text: str) -> None:
        from ward_desk.ui.screens.dialogs import PreviewScreen

        self.app.push_screen(PreviewScreen(text))

