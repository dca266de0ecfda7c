"""Intake: receive a complete dossier at the counter in one screen and one keystroke."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.segment import Segment
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.strip import Strip
from textual.widgets import Footer, Header, Input, Label, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from ward_desk.i18n import t
from ward_desk.ui.i18n import Later, fmt_datetime
from ward_desk.ui.screens.base import DeskScreen
from ward_desk.ui.workers import store_work

CHANNELS = ("direct", "online", "postal")  # ward_desk.services.dossiers.CHANNELS


@dataclass(frozen=True)
class ProcedureChoice:
    """The procedure picked for the dossier, as the form needs it."""

    code: str
    name: str
    field: str
    days: int
    documents: tuple[str, ...]


@dataclass(frozen=True)
class CatalogueRow:
    """One active procedure with the folded text the type-ahead matches against."""

    choice: ProcedureChoice
    name_folded: str
    haystack: str


def match_procedures(rows: list[CatalogueRow], text: str, limit: int = 30) -> list[ProcedureChoice]:
    """The catalogue type-ahead over the screen's cached rows (a few hundred at most), so it
    runs on the UI thread between keystrokes with the same rule as the services' search."""
    from ward_desk.domain.text import match_words

    return [r.choice for r in match_words(rows, text, lambda r: r.haystack, lambda r: r.name_folded, limit)]


class DocumentList(SelectionList[str]):
    """The documents checklist, ticked ``[x]`` and unticked ``[ ]``: they differ by shape,
    not only by colour (a worn screen, a colour-blind clerk)."""

    def on_focus(self) -> None:
        # Tabbed into: Space ticks the first document at once (nothing was highlighted).
        if self.highlighted is None and self.option_count:
            self.highlighted = 0

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if len(segments) < 3:
            return strip
        inner = "x" if selection.value in self.selected else " "
        marks = [Segment("[", segments[0].style), Segment(inner, segments[1].style),
                 Segment("]", segments[2].style)]
        return Strip([*marks, *segments[3:]], strip.cell_length)


