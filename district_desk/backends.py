"""The district store's two back ends, SQLite (SQLCipher) and PostgreSQL, as one small interface.

Everything that differs between them lives here, so the store, ingest, the
views and enrolment ask their :class:`Backend` instead of testing which one
they run on:

* how a URL becomes a peewee database (:meth:`Backend.database`);
* whether the store is a file we encrypt ourselves, with its key file beside
  it (:attr:`Backend.encrypted_file`: the SQLite file; None for PostgreSQL,
  whose at-rest encryption is the server's job);
* how one ward's rows are locked across receiver processes
  (:meth:`Backend.lock`: ``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
  serialises writers with ``BEGIN IMMEDIATE`` already);
* how many rows are upserted at once (:meth:`Backend.upsert`);
* how receivers opening one old store at once take turns to migrate it
  (:meth:`Backend.migration_lock`);
* how a request holds a connection (:meth:`Backend.connection_scope`): on
  PostgreSQL each request borrows one from a pool and gives it back, so a
  server restart costs the requests in flight a 503 (the ward retries) and
  the next ones get fresh connections; SQLite keeps one per thread.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import peewee
from playhouse.pool import PooledPostgresqlDatabase
from playhouse.shortcuts import ReconnectMixin

from sync_agent.errors import BadInput

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")

Query = TypeVar("Query", bound=peewee.Query)

# The advisory lock key of district schema migrations on PostgreSQL (any constant
# no other tool on the database uses; these are the bytes of "wdmigr").
MIGRATION_LOCK_ID = 0x77646D696772

#: Connections each process keeps to PostgreSQL at most (the environment can say otherwise).
POOL_SIZE_ENV = "DISTRICT_DESK_DB_POOL_SIZE"
DEFAULT_POOL_SIZE = 16
# A request waits this long for a free pooled connection before it is answered 503.
POOL_WAIT_SECONDS = 30
# Pooled connections older than this are replaced (a proxy or firewall may drop idle ones).
POOL_STALE_SECONDS = 300
# Connecting to a server that does not answer fails after this, so a request gets its 503.
CONNECT_TIMEOUT_SECONDS = 5


def redact_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


def _upsert_sql(table: str, columns: Sequence[str], conflict: Sequence[str], guard: str | None,
                param: str) -> tuple[str, str, str]:
    """(head, one row's placeholders, tail) of ``INSERT ... ON CONFLICT DO UPDATE``,
    the same text on SQLite (3.24+) and PostgreSQL; with ``guard``, a row is
    replaced only by one whose ``guard`` column is higher.

    Hand-written because building the statement with peewee cost three quarters
    of the apply time (its SQL generator walks every value)."""
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in conflict)
    head = f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) VALUES '
    where = f' WHERE "{table}"."{guard}" < excluded."{guard}"' if guard else ""
    tail = f' ON CONFLICT ({", ".join(chr(34) + c + chr(34) for c in conflict)}) DO UPDATE SET {updates}{where}'
    return head, f'({", ".join([param] * len(columns))})', tail


class Backend:
    """What the district store needs to know about where it lives."""

    url: str
    #: The database file this program encrypts (and keeps a key file beside), if any.
    encrypted_file: Path | None = None

    def database(self, db_key: bytes | None = None) -> peewee.Database:
        """A peewee database (not yet connected); ``db_key`` opens an encrypted file."""
        raise NotImplementedError

    def lock(self, query: Query) -> Query:
        """``query`` such that the rows it reads stay locked until the transaction ends
        (for writers in other processes)."""
        return query

    def connection_scope(self, db: peewee.Database) -> contextlib.AbstractContextManager[None]:
        """Held around one request's store work in a server thread: the connection
        it uses is taken on entry and given back on exit (or kept, where the back
        end keeps one per thread)."""
        return contextlib.nullcontext()

    def dispose(self, db: peewee.Database) -> None:
        """Close every connection this process holds to ``db``."""
        if not db.is_closed():
            db.close()

    def migration_lock(self, db: peewee.Database) -> None:
        """Called first in each migration's transaction: held until it ends, so one
        process at a time migrates (SQLite's ``BEGIN IMMEDIATE`` already is that)."""

    def upsert(
        self,
        db: peewee.Database,
        model: type[peewee.Model],
        rows: Sequence[dict[str, Any]],
        conflict: Sequence[str],
        guard: str | None = "version",
        *,
        columnar: bool = False,
    ) -> None:
        """Insert ``rows`` (dicts with the same keys, in column order) into ``model``'s
        table, replacing a row with the same ``conflict`` columns when the new one's
        ``guard`` is higher (always, when ``guard`` is None). ``columnar`` lets the
        back end send each column as one typed array (every column must then be text,
        a number or a timestamp)."""
        if not rows:
            return
        columns = list(rows[0])
        head, one, tail = _upsert_sql(model._meta.table_name, columns, conflict, guard, db.param)
        self._upsert(db, model, columns, rows, (head, one, tail), columnar)

    def _upsert(self, db: peewee.Database, model: type[peewee.Model], columns: list[str],
                rows: Sequence[dict[str, Any]], sql: tuple[str, str, str], columnar: bool) -> None:
        raise NotImplementedError


class SqliteBackend(Backend):
    """One SQLite file, encrypted with SQLCipher when a key is given."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.encrypted_file = Path(url[len(SQLITE_PREFIX) :])

    def database(self, db_key: bytes | None = None) -> peewee.Database:
        path = str(self.encrypted_file)
        # Every batch is one IMMEDIATE transaction (no lock-upgrade deadlocks between
        # threads); synchronous=FULL because an acked batch must survive power loss.
        pragmas: list[tuple[str, object]] = [
            ("journal_mode", "wal"), ("synchronous", 2), ("foreign_keys", 1), ("busy_timeout", 30_000),
        ]
        if db_key is None:
            return peewee.SqliteDatabase(path, pragmas=pragmas, lock_type="IMMEDIATE", timeout=30)
        from playhouse.sqlcipher_ext import SqlCipherDatabase

        # The raw key (x'...'): SQLCipher runs no PBKDF2 per connection, and peewee
        # opens one connection per receiver thread. Sorter spills stay in memory
        # (they would be plaintext on disk); SQLCipher's own log stays silent.
        return SqlCipherDatabase(
            path,
            passphrase=f"x'{db_key.hex()}'",
            pragmas=[("cipher_log_level", "NONE"), *pragmas, ("temp_store", "MEMORY")],
            lock_type="IMMEDIATE",
            timeout=30,
        )

    def _upsert(self, db: peewee.Database, model: type[peewee.Model], columns: list[str],
                rows: Sequence[dict[str, Any]], sql: tuple[str, str, str], columnar: bool) -> None:
        # One executemany: a C loop over one prepared statement, no round trips. Times
        # in the text form peewee itself writes and reads back for DateTimeField on
        # SQLite (and Python 3.12 deprecates sqlite3's implicit datetime adapter).
        head, one, tail = sql
        values = [tuple(str(v) if isinstance(v, datetime) else v for v in (row[c] for c in columns)) for row in rows]
        db.cursor().executemany(head + one + tail, values)


_PG_TYPES = {"VARCHAR": "text", "TEXT": "text", "INT": "integer", "BIGINT": "bigint",
             "DATETIME": "timestamp", "FLOAT": "double precision"}


class ReconnectingPostgresqlDatabase(ReconnectMixin, PooledPostgresqlDatabase):
    """A pool of PostgreSQL connections that survives the server's restart.

    The pool checks a connection (``SELECT 1``) as it lends it and drops it when
    the server is gone; a statement outside a transaction that meets a connection
    cut since is run again on a new one (peewee's ``ReconnectMixin``, with the
    messages psycopg 3 gives). A statement inside a transaction is never
    repeated: the transaction fails, the request is answered 503, the ward sends
    the batch again, and its connection is not given back to the pool.
    """

    reconnect_errors = (
        (peewee.OperationalError, "terminating connection"),  # the server shut down or restarted
        (peewee.OperationalError, "server closed the connection"),
        (peewee.OperationalError, "the connection is closed"),
        (peewee.InterfaceError, "the connection is closed"),
        (peewee.OperationalError, "consuming input failed"),  # the socket died mid-answer
        (peewee.OperationalError, "connection is lost"),
    )


def pool_size() -> int:
    """Connections per process: ``DISTRICT_DESK_DB_POOL_SIZE`` or the default."""
    raw = os.environ.get(POOL_SIZE_ENV, "").strip()
    if not raw:
        return DEFAULT_POOL_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        raise BadInput("district.ops.bad_pool_size", env=POOL_SIZE_ENV, value=raw)
    return size


class PostgresBackend(Backend):
    """A PostgreSQL server, possibly shared by several receiver processes."""

    def __init__(self, url: str) -> None:
        self.url = url

    def database(self, db_key: bytes | None = None) -> peewee.Database:
        # The URL is handed to libpq whole (it expands a URI given as dbname).
        return ReconnectingPostgresqlDatabase(
            self.url, max_connections=pool_size(), stale_timeout=POOL_STALE_SECONDS, timeout=POOL_WAIT_SECONDS,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )

    def connection_scope(self, db: peewee.Database) -> contextlib.AbstractContextManager[None]:
        return _borrowed(db)

    def dispose(self, db: peewee.Database) -> None:
        if isinstance(db, PooledPostgresqlDatabase):
            db.close_all()
        else:
            super().dispose(db)

    def lock(self, query: Query) -> Query:
        # Serialises the contacts of one ward across receiver processes.
        return query.for_update()  # type: ignore[attr-defined,no-any-return]

    def migration_lock(self, db: peewee.Database) -> None:
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))

    def _upsert(self, db: peewee.Database, model: type[peewee.Model], columns: list[str],
                rows: Sequence[dict[str, Any]], sql: tuple[str, str, str], columnar: bool) -> None:
        head, one, tail = sql
        if not columnar:
            db.cursor().executemany(head + one + tail, [tuple(row[c] for c in columns) for row in rows])
            return
        # One statement per table whatever the batch size, each column sent as one
        # array and unnested server-side. Every ``executemany`` row costs psycopg a
        # protocol message and Python work even when pipelined, and a long multi-row
        # VALUES text is re-parsed client-side on each call (too long for psycopg's
        # statement cache); this text is short, cached and prepared once.
        types = {f.column_name: _PG_TYPES[f.field_type] for f in model._meta.sorted_fields
                 if f.field_type in _PG_TYPES}
        arrays = [[row[c] for row in rows] for c in columns]
        casts = ", ".join(f"%b::{types[c]}[]" for c in columns)  # binary: text arrays need no escaping
        db.cursor().execute(f"{head[: -len(' VALUES ')]} SELECT * FROM unnest({casts}){tail}", arrays)


@contextlib.contextmanager
def _borrowed(db: peewee.Database) -> Iterator[None]:
    """This thread's connection for the block: taken from the pool, given back after.

    Not peewee's ``connection_context``: the reconnecting database closes and
    reopens the thread's connection by itself, which that context's bookkeeping
    does not survive. A thread that already holds one keeps it."""
    if not db.is_closed():
        yield
        return
    db.connect()
    try:
        yield
    finally:
        if not db.is_closed():
            db.close()  # back to the pool, or dropped if the server cut it


def backend_for(url: str) -> Backend:
    """The back end a database URL names: ``postgresql://...`` or ``sqlite:///path``."""
    if url.startswith(POSTGRES_PREFIXES):
        return PostgresBackend(url)
    if url.startswith(SQLITE_PREFIX):
        return SqliteBackend(url)
    raise BadInput("sync.district.bad_db_url", url=redact_url(url))
