"""Keys in the order they were typed, each to the widget that had focus when it was typed.

Textual hands a key to the focused widget by posting it to that widget's queue
and goes straight on to the next key. What a key causes is posted too: Tab
bubbles up to the screen's ``focus_next`` binding, Enter in a box posts
``Input.Submitted`` whose handler moves the focus, ``widget.focus()`` is itself
a callback queued on the app, and ``n`` on the dashboard builds the intake
screen over several message hops. So when keys come faster than those hops (an
ordinary typist at 60-120 ms per key on a busy PC, a QR/barcode scanner at
~5 ms, a paste), the keys typed after Tab or Enter are already queued on the
*previous* field, and keys typed after ``n`` reach the dashboard, or nothing,
while the form is being built.

:class:`KeyGate` holds the keys (and pastes) the terminal delivers and
releases them one at a time: the next key goes to the app only when every
message the previous one caused has been handled on the active screen and the
app (the same barrier Textual's own Pilot uses between keys in tests, repeated
until no queue has anything left). Store and sync work runs in workers and is
not waited for, so a busy store never holds the keys back; it only means a
form shows what a worker brings a little later.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.events import Event

# Barrier rounds after one key before the next is released regardless: a widget
# that posts to itself forever must not stop the keyboard.
MAX_ROUNDS = 12
ROUND_TIMEOUT = 2.0  # seconds; a hung handler delays the next key at most this long per round


class KeyGate:
    """Delivers the app's input events strictly one after another (see the module)."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._backlog: deque[Event] = deque()
        self._releasing: Event | None = None
        self._pump: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def pending(self) -> int:
        """Keys typed and not yet fully handled (0 when the desk has caught up)."""
        return len(self._backlog) + (self._releasing is not None)

    def is_released(self, event: Event) -> bool:
        """True for the one event the gate itself handed on (it must pass through)."""
        return event is self._releasing

    def hold(self, event: Event) -> None:
        """Queue a key or paste from the terminal; it is delivered after those before it."""
        self._backlog.append(event)
        self._idle.clear()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run(), name="key-gate")

    async def wait_idle(self) -> None:
        """Wait until every key typed so far has been delivered and handled."""
        await self._idle.wait()

    async def _run(self) -> None:
        app = self._app
        try:
            while self._backlog:
                event = self._backlog.popleft()
                self._releasing = event
                if not app.post_message(event):
                    self._releasing = None
                    continue  # the app is closing: nothing more to type into
                await self._settle()
                self._releasing = None
        finally:
            self._releasing = None
            if not self._backlog:
                self._idle.set()

    async def _settle(self) -> None:
        """Wait until the app and every node of the active screen have handled what they
        were sent.

        Each round is a barrier (a callback queued behind everything else, the way
        Textual's Pilot waits between keys) on the nodes that have messages waiting,
        and always on the app, the screen and the focused widget with its parents:
        that is where a key is handled, and where a handler still running (one that
        moves the focus or opens a screen) would be. Settled when, after a round,
        no node of the screen has anything waiting and the same screen is up and mounted.
        """
        app = self._app
        for _ in range(MAX_ROUNDS):
            if not app.is_running:
                return
            try:
                screen = app.screen
            except Exception:  # no screen yet, or one being replaced
                await asyncio.sleep(0)
                continue
            nodes = list(screen.walk_children(with_self=True))
            targets: dict[int, Any] = {id(app): app, id(screen): screen}
            node = app.focused
            while node is not None and node is not screen:
                targets[id(node)] = node
                node = node.parent
            for node in nodes:
                if not node._message_queue.empty():
                    targets[id(node)] = node
            await _barrier(list(targets.values()))
            try:
                same = app.screen is screen
            except Exception:
                same = False
            if same and screen.is_mounted and app._message_queue.empty() and all(
                    n._message_queue.empty() for n in screen.walk_children(with_self=True)):
                return


async def _barrier(nodes: list[Any]) -> None:
    """Wait until each node has handled every message queued before now (bounded)."""
    left = 0
    done = asyncio.Event()

    def arrived() -> None:
        nonlocal left
        left -= 1
        if left == 0:
            done.set()

    for node in nodes:
        if node.call_later(arrived):
            left += 1
    if left:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(done.wait(), ROUND_TIMEOUT)
