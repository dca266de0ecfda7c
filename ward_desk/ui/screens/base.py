"""What every desk screen shares: translated bindings, worker results, the busy
indicator, and re-rendering after a language switch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from ward_desk.errors import WardDeskError
from ward_desk.i18n import t
from ward_desk.ui.i18n import translate_bindings, translate_textual

if TYPE_CHECKING:
    from ward_desk.services.session import Session
    from ward_desk.ui.app import WardDeskApp

BUSY_AFTER = 0.5  # seconds: quicker work shows no spinner at all (habit 10)


class DeskMixin:
    """Behaviour shared by full screens and modal dialogs of the desk.

    Workers started by the screen report back here: a successful worker named
    ``load`` calls ``done_load(result)``; a failed one calls
    ``failed_load(error)`` if the screen has it and it returns True, otherwise
    the error's catalogue message is shown as a notification.
    """

    BUSY_SELECTOR = "#body"
    """The widget that shows the loading indicator while work runs."""

    def _desk_init(self) -> None:
        translate_bindings(self)  # type: ignore[arg-type]
        self._desk_busy_timer: Timer | None = None
        self._language_epoch = 0

    @property
    def desk(self) -> WardDeskApp:
        """The running desk app."""
        return self.app  # type: ignore[attr-defined,no-any-return]

    @property
    def session(self) -> Session:
        """The signed-in session (only on screens shown after unlock)."""
        session = self.desk.session
        assert session is not None, "screen shown before unlock"
        return session

    # -- workers -------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while a worker this screen started is still to report back."""
        return any(w.node is self and not w.is_cancelled and not w.is_finished
                   for w in self.app.workers)  # type: ignore[attr-defined]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.node is not self:
            return
        # Recomputed from the worker manager each time rather than counted from
        # messages: a thread worker cancelled by a newer exclusive one may never
        # report its own end.
        if self.busy:
            if self._desk_busy_timer is None:
                self._desk_busy_timer = self.set_timer(BUSY_AFTER, self._show_busy)  # type: ignore[attr-defined]
        else:
            self._hide_busy()
        if event.state is WorkerState.SUCCESS:
            handler = getattr(self, f"done_{worker.name}", None)
            if handler is not None:
                handler(worker.result)
        elif event.state is WorkerState.ERROR:
            handler = getattr(self, f"failed_{worker.name}", None)
            if handler is None or not handler(worker.error):
                self.show_error(worker.error)

    def show_error(self, error: BaseException | None) -> None:
        """Tell the user what went wrong, in their language."""
        if isinstance(error, WardDeskError):
            text = str(error)
        else:
            text = t("ui.error.unexpected", detail=f"{type(error).__name__}: {error}")
        self.notify(text, severity="error", timeout=10)  # type: ignore[attr-defined]

    def _busy_target(self) -> Any:
        found = self.query(self.BUSY_SELECTOR)  # type: ignore[attr-defined]
        return found.first() if found else None

    def _show_busy(self) -> None:
        self._desk_busy_timer = None
        target = self._busy_target()
        if target is not None and self.busy:
            target.loading = True

    def _hide_busy(self) -> None:
        if self._desk_busy_timer is not None:
            self._desk_busy_timer.stop()
            self._desk_busy_timer = None
        target = self._busy_target()
        if target is not None:
            target.loading = False

    # -- language --------------------------------------------------------------
    def capture_state(self) -> dict[str, Any]:
        """What the user typed, kept across a re-render (screens with forms override)."""
        return {}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Put back what :meth:`capture_state` kept."""

    def render_data(self) -> None:
        """Fill the widgets from the data the screen already holds (after a re-render)."""

    async def apply_language(self) -> None:
        """Re-render in the current language, keeping typed text and loaded data."""
        self._language_epoch = self.desk.language_epoch
        translate_bindings(self)  # type: ignore[arg-type]
        state = self.capture_state()
        await self.recompose()  # type: ignore[attr-defined]
        translate_textual(self)  # type: ignore[arg-type]
        self.restore_state(state)
        self.render_data()
        self.refresh_bindings()  # type: ignore[attr-defined]

    async def on_screen_resume(self) -> None:
        # Screens under the current one are re-rendered when they come back.
        if self._language_epoch != self.desk.language_epoch:
            await self.apply_language()


class DeskScreen(DeskMixin, Screen[Any]):
    """A full desk screen. Esc (binding id ``back``, declared by each screen so the
    footer and help list it there) goes one step back: :meth:`WardDeskApp.go_back`."""

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._desk_init()

    def on_mount(self) -> None:
        self._language_epoch = self.desk.language_epoch
        translate_textual(self)  # a Select's menu, the header's icon: Textual's own words

    def action_back(self) -> None:
        """One step back (the same on every screen)."""
        self.desk.go_back()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.desk.can_go_back()
        return True


class DeskModal(DeskMixin, ModalScreen[Any]):
    """A dialog over the current screen."""

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._desk_init()

    def on_mount(self) -> None:
        self._language_epoch = self.desk.language_epoch
        translate_textual(self)
