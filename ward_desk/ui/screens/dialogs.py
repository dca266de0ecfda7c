"""The desk's dialogs: reason / legal basis, officer, satisfaction rating, apology slip,
preview (dossier detail); manual score with evidence, confirmation (self-assessment)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ward_desk.i18n import t
from ward_desk.ui.i18n import Later, action_text
from ward_desk.ui.screens.base import DeskModal

# services.dossiers.RATING_LEVELS, then RATING_DECLINED: the citizen would not rate.
RATING_LEVELS = ("very_satisfied", "satisfied", "neutral", "unsatisfied", "declined")

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


# How many common reasons the catalogue offers per action (ui.reason.<action>.<n>).
COMMON_REASONS = {"reject": 4, "withdraw": 3, "request_supplement": 4, "suspend": 3, "declare_late": 3}


class ReasonDialog(_Dialog):
    """Asks for the reason (and the legal basis where the rules need one) of an action:
    one of the common reasons for that action, editable, or the clerk's own words.
    A reason that is only a date or a few letters is refused beside the field, and the
    dialog keeps what was typed."""

    def __init__(self, action: str, needs_reason: bool, needs_legal_basis: bool,
                 title: str | None = None) -> None:
        super().__init__()
        self._action = action
        self._title = title
        self._needs_reason = needs_reason
        self._needs_legal_basis = needs_legal_basis
        self._said_at: dict[str, Later] = {}

    def _common(self) -> list[str]:
        return [t(f"ui.reason.{self._action}.{i}")
                for i in range(1, COMMON_REASONS.get(self._action, 0) + 1)]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="reason"):
            yield Static(self._title or action_text(self._action), classes="title")
            common = self._common()
            if common:
                yield OptionList(*[Option(f"{i}. {r}", id=str(i)) for i, r in enumerate(common, 1)],
                                 Option(t("ui.reason.other"), id="other"), id="common")
            yield Label(t("ui.dialog.reason"))
            # Not selected on focus: letters typed on the list, or a picked reason, go on.
            # A supplement request's reason is what the citizen must bring: its parts (";")
            # are the rows of form 02, so the hint says how to list several.
            hint = "ui.dialog.reason_hint.supplement" if self._action == "request_supplement" else "ui.dialog.reason_hint"
            yield Input(id="reason", compact=True, placeholder=t(hint), select_on_focus=False)
            yield Static(str(self._said_at.get("reason", "")), id="reason-problem", classes="error")
            if self._needs_legal_basis:
                yield Label(t("ui.dialog.legal_basis"))
                yield Input(id="legal_basis", compact=True,
                            placeholder=t("ui.dialog.legal_basis_hint"))
                yield Static(str(self._said_at.get("legal_basis", "")), id="legal_basis-problem",
                             classes="error")
            yield Static(t("ui.reason.pick_hint") if common else t("ui.dialog.confirm_hint"),
                         classes="status")

    def on_mount(self) -> None:
        super().on_mount()
        found = self.query("#common")
        (found.first() if found else self.query_one("#reason", Input)).focus()

    def on_key(self, event: Any) -> None:
        # On the list of common reasons: 1-9 pick one; any other letter starts the
        # clerk's own words in the reason box (typed ahead of Tab, nothing is lost).
        if self.focused is None or self.focused.id != "common" or not event.is_printable:
            return
        char = event.character or ""
        common = self._common()
        event.stop()
        event.prevent_default()
        if char.isdigit() and 1 <= int(char) <= len(common):
            self._use(common[int(char) - 1])
            return
        box = self.query_one("#reason", Input)
        box.insert_text_at_cursor(char)
        box.focus()

    def _use(self, reason: str) -> None:
        box = self.query_one("#reason", Input)
        box.value = reason
        box.cursor_position = len(reason)
        box.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        box = self.query_one("#reason", Input)
        if event.option.id and event.option.id != "other":
            box.value = self._common()[int(event.option.id) - 1]
            box.cursor_position = len(box.value)
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "reason" and self._needs_legal_basis:
            self.query_one("#legal_basis", Input).focus()
        else:
            self.action_confirm()

    def _problem_at(self, field: str, text: Later) -> None:
        self._said_at[field] = text
        self.query_one(f"#{field}-problem", Static).update(str(text))
        if str(text):
            box = self.query_one(f"#{field}", Input)
            box.focus()
            box.select_all()  # what is typed next replaces it; End keeps it

    def action_confirm(self) -> None:
        from ward_desk.domain.validation import validate_reason
        from ward_desk.errors import WardDeskError

        reason = self.query_one("#reason", Input).value.strip()
        legal = self.query_one("#legal_basis", Input).value.strip() if self._needs_legal_basis else ""
        self._problem_at("reason", Later())
        if self._needs_legal_basis:
            self._problem_at("legal_basis", Later())
        if self._needs_reason:
            if not reason:
                self._problem_at("reason", Later("ui.dialog.reason_required"))
                return
            try:
                reason = validate_reason(reason)
            except WardDeskError as exc:
                self._problem_at("reason", Later(exc))
                return
        if self._needs_legal_basis and not legal:
            self._problem_at("legal_basis", Later("ui.dialog.legal_basis_required"))
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
        # 1-5 pick an answer directly.
        if event.character in ("1", "2", "3", "4", "5"):
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
    the clerk issues it in two keystrokes (open, Enter). ``issue(day, reason)`` (run on
    the store thread) records it; the dialog stays open, with what was typed, until it
    succeeds, and shows what is wrong beside the field it is about."""

    def __init__(self, proposed: date, reason: str,
                 issue: Callable[[date, str], Any] | None = None) -> None:
        super().__init__()
        self._proposed = proposed
        self._reason = reason
        self._issue = issue
        self._said_at: dict[str, Later] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(t("ui.apology.title"), classes="title")
            yield Label(t("ui.apology.new_date"))
            yield Input(self._proposed.strftime("%d/%m/%Y"), id="new_date", compact=True)
            yield Static(str(self._said_at.get("new_date", "")), id="new_date-problem", classes="error")
            yield Label(t("ui.apology.reason"))
            yield Input(self._reason, id="reason", compact=True)
            yield Static(str(self._said_at.get("reason", "")), id="reason-problem", classes="error")
            yield Static(t("ui.dialog.confirm_hint"), classes="status")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#new_date", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def _problem_at(self, field: str, text: Later) -> None:
        self._said_at[field] = text
        self.query_one(f"#{field}-problem", Static).update(str(text))
        if str(text):
            box = self.query_one(f"#{field}", Input)
            box.focus()
            box.select_all()  # what is typed next replaces it; End keeps it

    def action_confirm(self) -> None:
        if self.busy:
            return
        self._problem_at("new_date", Later())
        self._problem_at("reason", Later())
        text = self.query_one("#new_date", Input).value.strip()
        try:
            day = datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            self._problem_at("new_date", Later("ui.apology.bad_date", value=text))
            return
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self._problem_at("reason", Later("apology.reason_required"))
            return
        if self._issue is None:
            self.dismiss((day, reason))
        else:
            self.submit(day, reason)

    @work(group="apology", exclusive=True, exit_on_error=False)
    async def submit(self, day: date, reason: str) -> Any:
        """Record the slip on the store thread (the services check the date)."""
        assert self._issue is not None
        return await self.desk.store_thread.call(self._issue, day, reason)

    def done_submit(self, result: Any) -> None:
        self.dismiss(result)

    def failed_submit(self, error: BaseException | None) -> bool:
        from ward_desk.errors import WardDeskError

        if not isinstance(error, WardDeskError):
            return False
        message_id = getattr(getattr(error, "message", None), "id", "")
        self._problem_at("reason" if "reason" in message_id else "new_date", Later(error))
        return True


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
            yield Static(self._title or self._criterion, classes="title")  # the name, not the key
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
    """Yes or no to one question. Plain questions: Enter (Ctrl+S, F2) is yes, Esc no.
    With ``yes_label`` (irreversible actions) the answers are a list with "no" chosen,
    so Enter alone never does it: ↓ then Enter says yes."""

    def __init__(self, question: str, yes_label: str | None = None) -> None:
        super().__init__()
        self._question = question
        self._yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._question, id="question", classes="title")
            if self._yes_label is None:
                yield Static(t("ui.confirm.hint"), classes="status")
            else:
                yield OptionList(Option(t("ui.confirm.no"), id="no"),
                                 Option(self._yes_label, id="yes"), id="answers")
                yield Static(t("ui.confirm.choose_hint"), classes="status")

    def on_mount(self) -> None:
        super().on_mount()
        if self._yes_label is not None:
            answers = self.query_one("#answers", OptionList)
            answers.highlighted = 0
            answers.focus()

    def on_key(self, event: Any) -> None:
        if event.key == "enter" and self._yes_label is None:
            event.stop()
            self.dismiss(True)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id == "yes")

    def action_confirm(self) -> None:
        if self._yes_label is None:
            self.dismiss(True)
        else:  # Ctrl+S / F2 take the answer chosen, like Enter
            answers = self.query_one("#answers", OptionList)
            self.dismiss(answers.highlighted == 1)

    def capture_state(self) -> dict[str, Any]:
        return {}


class ChoiceDialog(_Dialog):
    """Pick one of a few things (which slip to print): ↑↓ then Enter, or its number."""

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title = title
        self._choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title, classes="title")
            yield OptionList(*[Option(f"{i}. {label}", id=key)
                               for i, (key, label) in enumerate(self._choices, 1)], id="choices")
            yield Static(t("ui.officer.hint_generic"), classes="status")

    def on_mount(self) -> None:
        super().on_mount()
        choices = self.query_one(OptionList)
        choices.highlighted = 0
        choices.focus()

    def on_key(self, event: Any) -> None:
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= len(self._choices):
            event.stop()
            self.dismiss(self._choices[int(event.character) - 1][0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_confirm(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None:
            self.dismiss(self._choices[highlighted][0])

    def capture_state(self) -> dict[str, Any]:
        return {}
