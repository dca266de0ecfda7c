"""The desk's dialogs: reason / legal basis, officer, satisfaction rating, apology slip,
preview (dossier detail); manual score with evidence, confirmation (self-assessment)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ward_desk.i18n import t
from ward_desk.ui.i18n import Later, action_text
from ward_desk.ui.screens.base import DeskModal

RATING_LEVELS = ("very_satisfied", "satisfied", "neutral", "unsatisfied")  # services.dossiers

_DIALOG_BINDINGS: list[BindingType] = [
    Binding("ctrl+s,f2", "confirm", "key.confirm", id="confirm", priority=True),
    Binding("escape", "cancel", "key.cancel", id="cancel"),
]


class _Dialog(DeskModal):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = _DIALOG_BINDINGS
    BUSY_SELECTOR = "#dialog"

    def action_cancel(self) -> None:
        """Close without doing anything."""
        self.dismiss(None)

    def action_confirm(self) -> None:
        """Accept the dialog (subclasses check their fields)."""

    _said: Later = Later()

    def _problem(self, text: Later) -> None:
        self._said = text  # kept unworded: a language switch re-words it
        self.query_one("#problem", Static).update(str(text))

    def capture_state(self) -> dict[str, Any]:
        return {i.id: i.value for i in self.query(Input).results(Input)}

    def restore_state(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            self.query_one(f"#{key}", Input).value = value


class ReasonDialog(_Dialog):
    """Asks for the reason (and the legal basis where the rules need one) of an action."""

    def __init__(self, action: str, needs_reason: bool, needs_legal_basis: bool,
                 title: str | None = None) -> None:
        super().__init__()
        self._action = action
        self._title = title
        self._needs_reason = needs_reason
        self._needs_legal_basis = needs_legal_basis

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title or action_text(self._action), classes="title")
            yield Label(t("ui.dialog.reason"))
            yield Input(id="reason", compact=True, placeholder=t("ui.dialog.reason_hint"))
            if self._needs_legal_basis:
                yield Label(t("ui.dialog.legal_basis"))
                yield Input(id="legal_basis", compact=True,
                            placeholder=t("ui.dialog.legal_basis_hint"))
            yield Static(str(self._said), id="problem", classes="error")
            yield Static(t("ui.dialog.confirm_hint"), classes="status")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "reason" and self._needs_legal_basis:
            self.query_one("#legal_basis", Input).focus()
        else:
            self.action_confirm()

    def action_confirm(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        legal = self.query_one("#legal_basis", Input).value.strip() if self._needs_legal_basis else ""
        if self._needs_reason and not reason:
            self._problem(Later("ui.dialog.reason_required"))
            return
        if self._needs_legal_basis and not legal:
            self._problem(Later("ui.dialog.legal_basis_required"))
            return
        self.dismiss((reason, legal))


class RatingDialog(_Dialog):
    """The citizen's satisfaction, asked when the result is handed back."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(t("ui.rating.title"), classes="title")
            yield OptionList(*[Option(f"{i}. {t(f'ui.rating.{level}')}", id=level)
                               for i, level in enumerate(RATING_LEVELS, start=1)], id="levels")
            yield Static(t("ui.rating.hint"), classes="status")

    def on_mount(self) -> None:
        levels = self.query_one(OptionList)
        levels.highlighted = 1  # "satisfied": the usual answer, one Enter away
        levels.focus()

    def on_key(self, event: Any) -> None:
        # 1-4 pick a level directly.
        if event.character in ("1", "2", "3", "4"):
            event.stop()
            self.dismiss(RATING_LEVELS[int(event.character) - 1])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_confirm(self) -> None:
        levels = self.query_one(OptionList)
        if levels.highlighted is not None:
            self.dismiss(RATING_LEVELS[levels.highlighted])

    def capture_state(self) -> dict[str, Any]:
        return {}


