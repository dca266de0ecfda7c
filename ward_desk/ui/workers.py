"""The one way the desk runs store work: on the store thread, one connection for the session.

Habit 2 says every blocking call runs off the UI thread. The desk's store calls
all run on a single long-lived thread (:class:`StoreThread`) that owns the
session's one SQLCipher connection, so the page cache stays warm between calls
(a search no longer starts with a fresh keyed open and a cold cache) and the
process keeps one connection's cache, not one per worker thread.

Screens start store work with :func:`store_work`: a Textual worker of the
screen (``exclusive=True, exit_on_error=False, group=...``) that hands the
method to the store thread and awaits its result. A newer worker in the same
group cancels the older one; if the older call has not started on the store
thread yet it never runs (so a fast typist's superseded searches are dropped,
not queued). The result comes back through the worker's ``StateChanged``
message, handled on the UI thread, where
:class:`ward_desk.ui.screens.base.DeskScreen` dispatches it to
``done_<worker name>`` / ``failed_<worker name>``.

Work that must not hold up the store thread (rendering a PDF, the network)
runs in ordinary thread workers and touches the store only through this one.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from textual import work

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_STOP = object()


def release_connection() -> None:
    """Close the calling thread's store connection, if the store was ever loaded.

    peewee keeps one connection per thread: threads other than the store
    thread (the sync worker) close theirs when done.
    """
    import sys

    # Only look the module up: importing the store here would cost start-up time.
    models = sys.modules.get("ward_desk.store.models")
    if models is not None and not models.database.is_closed():
        models.database.close()


def _store_error(exc: BaseException) -> BaseException:
    """A database or disk failure as the store's own error (a full disk says "full",
    with where and how much: never an "unexpected OperationalError"); others as they are."""
    import sys

    peewee = sys.modules.get("peewee")
    models = sys.modules.get("ward_desk.store.models")
    if peewee is None or models is None:
        return exc
    from pathlib import Path

    from ward_desk.store.database import translate_db_error
    from ward_desk.store.space import is_disk_errno

    if isinstance(exc, peewee.DatabaseError) or is_disk_errno(exc):
        where = Path(str(models.database.database or ".")).parent
        error = translate_db_error(exc, where)
        error.__cause__ = exc
        return error
    return exc


class StoreThread:
    """A single long-lived thread that runs store calls one at a time.

    Started on first use (the unlock), stopped by :meth:`close`. Calls are
    queued in order; a call whose future was cancelled before it started is
    skipped.
    """

    def __init__(self, name: str = "ward-desk-store") -> None:
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def ident(self) -> int | None:
        """The thread's id once started (tests check calls land on it)."""
        return self._thread.ident if self._thread is not None else None

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Queue ``fn(*args, **kwargs)`` for the store thread; its future."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("store thread closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put((future, fn, args, kwargs))
        return future

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the store thread and await its result.

        Cancelling the awaiting task (a newer exclusive worker) cancels the
        call if it is still queued; one already running finishes unobserved.
        """
        future = self.submit(fn, *args, **kwargs)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the awaiting worker, never lost
                future.set_exception(_store_error(exc))
            else:
                future.set_result(result)

    def close(self, final: Callable[[], object] | None = None, timeout: float = 10.0) -> None:
        """Drop queued calls, run ``final`` (closing the store) on the thread, stop it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is None:
            return
        pending: list[Any] = []
        while True:
            try:
                pending.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for item in pending:
            if item is not _STOP:
                item[0].cancel()
        done: Future[object] = Future()

        def finish() -> None:
            try:
                if final is not None:
                    final()
            finally:
                release_connection()

        self._queue.put((done, finish, (), {}))
        self._queue.put(_STOP)
        thread.join(timeout)


def store_work(group: str, *, exclusive: bool = True) -> Callable[[F], F]:
    """Run the decorated (blocking) method on the app's store thread, from a
    Textual worker of ``group`` named after the method."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            return await self.app.store_thread.call(method, self, *args, **kwargs)

        return work(exclusive=exclusive, exit_on_error=False, group=group,
                    name=method.__name__)(run)  # type: ignore[return-value]

    return decorate
