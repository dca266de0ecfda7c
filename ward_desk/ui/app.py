"""The desk application: unlock or first-run setup, then the clerk's screens.

Start-up is kept lean (habit 7): only Textual and the message catalogue are
imported before the first screen shows. The store and services (peewee,
SQLCipher, cryptography) are warmed up in a background thread while the clerk
types the password, and every screen after the unlock screen is imported only
when first shown. The national holidays come from a cache in the data folder
(``services.national_calendar``), so the holidays package is not imported at all.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from ward_desk.i18n import get_language, set_language, t
from ward_desk.ui.i18n import translate_bindings
from ward_desk.ui.keys import KeyGate
from ward_desk.ui.workers import StoreThread

if TYPE_CHECKING:
    from ward_desk.services.session import Session

_HERE = Path(__file__).parent
# Files whose presence means a store exists (ward_desk.store.database names them;
# not imported here because that module pulls in SQLCipher).
_STORE_FILES = ("ward.db", "keys.json")

# Screens reached after unlock, by mode name: (module, class). Imported on first use.
SCREENS: dict[str, tuple[str, str]] = {
    "dashboard": ("ward_desk.ui.screens.dashboard", "DashboardScreen"),
    "intake": ("ward_desk.ui.screens.intake", "IntakeScreen"),
    "dossiers": ("ward_desk.ui.screens.dossier_list", "DossierListScreen"),
    "calls": ("ward_desk.ui.screens.call_list", "CallListScreen"),
    "assessment": ("ward_desk.ui.screens.assessment", "AssessmentScreen"),
}


class BoundCommand(NamedTuple):
    """One action of the desk as the help screen and the command palette list it."""

    key: str
    id: str
    node: Any
    action: str
    key_name: str = ""
    """The key as Textual names it (``"f4"``, ``"ctrl+s"``); ``key`` is how it is shown."""

    @property
    def label(self) -> str:
        return t(f"key.{self.id}")

    @property
    def help(self) -> str:
        return t(f"key.{self.id}.help")


def _utc_now() -> datetime:
    # Same as services.session.utc_now, without importing the services at start-up.
    from datetime import timezone

    return datetime.now(timezone.utc).replace(tzinfo=None)


def run_until_closed(app: App[Any]) -> None:
    """Run the desk on this terminal until the clerk quits, then let the process end at once.

    By then the store is closed and the terminal restored. Freezing the objects
    skips the interpreter's final garbage collection over the ~100,000 objects
    Textual and the services leave behind: 0.1–0.25 s of every quit and of every
    launch-to-exit measurement on one core of the test machine, and nothing is
    left to finalise that matters (the store thread closed the database).
    """
    app.run()
    gc.freeze()


def _screen_factory(app: App[Any], mode: str) -> Callable[[], Screen[Any]]:
    module, cls = SCREENS[mode]

    def make() -> Screen[Any]:
        screen: Screen[Any] = getattr(importlib.import_module(module), cls)()
        # Textual (8.2) gives a new screen a CSS update count of -1, so making a mode's
        # screen re-parses every stylesheet and re-styles every mounted node, twice
        # (in _init_mode and in switch_mode): 20-40 ms at each first visit, on the
        # unlock-to-dashboard path too. Every screen's CSS is loaded at start
        # (CSS_PATH) and a new screen is styled as it mounts, so it is current.
        screen._css_update_count = app._css_update_count
        return screen

    return make


def _desk_commands() -> Any:
    # The palette's one provider, imported when the palette first opens (habit 7).
    from ward_desk.ui.palette import DeskCommands

    return DeskCommands


def _warm_imports() -> None:
    """Import the services in the background while the first screen waits for input."""
    for module in ("ward_desk.services.desk", "ward_desk.services.dossiers",
                   "ward_desk.services.catalogue", "ward_desk.services.ui_queries",
                   "ward_desk.ui.screens.dashboard"):
        try:
            importlib.import_module(module)
        except Exception:  # a real failure shows up, with its message, at unlock
            return


def _read_settings(data_dir: Path) -> tuple[Any, str]:
    """The data folder's settings and, if ``config.toml`` is unusable, why (the
    desk still opens, with the defaults)."""
    from ward_desk.config import Settings, load_settings
    from ward_desk.errors import WardDeskError

    try:
        return load_settings(data_dir), ""
    except WardDeskError as exc:
        return Settings(), str(exc)


class WardDeskApp(App[None]):
    """The ward clerk's desk.

    ``username``/``password`` only prefill the unlock form (the demo uses them);
    nothing unlocks without the clerk pressing Enter. ``idle_lock_seconds``
    overrides the idle lock time (default: ``idle_lock_minutes`` from the data
    folder's ``config.toml``, else 10 minutes); tests inject a short one.
    ``sync_interval_seconds`` likewise overrides ``sync_interval_minutes``; the
    first sync runs ``sync_delay_seconds`` after unlock, once the dashboard is up.
    """

    # Every screen's stylesheet is read up front: a screen that brings new CSS when
    # first shown makes Textual re-parse and re-apply all styles to every mounted
    # screen (~1 s on the intake form); parsing them all at start costs a few ms.
    # Absolute, so that subclasses (the bench's, a test's) defined elsewhere find them.
    CSS_PATH: ClassVar[list[str | Path]] = [
        _HERE / "app.tcss",
        *(_HERE / "screens" / f"{name}.tcss" for name in (
            "unlock", "setup", "lock", "help", "dashboard", "intake", "dossier_list",
            "dossier_detail", "dialogs", "call_list", "assessment", "report")),
    ]
    TITLE = "Ward Desk"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "key.help", id="help"),
        Binding("f3", "goto('intake')", "key.intake", id="intake"),
        Binding("f4", "goto('dossiers')", "key.dossiers", id="dossiers"),
        Binding("f5", "goto('calls')", "key.calls", id="calls", show=False),
        Binding("f6", "goto('dashboard')", "key.dashboard", id="dashboard", show=False),
        Binding("f7", "goto('assessment')", "key.assessment", id="assessment", show=False),
        Binding("f9,ctrl+l", "toggle_language", "key.language", id="language"),
        Binding("f12", "lock", "key.lock", id="lock", show=False),
        Binding("ctrl+q", "quit", "key.quit", id="quit", priority=True),
        # Declared here so that Textual does not add its own, labelled in English.
        Binding("ctrl+p", "command_palette", "key.palette", id="palette", show=False, priority=True),
    ]
    COMMANDS: ClassVar[set[Any]] = {_desk_commands}
    # Actions that need a signed-in, unlocked desk.
    _SESSION_ACTIONS = frozenset({"goto", "lock", "command_palette", "help"})

    def __init__(
        self,
        data_dir: Path,
        *,
        username: str | None = None,
        password: str | None = None,
        language: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
        idle_lock_seconds: float | None = None,
        open_viewer: bool = True,
        warm_up: bool = True,
        sync_interval_seconds: float | None = None,
        sync_delay_seconds: float = 5.0,
    ) -> None:
        self.started_at = time.perf_counter()
        self.data_dir = Path(data_dir)
        self.settings, self._settings_problem = _read_settings(self.data_dir)
        # None: the language the desk was last switched to (config.toml), else Vietnamese.
        set_language(language or self.settings.language)
        super().__init__()
        translate_bindings(self)
        self.prefill_username = username
        self.prefill_password = password
        self.clock = clock
        minutes = self.settings.idle_lock_minutes
        self.idle_lock_seconds = idle_lock_seconds if idle_lock_seconds is not None else minutes * 60
        self.open_viewer = open_viewer
        self.session: Session | None = None
        self.locked = False
        self.language_epoch = 0
        self._last_input = time.monotonic()
        self._idle_timer: Any = None
        self._warm_up = warm_up
        self._sync_delay = sync_delay_seconds
        # The session's one store connection lives on this thread (ward_desk.ui.workers).
        self.store_thread = StoreThread()
        self.sync_interval = sync_interval_seconds if sync_interval_seconds is not None \
            else self.settings.sync_interval_minutes * 60
        self.sync_facts: dict[str, Any] | None = None
        self.sync_running = False
        self.sync_progress: tuple[int, int] | None = None  # (records sent, pending at the start)
        self._sync_cancel = threading.Event()
        self._sync_timer: Any = None
        # Keys and pastes reach the widgets one at a time, in the order typed (ward_desk.ui.keys).
        self.key_gate = KeyGate(self)

    # -- start ----------------------------------------------------------------
    def on_mount(self) -> None:
        if any((self.data_dir / name).exists() for name in _STORE_FILES):
            from ward_desk.ui.screens.unlock import UnlockScreen

            self.push_screen(UnlockScreen(self.prefill_username, self.prefill_password))
        else:
            from ward_desk.ui.screens.setup import SetupScreen

            self.push_screen(SetupScreen())
        if self._warm_up:
            threading.Thread(target=_warm_imports, name="warm-imports", daemon=True).start()

    def signed_in(self, session: Session) -> None:
        """Called by the unlock and setup screens: show the dashboard."""
        self.session = session
        self.sub_title = f"{session.office.name} — {session.user.full_name}"
        for mode in SCREENS:
            if mode not in self._modes:
                self.add_mode(mode, _screen_factory(self, mode))
        self.switch_mode("dashboard")
        self._last_input = time.monotonic()
        self._arm_idle(self.idle_lock_seconds)
        if self._settings_problem:
            self.notify(self._settings_problem, severity="warning", timeout=10)
        self.purge_slips()
        self._arm_sync(self._sync_delay)

    def dashboard_ready(self) -> None:
        """Hook called when the dashboard first shows its counts (the bench times it)."""

    # -- idle lock --------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if not self.key_gate.is_released(event):
                self._last_input = time.monotonic()
                self.key_gate.hold(event)  # delivered after what the keys before it caused
                return
        elif isinstance(event, events.MouseDown):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def set_idle_lock(self, seconds: float) -> None:
        """Change the idle time after which the desk locks (counted from now)."""
        self.idle_lock_seconds = seconds
        self._last_input = time.monotonic()
        if self.session is not None and not self.locked:
            self._arm_idle(seconds)

    def _arm_idle(self, seconds: float) -> None:
        # One timer per idle period rather than a ticking interval: idle CPU stays ~0.
        if self._idle_timer is not None:
            self._idle_timer.stop()
        self._idle_timer = self.set_timer(max(0.05, seconds), self._check_idle)

    def _check_idle(self) -> None:
        self._idle_timer = None
        if self.session is None or self.locked:
            return
        idle = time.monotonic() - self._last_input
        if idle >= self.idle_lock_seconds:
            self.action_lock()
        else:
            self._arm_idle(self.idle_lock_seconds - idle)

    def action_lock(self) -> None:
        """Lock the desk over whatever is on screen; the work under it is kept."""
        if self.session is None or self.locked:
            return
        from ward_desk.ui.screens.lock import LockScreen

        self.locked = True
        self._stop_sync()
        if self.settings.slips_keep_days <= 0:
            self.purge_slips(handed_over=True)
        self.push_screen(LockScreen(self.session.user.username), callback=self._unlocked)

    def _unlocked(self, _result: object = None) -> None:
        self.locked = False
        self._last_input = time.monotonic()
        self._arm_idle(self.idle_lock_seconds)
        self._arm_sync(self._sync_delay)

    # -- background work after unlock ----------------------------------------------
    @work(thread=True, exit_on_error=False, group="purge", name="purge_slips")
    def purge_slips(self, handed_over: bool = False) -> int:
        """Apply the office's retention to printed slips (``slips_keep_days``; files only,
        the store keeps everything). ``handed_over``: the desk locks or closes, so slips
        not kept once printed go now."""
        from ward_desk.slips.output import purge_slips

        return purge_slips(self.data_dir, self.settings.slips_keep_days, handed_over=handed_over)

    def _arm_sync(self, delay: float) -> None:
        # Habit 3: one timer, armed again only when the previous run (and its status
        # read) has finished, so a slow PC or a slow link never stacks runs.
        if self._sync_timer is not None:
            self._sync_timer.stop()
        self._sync_timer = self.set_timer(max(0.01, delay), self._sync_tick)

    def _stop_sync(self) -> None:
        """Cancel a run in progress (lock, exit) and the next one."""
        self._sync_cancel.set()
        if self._sync_timer is not None:
            self._sync_timer.stop()
            self._sync_timer = None

    def _sync_tick(self) -> None:
        self._sync_timer = None
        if self.session is None or self.locked or self.sync_running:
            return
        self.check_sync(run_after=True)

    @work(exclusive=True, exit_on_error=False, group="sync-status", name="check_sync")
    async def check_sync(self, run_after: bool = False) -> None:
        """Read the status line's facts (store thread); then sync if enrolled, else wait."""
        from ward_desk.ui.sync import sync_facts

        try:
            self.sync_facts = await self.store_thread.call(sync_facts, self.data_dir)
        except Exception:  # a status that cannot be read must not stop the desk
            self.sync_facts = None
        self._show_sync_status()
        if run_after and self.sync_facts and self.sync_facts.get("enrolled") and not self.locked:
            self.sync_running = True
            self._sync_cancel = threading.Event()
            self._show_sync_status()
            self.run_sync(self._sync_cancel)
        elif not self.locked:
            self._arm_sync(self.sync_interval)

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync", name="run_sync")
    def run_sync(self, cancel: threading.Event) -> object:
        """One sync run on its own connection (this thread's), never the store thread's:
        uploads can take minutes on a slow link."""
        from sync_agent.agent import SyncAgent
        from sync_agent.ward_cli import run_with_progress
        from ward_desk.ui.workers import release_connection

        def progressed(done: int, total: int) -> None:
            with contextlib.suppress(RuntimeError):  # the desk is closing: nobody to tell
                self.call_from_thread(self._sync_progressed, done, total)

        agent = SyncAgent(self.data_dir, cancel=cancel)
        try:
            return run_with_progress(agent, self.session, progressed)
        finally:
            agent.close()
            release_connection()

    def _sync_progressed(self, done: int, total: int) -> None:
        """The run's count, on the status line (a first run sends years of history)."""
        self.sync_progress = (done, total)
        self._show_sync_status()

    def on_worker_state_changed(self, event: Any) -> None:
        from textual.worker import WorkerState

        worker = event.worker
        if worker.node is not self or worker.name != "run_sync":
            return
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.sync_running = False
            self.sync_progress = None
            if not self._sync_cancel.is_set():
                self.check_sync(run_after=False)  # fresh facts, then the next run is armed
            else:
                self._show_sync_status()

    def _show_sync_status(self) -> None:
        """Tell the dashboard (wherever it is in the stack) that the sync line changed."""
        for screen in self._all_screens():
            refresh = getattr(screen, "show_sync_status", None)
            if refresh is not None:
                refresh()

    def _all_screens(self) -> list[Screen[Any]]:
        screens: list[Screen[Any]] = list(self.screen_stack)
        for stack in self._screen_stacks.values():
            screens.extend(s for s in stack if s not in screens)
        return screens

    # -- actions ------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in self._SESSION_ACTIONS and (self.session is None or self.locked))

    def action_goto(self, mode: str) -> None:
        """Show the home screen of one of the main modes (F3-F7): the mode's first
        screen, whatever was opened over it before (each mode keeps its own state)."""
        if mode not in SCREENS:
            return
        if self.current_mode != mode:
            self.switch_mode(mode)
        while len(self.screen_stack) > 1 and not self.screen.is_modal:
            self.pop_screen()

    def go_back(self) -> None:
        """Esc: one step back. A screen opened over another closes; a mode's home
        screen goes to the dashboard; the dashboard stays. Dialogs close themselves."""
        if self.screen.is_modal:
            return
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self.current_mode != "dashboard":
            self.switch_mode("dashboard")

    def can_go_back(self) -> bool:
        """Whether Esc has somewhere to go from the screen shown (the footer says so only then)."""
        return len(self.screen_stack) > 1 or self.current_mode != "dashboard"

    async def action_toggle_language(self) -> None:
        """Switch between Vietnamese and English, re-rendering what is shown."""
        set_language("en" if get_language() == "vi" else "vi")
        self.remember_language()
        self.language_epoch += 1
        translate_bindings(self)
        from ward_desk.ui.screens.base import DeskMixin

        if isinstance(self.screen, DeskMixin):
            await self.screen.apply_language()
        self.refresh_bindings()

    @work(thread=True, exit_on_error=False, group="settings", name="remember_language")
    def remember_language(self) -> None:
        """Keep the language chosen in config.toml, so the desk opens in it next time."""
        from ward_desk.config import save_setting

        save_setting(self.data_dir, "language", get_language())

    async def action_quit(self) -> None:
        """Quit; an intake form with unsaved work asks first ("no" chosen)."""
        intake = next((s for s in self._all_screens()
                       if type(s).__name__ == "IntakeScreen" and s.is_mounted and s.has_draft()), None)
        if intake is None or self.screen.is_modal:
            self.exit()
            return
        from ward_desk.ui.screens.dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmDialog(t("ui.quit.draft"), yes_label=t("ui.quit.yes")), callback=answered)

    def action_command_palette(self) -> None:
        """The command palette, in the desk's language, searching without accents."""
        from textual.command import CommandPalette

        from ward_desk.ui.palette import DeskPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(DeskPalette())

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit (it copies in a text box): say how to, in the desk's words."""
        self.notify(t("ui.quit.how"), title=t("ui.quit.how_title"))

    def action_help(self) -> None:
        """Show the keys of the current screen."""
        from ward_desk.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen(list(self._bound_commands(self.screen))))

    def _bound_commands(self, screen: Screen[Any]) -> Iterable[BoundCommand]:
        """Every enabled binding with an id on ``screen`` (focus chain, screen, app), once."""
        active = screen.active_bindings
        # Every key of a binding, as shown ("s, /"); upper-case aliases (Caps Lock) not repeated.
        shown: dict[str, list[str]] = {}
        for key, bound in active.items():
            if bound.binding.id and bound.enabled and not (len(key) == 1 and key.isupper()):
                shown.setdefault(bound.binding.id, []).append(self.get_key_display(bound.binding.with_key(key)))
        seen: set[str] = set()
        for key, bound in active.items():
            binding = bound.binding
            if not binding.id or binding.id in seen or not bound.enabled:
                continue
            seen.add(binding.id)
            keys = ", ".join(shown.get(binding.id) or [self.get_key_display(binding.with_key(key))])
            yield BoundCommand(keys, binding.id, bound.node, binding.action, key)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # One action table (the bindings) feeds the keys, the footer and the palette.
        for command in self._bound_commands(screen):
            yield SystemCommand(command.label, f"{command.key} — {command.help}",
                                partial(command.node.run_action, command.action))

    def on_unmount(self) -> None:
        self._stop_sync()
        if self.session is not None and self.settings.slips_keep_days <= 0:
            from ward_desk.slips.output import purge_slips

            with contextlib.suppress(Exception):  # closing must never fail for a file
                purge_slips(self.data_dir, 0, handed_over=True)
        # The connection belongs to the store thread: it is closed (WAL folded back) there.
        self.store_thread.close(self.session.store.close if self.session is not None else None)
