"""The one way the desk runs store work: a thread worker that closes its connection.

Habit 2: every blocking call runs in ``@work(thread=True, exclusive=True,
exit_on_error=False, group=...)``. The screen gets the result back through the
worker's ``StateChanged`` message (posted to the screen's message queue, so it
is handled on the UI thread); :class:`ward_desk.ui.screens.base.DeskScreen`
dispatches it to ``done_<worker name>`` / ``failed_<worker name>``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from textual import work

F = TypeVar("F", bound=Callable[..., Any])


def release_connection() -> None:
    """Close the calling thread's store connection, if the store was ever loaded."""
    # Only look the module up: a worker that failed before any store import has
    # nothing to close, and importing the store here would cost start-up time.
    queries = sys.modules.get("ward_desk.services.ui_queries")
    if queries is None and "ward_desk.store.models" in sys.modules:
        from ward_desk.services import ui_queries as queries
    if queries is not None:
        queries.release_thread_connection()


def store_work(group: str, *, exclusive: bool = True) -> Callable[[F], F]:
    """Run the decorated method in a thread worker of ``group`` that closes its
    store connection when done (peewee opens one per thread)."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            finally:
                release_connection()

        return work(thread=True, exclusive=exclusive, exit_on_error=False, group=group,
                    name=method.__name__)(run)  # type: ignore[return-value]

    return decorate
