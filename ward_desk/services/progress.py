"""Progress of long work (verify, and in time demo, import, backup, restore, a first sync):
the services report ``(done, total)`` through a callback at most every ``EVERY`` seconds,
and stop when a cancel event is set (STYLE habit 4). They never draw anything: the CLI
draws a bar (``cli.progress``), the desk its own indicator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ward_desk.errors import WardDeskError

ProgressCallback = Callable[[int, int], None]
EVERY = 0.25  # seconds between reports


class Cancelled(WardDeskError):
    """The work was cancelled (Ctrl+C, the desk closing); what it had committed stays."""


class Reporter:
    """Counts work done and tells ``callback`` now and then (and always at the end)."""

    def __init__(self, total: int, callback: ProgressCallback | None = None,
                 cancel: threading.Event | None = None, every: float = EVERY) -> None:
        self.total = max(0, total)
        self.done = 0
        self._callback = callback
        self._cancel = cancel
        self._every = every
        # None until the first report, which is made at once: comparing with 0.0 made the
        # first one wait until time.monotonic() (seconds since boot) passed ``every``.
        self._last: float | None = None

    def advance(self, n: int = 1) -> None:
        """``n`` more units done; report if the last report is old enough; stop if cancelled."""
        self.done += n
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled("progress.cancelled", done=self.done, total=self.total)
        if self._callback is not None:
            now = time.monotonic()
            if self._last is None or now - self._last >= self._every:
                self._last = now
                self._callback(min(self.done, self.total), self.total)

    def finish(self) -> None:
        """The last report: everything done."""
        if self._callback is not None:
            self._callback(self.total, self.total)
