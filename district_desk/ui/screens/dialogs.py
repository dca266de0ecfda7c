"""Small modal dialogs: the passphrase, a month, the reason for returning a self-assessment."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from district_desk.ui.bindings import translate_bindings
from ward_desk.i18n import t


class AskDialog(ModalScreen[str | None]):
    """One line of input: Enter answers, Escape cancels."""

    CSS_PATH = str(Path(__file__).with_name("dialogs.tcss"))  # absolute: subclasses share it
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel", id="cancel")]

    def __init__(self, title: str, prompt: str, *, password: bool = False, value: str = "",
                 placeholder: str = "") -> None:
        super().__init__()
        self._title, self._prompt = title, prompt
        self._password, self._value, self._placeholder = password, value, placeholder
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._title, id="dialog-title")
            yield Label(self._prompt, id="dialog-prompt")
            yield Input(value=self._value, password=self._password, placeholder=self._placeholder, id="answer")
            yield Label("", id="dialog-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def check(self, value: str) -> str | None:
        """An error message for ``value``, or None when it is acceptable."""
        return None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip() if not self._password else event.value
        problem = self.check(value)
        if problem:
            self.query_one("#dialog-error", Label).update(problem)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PasswordDialog(AskDialog):
    def __init__(self) -> None:
        super().__init__(t("district.ui.unlock_title"), t("district.ui.unlock_prompt"), password=True)

    def check(self, value: str) -> str | None:
        return None if value else t("district.ui.unlock_prompt")


class MonthDialog(AskDialog):
    def __init__(self, month: str) -> None:
        super().__init__(t("district.ui.month_title"), t("district.ui.month_prompt"), value=month,
                         placeholder="2026-02")

    def check(self, value: str) -> str | None:
        from district_desk.views import month_period
        from ward_desk.errors import WardDeskError

        try:
            month_period(value)
        except WardDeskError as exc:
            return str(exc)
        return None


class ReasonDialog(AskDialog):
    """Why a self-assessment goes back to the ward (required, sent to the ward as written)."""

    def __init__(self, office: str, month: str, revision: int) -> None:
        super().__init__(t("district.ui.return_title", office=office, month=month, revision=revision),
                         t("district.ui.return_prompt"))

    def check(self, value: str) -> str | None:
        return None if value else t("district.review.comment_required_ui")