class ApologyDialog(_Dialog):
    """The apology slip: a proposed new date and a reason, both prefilled, so that
    the clerk issues it in two keystrokes (open, Enter)."""

    def __init__(self, proposed: date, reason: str) -> None:
        super().__init__()
        self._proposed = proposed
        self._reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(t("ui.apology.title"), classes="title")
            yield Label(t("ui.apology.new_date"))
            yield Input(self._proposed.strftime("%d/%m/%Y"), id="new_date", compact=True)
            yield Label(t("ui.apology.reason"))
            yield Input(self._reason, id="reason", compact=True)
            yield Static(str(self._said), id="problem", classes="error")
            yield Static(t("ui.dialog.confirm_hint"), classes="status")

    def on_mount(self) -> None:
        self.query_one("#new_date", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        text = self.query_one("#new_date", Input).value.strip()
        try:
            day = datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            self._problem(Later("ui.apology.bad_date", value=text))
            return
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self._problem(Later("apology.reason_required"))
            return
        self.dismiss((day, reason))


class PreviewScreen(_Dialog):
    """A slip's text on screen, before or instead of printing it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "key.close", id="close"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="preview"):
            yield Static(self._text, id="preview-text", markup=False)

    def on_mount(self) -> None:
        self.query_one("#dialog").focus()


class OfficerDialog(_Dialog):
    """Whom to forward the dossier to: the office's active users, the clerk first."""

    def __init__(self, officers: list[tuple[str, str]], current: str) -> None:
        super().__init__()
        self._officers = officers
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(t("ui.officer.title"), classes="title")
            yield OptionList(*[Option(f"{name} ({user})", id=user) for user, name in self._officers],
                             id="officers")
            yield Static(t("ui.officer.hint"), classes="status")

    def on_mount(self) -> None:
        officers = self.query_one(OptionList)
        users = [u for u, _ in self._officers]
        officers.highlighted = users.index(self._current) if self._current in users else 0
        officers.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_confirm(self) -> None:
        officers = self.query_one(OptionList)
        if officers.highlighted is not None:
            self.dismiss(self._officers[officers.highlighted][0])

    def capture_state(self) -> dict[str, Any]:
        return {}


class ScoreDialog(_Dialog):
    """The leader's score of one manual criterion, with its evidence (and an optional file)."""

    def __init__(self, criterion: str, title: str, max_points: str, points: str, evidence: str,
                 attachment: str, problem: Later | None = None) -> None:
        super().__init__()
        self._criterion, self._title, self._max = criterion, title, max_points
        if problem is not None:
            self._said = problem
        self._values = {"points": points, "evidence": evidence, "attachment": attachment}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"{self._criterion} {self._title}", classes="title")
            yield Label(t("ui.score.points", max=self._max))
            yield Input(self._values["points"], id="points", compact=True)
            yield Label(t("ui.score.evidence"))
            yield Input(self._values["evidence"], id="evidence", compact=True,
                        placeholder=t("ui.score.evidence_hint"))
            yield Label(t("ui.score.attachment"))
            yield Input(self._values["attachment"], id="attachment", compact=True,
                        placeholder=t("ui.score.attachment_hint"))
            yield Static(str(self._said), id="problem", classes="error")
            yield Static(t("ui.dialog.confirm_hint"), classes="status")

    def on_mount(self) -> None:
        self.query_one("#points", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        order = ["points", "evidence", "attachment"]
        at = order.index(event.input.id or "points")
        if at + 1 < len(order):
            self.query_one(f"#{order[at + 1]}", Input).focus()
        else:
            self.action_confirm()

    def action_confirm(self) -> None:
        points = self.query_one("#points", Input).value.strip()
        evidence = self.query_one("#evidence", Input).value.strip()
        if not points:
            self._problem(Later("ui.score.points_required"))
            return
        if not evidence:
            self._problem(Later("ui.score.evidence_required"))
            return
        self.dismiss((points, evidence, self.query_one("#attachment", Input).value.strip()))


class ConfirmDialog(_Dialog):
    """Yes (Enter, Ctrl+S, F2) or no (Esc) to one question."""

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._question, classes="title")
            yield Static(t("ui.confirm.hint"), classes="status")

    def on_key(self, event: Any) -> None:
        if event.key == "enter":
            event.stop()
            self.dismiss(True)

    def action_confirm(self) -> None:
        self.dismiss(True)

    def capture_state(self) -> dict[str, Any]:
        return {}
