"""First run: create the office's encrypted store and its administrator."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Footer, Header, Input, Label, Static

from ward_desk.i18n import t
from ward_desk.ui.i18n import Later
from ward_desk.ui.screens.base import DeskModal, DeskScreen
from ward_desk.ui.workers import store_work

_FIELDS = (
    ("office_code", False),
    ("office_name", False),
    ("admin_username", False),
    ("admin_full_name", False),
    ("password", True),
    ("password2", True),
)


class SetupScreen(DeskScreen):
    """The setup wizard shown when the data folder holds no store yet."""

    CSS_PATH = "setup.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s,f2", "create", "key.create_store", id="create_store")]

    def __init__(self) -> None:
        super().__init__()
        self._message: Later = Later()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body"):
            yield Static(t("ui.setup.title"), classes="title")
            yield Static(t("ui.setup.intro"), classes="status")
            for name, secret in _FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(t(f"ui.setup.{name}"), classes="field-label")
                    yield Input(id=name, password=secret, compact=True,
                                placeholder=t(f"ui.setup.{name}.hint"))
            yield Static(str(self._message), id="message", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#office_code", Input).focus()

    def _values(self) -> dict[str, str]:
        return {name: self.query_one(f"#{name}", Input).value for name, _ in _FIELDS}

    def capture_state(self) -> dict[str, Any]:
        return self._values()

    def restore_state(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            self.query_one(f"#{name}", Input).value = value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        names = [n for n, _ in _FIELDS]
        i = names.index(event.input.id or names[0])
        if i + 1 < len(names):
            self.query_one(f"#{names[i + 1]}", Input).focus()
        else:
            self.action_create()

    def action_create(self) -> None:
        """Check the form, then create the store in a worker."""
        if self.busy:
            return
        v = self._values()
        if v["password"] != v["password2"]:
            self._set_message(Later("auth.password_mismatch"))
            return
        self._set_message(Later())
        self.create(v)

    @store_work("setup")
    def create(self, v: dict[str, str]) -> tuple[Any, str]:
        """Create the store; return the signed-in session and the recovery key."""
        from ward_desk.services.desk import session_for
        from ward_desk.services.setup import create_store

        store, recovery = create_store(
            self.desk.data_dir, office_code=v["office_code"], office_name=v["office_name"],
            admin_username=v["admin_username"].strip(), admin_password=v["password"],
            admin_full_name=v["admin_full_name"].strip() or None, now=self.desk.clock(),
        )
        return session_for(store, v["admin_username"].strip(), clock=self.desk.clock), recovery

    def done_create(self, result: tuple[Any, str]) -> None:
        session, recovery = result

        def written_down(_: object) -> None:
            self.desk.signed_in(session)

        self.app.push_screen(RecoveryKeyScreen(recovery), callback=written_down)

    def failed_create(self, error: BaseException | None) -> bool:
        from ward_desk.errors import WardDeskError

        if isinstance(error, WardDeskError):
            self._set_message(Later(error))
            return True
        return False

    def _set_message(self, text: Later) -> None:
        self._message = text  # kept unworded: a language switch re-words it
        self.query_one("#message", Static).update(str(text))


class RecoveryKeyScreen(DeskModal):
    """Shows the recovery key once; continues only after the user confirms writing it down."""

    CSS_PATH = "setup.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s,f2", "done", "key.continue", id="continue")]

    def __init__(self, recovery_key: str) -> None:
        super().__init__()
        self._key = recovery_key

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="body"):
            yield Static(t("ui.recovery.title"), classes="title")
            yield Static(t("ui.recovery.explain"), classes="status")
            yield Static(self._key, id="recovery-key")
            yield Checkbox(t("ui.recovery.confirm"), id="confirm")
            yield Button(t("ui.recovery.continue"), id="continue", disabled=True, variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm", Checkbox).focus()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.query_one("#continue", Button).disabled = not event.value

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_done()

    def action_done(self) -> None:
        """Leave only when the key is confirmed as written down."""
        if self.query_one("#confirm", Checkbox).value:
            self.dismiss(True)
        else:
            self.notify(t("ui.recovery.must_confirm"), severity="warning")

    def capture_state(self) -> dict[str, Any]:
        return {"confirm": self.query_one("#confirm", Checkbox).value}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.query_one("#confirm", Checkbox).value = state["confirm"]
