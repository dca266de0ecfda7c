"""The idle lock: a dialog over the current screen, so the work under it is kept."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from ward_desk.i18n import t
from ward_desk.ui.i18n import Later
from ward_desk.ui.screens.base import DeskModal
from ward_desk.ui.workers import store_work


class LockScreen(DeskModal):
    """Locked desk: the signed-in user's password unlocks it again.

    The store stays open underneath (the clerk's unsaved form and the screen
    stack are untouched); only this user's password slot is checked again.
    """

    CSS_PATH = "lock.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "unlock", "key.unlock", id="unlock")]
    BUSY_SELECTOR = "#lock-box"

    def __init__(self, username: str) -> None:
        super().__init__()
        self._username = username
        self._message: Later = Later()

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static(t("ui.lock.title"), classes="title")
            yield Label(t("ui.lock.user", username=self._username))
            yield Input(id="password", password=True, compact=True,
                        placeholder=t("ui.unlock.password"))
            yield Static(str(self._message), id="message", classes="error")

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_unlock()

    def action_unlock(self) -> None:
        """Check the password in a worker (Argon2 takes a moment)."""
        if self.busy:
            return
        self.check(self.query_one("#password", Input).value)

    @store_work("lock")
    def check(self, password: str) -> bool:
        """Unwrap this user's key slot; WrongPassword if the password is wrong."""
        from ward_desk.services import unlock_guard
        from ward_desk.store.keys import KeyFile

        store = self.session.store
        unlock_guard.guarded(self.desk.data_dir, self._username, self.desk.clock(), lambda: KeyFile.load(
            store.keys_path).unlock_with_password(self._username, password))
        return True

    def done_check(self, _ok: bool) -> None:
        self.dismiss(True)

    def failed_check(self, error: BaseException | None) -> bool:
        from ward_desk.errors import WardDeskError

        if isinstance(error, WardDeskError):
            self._message = Later(error)  # re-worded after a language switch
            self.query_one("#message", Static).update(str(self._message))
            password = self.query_one("#password", Input)
            password.value = ""
            password.focus()
            return True
        return False
