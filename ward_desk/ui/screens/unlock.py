"""Unlock: user name and password open the encrypted store."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Input, Label, Static

from ward_desk.i18n import t
from ward_desk.ui.i18n import Later
from ward_desk.ui.screens.base import DeskScreen
from ward_desk.ui.workers import store_work


class UnlockScreen(DeskScreen):
    """Sign in. The wrong-password message is the store's own (``WrongPassword``)."""

    CSS_PATH = "unlock.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "unlock", "key.unlock", id="unlock", show=True)]
    BUSY_SELECTOR = "#form"

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        super().__init__()
        self._username = username or ""
        self._password = password or ""
        self._message: Later = Later()

    def compose(self) -> ComposeResult:
        yield Header()
        with Center(), Vertical(id="form"):
            yield Static(t("ui.unlock.title"), classes="title")
            yield Label(t("ui.unlock.username"))
            yield Input(self._username, id="username", compact=True,
                        placeholder=t("ui.unlock.username_hint"))
            yield Label(t("ui.unlock.password"))
            yield Input(self._password, id="password", password=True, compact=True)
            yield Static(str(self._message), id="message", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        # With a prefilled user (demo, or a one-user office) the password is what is left to type.
        self.query_one("#password" if self._username else "#username", Input).focus()

    def capture_state(self) -> dict[str, str]:
        return {"username": self.query_one("#username", Input).value,
                "password": self.query_one("#password", Input).value}

    def restore_state(self, state: dict[str, str]) -> None:
        self._username = state["username"]
        self.query_one("#username", Input).value = state["username"]
        self.query_one("#password", Input).value = state["password"]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "username" and not self.query_one("#password", Input).value:
            self.query_one("#password", Input).focus()
            return
        self.action_unlock()

    def action_unlock(self) -> None:
        """Try the password (in a worker: Argon2 and SQLCipher take a moment)."""
        if self.busy:
            return
        username = self.query_one("#username", Input).value.strip() or None
        password = self.query_one("#password", Input).value
        self._set_message(Later())
        self.unlock(self.desk.data_dir, username, password)

    @store_work("unlock")
    def unlock(self, data_dir: Path, username: str | None, password: str):
        """Open the store and sign the user in."""
        from ward_desk.services.desk import open_session, upgrade_notice

        def tell(found: int, target: int, size_bytes: int) -> None:
            # Posted, not called: waiting here for the UI thread could deadlock with a quit
            # that is waiting for this (store) thread. post_message is thread-safe.
            self.post_message(self.UpgradeNotice(str(upgrade_notice(found, target, size_bytes))))

        return open_session(data_dir, username, password, clock=self.desk.clock, on_upgrade=tell)

    class UpgradeNotice(Message):
        """The store is being upgraded (its backup first): shown while the unlock waits."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def on_unlock_screen_upgrade_notice(self, message: UpgradeNotice) -> None:
        # A toast, not the form's message line: the busy indicator covers the form.
        self.notify(message.text, timeout=600)

    def done_unlock(self, session) -> None:
        self.app.clear_notifications()  # an upgrade notice, if there was one, is over
        self.desk.signed_in(session)

    def failed_unlock(self, error: BaseException | None) -> bool:
        from ward_desk.errors import WardDeskError

        self.app.clear_notifications()  # an upgrade notice, if there was one, is over
        if isinstance(error, WardDeskError):
            self._set_message(Later(error))
            password = self.query_one("#password", Input)
            password.value = ""
            password.focus()
            return True
        return False

    def _set_message(self, text: Later) -> None:
        self._message = text  # kept unworded: a language switch re-words it
        self.query_one("#message", Static).update(str(text))
