"""Store work of one request, run in the server's thread pool with a connection of its own.

The receiver's handlers run every store call through :func:`store_threadpool`
(the same signature as Starlette's ``run_in_threadpool``). Around the call
the back end's :meth:`~district_desk.backends.Backend.connection_scope` is
held, so on PostgreSQL a request borrows a pooled connection and gives it
back: a connection cut by a server restart fails the requests that were
using it (they are answered 503 and the wards retry) and is then dropped, and
the requests after it get new connections. No receiver restart is needed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import peewee
from starlette import concurrency
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from district_desk.store import DistrictStore

T = TypeVar("T")

# The errors of a store that cannot be reached: a connection refused, cut or
# timed out, or no free connection in the pool within its wait.
UNREACHABLE: tuple[type[Exception], ...] = (peewee.OperationalError, peewee.InterfaceError)


def store_threadpool(store: DistrictStore) -> Callable[..., Awaitable[Any]]:
    """A ``run_in_threadpool`` whose calls each hold a connection of ``store``."""

    async def run(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def scoped() -> T:
            with store.backend.connection_scope(store.db):
                return func(*args, **kwargs)

        return await concurrency.run_in_threadpool(scoped)

    return run


def unreachable_handlers(answer: Callable[[], Response]) -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    """Starlette exception handlers answering ``answer()`` (a 503) to a request whose
    store work could not reach the database, on any route."""

    async def handler(request: Request, exc: Exception) -> Response:
        return answer()

    return dict.fromkeys(UNREACHABLE, handler)
