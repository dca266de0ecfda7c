"""Dialogs of the dossier detail: reason / legal basis, satisfaction rating, apology slip, preview."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ward_desk.i18n import t
from ward_desk.ui.i18n import action_text
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

    def _problem(self, text: str) -> None:
        self.query_one("#problem", Static).update(text)

    def capture_state(self) -> dict[str, Any]:
        return {i.id: i.value for i in self.query(Input).results(Input)}

    def restore_state(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            self.query_one(f"#{key}", Input).value = value


class ReasonDialog(_Dialog):
    """Asks for the reason (and the legal basis where the rules need one) of an action."""

    def __init__(self, action: str, needs_reason: bool, needs_legal_basis: bool) -> None:
        super().__init__()
        self._action = action
        self._needs_reason = needs_reason
        self._needs_legal_basis = needs_legal_basis

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(action_text(self._action), classes="title")
            yield Label(t("ui.dialog.reason"))
            yield Input(id="reason", compact=True, placeholder=t("ui.dialog.reason_hint"))
            if self._needs_legal_basis:
                yield Label(t("ui.dialog.legal_basis"))
                yield Input(id="legal_basis", compact=True,
                            placeholder=t("ui.dialog.legal_basis_hint"))
            yield Static("", id="problem", classes="error")
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
            self._problem(t("ui.dialog.reason_required"))
            return
        if self._needs_legal_basis and not legal:
            self._problem(t("ui.dialog.legal_basis_required"))
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
            yield Static("", id="problem", classes="error")
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
            self._problem(t("ui.apology.bad_date", value=text))
            return
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self._problem(t("apology.reason_required"))
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