class PickerInput(Input):
    """The procedure type-ahead: ↑/↓ move through the matches without leaving the box."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def action_move(self, step: int) -> None:
        matches = self.screen.query_one("#matches", OptionList)
        if matches.option_count:
            current = matches.highlighted if matches.highlighted is not None else -step
            matches.highlighted = max(0, min(matches.option_count - 1, current + step))


def _validators() -> dict[str, Any]:
    from ward_desk.domain.validation import (
        validate_id_number,
        validate_person_name,
        validate_phone,
    )

    return {"name": validate_person_name, "id_number": validate_id_number, "phone": validate_phone}


class IntakeScreen(DeskScreen):
    """The intake form. Ctrl+S (or F2) saves and produces the receipt at once."""

    # Focused as the screen activates, so keys typed right after "n" (a clerk types
    # ahead while the form is still being built) land in the procedure box.
    AUTO_FOCUS = "#procedure"

    CSS_PATH = "intake.tcss"
    # The spinner goes on the match list, never over the form: a loading #body would
    # take the focus and drop what the clerk types while the catalogue or a save runs.
    BUSY_SELECTOR = "#matches"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s,f2", "save", "key.save", id="save", priority=True),
        Binding("f8", "clear", "key.clear", id="clear"),
        # Not F7: that is the self-assessment on every screen (one key map).
        Binding("ctrl+o", "open_last", "key.open_last", id="open_last"),
        Binding("escape", "back", "key.back", id="back"),
    ]
    TEXT_FIELDS = ("procedure", "name", "id_number", "phone", "address")

    def __init__(self) -> None:
        super().__init__()
        self._procedure: ProcedureChoice | None = None
        self._matches: list[ProcedureChoice] = []
        # The active catalogue, loaded once on the store thread (refreshed on resume);
        # the type-ahead then matches on the UI thread, so Enter never beats it.
        self._catalogue: list[CatalogueRow] | None = None
        self._pick_pending = False  # Enter pressed before the catalogue first arrived
        self._matched: str | None = None  # the text ``_matches`` are for
        self._draft = Later()  # the "unsaved draft" line, shown when the form is come back to
        self._saving = False
        self._last_code: str | None = None
        self._status = ""
        self._said = Later()  # the problem line, worded when shown (language switch)
        self._status_class = "status"
        self._saved_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body"):
            yield Static(str(self._draft), id="draft", classes="-shown" if self._draft.source else "")
            with Horizontal(classes="form-row"):
                yield Label(t("ui.intake.procedure"), classes="field-label")
                yield PickerInput(id="procedure", compact=True,
                                  placeholder=t("ui.intake.procedure_hint"))
            yield OptionList(id="matches")
            yield Static("", id="procedure-info")
            for name in ("name", "id_number", "phone", "address"):
                with Horizontal(classes="form-row"):
                    yield Label(t(f"ui.intake.{name}"), classes="field-label")
                    yield Input(id=name, compact=True, placeholder=t(f"ui.intake.{name}_hint"))
            with Horizontal(classes="form-row"):
                yield Label(t("ui.intake.channel"), classes="field-label")
                yield Select([(t(f"ui.channel.{c}"), c) for c in CHANNELS], value="direct",
                             allow_blank=False, compact=True, id="channel")
            # Problems and the saved message sit above the checklist so they stay in view at 80x24.
            yield Static(str(self._said), id="problem", classes="error")
            yield Static(self._status, id="status", classes=self._status_class)
            yield Label(t("ui.intake.documents"), id="documents-label")
            yield DocumentList(id="documents")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#matches", OptionList).can_focus = False
        self.query_one("#procedure", Input).focus()
        self.load_catalogue()

    def on_screen_resume(self) -> None:
        # Back at the form (Esc then n, the lock, a dossier opened with Ctrl+O): what is
        # still typed is an unsaved draft, kept on purpose and said so. The catalogue
        # is read again in case it changed; the cached one serves meanwhile.
        if self._catalogue is not None:
            self.load_catalogue()
        if self._has_draft():
            self._show_draft(True)

    def has_draft(self) -> bool:
        """True while the form holds typed work that is not saved."""
        return self._has_draft()

    def _has_draft(self) -> bool:
        return self._procedure is not None or any(
            self.query_one(f"#{n}", Input).value.strip() for n in self.TEXT_FIELDS)

    def _show_draft(self, shown: bool) -> None:
        self._draft = Later("ui.intake.draft") if shown else Later()
        line = self.query_one("#draft", Static)
        line.update(str(self._draft))
        line.set_class(shown, "-shown")

    # -- procedure type-ahead ---------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "procedure":
            if self._procedure is None or event.value != self._procedure_label(self._procedure):
                self._search(event.value)
        elif event.input.id in ("name", "id_number", "phone"):
            self._check(event.input)

    def _search(self, text: str) -> None:
        if self._catalogue is not None:  # else the catalogue's arrival shows the matches
            self._matches = match_procedures(self._catalogue, text)
            self._matched = text
            self._render_matches()

    @store_work("procedures")
    def load_catalogue(self) -> list[CatalogueRow]:
        """The active procedures, with the folded text the type-ahead matches."""
        from ward_desk.services.catalogue import list_procedures, procedure_haystack

        return [CatalogueRow(ProcedureChoice(p.code, p.name, p.field, p.processing_days,
                                             tuple(json.loads(p.documents))),
                             p.name_folded, procedure_haystack(p.name_folded, p.field, p.code))
                for p in list_procedures()]

    def done_load_catalogue(self, rows: list[CatalogueRow]) -> None:
        if rows != self._catalogue:
            self._matched = None
        self._catalogue = rows
        box = self.query_one("#procedure", Input)
        if self._matched is None and (self._procedure is None or box.value != self._procedure_label(self._procedure)):
            self._search(box.value)
        if self._pick_pending:
            # Enter came before the catalogue: choose now for what was typed; the
            # clerk is already typing the name, so the focus stays where it is.
            self._pick_pending = False
            self._pick(move_focus=False)

    def _render_matches(self) -> None:
        option_list = self.query_one("#matches", OptionList)
        option_list.clear_options()
        option_list.add_options([Option(f"{p.code:<7} {p.name} — {p.field}", id=p.code)
                                 for p in self._matches])
        if self._matches:
            option_list.highlighted = 0

    @staticmethod
    def _procedure_label(p: ProcedureChoice) -> str:
        return f"{p.code} {p.name}"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "procedure":
            if self._catalogue is None:
                # Only before the catalogue's first arrival: pick when it comes, and let
                # the keys typed meanwhile land in the name, where the clerk means them.
                self._pick_pending = True
                self.query_one("#name", Input).focus()
            else:
                self._pick(move_focus=True)
            return
        if event.input.id in ("name", "id_number") and self._fill_from_card(event.value):
            return
        self.focus_next()

    def _fill_from_card(self, text: str) -> bool:
        """A QR scanner read the applicant's CCCD card into this box (it types the card's
        text, then Enter): put the name, ID number and, if none is typed yet, the
        address where they belong. False when ``text`` is not a card's QR code."""
        from ward_desk.domain.validation import parse_citizen_card_qr

        card = parse_citizen_card_qr(text)
        if card is None:
            return False
        self.query_one("#name", Input).value = card.full_name
        self.query_one("#id_number", Input).value = card.id_number
        address = self.query_one("#address", Input)
        if not address.value.strip():
            address.value = card.address
        self._check(self.query_one("#name", Input))
        self.notify(t("ui.intake.card_read", name=card.full_name, id_number=card.id_number), timeout=4)
        self.query_one("#phone", Input).focus()  # the one thing the card does not carry
        return True

    def _pick(self, *, move_focus: bool) -> None:
        """Choose the highlighted match for what the procedure box holds (the best one
        unless the clerk moved with ↑/↓), then go on to the name."""
        box = self.query_one("#procedure", Input)
        if not box.value.strip():
            box.focus()  # nothing typed yet: Enter must not pick the catalogue's first entry
            return
        p = self._procedure
        if p is None or box.value != self._procedure_label(p):
            if self._matched != box.value:
                self._search(box.value)  # the matches are for exactly what is typed now
            if not self._matches:
                self._problem(Later("ui.intake.no_match", text=box.value.strip()))
                if move_focus:
                    box.focus()
                return
            highlighted = self.query_one("#matches", OptionList).highlighted or 0
            self._choose(self._matches[min(highlighted, len(self._matches) - 1)])
            self._check(self.query_one("#name", Input))  # clears a stale "no match" line
        if move_focus:
            self.query_one("#name", Input).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = next((p for p in self._matches if p.code == event.option.id), None)
        if chosen is not None:
            self._choose(chosen)
            self.query_one("#name", Input).focus()

    def _choose(self, p: ProcedureChoice, received: tuple[str, ...] | None = None) -> None:
        self._procedure = p
        box = self.query_one("#procedure", Input)
        with box.prevent(Input.Changed):
            box.value = self._procedure_label(p)
        docs = self.query_one("#documents", SelectionList)
        docs.clear_options()
        docs.add_options([(d, d, received is None or d in received) for d in p.documents])
        self._render_procedure_info()

    def _render_procedure_info(self) -> None:
        info = self.query_one("#procedure-info", Static)
        p = self._procedure
        if p is None:
            info.update("")
            return
        from ward_desk.domain.timing import compute_due

        session = self.session
        due = compute_due(self.desk.clock(), p.days, session.calendar, session.rules)
        days = t("ui.intake.same_day") if p.days == 0 else t("ui.intake.days", days=p.days)
        info.update(t("ui.intake.due", field=p.field, days=days, due=fmt_datetime(due)))

    # -- live validation ----------------------------------------------------------
    def _check(self, box: Input) -> Later | None:
        """Validate the applicant fields as typed; mark ``box`` and show the first problem."""
        problems = {name: self._problem_of(name) for name in ("name", "id_number", "phone")}
        for name, problem in problems.items():
            self.query_one(f"#{name}", Input).set_class(problem is not None, "-invalid")
        first = next((p for p in problems.values() if p), None)
        self._problem(first or Later())
        return problems.get(box.id or "")

    def _problem_of(self, name: str) -> Later | None:
        from ward_desk.errors import WardDeskError

        value = self.query_one(f"#{name}", Input).value
        if not value.strip():
            return None  # empty optional fields are fine; an empty name is reported on save
        try:
            _validators()[name](value)
        except WardDeskError as exc:
            return Later(exc)
        return None

    # -- save ---------------------------------------------------------------------
    def action_save(self) -> None:
        """Check the form and save the dossier (receipt produced in the same worker)."""
        if self._saving:
            return
        if self._procedure is None:
            self._problem(Later("ui.intake.no_procedure"))
            self.query_one("#procedure", Input).focus()
            return
        for name in ("name", "id_number", "phone"):
            box = self.query_one(f"#{name}", Input)
            if self._check(box):
                box.focus()
                return
        if not self.query_one("#name", Input).value.strip():
            self._problem(Later("validation.name"))
            self.query_one("#name", Input).focus()
            return
        from ward_desk.services.dossiers import DocumentItem, IntakeRequest

        docs = self.query_one("#documents", SelectionList)
        ticked = set(docs.selected)
        missing = [d for d in self._procedure.documents if d not in ticked]
        request = IntakeRequest(
            procedure_code=self._procedure.code,
            applicant_name=self.query_one("#name", Input).value,
            id_number=self.query_one("#id_number", Input).value,
            phone=self.query_one("#phone", Input).value,
            address=self.query_one("#address", Input).value,
            channel=str(self.query_one("#channel", Select).value),
            documents=[DocumentItem(d, d in ticked) for d in self._procedure.documents],
        )
        if missing:
            self._ask_missing(request, missing)
            return
        self._saving = True
        self.save(request)

    def _ask_missing(self, request: Any, missing: list[str]) -> None:
        """A document of the procedure is not ticked: save only if the clerk says so."""
        from ward_desk.ui.screens.dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes and not self._saving:
                self._saving = True
                self.save(request)

        question = t("ui.intake.missing_documents", documents="; ".join(missing))
        self.app.push_screen(ConfirmDialog(question, yes_label=t("ui.intake.save_anyway")),
                             callback=answered)

    @store_work("intake", exclusive=False)
    def save(self, request: Any) -> tuple[str, datetime]:
        """Commit the intake."""
        from ward_desk.services import dossiers

        dossier = dossiers.intake(self.session, request)
        return dossier.code, dossier.due_at

    def done_save(self, result: tuple[str, datetime]) -> None:
        self._saving = False
        code, due_at = result
        self._last_code = code
        self.action_clear()
        self._saved_text = t("ui.intake.saved", code=code, due=fmt_datetime(due_at))
        self._set_status(self._saved_text + " " + t("ui.intake.printing"), "ok")
        # The dossier is committed: the clerk may go on while the receipt renders.
        self.receipt(code)

    @work(group="slip", exit_on_error=False)
    async def receipt(self, code: str) -> Any:
        """Produce the receipt (giấy tiếp nhận và hẹn trả kết quả) as PDF and DOCX."""
        from ward_desk.ui import slips

        return await slips.produce(self.app, "receipt", code)

    def done_receipt(self, result: Any) -> None:
        if self._status.startswith(self._saved_text):
            self._set_status(self._saved_text + " " + result.message, "ok" if result.ok else "error")

    def failed_save(self, error: BaseException | None) -> bool:
        self._saving = False
        from ward_desk.errors import WardDeskError

        if isinstance(error, WardDeskError):
            self._problem(Later(error))
            return True
        return False

    def _problem(self, text: Later) -> None:
        self._said = text
        self.query_one("#problem", Static).update(str(text))

    def _set_status(self, text: str, cls: str = "status") -> None:
        self._status, self._status_class = text, cls
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_classes(cls)

    def action_clear(self) -> None:
        """Empty the form for the next citizen."""
        self._procedure = None
        for name in self.TEXT_FIELDS:
            box = self.query_one(f"#{name}", Input)
            box.value = ""
            box.remove_class("-invalid")
        self.query_one("#channel", Select).value = "direct"
        self.query_one("#documents", SelectionList).clear_options()
        self.query_one("#procedure-info", Static).update("")
        self._problem(Later())
        self._set_status("")
        self._show_draft(False)
        self._pick_pending = False
        self.query_one("#procedure", Input).focus()

    def action_open_last(self) -> None:
        """Open the dossier saved last."""
        if self._last_code:
            from ward_desk.ui.screens.dossier_detail import DossierDetailScreen

            self.app.push_screen(DossierDetailScreen(self._last_code))

    # -- language switch --------------------------------------------------------------
    def capture_state(self) -> dict[str, Any]:
        docs = self.query_one("#documents", SelectionList)
        return {
            "fields": {n: self.query_one(f"#{n}", Input).value for n in self.TEXT_FIELDS},
            "channel": self.query_one("#channel", Select).value,
            "received": tuple(docs.selected),
            "focused": self.focused.id if self.focused else None,
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        for name, value in state["fields"].items():
            box = self.query_one(f"#{name}", Input)
            with box.prevent(Input.Changed):
                box.value = value
        self.query_one("#channel", Select).value = state["channel"]
        self.query_one("#matches", OptionList).can_focus = False
        self._render_matches()
        if self._procedure is not None:
            self._choose(self._procedure, state["received"])
        if state["focused"]:
            self.query_one(f"#{state['focused']}").focus()
        self._set_status(self._status, self._status_class)
